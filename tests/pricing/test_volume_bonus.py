"""A module adds a rule kind (the volume bonus of tests/modules/volume_bonus) with no change
anywhere else: simulations and orders show it, applied or lost with the reason."""

from tests.pricing.conftest import make_catalogue, new_price_list, simulate, token_headers

BONUS = "volume bonus: 10% from 100 units"


def discounts(line):
    """The discount entries of a line's explanation: (kind, value, outcome, why)."""
    return [(e["kind"], e["value"], e["outcome"], e["why"]) for e in line["explanation"]
            if e["effect"] == "discount" and e["kind"] != "order discount"]


def started(make_app, modules):
    """An app with ``modules``, the catalogue, a client and sales API headers."""
    app = make_app(modules)
    return make_catalogue(app), app.test_client(), token_headers(app)


def test_the_volume_bonus_applies_from_100_units(make_app):
    catalogue, client, headers = started(make_app, ["sales", "pricing", "volume_bonus"])
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.glue, "quantity": "99"},
        {"item_id": catalogue.glue, "quantity": "100"}])
    small, large = result["lines"]
    assert (small["discount"], small["amount"]) == ("0", "494.01")
    assert discounts(small) == []
    assert (large["discount"], large["amount"]) == ("10", "449.10")  # 100 x 4.99 -10%
    assert discounts(large) == [("volume bonus", "10", "applied", "")]
    assert large["explanation"][1]["rule"] == BONUS
    assert large["explanation"][1]["priority"] == 25


def test_the_volume_bonus_wins_or_loses_by_priority_and_says_why(make_app):
    catalogue, client, headers = started(make_app, ["sales", "pricing", "volume_bonus"])
    list_id = new_price_list(client, headers, rules=[
        {"item_group": "PT-TOOLS", "discount": "15"},
        {"item_id": catalogue.saw, "discount": "12"}])
    group_rule, saw_rule = [r["id"] for r in client.get(
        f"/api/v1/price-lists/{list_id}", headers=headers).json["rules"]]
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.hammer, "quantity": "100"},
        {"item_id": catalogue.saw, "quantity": "100"},
        {"item_id": catalogue.hammer, "quantity": "100", "discount": "1"}])
    hammer, saw, typed = result["lines"]

    assert hammer["discount"] == "10"  # 10% at priority 25 beats 15% at priority 20
    assert discounts(hammer) == [
        ("volume bonus", "10", "applied", ""),
        ("price list", "15", "lost", f"lower priority (20 < 25) than {BONUS}")]

    assert saw["discount"] == "12"
    assert discounts(saw) == [
        ("price list", "12", "applied", ""),
        ("volume bonus", "10", "lost",
         f"lower priority (25 < 30) than price list Trade, rule {saw_rule}: item PT-SAW"),
        ("price list", "15", "lost",
         f"lower priority (20 < 30) than price list Trade, rule {saw_rule}: item PT-SAW")]
    assert group_rule != saw_rule

    assert typed["discount"] == "1"
    assert ("volume bonus", "10", "lost", "lower priority (25 < 1000) than discount typed on "
            "the line") in discounts(typed)


def test_an_order_explains_the_volume_bonus(make_app):
    catalogue, client, headers = started(make_app, ["sales", "pricing", "volume_bonus"])
    created = client.post("/api/v1/orders", headers=headers, json={
        "party_id": catalogue.bob, "type": "sales", "currency": "EUR",
        "lines": [{"item_id": catalogue.hammer, "quantity": "150"},
                  {"item_id": catalogue.hammer, "quantity": "2"}]})
    assert created.status_code == 201, created.json
    order = client.get(f"/api/v1/orders/{created.json['id']}", headers=headers).json
    bulk, few = order["lines"]
    assert (bulk["discount"], bulk["amount"]) == ("10", "1350.00")
    assert discounts(bulk) == [("volume bonus", "10", "applied", "")]
    assert discounts(few) == []
    assert (order["untaxed"], order["total"]) == ("1370.00", "1644.00")


def test_without_the_module_nothing_changes(make_app):
    catalogue, client, headers = started(make_app, ["sales", "pricing"])
    result = simulate(client, headers, currency="EUR", lines=[
        {"item_id": catalogue.glue, "quantity": "100"}])
    line = result["lines"][0]
    assert (line["discount"], line["amount"]) == ("0", "499.00")
    assert all(e["kind"] != "volume bonus" for e in line["explanation"])


def test_the_bonus_comes_and_goes_with_its_module(make_app):
    catalogue, client, headers = started(make_app, ["sales", "pricing"])
    bulk = {"currency": "EUR", "lines": [{"item_id": catalogue.glue, "quantity": "100"}]}
    assert simulate(client, headers, **bulk)["lines"][0]["discount"] == "0"
    admin = token_headers(client.application, "admin")
    assert client.post("/api/v1/modules/volume_bonus/enable", headers=admin).status_code == 200
    assert simulate(client, headers, **bulk)["lines"][0]["discount"] == "10"
    assert client.post("/api/v1/modules/volume_bonus/disable", headers=admin).status_code == 200
    assert simulate(client, headers, **bulk)["lines"][0]["discount"] == "0"
