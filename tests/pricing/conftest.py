"""Fixtures of the pricing tests: an app with sales and pricing, a small catalogue, API access."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import items, parties, users
from core.models import CustomerGroup, ItemGroup, Order, OrderLine, TaxCategory


@dataclass
class Catalogue:
    """The ids of the records every pricing test starts from."""

    hammer: int  # 10.00 EUR, item group PT-TOOLS, 20% tax
    saw: int  # 25.00 EUR, item group PT-TOOLS, 20% tax
    glue: int  # 4.99 EUR, no item group, 5.5% tax
    tea: int  # 333 JPY, 10% tax
    acme: int  # a customer of group PT-WHOLESALE
    bob: int  # a customer of no group


def make_catalogue(app):
    """Add the catalogue to ``app``'s database and return its ids."""
    with app.extensions["comptoir"].session_factory() as session, session.begin():
        session.add_all([
            TaxCategory(code="PT-VAT20", name="Standard", rate=Decimal(20)),
            TaxCategory(code="PT-VAT5", name="Reduced", rate=Decimal("5.5")),
            TaxCategory(code="PT-JP10", name="Japan", rate=Decimal(10)),
            CustomerGroup(code="PT-WHOLESALE", name="Wholesale"),
            ItemGroup(code="PT-TOOLS", name="Tools"),
        ])
        session.flush()

        def item(number, name, price, currency, tax, group=None):
            return items.create_item(session, {
                "number": number, "name": name, "list_price": Decimal(price),
                "currency": currency, "tax_category": tax, "item_group": group,
            }).id

        def party(name, group=None):
            return parties.create_party(session, {"name": name, "customer_group": group}).id

        return Catalogue(
            hammer=item("PT-HAMMER", "Hammer", "10.00", "EUR", "PT-VAT20", "PT-TOOLS"),
            saw=item("PT-SAW", "Saw", "25.00", "EUR", "PT-VAT20", "PT-TOOLS"),
            glue=item("PT-GLUE", "Glue", "4.99", "EUR", "PT-VAT5"),
            tea=item("PT-TEA", "Green tea", "333", "JPY", "PT-JP10"),
            acme=party("Acme", "PT-WHOLESALE"),
            bob=party("Bob"),
        )


@pytest.fixture
def app(make_app):
    """An application with the sales and pricing modules enabled."""
    return make_app(["sales", "pricing"])


@pytest.fixture
def catalogue(app):
    """The catalogue, in ``app``'s database."""
    return make_catalogue(app)


def token_headers(app, login="sales"):
    """Headers authenticating API requests as the demo user ``login``."""
    with app.extensions["comptoir"].session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, login), "tests")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def headers(app):
    """API headers of the demo sales user."""
    return token_headers(app)


def count_rows(app, model):
    """How many rows ``model``'s table holds."""
    with app.extensions["comptoir"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def order_rows(app):
    """How many orders and order lines the database holds."""
    return count_rows(app, Order), count_rows(app, OrderLine)


def new_price_list(client, headers, name="Trade", currency="EUR", rules=()):
    """Create a price list and its ``rules`` through the API; returns the list's id."""
    response = client.post("/api/v1/price-lists", json={"name": name, "currency": currency},
                           headers=headers)
    assert response.status_code == 201, response.json
    list_id = response.json["id"]
    for rule in rules:
        added = client.post(f"/api/v1/price-lists/{list_id}/rules", json=rule, headers=headers)
        assert added.status_code == 201, added.json
    return list_id


def rule_ids(client, headers, list_id):
    """The ids of a price list's rules, in the order they were added."""
    return [r["id"] for r in client.get(f"/api/v1/price-lists/{list_id}", headers=headers)
            .json["rules"]]


def simulate(client, headers, status=200, **body):
    """POST a simulation and check its status; returns the JSON answer."""
    response = client.post("/api/v1/pricing/simulate", json=body, headers=headers)
    assert response.status_code == status, response.json
    return response.json
