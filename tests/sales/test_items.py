"""Items, tax categories and item groups through the API and the web pages, with the refusals
of bad input."""

import re
from decimal import Decimal

import pytest

from core import items, users
from core.models import Item, ItemGroup, TaxCategory
from core.testing import csrf_token


@pytest.fixture
def app(make_app):
    """An application with the sales module enabled."""
    return make_app(["sales"])


@pytest.fixture
def registry(app):
    return app.extensions["comptoir"]


@pytest.fixture
def api(app, registry):
    """A test client sending the demo salesperson's API token."""
    with registry.session_factory() as session:
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "tests")
        session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def web(app, login):
    """A test client logged in as the demo salesperson."""
    client = app.test_client()
    login(client, "sales")
    return client


@pytest.fixture
def taxes(registry):
    """Two tax categories and an item group."""
    with registry.session_factory() as session:
        session.add_all([TaxCategory(code="VAT20", name="Standard", rate=Decimal(20)),
                         TaxCategory(code="VAT5", name="Reduced", rate=Decimal("5.5")),
                         ItemGroup(code="TOOLS", name="Tools")])
        session.commit()


def add_items(registry, count):
    """``count`` items numbered I01, I02... in the VAT20 category."""
    with registry.session_factory() as session:
        for n in range(1, count + 1):
            items.create_item(session, {"number": f"I{n:02d}", "name": f"Widget {n}",
                                        "list_price": Decimal(n), "currency": "EUR",
                                        "tax_category": "VAT20"})
        session.commit()


def page_text(response):
    """The page's text without tags and with spaces collapsed, as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


HAMMER = {"number": "HAM-1", "name": "Hammer", "unit": "piece", "list_price": "12.5",
          "currency": "EUR", "tax_category": "VAT20", "item_group": "TOOLS",
          "stock_on_hand": "40"}


# --- API ---------------------------------------------------------------------------------------

def test_api_creates_tax_categories_item_groups_and_items(api):
    tax = api.post("/api/v1/tax-categories", json={"code": "VAT20", "name": "Standard",
                                                   "rate": "20"})
    assert tax.status_code == 201
    assert api.post("/api/v1/tax-categories", json={"code": "VAT5", "name": "Reduced",
                                                    "rate": "5.5"}).status_code == 201
    assert [(t["code"], t["rate"]) for t in api.get("/api/v1/tax-categories").json] == [
        ("VAT20", "20"), ("VAT5", "5.5")
    ]
    group = api.post("/api/v1/item-groups", json={"code": "TOOLS", "name": "Tools"})
    assert group.status_code == 201
    assert api.get("/api/v1/item-groups").json == [
        {"id": group.json["id"], "code": "TOOLS", "name": "Tools"}
    ]

    created = api.post("/api/v1/items", json=HAMMER)
    assert created.status_code == 201, created.json
    item = api.get(f"/api/v1/items/{created.json['id']}").json
    assert item == {"id": created.json["id"], "number": "HAM-1", "name": "Hammer",
                    "unit": "piece", "list_price": "12.50", "currency": "EUR",
                    "tax_category": "VAT20", "item_group": "TOOLS", "stock_on_hand": "40",
                    "stocked": True}

    changed = api.patch(f"/api/v1/items/{item['id']}", json={
        "list_price": "1500", "currency": "JPY", "tax_category": "VAT5", "item_group": None,
        "stock_on_hand": "12.5",
    })
    assert changed.status_code == 200, changed.json
    assert (changed.json["list_price"], changed.json["currency"]) == ("1500", "JPY")
    assert changed.json["tax_category"] == "VAT5"
    assert changed.json["item_group"] is None
    assert changed.json["stock_on_hand"] == "12.5"
    assert changed.json["name"] == "Hammer", "fields not sent are kept"

    zero = api.patch(f"/api/v1/items/{item['id']}", json={"list_price": "-0.00",
                                                         "stock_on_hand": -0})
    assert (zero.json["list_price"], zero.json["stock_on_hand"]) == ("0", "0"), "no minus zero"
    assert api.get(f"/api/v1/items/{item['id']}").json["list_price"] == "0"

    renumbered = api.patch(f"/api/v1/items/{item['id']}", json={"number": "NEW"})
    assert renumbered.status_code == 422, "an item's number stays as created"
    assert "number" in renumbered.json["errors"]["json"]


def test_api_lists_items_by_page_and_search(api, registry, taxes):
    add_items(registry, 30)
    first = api.get("/api/v1/items").json
    assert (first["total"], first["page"], first["pages"]) == (30, 1, 2)
    assert [i["number"] for i in first["items"]] == [f"I{n:02d}" for n in range(1, 26)]
    second = api.get("/api/v1/items?page=2").json
    assert [i["number"] for i in second["items"]] == [f"I{n:02d}" for n in range(26, 31)]
    assert [i["number"] for i in api.get("/api/v1/items?per_page=10&page=3").json["items"]] == [
        f"I{n:02d}" for n in range(21, 31)
    ]
    assert api.get("/api/v1/items?per_page=101").status_code == 422
    assert [i["name"] for i in api.get("/api/v1/items?q=widget 1").json["items"]] == [
        "Widget 1", *[f"Widget {n}" for n in range(10, 20)]
    ]
    assert [i["number"] for i in api.get("/api/v1/items?q=i07").json["items"]] == ["I07"]


@pytest.mark.parametrize("change, field", [
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"list_price": "-0.01"}, "list_price"),
    ({"list_price": "ten"}, "list_price"),
    ({"list_price": "NaN"}, "list_price"),
    ({"list_price": "1e15"}, "list_price"),
    ({"list_price": "0.0000001"}, "list_price"),
    ({"stock_on_hand": "-1"}, "stock_on_hand"),
    ({"tax_category": "VAT99"}, "tax_category"),
    ({"item_group": "NOPE"}, "item_group"),
    ({"number": "N" * 33}, "number"),
    ({"name": "n" * 129}, "name"),
    ({"name": "  "}, "name"),
    ({"name": ""}, "name"),
    ({"unit": "u" * 17}, "unit"),
    ({"colour": "red"}, "colour"),
])
def test_api_refuses_bad_item_input_field_by_field(api, taxes, change, field):
    response = api.post("/api/v1/items", json={**HAMMER, **change})
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert api.get("/api/v1/items").json["total"] == 0


def test_api_refuses_duplicates_bad_rates_and_unknown_items(api, taxes):
    assert api.post("/api/v1/items", json=HAMMER).status_code == 201
    dollars = api.post("/api/v1/items", json={**HAMMER, "number": "HAM-USD", "currency": "usd"})
    assert dollars.status_code == 201 and dollars.json["currency"] == "USD"
    taken = api.post("/api/v1/items", json={**HAMMER, "name": "Other hammer"})
    assert taken.status_code == 422
    assert taken.json["errors"]["json"] == {"number": ["This number is taken."]}

    item_id = api.get("/api/v1/items").json["items"][0]["id"]
    bad = api.patch(f"/api/v1/items/{item_id}", json={"currency": "ZZZ", "list_price": "-1"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]["json"]) == {"currency", "list_price"}
    unknown_tax = api.patch(f"/api/v1/items/{item_id}", json={"tax_category": "GONE"})
    assert unknown_tax.json["errors"]["json"] == {"tax_category": ["Unknown tax category."]}
    assert api.get(f"/api/v1/items/{item_id}").json["tax_category"] == "VAT20"

    assert api.get("/api/v1/items/9999").status_code == 404
    assert api.patch("/api/v1/items/9999", json={"name": "X"}).status_code == 404
    assert api.get("/api/v1/items/99999999999").status_code == 404

    assert api.post("/api/v1/tax-categories", json={"code": "VAT20", "name": "Again",
                                                    "rate": "20"}).status_code == 422
    for rate in ["-1", "100.5", "abc"]:
        refused = api.post("/api/v1/tax-categories", json={"code": "X", "name": "X",
                                                           "rate": rate})
        assert refused.status_code == 422
        assert "rate" in refused.json["errors"]["json"]
    taken_group = api.post("/api/v1/item-groups", json={"code": "TOOLS", "name": "Tools 2"})
    assert taken_group.json["errors"]["json"] == {"code": ["This code is taken."]}


def test_item_api_is_for_the_sales_role(app, registry):
    with registry.session_factory() as session:
        _token, secret = users.create_token(session, users.find_user(session, "marketing"), "t")
        session.commit()
    client = app.test_client()
    assert client.get("/api/v1/items",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    assert client.get("/api/v1/tax-categories").status_code == 401


# --- Web pages ---------------------------------------------------------------------------------

def test_items_menu_entry_list_pages_and_search(web, registry, taxes):
    add_items(registry, 30)
    first = web.get("/items/")
    html = first.get_data(as_text=True)
    assert '<a href="/items/"' in html and ">Items</a>" in html, "menu entry Items"
    text = page_text(first)
    assert "30 items" in text and "Page 1 of 2" in text
    assert "I25 Widget 25 unit €25.00 VAT20" in text and "I26" not in text
    assert 'rel="next" href="/items/?page=2"' in html
    second = web.get("/items/?page=2")
    assert "Page 2 of 2" in page_text(second) and "I30" in page_text(second)
    assert 'rel="prev" href="/items/?page=1"' in second.get_data(as_text=True)
    found = page_text(web.get("/items/?q=widget 3"))
    assert "2 items" in found and "Widget 30" in found and "Widget 29" not in found


def test_web_forms_add_tax_categories_groups_and_items(web, registry):
    token = csrf_token(web, "/items/")
    assert web.post("/items/tax-categories", data={
        "code": "VAT20", "name": "Standard", "rate": "20", "csrf_token": token,
    }).status_code == 302
    assert web.post("/items/item-groups", data={
        "code": "TOOLS", "name": "Tools", "csrf_token": token,
    }).status_code == 302
    text = page_text(web.get("/items/"))
    assert "VAT20 Standard 20 %" in text and "TOOLS Tools" in text

    created = web.post("/items/new", data={
        "number": "SAW", "name": "Saw", "list_price": "19.9", "currency": "EUR",
        "tax_category": "VAT20", "item_group": "TOOLS", "stock_on_hand": "3",
        "csrf_token": token,
    })
    assert created.status_code == 302
    page = web.get(created.location)
    assert "List price €19.90 · 3 unit on hand" in page_text(page)
    assert 'value="TOOLS" selected' in page.get_data(as_text=True)

    edited = web.post(created.location, data={
        "name": "Panel saw", "unit": "piece", "list_price": "24", "currency": "USD",
        "tax_category": "VAT20", "item_group": "", "stock_on_hand": "5", "csrf_token": token,
    })
    assert edited.status_code == 302
    with registry.session_factory() as session:
        item = session.query(Item).one()
        assert (item.number, item.name, item.unit, item.list_price, item.currency) == (
            "SAW", "Panel saw", "piece", Decimal(24), "USD")
        assert item.item_group is None and item.stock_on_hand == Decimal(5)
    assert "SAW Panel saw piece $24.00" in page_text(web.get("/items/"))

    service = web.post(created.location, data={
        "name": "Saw sharpening", "unit": "piece", "list_price": "24", "currency": "USD",
        "tax_category": "VAT20", "stocked": "false", "csrf_token": token})
    assert service.status_code == 302
    page = web.get(created.location)
    assert "a service: no stock" in page_text(page)
    assert '<option value="false" selected>' in page.get_data(as_text=True)
    assert "VAT20 service" in page_text(web.get("/items/"))


def test_web_item_forms_show_what_is_wrong(web, registry, taxes):
    token = csrf_token(web, "/items/new")
    refused = web.post("/items/new", data={
        "number": "BAD", "name": "Bad", "list_price": "-3", "currency": "EURO",
        "tax_category": "VAT99", "csrf_token": token,
    })
    assert refused.status_code == 422
    text = page_text(refused)
    assert "Unknown currency: give its ISO 4217 code, e.g. EUR." in text
    assert "Must be at least 0." in text
    assert 'value="EURO"' in refused.get_data(as_text=True), "the input is kept"

    unknown_tax = web.post("/items/new", data={
        "number": "BAD", "name": "Bad", "list_price": "3", "currency": "EUR",
        "tax_category": "VAT99", "csrf_token": token,
    })
    assert unknown_tax.status_code == 422 and "Unknown tax category." in page_text(unknown_tax)

    add_items(registry, 1)
    taken = web.post("/items/new", data={
        "number": "I01", "name": "Again", "list_price": "3", "currency": "EUR",
        "tax_category": "VAT20", "csrf_token": token,
    })
    assert taken.status_code == 422 and "This number is taken." in page_text(taken)
    with registry.session_factory() as session:
        item_id = session.query(Item).one().id
    long_name = web.post(f"/items/{item_id}", data={
        "name": "n" * 129, "list_price": "3", "currency": "EUR", "tax_category": "VAT20",
        "csrf_token": token,
    })
    assert long_name.status_code == 422
    assert "Length must be between 1 and 128." in page_text(long_name)

    rate = web.post("/items/tax-categories", data={"code": "VAT20", "name": "x", "rate": "200",
                                                   "csrf_token": token})
    assert rate.status_code == 422
    assert "Must be at least 0 and at most 100." in page_text(rate)
    group = web.post("/items/item-groups", data={"code": "TOOLS", "name": "x",
                                                 "csrf_token": token})
    assert group.status_code == 422 and "This code is taken." in page_text(group)
    assert web.get("/items/9999").status_code == 404
    with registry.session_factory() as session:
        assert session.query(Item).count() == 1


def test_accounting_reads_item_pages_and_changes_nothing(app, registry, web, login):
    token = csrf_token(web, "/items/")
    web.post("/items/tax-categories", data={"code": "VAT20", "name": "Standard", "rate": "20",
                                            "csrf_token": token})
    created = web.post("/items/new", data={
        "number": "HAM", "name": "Hammer", "unit": "unit", "list_price": "12.50",
        "currency": "EUR", "tax_category": "VAT20", "csrf_token": token})
    path = created.headers["Location"]
    client = app.test_client()
    login(client, "accounting")
    assert ">Items</a>" in client.get("/").get_data(as_text=True)
    listed = client.get("/items/").get_data(as_text=True)
    assert "Hammer" in listed and "New item" not in listed
    assert "Add tax category" not in listed and "Add item group" not in listed
    page = client.get(path)
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="12.5"' in shown
    assert '<fieldset class="bare" disabled>' in shown and ">Save<" not in shown
    token = csrf_token(client, path)
    for where, form in ((path, {"name": "Mallet"}), ("/items/new", {"number": "X"}),
                        ("/items/tax-categories", {"code": "Z", "name": "Z", "rate": "1"}),
                        ("/items/item-groups", {"code": "G", "name": "G"})):
        assert client.post(where, data={**form, "csrf_token": token}).status_code == 403, where
    assert client.get("/items/new").status_code == 403
    with registry.session_factory() as session:
        assert [item.name for item in session.query(Item)] == ["Hammer"]


def test_item_pages_are_kept_from_marketing(app, login):
    client = app.test_client()
    login(client, "marketing")
    assert client.get("/items/").status_code == 403
    assert ">Items</a>" not in client.get("/").get_data(as_text=True)
