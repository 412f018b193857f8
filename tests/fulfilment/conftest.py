"""Fixtures of the fulfilment tests: an app with sales and fulfilment, a catalogue, and a
helper confirming orders to deliver."""

from decimal import Decimal

import pytest

from core import orders
from tests.sales.conftest import add_catalogue


@pytest.fixture
def fulfilment_app(make_app):
    """An application with the sales and fulfilment modules enabled."""
    return make_app(["sales", "fulfilment"])


@pytest.fixture
def registry(fulfilment_app):
    """The module registry of ``fulfilment_app``, refreshed."""
    registry = fulfilment_app.extensions["comptoir"]
    registry.refresh()
    return registry


@pytest.fixture
def catalogue(registry):
    """The ids of the test catalogue (parties acme and bolt; items HAM, NAIL, BOOK)."""
    return add_catalogue(registry)


def confirmed_order(registry, party_id, lines, order_type="sales", confirmed_at=None):
    """Create and confirm an order of ``lines`` (``[(item_id, quantity)]``), as if confirmed
    at ``confirmed_at`` (a UTC datetime) when given; returns its id."""
    with registry.session_factory() as session:
        order = orders.create_order(session, registry.hook, {
            "type": order_type, "party_id": party_id, "currency": "EUR",
            "lines": [{"item_id": item, "quantity": Decimal(quantity)}
                      for item, quantity in lines]})
        orders.confirm_order(session, registry.hook, order)
        if confirmed_at is not None:
            order.confirmed_at = confirmed_at
        session.commit()
        return order.id
