import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.testing import api_client


def order_body(catalogue, **extra):
    return {"party_id": catalogue["acme"], "type": "sales", "currency": "EUR",
            "lines": [{"item_id": catalogue["HAM"], "quantity": "2"},
                      {"item_id": catalogue["NAIL"], "quantity": "10", "discount": "10"},
                      {"item_id": catalogue["BOOK"], "quantity": "1"}], **extra}


def test_create_price_and_confirm_an_order(sales_api, catalogue):
    response = sales_api.post("/api/v1/orders", json=order_body(catalogue))
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    # 2 × 12.50 = 25.00; 10 × 3.20 × 0.9 = 28.80; 1 × 20 = 20.00
    assert [line["amount"] for line in order["lines"]] == ["25.00", "28.80", "20.00"]
    assert order["untaxed"] == "73.80"
    assert order["tax"] == "11.86"  # 5.00 + 5.76 + 1.10
    assert order["total"] == "85.66"
    assert order["status"] == "draft" and order["number"].startswith("SO-")
    applied = [s for s in order["lines"][1]["explanation"] if s["outcome"] == "applied"]
    assert [s["kind"] for s in applied] == ["list price", "manual", "tax"]
    stored = sales_api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert [line["explanation"] for line in stored["lines"]] == \
        [line["explanation"] for line in order["lines"]]

    confirmed = sales_api.post(f"/api/v1/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.get_json()["status"] == "confirmed"
    party = sales_api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert party["total"] == "85.66"

    again = sales_api.post(f"/api/v1/orders/{order['id']}/lines",
                              json={"lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]})
    assert again.status_code == 409


@pytest.fixture
def local_time_not_utc(monkeypatch):
    """The process's local time eight hours or so behind UTC, for the test's length."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_utc_and_say_so(sales_api, catalogue, local_time_not_utc):
    """One set by the database (created; see tests/test_db.py for PostgreSQL's time zone), one
    by the application (confirmed): both UTC, on a machine whose local time is not."""
    order = sales_api.post("/api/v1/orders", json=order_body(catalogue)).get_json()
    confirmed = sales_api.post(f"/api/v1/orders/{order['id']}/confirm").get_json()
    now = datetime.now(UTC)
    for written in (confirmed["created_at"], confirmed["confirmed_at"]):
        assert written.endswith("+00:00") and len(written) == len("2026-12-04T15:45:09+00:00"), \
            "to the second, both alike"
        assert abs(datetime.fromisoformat(written) - now) < timedelta(minutes=5)


def test_order_types_are_enumerated(sales_api):
    types = sales_api.get("/api/v1/order-types").get_json()
    assert {t["code"] for t in types} == {"journal", "subscription", "sales", "returned",
                                          "item_requirements"}


def test_bad_orders_are_refused_per_field(sales_api, catalogue):
    bad = sales_api.post("/api/v1/orders", json=order_body(catalogue, type="barter"))
    assert bad.status_code == 422
    assert "type" in bad.get_json()["errors"]["json"]
    neg = order_body(catalogue)
    neg["lines"][0]["quantity"] = "-1"
    response = sales_api.post("/api/v1/orders", json=neg)
    assert response.status_code == 422
    fractional = order_body(catalogue)  # an id with a fraction names no record: not read as 1
    fractional["party_id"] = catalogue["acme"] + 0.5
    fractional["lines"][0]["item_id"] = catalogue["HAM"] + 0.7
    response = sales_api.post("/api/v1/orders", json=fractional)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["party_id"] == ["Not a valid integer."]
    assert errors["lines"]["0"]["item_id"] == ["Not a valid integer."]
    for written in (f"0_{catalogue['acme']}", "١", "１"):  # what int() reads, people do not
        response = sales_api.post("/api/v1/orders", json={**order_body(catalogue),
                                                          "party_id": written})
        assert response.status_code == 422, written
    whole = order_body(catalogue)
    whole["party_id"] = float(catalogue["acme"])  # 3.0 is 3
    assert sales_api.post("/api/v1/orders", json=whole).status_code == 201
    assert sales_api.get("/api/v1/orders").get_json()["total"] == 1


def test_search_treats_wildcards_as_text(sales_api, catalogue):
    assert sales_api.post("/api/v1/orders", json=order_body(catalogue)).status_code == 201
    assert sales_api.get("/api/v1/orders?q=SO-0").get_json()["total"] == 1
    for text in ("%", "_", "SO_0"):
        assert sales_api.get("/api/v1/orders", query_string={"q": text}).get_json()[
            "total"] == 0, text
    assert sales_api.get("/api/v1/parties", query_string={"q": "%"}).get_json()["total"] == 0


def test_confirming_reprices_and_stops_when_prices_moved(sales_app, sales_api, catalogue):
    from plugins.pricing.models import PriceList, PriceRuleRow

    order = sales_api.post("/api/v1/orders", json=order_body(catalogue)).get_json()
    registry = sales_app.extensions["comptoir"]
    with registry.session_factory() as session:
        session.add(PriceList(name="Late deal", currency="EUR", rules=[
            PriceRuleRow(item_id=catalogue["HAM"], price=Decimal("10"))]))
        session.commit()
    moved = sales_api.post(f"/api/v1/orders/{order['id']}/confirm")
    assert moved.status_code == 409
    assert "changed since it was last priced" in moved.get_json()["message"]
    repriced = sales_api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (repriced["status"], repriced["lines"][0]["unit_price"]) == ("draft", "10.00")
    assert repriced["untaxed"] == "68.80"  # 2 × 10 + 28.80 + 20
    confirmed = sales_api.post(f"/api/v1/orders/{order['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.get_json()["untaxed"] == "68.80"


def test_references_and_filters_are_checked_per_field(sales_api, catalogue):
    unknown = sales_api.post("/api/v1/orders", json=order_body(catalogue, party_id=999))
    assert unknown.status_code == 422 and "party_id" in unknown.get_json()["errors"]["json"]
    for query in ("status=bogus", "type=bogus"):
        assert sales_api.get(f"/api/v1/orders?{query}").status_code == 422, query


def test_the_currency_cannot_change_under_typed_prices(sales_api, catalogue):
    body = order_body(catalogue)
    body["lines"][0]["unit_price"] = "11.00"
    order = sales_api.post("/api/v1/orders", json=body).get_json()
    refused = sales_api.patch(f"/api/v1/orders/{order['id']}", json={"currency": "JPY"})
    assert refused.status_code == 409
    unchanged = sales_api.patch(f"/api/v1/orders/{order['id']}", json={"currency": "eur"})
    assert unchanged.status_code == 200, "the same currency, written in lower case"
    assert sales_api.get(f"/api/v1/orders/{order['id']}").get_json()["currency"] == "EUR"
    plain = sales_api.post("/api/v1/orders", json=order_body(catalogue)).get_json()
    no_yen = sales_api.patch(f"/api/v1/orders/{plain['id']}", json={"currency": "JPY"})
    assert no_yen.status_code == 422 and "no price in JPY" in no_yen.get_json()["message"]


def test_a_simulation_for_a_customer_says_which_group_priced_it(sales_api, catalogue):
    simulated = sales_api.post("/api/v1/pricing/simulate", json={
        "party_id": catalogue["bolt"], "currency": "EUR",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]}).get_json()
    assert (simulated["customer_group"], simulated["total"]) == ("WHOLESALE", "15.00")


def test_a_price_finer_than_the_currency_is_shown_as_it_is(sales_api, sales_client, catalogue):
    body = order_body(catalogue, lines=[{"item_id": catalogue["NAIL"], "quantity": "1000",
                                         "unit_price": "0.0125"}])
    order = sales_api.post("/api/v1/orders", json=body).get_json()
    assert (order["lines"][0]["unit_price"], order["untaxed"]) == ("0.0125", "12.50")
    page = sales_client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "€0.0125" in page and 'id="untaxed">€12.50<' in page


def test_accounting_reads_orders_and_changes_none(sales_app, sales_api, catalogue):
    order = sales_api.post("/api/v1/orders", json=order_body(catalogue)).get_json()
    accounting = api_client(sales_app, "accounting")
    assert accounting.get("/api/v1/orders?status=draft").get_json()["items"][0]["id"] == order["id"]
    assert accounting.get(f"/api/v1/orders/{order['id']}").get_json()["total"] == "85.66"
    assert accounting.get("/api/v1/order-types").status_code == 200
    assert accounting.post("/api/v1/orders", json=order_body(catalogue)).status_code == 403
    assert accounting.patch(f"/api/v1/orders/{order['id']}", json={"discount": "1"}
                            ).status_code == 403
    assert accounting.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 403
    assert api_client(sales_app, "marketing").get("/api/v1/orders").status_code == 403


def test_a_removed_lines_id_is_not_given_to_the_next_line(sales_api, catalogue):
    order = sales_api.post("/api/v1/orders", json=order_body(catalogue)).get_json()
    lines = f"/api/v1/orders/{order['id']}/lines"
    removed = order["lines"][-1]["id"]
    assert sales_api.delete(f"{lines}/{removed}").status_code == 204
    [added] = sales_api.post(lines, json={"lines": [{"item_id": catalogue["HAM"],
                                                      "quantity": "1"}]}).get_json()
    assert added["id"] > removed
    assert sales_api.patch(f"{lines}/{removed}", json={"quantity": "5"}).status_code == 404
