"""The pricing chain through the price simulation: precedence, explanations, conditions,
totals, rounding, errors, and a fixed number of SQL statements whatever the number of lines."""

from decimal import Decimal

import pytest

from core import items
from core.testing import count_queries, csrf_token, log_in
from tests.pricing.conftest import (
    make_catalogue,
    new_price_list,
    order_rows,
    rule_ids,
    simulate,
    token_headers,
)


def line_of(result, index=0):
    """The ``index``th priced line of a simulation answer."""
    return result["lines"][index]


def entries(line, outcome=None):
    """The explanation entries of ``line`` with that outcome, as (kind, value, why) triples."""
    return [(e["kind"], e["value"], e["why"]) for e in line["explanation"]
            if e["effect"] in ("price", "discount") and outcome in (None, e["outcome"])]


def test_a_simulation_prices_explains_and_saves_nothing(client, catalogue, headers):
    new_price_list(client, headers, rules=[{"item_group": "PT-TOOLS", "discount": "10"}])
    before = order_rows(client.application)
    engine = client.application.extensions["comptoir"].engine
    with count_queries(engine) as statements:
        result = simulate(client, headers, party_id=catalogue.acme, currency="EUR",
                          date="2027-03-01", lines=[
                              {"item_id": catalogue.hammer, "quantity": "3"},
                              {"item_id": catalogue.glue, "quantity": "2"}])
    assert any(s.lstrip().upper().startswith("SELECT") for s in statements)
    writes = [s for s in statements
              if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert order_rows(client.application) == before == (0, 0)

    assert result["currency"] == "EUR" and result["date"] == "2027-03-01"
    assert result["party_id"] == catalogue.acme
    hammer, glue = result["lines"]
    assert (hammer["item_number"], hammer["quantity"], hammer["unit_price"], hammer["discount"],
            hammer["tax_rate"], hammer["amount"], hammer["tax_amount"]) == (
        "PT-HAMMER", "3", "10.00", "10", "20", "27.00", "5.40")
    assert hammer["explanation"] == [
        {"kind": "list price", "rule": "list price of item PT-HAMMER", "effect": "price",
         "value": "10", "priority": 0, "outcome": "applied", "why": ""},
        {"kind": "price list", "rule": hammer["explanation"][1]["rule"], "effect": "discount",
         "value": "10", "priority": 20, "outcome": "applied", "why": ""},
        {"kind": "tax", "rule": "tax category PT-VAT20", "effect": "tax", "value": "20",
         "priority": None, "outcome": "applied", "why": ""},
    ]
    assert hammer["explanation"][1]["rule"].endswith("item group PT-TOOLS")
    assert (glue["unit_price"], glue["discount"], glue["amount"], glue["tax_amount"]) == (
        "4.99", "0", "9.98", "0.55")
    assert (result["untaxed"], result["tax"], result["total"]) == ("36.98", "5.95", "42.93")


def test_item_rule_beats_item_group_rule_beats_every_item_rule(client, catalogue, headers):
    list_id = new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "9.00"},
        {"item_group": "PT-TOOLS", "price": "8.50"},
        {"price": "7.00"},
    ])
    item_rule, group_rule, every_rule = rule_ids(client, headers, list_id)
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.hammer, "quantity": "1"},
        {"item_id": catalogue.saw, "quantity": "1"},
        {"item_id": catalogue.glue, "quantity": "1"}])
    assert [line["unit_price"] for line in result["lines"]] == ["9.00", "8.50", "7.00"]

    winner = f"price list Trade, rule {item_rule}: item PT-HAMMER"
    assert entries(line_of(result), "applied") == [("price list", "9", "")]
    assert entries(line_of(result), "lost") == [
        ("price list", "8.5", f"lower priority (20 < 30) than {winner}"),
        ("price list", "7", f"lower priority (10 < 30) than {winner}"),
        ("list price", "10", f"lower priority (0 < 30) than {winner}"),
    ]
    assert line_of(result, 1)["explanation"][0]["rule"] == (
        f"price list Trade, rule {group_rule}: item group PT-TOOLS")
    assert line_of(result, 2)["explanation"][0]["rule"] == (
        f"price list Trade, rule {every_rule}: every item")


def test_a_customer_group_rule_outranks_the_same_rule_for_everyone(client, catalogue, headers):
    new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "9.00"},
        {"item_id": catalogue.hammer, "price": "9.40", "customer_group": "PT-WHOLESALE"},
        {"item_group": "PT-TOOLS", "price": "8.00", "customer_group": "PT-WHOLESALE"},
    ])
    buy = [{"item_id": catalogue.hammer, "quantity": "1"},
           {"item_id": catalogue.saw, "quantity": "1"}]
    for who in ({"party_id": catalogue.acme}, {"customer_group": "PT-WHOLESALE"}):
        result = simulate(client, headers, currency="EUR", lines=buy, **who)
        assert [line["unit_price"] for line in result["lines"]] == ["9.40", "8.00"]
        lost = entries(line_of(result), "lost")
        assert [(kind, value) for kind, value, _ in lost] == [
            ("price list", "9"), ("price list", "8"), ("list price", "10")]
        assert lost[0][2].startswith("lower priority (30 < 35) than ")
        assert lost[0][2].endswith("item PT-HAMMER, customer group PT-WHOLESALE")
        assert lost[1][2].startswith("lower priority (25 < 35)")

    for nobody in ({"party_id": catalogue.bob}, {}):
        result = simulate(client, headers, currency="EUR", lines=buy, **nobody)
        assert [line["unit_price"] for line in result["lines"]] == ["9.00", "25.00"]
        assert all("customer group" not in e["rule"] for e in line_of(result)["explanation"])


def test_a_typed_price_and_discount_beat_every_rule(client, catalogue, headers):
    new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "5.00", "customer_group": "PT-WHOLESALE"},
        {"item_id": catalogue.hammer, "discount": "30"},
    ])
    result = simulate(client, headers, party_id=catalogue.acme, currency="EUR", lines=[
        {"item_id": catalogue.hammer, "quantity": "2", "unit_price": "12", "discount": "2.5"}])
    line = line_of(result)
    assert (line["unit_price"], line["discount"], line["amount"]) == ("12.00", "2.5", "23.40")
    assert entries(line, "applied") == [("manual", "12", ""), ("manual", "2.5", "")]
    lost = entries(line, "lost")
    assert [(kind, value) for kind, value, _ in lost] == [
        ("price list", "5"), ("list price", "10"), ("price list", "30")]
    assert lost[0][2] == "lower priority (35 < 1000) than price typed on the line"
    assert lost[2][2] == "lower priority (30 < 1000) than discount typed on the line"


def test_ties_go_to_the_lowest_price_and_the_largest_discount(client, catalogue, headers):
    first = new_price_list(client, headers, "A", rules=[
        {"item_id": catalogue.hammer, "price": "9.00"},
        {"item_group": "PT-TOOLS", "discount": "5"}])
    second = new_price_list(client, headers, "B", rules=[
        {"item_id": catalogue.hammer, "price": "8.80"},
        {"item_group": "PT-TOOLS", "discount": "7"}])
    result = simulate(client, headers, currency="EUR",
                      lines=[{"item_id": catalogue.hammer, "quantity": "1"}])
    line = line_of(result)
    assert (line["unit_price"], line["discount"]) == ("8.80", "7")
    assert len(rule_ids(client, headers, first)) == 2
    price_b, discount_b = rule_ids(client, headers, second)
    lost = {(kind, value): why for kind, value, why in entries(line, "lost")}
    assert lost[("price list", "9")] == (
        f"same priority, higher price than price list B, rule {price_b}: item PT-HAMMER")
    assert lost[("price list", "5")] == (
        f"same priority, smaller discount than price list B, rule {discount_b}: "
        "item group PT-TOOLS")


def test_a_minimum_quantity_applies_from_that_quantity(client, catalogue, headers):
    new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "8.00", "min_quantity": "10"}])
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.hammer, "quantity": "9.999"},
        {"item_id": catalogue.hammer, "quantity": "10"},
        {"item_id": catalogue.hammer, "quantity": "250"}])
    assert [line["unit_price"] for line in result["lines"]] == ["10.00", "8.00", "8.00"]
    assert [len(entries(line)) for line in result["lines"]] == [1, 2, 2]
    assert line_of(result, 1)["explanation"][0]["rule"].endswith("from 10 units")


@pytest.mark.parametrize(("on", "price"), [
    ("2029-12-31", "10.00"), ("2030-01-01", "7.50"), ("2030-12-31", "7.50"),
    ("2031-01-01", "10.00")])
def test_a_rule_applies_within_its_dates_only(client, catalogue, headers, on, price):
    new_price_list(client, headers, rules=[{
        "item_id": catalogue.hammer, "price": "7.50",
        "start_date": "2030-01-01", "end_date": "2030-12-31"}])
    result = simulate(client, headers, currency="EUR", date=on,
                      lines=[{"item_id": catalogue.hammer, "quantity": "1"}])
    assert line_of(result)["unit_price"] == price


def test_a_price_list_applies_in_its_own_currency_only(client, catalogue, headers):
    new_price_list(client, headers, "Export", currency="USD", rules=[{"price": "12.00"}])
    in_euros = simulate(client, headers, currency="EUR",
                        lines=[{"item_id": catalogue.hammer, "quantity": "1"}])
    assert line_of(in_euros)["unit_price"] == "10.00"
    assert entries(line_of(in_euros)) == [("list price", "10", "")]

    in_dollars = simulate(client, headers, currency="USD",
                          lines=[{"item_id": catalogue.hammer, "quantity": "2"}])
    assert in_dollars["currency"] == "USD"
    assert (line_of(in_dollars)["unit_price"], in_dollars["untaxed"]) == ("12.00", "24.00")
    assert [kind for kind, _, _ in entries(line_of(in_dollars))] == ["price list"]


def test_an_item_without_a_price_in_the_currency_is_refused(client, catalogue, headers):
    response = client.post("/api/v1/pricing/simulate", headers=headers, json={
        "currency": "GBP", "lines": [{"item_id": catalogue.glue, "quantity": "1"}]})
    assert response.status_code == 422
    assert response.json["message"] == (
        "item PT-GLUE has no price in GBP: its list price is in EUR and no price rule gives one")
    assert response.json["errors"]["json"]["lines"] == ["No price for item PT-GLUE in GBP."]


def test_line_discount_order_discount_and_tax_make_exact_totals(client, catalogue, headers):
    new_price_list(client, headers, rules=[{"item_group": "PT-TOOLS", "discount": "10"}])
    result = simulate(client, headers, currency="EUR", discount="5", lines=[
        {"item_id": catalogue.hammer, "quantity": "3"},
        {"item_id": catalogue.saw, "quantity": "1", "discount": "20"},
        {"item_id": catalogue.glue, "quantity": "7"}])
    # 3 x 10.00 -10% -5% = 25.65; 25.00 -20% -5% = 19.00; 7 x 4.99 -5% = 33.1835 -> 33.18
    assert [(line["amount"], line["tax_amount"]) for line in result["lines"]] == [
        ("25.65", "5.13"), ("19.00", "3.80"), ("33.18", "1.82")]
    assert [line["discount"] for line in result["lines"]] == ["10", "20", "0"]
    assert (result["discount"], result["untaxed"], result["tax"], result["total"]) == (
        "5", "77.83", "10.75", "88.58")
    order_discount = [e for e in line_of(result, 2)["explanation"]
                      if e["kind"] == "order discount"]
    assert order_discount == [{"kind": "order discount", "rule": "discount on the whole order",
                               "effect": "discount", "value": "5", "priority": None,
                               "outcome": "applied", "why": ""}]


def test_yen_have_no_decimals(client, catalogue, headers):
    result = simulate(client, headers, currency="JPY", lines=[
        {"item_id": catalogue.tea, "quantity": "3", "discount": "5"}])
    # 3 x 333 -5% = 949.05 -> 949 yen; tax 10% = 94.9 -> 95 yen
    line = line_of(result)
    assert (line["unit_price"], line["amount"], line["tax_amount"]) == ("333", "949", "95")
    assert (result["untaxed"], result["tax"], result["total"]) == ("949", "95", "1044")


def test_euros_round_half_up_to_the_cent(client, catalogue, headers):
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.glue, "quantity": "1", "unit_price": "10.05", "discount": "50"}])
    # 10.05 -50% = 5.025 -> 5.03 (half up; half even would give 5.02); 5.5% tax: 0.27665 -> 0.28
    line = line_of(result)
    assert (line["amount"], line["tax_amount"]) == ("5.03", "0.28")
    assert result["total"] == "5.31"


def test_amounts_are_decimal_strings_never_floats(client, catalogue, headers):
    result = simulate(client, headers, currency="EUR", discount="2.5", lines=[
        {"item_id": catalogue.hammer, "quantity": "1.5", "unit_price": "0.1"}])

    def numbers(value):
        if isinstance(value, dict):
            return [n for v in value.values() for n in numbers(v)]
        if isinstance(value, list):
            return [n for v in value for n in numbers(v)]
        return [value] if isinstance(value, float) else []

    assert numbers(result) == []
    line = line_of(result)
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("1.5", "0.10", "0.15")
    for key in ("untaxed", "tax", "total", "discount"):
        assert isinstance(result[key], str)
    assert Decimal(result["total"]) == Decimal("0.18")

    whole = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.hammer, "quantity": 2, "unit_price": 3}])
    assert line_of(whole)["amount"] == "6.00", "a whole JSON number is read"
    refused = simulate(client, headers, 422, currency="EUR", discount=2.5, lines=[
        {"item_id": catalogue.hammer, "quantity": 1.5, "unit_price": "1"}])
    assert set(refused["errors"]["json"]) == {"discount", "lines"}
    assert refused["errors"]["json"]["lines"] == {"0": {"quantity": [
        'Write this number as a string ("12.50"): a JSON number with a fraction or an '
        "exponent need not arrive as written."]}}


@pytest.mark.parametrize(("body", "path", "message"), [
    ({"lines": [{"item_id": "HAMMER", "quantity": "1"}, {"item_id": 999999, "quantity": "1"}]},
     ("lines", "1", "item_id"), "Unknown item."),
    ({"party_id": 999999}, ("party_id",), "Unknown customer."),
    ({"customer_group": "NOBODY"}, ("customer_group",), "Unknown customer group."),
    ({"party_id": "BOB", "customer_group": "PT-WHOLESALE"}, ("customer_group",),
     "Give a customer or a customer group, not both."),
    ({"currency": "ZZZ"}, ("currency",), "Unknown currency."),
    ({"lines": []}, ("lines",), "Give between 1 and 1000 lines."),
    ({"lines": [{"item_id": "HAMMER", "quantity": "0"}]}, ("lines", "0", "quantity"), None),
    ({"lines": [{"item_id": "HAMMER"}]}, ("lines", "0", "quantity"), None),
    ({"lines": [{"item_id": "HAMMER", "quantity": "1", "discount": "101"}]},
     ("lines", "0", "discount"), None),
    ({"date": "2027-02-30"}, ("date",), None),
    ({"shipping": "fast"}, ("shipping",), None),
])
def test_invalid_simulations_are_refused_per_field(client, catalogue, headers, body, path,
                                                   message):
    known = {"HAMMER": catalogue.hammer, "BOB": catalogue.bob}
    lines = [{**line, "item_id": known.get(line.get("item_id"), line.get("item_id"))}
             for line in body.get("lines", [{"item_id": "HAMMER", "quantity": "1"}])]
    body = {"currency": "EUR", **body, "lines": lines}
    body = {key: known.get(value, value) if isinstance(value, str) else value
            for key, value in body.items()}
    response = client.post("/api/v1/pricing/simulate", json=body, headers=headers)
    assert response.status_code == 422
    found = response.json["errors"]["json"]
    for key in path:
        found = found[key]
    if message:
        assert message in found


def test_a_failing_rule_kind_names_its_module_and_nothing_is_saved(make_app):
    app = make_app(["sales", "pricing", "broken_rule"])
    catalogue = make_catalogue(app)
    client, headers = app.test_client(), token_headers(app)
    message = "the price rules of broken_rule failed: the rate table is unreachable"
    response = client.post("/api/v1/pricing/simulate", headers=headers, json={
        "currency": "EUR", "lines": [{"item_id": catalogue.hammer, "quantity": "1"}]})
    assert response.status_code == 500
    assert response.json["message"] == message

    ordered = client.post("/api/v1/orders", headers=headers, json={
        "party_id": catalogue.bob, "type": "sales", "currency": "EUR",
        "lines": [{"item_id": catalogue.hammer, "quantity": "1"}]})
    assert ordered.status_code == 500
    assert ordered.json["message"] == message
    assert order_rows(app) == (0, 0)

    log_in(client, "sales")
    page = client.post("/pricing/simulate", data={
        "csrf_token": csrf_token(client, "/pricing/simulate"), "currency": "EUR",
        "item_id_0": str(catalogue.hammer), "quantity_0": "1"})
    assert page.status_code == 500
    assert message in page.get_data(as_text=True)


def test_the_simulation_page_shows_prices_and_explanations(client, catalogue, headers, login):
    new_price_list(client, headers, rules=[
        {"item_id": catalogue.hammer, "price": "9.00"},
        {"item_group": "PT-TOOLS", "price": "9.50"}])
    login(client, "sales")
    page = client.get("/pricing/simulate")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('name="quantity_') == 5
    assert "Acme" in text and "PT-HAMMER · Hammer" in text
    no_currency = client.post("/pricing/simulate", data={
        "csrf_token": csrf_token(client, "/pricing/simulate"), "currency": "",
        "item_id_0": str(catalogue.hammer), "quantity_0": "1"})
    assert no_currency.status_code == 422
    assert "Required." in no_currency.get_data(as_text=True)
    assert "Missing data" not in no_currency.get_data(as_text=True)

    token = csrf_token(client, "/pricing/simulate")
    before = order_rows(client.application)
    shown = client.post("/pricing/simulate", data={
        "csrf_token": token, "party_id": str(catalogue.acme), "currency": "EUR",
        "date": "2027-06-01", "discount": "",
        "item_id_0": str(catalogue.hammer), "quantity_0": "2",
        "item_id_2": str(catalogue.glue), "quantity_2": "1", "unit_price_2": "4.00"})
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "<td>18.00</td>" in text and "<td>4.00</td>" in text
    assert "lower priority (20 &lt; 30)" in text
    assert "price typed on the line" in text
    assert "22.00 EUR" in text  # total excluding tax: 18.00 + 4.00
    assert "25.82 EUR" in text  # total: 21.60 + 4.22
    assert order_rows(client.application) == before


def test_the_simulation_page_says_what_is_wrong_on_each_row(client, catalogue, login):
    login(client, "sales")
    token = csrf_token(client, "/pricing/simulate")
    refused = client.post("/pricing/simulate", data={
        "csrf_token": token, "currency": "EUR",
        "item_id_0": str(catalogue.hammer), "quantity_0": "1",
        "item_id_3": str(catalogue.saw), "quantity_3": "-2"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    row_3 = text[text.index('name="item_id_3"'):text.index('name="item_id_4"')]
    assert "Must be above 0." in row_3
    assert 'name="quantity_3" value="-2"' in row_3

    no_lines = client.post("/pricing/simulate", data={"csrf_token": token, "currency": "EUR"})
    assert no_lines.status_code == 422
    assert "Give between 1 and 1000 lines." in no_lines.get_data(as_text=True)

    no_price = client.post("/pricing/simulate", data={
        "csrf_token": token, "currency": "GBP",
        "item_id_0": str(catalogue.glue), "quantity_0": "1"})
    assert no_price.status_code == 422
    assert "item PT-GLUE has no price in GBP" in no_price.get_data(as_text=True)


def test_the_number_of_statements_does_not_grow_with_the_lines(client, catalogue, headers):
    registry = client.application.extensions["comptoir"]
    with registry.session_factory() as session, session.begin():
        numbers = [items.create_item(session, {
            "number": f"PT-BOLT-{n:03}", "name": f"Bolt {n}", "list_price": Decimal("0.35"),
            "currency": "EUR", "tax_category": "PT-VAT20",
            "item_group": "PT-TOOLS" if n % 2 else None}).id for n in range(100)]
    new_price_list(client, headers, rules=[
        {"item_id": numbers[0], "price": "0.30"}, {"item_group": "PT-TOOLS", "discount": "3"},
        {"price": "0.33", "min_quantity": "50", "customer_group": "PT-WHOLESALE"}])

    def statements(count):
        lines = [{"item_id": item_id, "quantity": str(10 * (n + 1))}
                 for n, item_id in enumerate(numbers[:count])]
        with count_queries(registry.engine) as executed:
            result = simulate(client, headers, party_id=catalogue.acme, currency="EUR",
                              lines=lines)
        assert len(result["lines"]) == count
        return len(executed)

    assert statements(5) == statements(100)
