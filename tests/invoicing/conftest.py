"""Fixtures of the invoicing tests: an app with sales, fulfilment and invoicing, a catalogue,
and confirmed orders to invoice."""

from datetime import date
from decimal import Decimal

import pytest

from core import orders
from core.testing import api_client
from tests.sales.conftest import add_catalogue


@pytest.fixture
def invoicing_app(make_app):
    """An application with the sales, fulfilment and invoicing modules enabled."""
    return make_app(["sales", "fulfilment", "invoicing"])


@pytest.fixture
def registry(invoicing_app):
    """The module registry of ``invoicing_app``, refreshed."""
    registry = invoicing_app.extensions["comptoir"]
    registry.refresh()
    return registry


@pytest.fixture
def catalogue(registry):
    """The ids of the test catalogue (parties acme and bolt; items HAM, NAIL, BOOK)."""
    return add_catalogue(registry)


@pytest.fixture
def accounting_api(invoicing_app):
    """A test client sending the demo accountant's API token with every request."""
    return api_client(invoicing_app, "accounting")


def confirmed_order(session, hook, party_id, lines, currency="EUR", order_type="sales"):
    """Create and confirm an order of ``lines`` (``[(item_id, quantity)]``); returns it."""
    order = orders.create_order(session, hook, {
        "type": order_type, "party_id": party_id, "currency": currency,
        "lines": [{"item_id": item, "quantity": Decimal(quantity)} for item, quantity in lines]})
    orders.confirm_order(session, hook, order)
    return order


def packing_slip(session, hook, order, quantities=None):
    """A posted packing slip of ``order`` delivering ``quantities`` (``{line position:
    quantity}``, default: every line's remainder), made with the fulfilment models."""
    from core.documents import store_values
    from core.orders import settle_status
    from plugins.fulfilment.models import PackingSlip, PackingSlipLine

    session.flush()
    count = session.query(PackingSlip).count()
    slip = PackingSlip(number=f"PS-{count + 1:05d}", order=order, party_id=order.party_id,
                       delivery_date=date.today())
    delivered = []
    for line in order.lines:
        quantity = Decimal((quantities or {}).get(line.position, line.deliver_remainder))
        if quantity:
            slip.lines.append(PackingSlipLine(order_line=line, quantity=quantity))
            delivered.append((line, line.delivered_quantity + quantity))
    session.add(slip)
    session.flush()
    store_values(session, [line for line, _ in delivered],
                 [{"delivered_quantity": quantity} for _, quantity in delivered])
    settle_status(hook, order)
    session.flush()
    return slip
