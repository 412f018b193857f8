"""Price lists and their rules through the API and the web pages; confirmed orders keep prices."""

import pytest

from core import orders
from core.errors import Conflict
from core.testing import csrf_token
from plugins.pricing.models import PriceList, PriceRuleRow
from tests.pricing.conftest import (
    count_rows,
    new_price_list,
    order_rows,
    simulate,
    token_headers,
)


def test_price_list_api_creates_shows_changes_and_deletes_rules(client, catalogue, headers):
    created = client.post("/api/v1/price-lists", json={"name": "Trade 2027", "currency": "eur"},
                          headers=headers)
    assert created.status_code == 201
    assert created.json == {"id": created.json["id"], "name": "Trade 2027", "currency": "EUR",
                            "active": True, "rules": []}
    list_id = created.json["id"]

    rule = client.post(f"/api/v1/price-lists/{list_id}/rules", headers=headers, json={
        "customer_group": "PT-WHOLESALE", "item_id": catalogue.hammer, "min_quantity": "10",
        "start_date": "2027-01-01", "end_date": "2027-12-31", "price": "8.5",
    })
    assert rule.status_code == 201
    assert rule.json == {
        "id": rule.json["id"], "customer_group": "PT-WHOLESALE", "item_id": catalogue.hammer,
        "item_number": "PT-HAMMER", "item_group": None, "min_quantity": "10",
        "start_date": "2027-01-01", "end_date": "2027-12-31", "price": "8.5", "discount": None,
    }
    group_rule = client.post(f"/api/v1/price-lists/{list_id}/rules", headers=headers,
                             json={"item_group": "PT-TOOLS", "discount": 5})
    assert group_rule.status_code == 201
    assert group_rule.json["min_quantity"] == "0"
    assert group_rule.json["discount"] == "5"

    shown = client.get(f"/api/v1/price-lists/{list_id}", headers=headers).json
    assert [r["id"] for r in shown["rules"]] == [rule.json["id"], group_rule.json["id"]]
    listed = client.get("/api/v1/price-lists", headers=headers).json
    assert listed == [{"id": list_id, "name": "Trade 2027", "currency": "EUR", "active": True}]

    renamed = client.patch(f"/api/v1/price-lists/{list_id}", headers=headers,
                           json={"name": "Trade", "active": False})
    assert renamed.status_code == 200
    assert (renamed.json["name"], renamed.json["active"]) == ("Trade", False)

    gone = client.delete(f"/api/v1/price-lists/{list_id}/rules/{group_rule.json['id']}",
                         headers=headers)
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/price-lists/{list_id}/rules/{group_rule.json['id']}",
                          headers=headers)
    assert again.status_code == 404
    shown = client.get(f"/api/v1/price-lists/{list_id}", headers=headers).json
    assert [r["id"] for r in shown["rules"]] == [rule.json["id"]]


def test_a_rule_belongs_to_its_own_price_list(client, catalogue, headers):
    first = new_price_list(client, headers, "First", rules=[{"discount": "1"}])
    second = new_price_list(client, headers, "Second")
    rule_id = client.get(f"/api/v1/price-lists/{first}", headers=headers).json["rules"][0]["id"]
    response = client.delete(f"/api/v1/price-lists/{second}/rules/{rule_id}", headers=headers)
    assert response.status_code == 404
    assert client.get("/api/v1/price-lists/999999", headers=headers).status_code == 404
    assert client.get("/api/v1/price-lists/99999999999", headers=headers).status_code == 404
    assert count_rows(client.application, PriceRuleRow) == 1


@pytest.mark.parametrize(("rule", "field", "message"), [
    ({"price": "8", "discount": "5"}, "price", "Give a fixed price or a discount, not both."),
    ({"min_quantity": "5"}, "discount", "Give a fixed price or a discount."),
    ({"discount": "100.01"}, "discount", None),
    ({"discount": "-1"}, "discount", None),
    ({"price": "-0.01"}, "price", None),
    ({"price": "1234567890123"}, "price", None),
    ({"price": "1.0000001"}, "price", None),
    ({"price": "NaN"}, "price", None),
    ({"price": "5", "start_date": "2027-02-01", "end_date": "2027-01-31"}, "end_date",
     "The end date comes before the start date."),
    ({"price": "5", "item_id": "ITEM", "item_group": "PT-TOOLS"}, "item_group",
     "Choose an item or an item group, not both."),
    ({"price": "5", "customer_group": "NOBODY"}, "customer_group", "Unknown customer group."),
    ({"price": "5", "item_group": "NOTHING"}, "item_group", "Unknown item group."),
    ({"price": "5", "item_id": 999999}, "item_id", "Unknown item."),
    ({"price": "5", "colour": "red"}, "colour", None),
])
def test_invalid_rules_are_refused_per_field_and_nothing_is_written(
        client, catalogue, headers, rule, field, message):
    list_id = new_price_list(client, headers)
    if rule.get("item_id") == "ITEM":
        rule = {**rule, "item_id": catalogue.hammer}
    response = client.post(f"/api/v1/price-lists/{list_id}/rules", json=rule, headers=headers)
    assert response.status_code == 422
    messages = response.json["errors"]["json"][field]
    if message:
        assert message in messages
    assert count_rows(client.application, PriceRuleRow) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "", "currency": "EUR"}, "name"),
    ({"name": "   ", "currency": "EUR"}, "name"),
    ({"name": "x" * 129, "currency": "EUR"}, "name"),
    ({"name": "Trade", "currency": "ZZZ"}, "currency"),
    ({"name": "Trade", "currency": "XAU"}, "currency"),
    ({"name": "Trade", "currency": "EURO"}, "currency"),
    ({"name": "Trade"}, "currency"),
])
def test_invalid_price_lists_are_refused(client, catalogue, headers, body, field):
    response = client.post("/api/v1/price-lists", json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert count_rows(client.application, PriceList) == 0


def test_price_lists_are_for_the_sales_role(client, catalogue, login):
    marketing = token_headers(client.application, "marketing")
    assert client.get("/api/v1/price-lists", headers=marketing).status_code == 403
    simulated = client.post("/api/v1/pricing/simulate", headers=marketing, json={
        "currency": "EUR", "lines": [{"item_id": catalogue.hammer, "quantity": "1"}]})
    assert simulated.status_code == 403
    assert client.get("/api/v1/price-lists").status_code == 401
    login(client, "marketing")
    assert client.get("/pricing/price-lists/").status_code == 403
    assert client.get("/pricing/simulate").status_code == 403
    assert "Price lists" not in client.get("/").get_data(as_text=True)


def test_price_list_pages_create_add_delete_and_switch(client, catalogue, headers, login):
    login(client, "sales")
    home = client.get("/").get_data(as_text=True)
    assert "Price lists" in home and "Price simulation" in home
    assert "No price list yet" in client.get("/pricing/price-lists/").get_data(as_text=True)

    token = csrf_token(client, "/pricing/price-lists/new")
    refused = client.post("/pricing/price-lists/new",
                          data={"csrf_token": token, "name": "Trade", "currency": "ZZZ"})
    assert refused.status_code == 422
    assert "Unknown currency." in refused.get_data(as_text=True)
    created = client.post("/pricing/price-lists/new",
                          data={"csrf_token": token, "name": "Trade", "currency": "EUR"})
    assert created.status_code == 302
    page_url = created.headers["Location"]
    page = client.get(page_url).get_data(as_text=True)
    assert "Price list Trade" in page and "No rule yet." in page
    assert "PT-HAMMER · Hammer" in page and "PT-WHOLESALE · Wholesale" in page

    list_id = int(page_url.rstrip("/").rsplit("/", 1)[1])
    rules_url = f"/pricing/price-lists/{list_id}/rules"
    token = csrf_token(client, page_url)
    both = client.post(rules_url, data={"csrf_token": token, "item_id": str(catalogue.hammer),
                                        "price": "8.50", "discount": "5"})
    assert both.status_code == 422
    text = both.get_data(as_text=True)
    assert "Give a fixed price or a discount, not both." in text
    assert 'name="price" value="8.50"' in text  # what was typed is kept
    assert count_rows(client.application, PriceRuleRow) == 0

    added = client.post(rules_url, data={
        "csrf_token": token, "customer_group": "PT-WHOLESALE", "item_id": str(catalogue.hammer),
        "item_group": "", "min_quantity": "10", "start_date": "", "end_date": "",
        "price": "8.50", "discount": "",
    })
    assert added.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "item PT-HAMMER · Hammer" in page and "8.5 EUR" in page
    past = client.get(f"{page_url}?page=9").get_data(as_text=True)  # an old link
    assert "There is no page 9" in past and "No rule yet." not in past
    every = client.post(rules_url, data={"csrf_token": token, "discount": "3"})
    assert every.status_code == 302
    assert "every item" in client.get(page_url).get_data(as_text=True)

    acme_buys_ten = {"party_id": catalogue.acme, "currency": "EUR",
                     "lines": [{"item_id": catalogue.hammer, "quantity": "10"}]}
    assert simulate(client, headers, **acme_buys_ten)["lines"][0]["unit_price"] == "8.50"

    off = client.post(f"/pricing/price-lists/{list_id}/deactivate", data={"csrf_token": token})
    assert off.status_code == 302
    assert "inactive" in client.get(page_url).get_data(as_text=True)
    assert simulate(client, headers, **acme_buys_ten)["lines"][0]["unit_price"] == "10.00"
    on = client.post(f"/pricing/price-lists/{list_id}/activate", data={"csrf_token": token})
    assert on.status_code == 302
    assert simulate(client, headers, **acme_buys_ten)["lines"][0]["unit_price"] == "8.50"

    renamed = client.post(f"/pricing/price-lists/{list_id}/edit",
                          data={"csrf_token": token, "name": "Trade 2027"})
    assert renamed.status_code == 302
    listing = client.get("/pricing/price-lists/").get_data(as_text=True)
    assert "Trade 2027" in listing and "active" in listing

    rule_ids = [r["id"] for r in
                client.get(f"/api/v1/price-lists/{list_id}", headers=headers).json["rules"]]
    deleted = client.post(f"/pricing/price-lists/{list_id}/rules/{rule_ids[0]}/delete",
                          data={"csrf_token": token})
    assert deleted.status_code == 302
    assert f"Rule {rule_ids[0]} deleted." in client.get(page_url).get_data(as_text=True)
    assert simulate(client, headers, **acme_buys_ten)["lines"][0]["unit_price"] == "10.00"
    assert count_rows(client.application, PriceRuleRow) == 1


def test_a_form_without_its_csrf_token_is_refused(client, catalogue, login):
    login(client, "sales")
    response = client.post("/pricing/price-lists/new", data={"name": "T", "currency": "EUR"})
    assert response.status_code == 400
    assert count_rows(client.application, PriceList) == 0


def test_changing_price_lists_never_alters_a_confirmed_order(client, catalogue, headers):
    list_id = new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "8.00"},
        {"item_group": "PT-TOOLS", "discount": "10"},
    ])
    order = client.post("/api/v1/orders", headers=headers, json={
        "party_id": catalogue.bob, "type": "sales", "currency": "EUR",
        "lines": [{"item_id": catalogue.hammer, "quantity": "5"},
                  {"item_id": catalogue.saw, "quantity": "2"}],
    })
    assert order.status_code == 201, order.json
    order_id = order.json["id"]
    draft = client.get(f"/api/v1/orders/{order_id}", headers=headers).json
    assert (draft["untaxed"], draft["tax"], draft["total"]) == ("81.00", "16.20", "97.20")
    assert client.post(f"/api/v1/orders/{order_id}/confirm", headers=headers).status_code == 200
    confirmed = client.get(f"/api/v1/orders/{order_id}", headers=headers).json

    rules = client.get(f"/api/v1/price-lists/{list_id}", headers=headers).json["rules"]
    for rule in rules:
        client.delete(f"/api/v1/price-lists/{list_id}/rules/{rule['id']}", headers=headers)
    client.post(f"/api/v1/price-lists/{list_id}/rules", headers=headers,
                json={"item_id": catalogue.hammer, "price": "1.00"})
    client.patch(f"/api/v1/price-lists/{list_id}", headers=headers, json={"active": False})
    client.patch(f"/api/v1/price-lists/{list_id}", headers=headers, json={"active": True})

    after = client.get(f"/api/v1/orders/{order_id}", headers=headers).json
    assert after == confirmed
    assert [(line["unit_price"], line["discount"], line["amount"]) for line in after["lines"]] == [
        ("8.00", "10", "36.00"), ("25.00", "10", "45.00")]
    assert (after["untaxed"], after["tax"], after["total"]) == ("81.00", "16.20", "97.20")

    reprice = client.patch(f"/api/v1/orders/{order_id}", headers=headers, json={"discount": "0"})
    assert reprice.status_code == 409
    assert "prices are frozen" in reprice.json["message"]
    registry = client.application.extensions["comptoir"]
    with registry.session_factory() as session:
        with pytest.raises(Conflict) as refused:
            orders.price_order(session, registry.hook, orders.load_order(session, order_id))
        assert refused.value.status == 409
    assert client.get(f"/api/v1/orders/{order_id}", headers=headers).json == confirmed
    assert order_rows(client.application) == (1, 2)


def test_the_openapi_document_describes_the_pricing_endpoints(client, catalogue, login):
    spec = client.get("/api/v1/openapi.json").json
    assert set(spec["paths"]["/api/v1/price-lists"]) >= {"get", "post"}
    assert set(spec["paths"]["/api/v1/price-lists/{list_id}"]) >= {"get", "patch"}
    assert "post" in spec["paths"]["/api/v1/price-lists/{list_id}/rules"]
    assert "delete" in spec["paths"]["/api/v1/price-lists/{list_id}/rules/{rule_id}"]
    simulation = spec["paths"]["/api/v1/pricing/simulate"]["post"]
    assert simulation["summary"] == (
        "Price a hypothetical order and explain every line, without saving anything.")
    login(client, "sales")
    assert client.get("/pricing/price-lists/999999").status_code == 404
