"""Quotations through the API and the web forms: pricing and its explanations, revisions,
sending, acceptance into a sales order, losing, expiry, lines given as an order's, currency
changes, editing rules and the list page."""

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core import items, parties
from core.models import CustomerGroup, ItemGroup, Order, Party, TaxCategory
from core.testing import api_client, count_queries, csrf_token
from plugins.pricing.models import PriceList, PriceRuleRow
from plugins.sales.models import Quotation
from tests.test_api_fuzz import fuzz

TODAY = date.today()
LATER = (TODAY + timedelta(days=30)).isoformat()


@dataclass
class Shop:
    """The application, its registry and the ids of the records set up."""

    app: object
    reg: object
    prospect: int
    customer: int
    merged: int
    hammer: int
    saw: int
    rule: int

    def session(self):
        """A session on the shop's database."""
        return self.reg.session_factory()


@pytest.fixture
def shop(make_app):
    """Sales and pricing enabled; a prospect, a wholesale customer, a merged party, a hammer
    (price list: 8.50 from 10 units, 5% off its group) and a saw (a price list in USD too)."""
    app = make_app(["sales", "pricing"])
    reg = app.extensions["comptoir"]
    reg.refresh()
    with reg.session_factory() as s:
        s.add_all([TaxCategory(code="VAT20", name="Standard", rate=Decimal(20)),
                   CustomerGroup(code="WHOLESALE", name="Wholesale"),
                   ItemGroup(code="TOOLS", name="Tools")])
        s.flush()
        prospect = parties.create_party(s, {"name": "Prospect Ltd"})
        customer = parties.create_party(s, {"name": "Acme", "stage": "customer",
                                            "customer_group": "WHOLESALE"})
        merged = parties.create_party(s, {"name": "Acme duplicate"})
        parties.merge_parties(s, reg.hook, customer.id, merged.id)
        hammer = items.create_item(s, {"number": "A1", "name": "Hammer",
                                       "list_price": Decimal("10.00"), "currency": "EUR",
                                       "tax_category": "VAT20", "item_group": "TOOLS"})
        saw = items.create_item(s, {"number": "B2", "name": "Saw", "list_price": Decimal(25),
                                    "currency": "EUR", "tax_category": "VAT20"})
        price_list = PriceList(name="Trade", currency="EUR")
        price_list.rules = [
            PriceRuleRow(item_id=hammer.id, price=Decimal("8.50"), min_quantity=Decimal(10)),
            PriceRuleRow(item_group_id=hammer.item_group_id, discount=Decimal(5)),
        ]
        s.add_all([price_list, PriceList(name="Dollars", currency="USD", rules=[
            PriceRuleRow(item_id=saw.id, price=Decimal(30))])])
        s.flush()
        shop = Shop(app, reg, prospect.id, customer.id, merged.id, hammer.id, saw.id,
                    price_list.rules[0].id)
        s.commit()
    return shop


@pytest.fixture
def api(shop):
    """A client calling the API as the sales user: ``api.post(path, json=...)``."""
    return api_client(shop.app)


@pytest.fixture
def browser(shop, login):
    """A web client logged in as the sales user."""
    client = shop.app.test_client()
    login(client, "sales")
    return client


def new_quotation(api, shop, party=None, lines=None, **header):
    """Create a quotation through the API and return its JSON."""
    body = {"party_id": party or shop.prospect, "currency": "EUR", "valid_until": LATER,
            "lines": [{"item_id": shop.hammer, "quantity": "2"}] if lines is None else lines,
            **header}
    response = api.post("/api/v1/quotations", json=body)
    assert response.status_code == 201, response.json
    return response.json


def post_form(client, path, form_path, **data):
    """Post ``data`` to ``path`` with the CSRF token of the page at ``form_path``."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_path)})


def text_of(response):
    """The page's text with tags removed and spaces collapsed, as a reader sees it."""
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(page))


def expire(shop, quotation_id):
    """Let time pass: the quotation's validity date becomes yesterday."""
    with shop.session() as s:
        s.execute(update(Quotation).where(Quotation.id == quotation_id)
                  .values(valid_until=TODAY - timedelta(days=1)))
        s.commit()


# 1. Creating and pricing ---------------------------------------------------------------------

def test_a_quotation_for_a_prospect_is_priced_and_explained(api, shop):
    quotation = new_quotation(api, shop, discount="10", lines=[
        {"item_id": shop.hammer, "quantity": "12"},
        {"item_id": shop.saw, "quantity": "2", "unit_price": "20"},
        {"item_id": shop.hammer, "quantity": "1", "discount": "50"},
    ])
    assert quotation["number"] == "QT-00001"
    assert quotation["revision"] == 1
    assert quotation["status"] == "draft"
    assert quotation["party_name"] == "Prospect Ltd"
    assert quotation["valid_until"] == LATER
    # 12 × 8.50 − 5% − 10% = 87.21; 2 × 20 − 10% = 36.00; 1 × 10 − 50% − 10% = 4.50
    assert [line["amount"] for line in quotation["lines"]] == ["87.21", "36.00", "4.50"]
    assert [line["unit_price"] for line in quotation["lines"]] == ["8.50", "20.00", "10.00"]
    assert quotation["untaxed"] == "127.71"
    assert quotation["tax"] == "25.54"
    assert quotation["total"] == "153.25"

    first = quotation["lines"][0]["explanation"]
    applied = [e["rule"] for e in first if e["outcome"] == "applied"]
    assert f"price list Trade, rule {shop.rule}: item A1, from 10 units" in applied
    assert "price list Trade, rule " in " ".join(applied)  # the group's 5% too
    lost = [e for e in first if e["outcome"] == "lost"]
    assert [(e["rule"], e["why"]) for e in lost] == [
        ("list price of item A1",
         f"lower priority (0 < 30) than price list Trade, rule {shop.rule}: item A1, "
         "from 10 units")]
    third = quotation["lines"][2]["explanation"]
    assert {e["rule"]: e["outcome"] for e in third if e["effect"] == "discount"} == {
        "discount typed on the line": "applied",
        f"price list Trade, rule {shop.rule + 1}: item group TOOLS": "lost",
        "discount on the whole order": "applied",
    }

    again = api.get(f"/api/v1/quotations/{quotation['id']}")
    assert again.status_code == 200
    assert again.json["total"] == "153.25"
    assert again.json["lines"][1]["explanation"][0]["rule"] == "price typed on the line"


def test_a_customer_gets_its_quotation_too(api, shop):
    quotation = new_quotation(api, shop, party=shop.customer)
    assert quotation["party_name"] == "Acme"
    assert quotation["total"] == "22.80"  # 2 × 10 − 5%, plus 20% tax


@pytest.mark.parametrize("change, field", [
    ({"valid_until": (TODAY - timedelta(days=1)).isoformat()}, "valid_until"),
    ({"valid_until": None}, "valid_until"),
    ({"party_id": 999_999}, "party_id"),
    ({"currency": "XXXX"}, "currency"),
    ({"currency": "ZZZ"}, "currency"),
    ({"currency": "XXX"}, "currency"),
    ({"currency": "XTS"}, "currency"),
    ({"discount": "100.5"}, "discount"),
    ({"lines": [{"item_id": 1, "quantity": "0"}]}, "lines"),
    ({"lines": [{"item_id": 999_999, "quantity": "1"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "1", "discount": "-1"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "1", "unit_price": "-1"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "1", "manual_price": "1"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "1e15"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "1.0000001"}]}, "lines"),
    ({"lines": [{"item_id": 1, "quantity": "999999999999"}]}, "lines"),
    ({"colour": "red"}, "colour"),
])
def test_invalid_quotations_are_refused_per_field(api, shop, change, field):
    body = {"party_id": shop.prospect, "currency": "EUR", "valid_until": LATER, **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = api.post("/api/v1/quotations", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert api.get("/api/v1/quotations").json["items"] == []


def test_a_merged_party_gets_no_quotation(api, shop):
    response = api.post("/api/v1/quotations", json={
        "party_id": shop.merged, "currency": "EUR", "valid_until": LATER})
    assert response.status_code == 422
    assert "merged" in response.json["errors"]["json"]["party_id"][0]


def test_no_price_in_the_currency_is_refused(api, shop):
    response = api.post("/api/v1/quotations", json={
        "party_id": shop.prospect, "currency": "USD", "valid_until": LATER,
        "lines": [{"item_id": shop.hammer, "quantity": "1"}]})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["lines"] == ["No price for item A1 in USD."]


def test_the_web_form_creates_a_quotation_and_adds_and_removes_lines(browser, shop):
    form = browser.get("/quotations/new")
    assert form.status_code == 200
    assert "Prospect Ltd" in form.get_data(as_text=True)
    assert "Acme duplicate" not in form.get_data(as_text=True)  # merged parties are not offered

    past = post_form(browser, "/quotations/new", "/quotations/new", party_id=shop.prospect,
                     currency="EUR", valid_until=(TODAY - timedelta(days=1)).isoformat())
    assert past.status_code == 422
    assert "Must not be in the past." in past.get_data(as_text=True)

    created = post_form(browser, "/quotations/new", "/quotations/new", party_id=shop.prospect,
                        currency="EUR", valid_until=LATER, discount="10")
    assert created.status_code == 302
    page_path = created.headers["Location"]
    page = browser.get(page_path)
    assert "Quotation QT-00001, revision 1" in text_of(page)

    added = post_form(browser, f"{page_path}/lines", page_path, item_id=shop.hammer,
                      quantity="12")
    assert added.status_code == 302
    post_form(browser, f"{page_path}/lines", page_path, item_id=shop.saw, quantity="2",
              unit_price="20", discount="")
    page = text_of(browser.get(page_path))
    assert "Hammer" in page and "Saw" in page
    assert f"applied: price list Trade, rule {shop.rule}: item A1, from 10 units" in page
    assert (f"lost: list price of item A1 (list price) gives price 10 EUR, priority 0; "
            f"lower priority (0 < 30) than price list Trade, rule {shop.rule}") in page
    assert "applied: price typed on the line" in page
    assert "Total excluding tax €123.21" in page  # 87.21 + 36.00
    assert "Total including tax €147.85" in page  # tax 17.44 + 7.20

    bad = post_form(browser, f"{page_path}/lines", page_path, item_id=shop.hammer,
                    quantity="-3")
    assert bad.status_code == 422
    assert "Must be above 0." in bad.get_data(as_text=True)

    with shop.session() as s:
        saw_line = s.scalars(select(Quotation)).one().lines[1].id
    removed = post_form(browser, f"{page_path}/lines/{saw_line}/remove", page_path)
    assert removed.status_code == 302
    page = browser.get(page_path)
    assert f'id="line-{saw_line}"' not in page.get_data(as_text=True)
    assert "Total including tax €104.65" in text_of(page)  # 87.21 + 17.44


def test_the_web_edit_form_changes_a_draft_header(browser, api, shop):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}/edit"
    assert browser.get(path).status_code == 200
    saved = post_form(browser, path, path, party_id=shop.customer, currency="EUR",
                      valid_until=LATER, discount="50")
    assert saved.status_code == 302
    changed = api.get(f"/api/v1/quotations/{quotation['id']}").json
    assert changed["party_name"] == "Acme"
    assert changed["untaxed"] == "9.50"  # 2 × 10 − 5% (wholesale group rule) − 50%
    refused = post_form(browser, path, path, party_id=shop.merged, currency="EUR",
                        valid_until=LATER)
    assert refused.status_code == 422
    assert "merged" in refused.get_data(as_text=True)


# 2. Revisions --------------------------------------------------------------------------------

def test_revising_archives_the_earlier_revision(api, shop):
    first = new_quotation(api, shop, discount="10")
    revised = api.post(f"/api/v1/quotations/{first['id']}/revise")
    assert revised.status_code == 201
    second = revised.json
    assert (second["number"], second["revision"], second["status"]) == ("QT-00001", 2, "draft")
    assert second["id"] != first["id"]
    assert second["discount"] == "10"
    assert [(line["item_number"], line["quantity"]) for line in second["lines"]] == [("A1", "2")]
    assert second["total"] == first["total"]

    old = f"/api/v1/quotations/{first['id']}"
    assert api.get(old).json["status"] == "archived"
    line_id = first["lines"][0]["id"]
    for response in (
        api.patch(old, json={"discount": "5"}),
        api.post(f"{old}/lines", json={"lines": [{"item_id": shop.saw, "quantity": "1"}]}),
        api.patch(f"{old}/lines/{line_id}", json={"quantity": "3"}),
        api.delete(f"{old}/lines/{line_id}"),
        api.post(f"{old}/revise"),
        api.post(f"{old}/send"),
        api.post(f"{old}/accept"),
        api.post(f"{old}/lose", json={"reason": "too late"}),
    ):
        assert response.status_code == 409, response.json
        assert "archived" in response.json["message"]
    assert api.get(old).json["total"] == first["total"]

    third = api.post(f"/api/v1/quotations/{second['id']}/revise").json
    listed = api.get(f"/api/v1/quotations/{first['id']}/revisions").json
    assert [(r["revision"], r["status"]) for r in listed] == [
        (1, "archived"), (2, "archived"), (3, "draft")]
    assert [r["id"] for r in listed] == [first["id"], second["id"], third["id"]]
    listed = api.get("/api/v1/quotations").json["items"]
    assert listed[0]["revision"] == 3  # archived ones not listed
    assert len(api.get("/api/v1/quotations?status=archived").json["items"]) == 2


def test_the_revise_button_and_the_revisions_section(browser, api, shop):
    first = new_quotation(api, shop)
    path = f"/quotations/{first['id']}"
    revised = post_form(browser, f"{path}/revise", path)
    assert revised.status_code == 302
    new_path = revised.headers["Location"]
    assert new_path != path
    page = browser.get(new_path).get_data(as_text=True)
    assert "Quotation QT-00001, revision 2" in page
    assert f'href="{path}"' in page  # the section links revision 1

    old_page = browser.get(path)
    assert "archived" in text_of(old_page)
    assert "Add line" not in old_page.get_data(as_text=True)
    refused = post_form(browser, f"{path}/lines", path, item_id=shop.saw, quantity="1")
    assert refused.status_code == 409
    assert "is archived" in refused.get_data(as_text=True)


# 3. Sending and accepting --------------------------------------------------------------------

def test_sending_then_accepting_makes_a_sales_order_at_the_quoted_prices(api, shop):
    quotation = new_quotation(api, shop, discount="10", lines=[
        {"item_id": shop.hammer, "quantity": "12"},
        {"item_id": shop.saw, "quantity": "1", "unit_price": "19.99", "discount": "3"},
    ])
    path = f"/api/v1/quotations/{quotation['id']}"
    sent = api.post(f"{path}/send")
    assert sent.status_code == 200
    assert sent.json["status"] == "sent"
    assert api.post(f"{path}/send").status_code == 409

    # The price list changes after the quotation was sent: the order keeps the quoted prices.
    with shop.session() as s:
        s.get(PriceRuleRow, shop.rule).price = Decimal("7.00")
        s.commit()

    accepted = api.post(f"{path}/accept")
    assert accepted.status_code == 200
    assert accepted.json["status"] == "accepted"
    assert accepted.json["order_number"] == "SO-00001"
    order_id = accepted.json["order_id"]
    assert api.post(f"{path}/accept").status_code == 409

    with shop.session() as s:
        order = s.get(Order, order_id)
        assert (order.type, order.status, order.party_id) == ("sales", "draft", shop.prospect)
        assert [(line.unit_price, line.discount) for line in order.lines] == [
            (Decimal("8.5"), Decimal(5)), (Decimal("19.99"), Decimal(3))]
        assert str(order.total) == quotation["total"]
        for line in order.lines:
            applied = {e["effect"]: e["rule"] for e in line.explanation
                       if e["outcome"] == "applied" and e["kind"] == "manual"}
            assert applied == {"price": "price from quotation QT-00001",
                               "discount": "discount from quotation QT-00001"}
        party = s.get(Party, shop.prospect)
        assert party.stage == "customer"
        assert (party.history[-1].old_stage, party.history[-1].cause) == (
            "prospect", "quotation QT-00001 accepted")

    # Repricing and confirming the order keep saying where its prices come from.
    assert api.patch(f"/api/v1/orders/{order_id}", json={"requested_ship_date": None}
                     ).status_code == 200
    confirmed = api.post(f"/api/v1/orders/{order_id}/confirm")
    assert confirmed.status_code == 200
    for line in confirmed.json["lines"]:
        assert line["price_source"] == "quotation QT-00001"
        assert {e["rule"] for e in line["explanation"] if e["outcome"] == "applied"} >= {
            "price from quotation QT-00001", "discount from quotation QT-00001"}


def test_accepting_from_the_page_links_the_order(browser, api, shop):
    quotation = new_quotation(api, shop, party=shop.customer)
    path = f"/quotations/{quotation['id']}"
    page = text_of(browser.get(path))
    for button in ("Revise", "Mark sent", "Accept", "Mark lost"):
        assert button in page
    assert post_form(browser, f"{path}/send", path).status_code == 302
    assert "Status sent" in text_of(browser.get(path))
    accepted = post_form(browser, f"{path}/accept", path)
    assert accepted.status_code == 302
    page = browser.get(path).get_data(as_text=True)
    order_id = api.get(f"/api/v1/quotations/{quotation['id']}").json["order_id"]
    assert f'<a href="/orders/{order_id}">SO-00001</a>' in page
    assert "accepted" in text_of(browser.get(path))
    with shop.session() as s:
        assert s.get(Party, shop.customer).history[-1].cause != "quotation QT-00001 accepted"


def test_a_quotation_without_lines_is_neither_sent_nor_accepted(api, shop):
    quotation = new_quotation(api, shop, lines=[])
    path = f"/api/v1/quotations/{quotation['id']}"
    assert api.post(f"{path}/send").status_code == 409
    assert api.post(f"{path}/accept").status_code == 409


# 4. Lost and expired -------------------------------------------------------------------------

def test_losing_needs_a_reason(api, shop):
    quotation = new_quotation(api, shop)
    path = f"/api/v1/quotations/{quotation['id']}"
    missing = api.post(f"{path}/lose", json={})
    assert missing.status_code == 422
    assert "reason" in missing.json["errors"]["json"]
    blank = api.post(f"{path}/lose", json={"reason": "   "})
    assert blank.status_code == 422
    assert api.post(f"{path}/lose", json={"reason": "x" * 257}).status_code == 422
    lost = api.post(f"{path}/lose", json={"reason": "Cheaper elsewhere"})
    assert lost.status_code == 200
    assert (lost.json["status"], lost.json["lost_reason"]) == ("lost", "Cheaper elsewhere")
    assert api.post(f"{path}/accept").status_code == 409
    assert api.post(f"{path}/revise").status_code == 409


def test_losing_from_the_page(browser, api, shop):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}"
    missing = post_form(browser, f"{path}/lose", path, reason="")
    assert missing.status_code == 422
    assert "Required." in missing.get_data(as_text=True)
    lost = post_form(browser, f"{path}/lose", path, reason="No budget this year")
    assert lost.status_code == 302
    page = text_of(browser.get(path))
    assert "Status lost: No budget this year" in page
    assert "Mark lost" not in page


def test_an_expired_quotation_cannot_be_sent_or_accepted(api, shop):
    quotation = new_quotation(api, shop)
    path = f"/api/v1/quotations/{quotation['id']}"
    expire(shop, quotation["id"])
    assert api.get(path).json["status"] == "expired"
    for action in ("send", "accept"):
        refused = api.post(f"{path}/{action}")
        assert refused.status_code == 409
        assert "expired" in refused.json["message"]
    mailed = api.post(f"{path}/email", json={"to": "buyer@example.com"})
    assert mailed.status_code == 409 and "cannot be e-mailed" in mailed.json["message"]
    assert api.get(path).json["order_id"] is None
    assert [q["id"] for q in api.get("/api/v1/quotations?status=expired").json["items"]] == [
        quotation["id"]]
    assert api.get("/api/v1/quotations?status=draft").json["items"] == []

    # A draft past its date can still be given a later one.
    assert api.patch(path, json={"valid_until": LATER}).json["status"] == "draft"
    assert api.post(f"{path}/send").json["status"] == "sent"
    expire(shop, quotation["id"])
    assert api.post(f"{path}/accept").status_code == 409
    revised = api.post(f"{path}/revise").json
    assert revised["status"] == "expired"  # the copy keeps the date until it is changed
    renewed = api.patch(f"/api/v1/quotations/{revised['id']}", json={"valid_until": LATER})
    assert renewed.json["status"] == "draft"
    assert api.post(f"/api/v1/quotations/{revised['id']}/accept").status_code == 200


def test_an_expired_quotation_shows_so_on_its_page(browser, api, shop):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}"
    expire(shop, quotation["id"])
    page = text_of(browser.get(path))
    assert "Status expired" in page
    assert "Accept" not in page
    refused = post_form(browser, f"{path}/accept", path)
    assert refused.status_code == 409
    assert "expired" in refused.get_data(as_text=True)
    assert "expired" in text_of(browser.get("/quotations/"))


# 5. Changing a draft -------------------------------------------------------------------------

def test_lines_and_header_of_a_draft_change_and_reprice(api, shop):
    quotation = new_quotation(api, shop)
    path = f"/api/v1/quotations/{quotation['id']}"
    line_id = quotation["lines"][0]["id"]
    more = api.patch(f"{path}/lines/{line_id}", json={"quantity": "10"})
    assert more.status_code == 200
    assert (more.json["id"], more.json["quantity"]) == (line_id, "10")
    assert more.json["unit_price"] == "8.50"  # the quantity break now applies
    assert more.json["amount"] == "80.75"  # 10 × 8.50 − 5%
    assert api.get(path).json["untaxed"] == "80.75"

    added = api.post(f"{path}/lines", json={"lines": [
        {"item_id": shop.saw, "quantity": "1"},
        {"item_id": shop.saw, "quantity": "2", "unit_price": "20", "discount": "10"},
    ]})
    assert added.status_code == 201
    assert [(line["position"], line["item_number"], line["amount"]) for line in added.json] == [
        (2, "B2", "25.00"), (3, "B2", "36.00")]  # 2 × 20 − 10%
    assert [(line["typed_unit_price"], line["typed_discount"]) for line in added.json] == [
        (None, None), ("20", "10")]
    assert api.get(path).json["untaxed"] == "141.75"

    typed = added.json[1]["id"]
    untyped = api.patch(f"{path}/lines/{typed}",
                        json={"unit_price": None, "description": "Saw, blue handle"})
    assert untyped.status_code == 200
    assert (untyped.json["typed_unit_price"], untyped.json["typed_discount"]) == (None, "10")
    assert (untyped.json["unit_price"], untyped.json["amount"]) == ("25.00", "45.00")
    assert untyped.json["description"] == "Saw, blue handle"

    header = api.patch(path, json={"discount": "20", "currency": "EUR"})
    assert header.json["untaxed"] == "120.60"  # (80.75 + 25 + 45) − 20%
    removed = api.delete(f"{path}/lines/{line_id}")
    assert removed.status_code == 204
    assert api.get(path).json["untaxed"] == "56.00"  # (25 + 45) − 20%
    assert api.delete(f"{path}/lines/{line_id}").status_code == 404
    other = new_quotation(api, shop)
    assert api.patch(f"{path}/lines/{other['lines'][0]['id']}",
                     json={"quantity": "1"}).status_code == 404
    assert api.patch(path, json={"valid_until": "2001-01-01"}).status_code == 422
    assert api.patch(f"{path}/lines/{typed}", json={"colour": "red"}).status_code == 422
    assert api.patch(f"{path}/lines/{typed}", json={"manual_price": "1"}).status_code == 422
    assert api.post(f"{path}/lines", json={"lines": []}).status_code == 422
    assert api.post(f"{path}/lines", json={"item_id": shop.saw, "quantity": "1"}
                    ).status_code == 422
    assert api.get(path).json["untaxed"] == "56.00"


def test_quotation_lines_are_given_and_shown_as_order_lines(api, shop):
    line = {"item_id": shop.saw, "quantity": "2", "unit_price": "20", "discount": "10",
            "description": "Saw, blue handle"}
    quotation = new_quotation(api, shop, lines=[line])
    order = api.post("/api/v1/orders", json={"party_id": shop.prospect, "type": "sales",
                                              "currency": "EUR", "lines": [line]})
    assert order.status_code == 201, order.json
    quoted, ordered = quotation["lines"][0], order.json["lines"][0]
    assert set(quoted) == set(ordered) - {"price_source"}
    for key in ("item_id", "item_number", "description", "quantity", "typed_unit_price",
                "typed_discount", "unit_price", "discount", "amount", "tax_amount"):
        assert quoted[key] == ordered[key], key
    assert (quoted["typed_unit_price"], quoted["amount"]) == ("20", "36.00")


# 5b. The currency ----------------------------------------------------------------------------

def test_the_currency_changes_only_without_typed_prices(api, shop):
    quotation = new_quotation(api, shop, lines=[
        {"item_id": shop.saw, "quantity": "1"},
        {"item_id": shop.saw, "quantity": "2", "unit_price": "20", "discount": "10"},
    ])
    path = f"/api/v1/quotations/{quotation['id']}"
    assert api.patch(path, json={"currency": "EUR", "discount": "0"}).status_code == 200

    refused = api.patch(path, json={"currency": "USD", "discount": "50"})
    assert refused.status_code == 409
    assert refused.json["message"] == (
        "quotation QT-00001 has prices typed in EUR: remove them (or the lines) before "
        "changing its currency")
    unchanged = api.get(path).json
    assert (unchanged["currency"], unchanged["discount"]) == ("EUR", "0")
    assert unchanged["total"] == quotation["total"]

    typed = quotation["lines"][1]["id"]
    assert api.patch(f"{path}/lines/{typed}", json={"unit_price": None}).status_code == 200
    dollars = api.patch(path, json={"currency": "USD"})
    assert dollars.status_code == 200, dollars.json
    assert dollars.json["currency"] == "USD"
    assert [line["unit_price"] for line in dollars.json["lines"]] == ["30.00", "30.00"]
    assert [line["amount"] for line in dollars.json["lines"]] == ["30.00", "54.00"]
    assert (dollars.json["untaxed"], dollars.json["total"]) == ("84.00", "100.80")
    applied = [e["rule"] for e in dollars.json["lines"][0]["explanation"]
               if e["outcome"] == "applied" and e["effect"] == "price"]
    assert applied[0].startswith("price list Dollars")


def test_no_price_in_the_new_currency_changes_nothing(api, shop):
    quotation = new_quotation(api, shop)  # a hammer, priced in EUR only
    path = f"/api/v1/quotations/{quotation['id']}"
    refused = api.patch(path, json={"currency": "USD", "discount": "50"})
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["lines"] == ["No price for item A1 in USD."]
    unchanged = api.get(path).json
    assert (unchanged["currency"], unchanged["discount"]) == ("EUR", "0")
    assert unchanged["total"] == quotation["total"]


def test_the_web_edit_form_changes_the_currency_only_without_typed_prices(browser, api, shop):
    typed = new_quotation(api, shop, lines=[
        {"item_id": shop.saw, "quantity": "1", "unit_price": "20"}])
    path = f"/quotations/{typed['id']}/edit"
    refused = post_form(browser, path, path, party_id=shop.prospect, currency="USD",
                        valid_until=LATER)
    assert refused.status_code == 409
    page = text_of(refused)
    assert "has prices typed in EUR: remove them (or the lines)" in page
    assert 'name="currency" value="USD"' in refused.get_data(as_text=True)  # the form again
    assert api.get(f"/api/v1/quotations/{typed['id']}").json["currency"] == "EUR"

    hammer = new_quotation(api, shop)
    path = f"/quotations/{hammer['id']}/edit"
    no_price = post_form(browser, path, path, party_id=shop.prospect, currency="USD",
                         valid_until=LATER)
    assert no_price.status_code == 422
    assert "No price for item A1 in USD." in text_of(no_price)
    assert api.get(f"/api/v1/quotations/{hammer['id']}").json["currency"] == "EUR"

    saw = new_quotation(api, shop, lines=[{"item_id": shop.saw, "quantity": "2"}])
    path = f"/quotations/{saw['id']}/edit"
    saved = post_form(browser, path, path, party_id=shop.prospect, currency="USD",
                      valid_until=LATER)
    assert saved.status_code == 302
    page = text_of(browser.get(saved.headers["Location"]))
    assert "Currency USD" in page
    assert "Total including tax $72.00" in page  # 2 × 30, plus 20% tax


# 5c. Only drafts change ----------------------------------------------------------------------

@pytest.mark.parametrize("finish", [
    lambda api, path: api.post(f"{path}/send"),
    lambda api, path: api.post(f"{path}/accept"),
    lambda api, path: api.post(f"{path}/lose", json={"reason": "gone"}),
])
def test_a_quotation_no_longer_draft_cannot_change(api, shop, finish):
    quotation = new_quotation(api, shop)
    path = f"/api/v1/quotations/{quotation['id']}"
    assert finish(api, path).status_code == 200
    line_id = quotation["lines"][0]["id"]
    for response in (
        api.patch(path, json={"discount": "5"}),
        api.post(f"{path}/lines", json={"lines": [{"item_id": shop.saw, "quantity": "1"}]}),
        api.patch(f"{path}/lines/{line_id}", json={"quantity": "3"}),
        api.delete(f"{path}/lines/{line_id}"),
    ):
        assert response.status_code == 409
    assert api.get(path).json["total"] == quotation["total"]


def test_a_sent_quotation_cannot_change_from_the_web(browser, api, shop):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}"
    post_form(browser, f"{path}/send", path)
    assert "Add line" not in browser.get(path).get_data(as_text=True)
    refused = post_form(browser, f"{path}/lines", path, item_id=shop.saw, quantity="1")
    assert refused.status_code == 409
    assert "is sent and cannot be changed" in refused.get_data(as_text=True)
    line_id = quotation["lines"][0]["id"]
    assert post_form(browser, f"{path}/lines/{line_id}/remove", path).status_code == 409
    edit = post_form(browser, f"{path}/edit", path, party_id=shop.prospect, currency="EUR",
                     valid_until=LATER, discount="50")
    assert edit.status_code == 409
    assert "is sent and cannot be changed" in text_of(edit)
    assert api.get(f"/api/v1/quotations/{quotation['id']}").json["total"] == quotation["total"]


@pytest.mark.parametrize("finish, status", [
    ("send", "sent"), ("accept", "accepted"), ("lose", "lost"), ("revise", "archived"),
])
def test_the_edit_form_is_only_for_drafts(browser, api, shop, finish, status):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}"
    assert 'name="valid_until"' in browser.get(f"{path}/edit").get_data(as_text=True)
    done = post_form(browser, f"{path}/{finish}", path, reason="Too dear")
    assert done.status_code == 302
    edit = browser.get(f"{path}/edit")
    assert edit.status_code == 409
    assert 'name="valid_until"' not in edit.get_data(as_text=True)
    page = text_of(edit)
    assert "Quotation QT-00001, revision 1" in page
    assert f"Quotation QT-00001 revision 1 is {status}" in page
    assert "cannot be changed" in page


# 6. The list page and the menu ---------------------------------------------------------------

def test_the_list_searches_filters_and_pages(browser, api, shop):
    for _ in range(26):
        new_quotation(api, shop)
    acme = new_quotation(api, shop, party=shop.customer)
    api.post(f"/api/v1/quotations/{acme['id']}/send")

    first = text_of(browser.get("/quotations/"))
    assert "27 quotations." in first and "Page 1 of 2" in first
    assert "QT-00027 1 Acme" in first and f"{LATER} sent €22.80" in first
    second = text_of(browser.get("/quotations/?page=2"))
    assert "QT-00001" in second and "QT-00027" not in second
    past = text_of(browser.get("/quotations/?page=9&status=draft"))
    assert "There is no page 9: see the last page (2)" in past and "No quotation found" not in past
    assert 'href="/quotations/?page=2&amp;status=draft"' in browser.get(
        "/quotations/?page=9&status=draft").get_data(as_text=True)

    by_party = text_of(browser.get("/quotations/?q=acme"))
    assert "1 quotation." in by_party and "QT-00027" in by_party
    by_number = text_of(browser.get("/quotations/?q=qt-00005"))
    assert "QT-00005" in by_number and "1 quotation." in by_number
    assert "0 quotations." in text_of(browser.get("/quotations/?q=%25"))  # % is no wildcard
    sent = text_of(browser.get("/quotations/?status=sent"))
    assert "1 quotation." in sent and "QT-00027" in sent
    assert "26 quotations" in text_of(browser.get("/quotations/?status=draft"))

    listed = api.get("/api/v1/quotations?q=acme")
    assert [q["number"] for q in listed.json["items"]] == ["QT-00027"]
    assert listed.json["total"] == 1
    page_two = api.get("/api/v1/quotations?page=2")
    assert [q["number"] for q in page_two.json["items"]] == ["QT-00002", "QT-00001"]
    assert (page_two.json["total"], page_two.json["pages"]) == (27, 2)
    assert api.get("/api/v1/quotations?status=bogus").status_code == 422


def test_quotations_are_for_the_sales_role(shop, login, browser):
    assert ">Quotations</a>" in browser.get("/").get_data(as_text=True)
    other = shop.app.test_client()
    login(other, "marketing")
    assert other.get("/quotations/").status_code == 403
    assert ">Quotations</a>" not in other.get("/").get_data(as_text=True)
    assert api_client(shop.app, "marketing").get("/api/v1/quotations").status_code == 403


def test_accounting_reads_and_prints_quotations_and_changes_none(api, shop, login):
    quotation = new_quotation(api, shop)
    path = f"/quotations/{quotation['id']}"
    accountant = shop.app.test_client()
    login(accountant, "accounting")
    page = accountant.get(path).get_data(as_text=True)
    assert quotation["number"] in page and "/pdf" in page
    assert all(form not in page for form in ("Add a line", "Mark lost", "E-mail the quotation",
                                             "Remove"))
    assert "New quotation" not in accountant.get("/quotations/").get_data(as_text=True)
    assert 'href="/quotations/">Quotations</a>' in accountant.get("/").get_data(as_text=True)
    printed = accountant.get(f"{path}/pdf")
    assert (printed.status_code, printed.mimetype) == (200, "application/pdf")
    token = csrf_token(accountant, "/quotations/")
    assert accountant.post(f"{path}/revise", data={"csrf_token": token}).status_code == 403
    reader = api_client(shop.app, "accounting")
    assert reader.get(f"/api/v1/quotations/{quotation['id']}").status_code == 200
    assert reader.get(f"/api/v1/quotations/{quotation['id']}/pdf").status_code == 200
    assert reader.post(f"/api/v1/quotations/{quotation['id']}/send").status_code == 403


# 7. Statements per pricing -------------------------------------------------------------------

def test_creating_and_repricing_issue_as_many_statements_for_100_lines_as_for_5(api, shop):
    with shop.session() as s:
        item_ids = [items.create_item(s, {"number": f"T{n:03}", "name": f"Tool {n}",
                                          "list_price": Decimal(n + 1), "currency": "EUR",
                                          "tax_category": "VAT20"}).id for n in range(100)]
        s.commit()
    counts = {}
    for size in (5, 100):
        with count_queries(shop.reg.engine) as created:
            quotation = new_quotation(api, shop, lines=[
                {"item_id": item_id, "quantity": "2"} for item_id in item_ids[:size]])
        with count_queries(shop.reg.engine) as changed:
            repriced = api.patch(f"/api/v1/quotations/{quotation['id']}", json={"discount": "10"})
        assert repriced.status_code == 200
        assert len(repriced.json["lines"]) == size
        assert Decimal(repriced.json["untaxed"]) == Decimal(quotation["untaxed"]) * Decimal("0.9")
        counts[size] = (len(created), len(changed))
    assert counts[5] == counts[100]


# 8. Bad input --------------------------------------------------------------------------------

def test_no_generated_request_to_the_quotations_api_makes_the_server_fail(api, shop):
    for _ in range(2):
        new_quotation(api, shop)
    checked = fuzz(shop.app, "sales", only=(" /api/v1/quotations",))
    assert len(checked) == 14


def test_a_removed_quotation_lines_id_is_not_given_to_the_next_line(api, shop):
    quotation = new_quotation(api, shop)
    lines = f"/api/v1/quotations/{quotation['id']}/lines"
    removed = quotation["lines"][-1]["id"]
    assert api.delete(f"{lines}/{removed}").status_code == 204
    [added] = api.post(lines, json={"lines": [{"item_id": shop.hammer, "quantity": "1"}]}).json
    assert added["id"] > removed
    assert api.patch(f"{lines}/{removed}", json={"quantity": "5"}).status_code == 404
