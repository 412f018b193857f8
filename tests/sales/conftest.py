"""Fixtures of the sales tests: parties and items on an app with sales and pricing."""

from decimal import Decimal

import pytest

from core import items, parties
from core.models import CustomerGroup, ItemGroup, TaxCategory
from core.testing import api_client


def add_catalogue(registry):
    """Tax categories, groups, three parties and three items; returns their ids by name."""
    registry.refresh()
    with registry.session_factory() as s:
        s.add_all([TaxCategory(code="VAT20", name="Standard", rate=Decimal(20)),
                   TaxCategory(code="VAT5", name="Reduced", rate=Decimal("5.5")),
                   CustomerGroup(code="WHOLESALE", name="Wholesale"),
                   ItemGroup(code="TOOLS", name="Tools")])
        s.flush()
        ids = {
            "acme": parties.create_party(s, {"name": "Acme", "stage": "prospect"}).id,
            "bolt": parties.create_party(s, {"name": "Bolt & Co", "stage": "customer",
                                             "customer_group": "WHOLESALE"}).id,
        }
        for number, name, price, tax, group in [
            ("HAM", "Hammer", "12.50", "VAT20", "TOOLS"),
            ("NAIL", "Box of nails", "3.20", "VAT20", "TOOLS"),
            ("BOOK", "DIY handbook", "20", "VAT5", None),
        ]:
            ids[number] = items.create_item(s, {
                "number": number, "name": name, "list_price": Decimal(price),
                "currency": "EUR", "tax_category": tax, "item_group": group}).id
        s.commit()
    return ids


def change_party(app, party_id, **data):
    """Change party ``party_id`` through the API, as a salesperson: its ``name``, ``email``,
    ``addresses``..."""
    changed = api_client(app).patch(f"/api/v1/parties/{party_id}", json=data)
    assert changed.status_code == 200, changed.get_json()


@pytest.fixture
def sales_app(make_app):
    """An application with the sales and pricing modules enabled."""
    return make_app(["sales", "pricing"])


@pytest.fixture
def catalogue(sales_app):
    """The ids of the test catalogue on ``sales_app``."""
    return add_catalogue(sales_app.extensions["comptoir"])


@pytest.fixture
def sales_client(sales_app, login):
    """A test client logged in as the demo salesperson."""
    client = sales_app.test_client()
    login(client, "sales")
    return client



@pytest.fixture
def sales_api(sales_app):
    """A test client sending the demo salesperson's API token with every request."""
    return api_client(sales_app)
