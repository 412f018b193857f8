"""The rules pricing keeps in memory: every change of price lists, rules or group codes shows in
the next pricing, however and whenever it is written; a change rolled back is never priced
with; a pricing that met the same items before reads no rule; what is kept has a limit."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from core import orders
from core.models import Item
from core.pricing import PricingContext, PricingItem, PricingLine, price
from core.testing import count_queries
from plugins.pricing import rules
from plugins.pricing.models import PriceRuleRow
from tests.pricing.conftest import new_price_list, rule_ids, simulate
from web.errors import SCHEMA_BEHIND


def _hammer(client, headers, catalogue):
    """The hammer's line of a simulation for Acme (customer group PT-WHOLESALE)."""
    return simulate(client, headers, party_id=catalogue.acme, currency="EUR",
                    lines=[{"item_id": catalogue.hammer, "quantity": "1"}])["lines"][0]


def _applied(line):
    return [entry["rule"] for entry in line["explanation"] if entry["outcome"] == "applied"]


def _write(app, statement, **values):
    """Run ``statement`` in a transaction of its own, as an admin's SQL would."""
    with app.extensions["comptoir"].session_factory() as session, session.begin():
        session.execute(text(statement) if isinstance(statement, str) else statement, values)


def test_every_change_of_the_rules_shows_in_the_next_pricing(client, catalogue, headers):
    app = client.application
    list_id = new_price_list(client, headers, rules=[
        {"item_group": "PT-TOOLS", "customer_group": "PT-WHOLESALE", "discount": "10"}])
    line = _hammer(client, headers, catalogue)
    assert (line["unit_price"], line["discount"]) == ("10.00", "10")

    added = client.post(f"/api/v1/price-lists/{list_id}/rules", headers=headers,
                        json={"item_id": catalogue.hammer, "price": "9"})
    assert added.status_code == 201
    assert _hammer(client, headers, catalogue)["unit_price"] == "9.00"

    _write(app, update(PriceRuleRow).where(PriceRuleRow.id == added.json["id"])
           .values(price=Decimal(8)))
    assert _hammer(client, headers, catalogue)["unit_price"] == "8.00"

    client.patch(f"/api/v1/price-lists/{list_id}", headers=headers, json={"name": "Retail"})
    group_rule = f"price list Retail, rule {added.json['id'] - 1}: item group PT-TOOLS, " \
                 "customer group PT-WHOLESALE"
    assert group_rule in _applied(_hammer(client, headers, catalogue))

    _write(app, "UPDATE core_item_group SET code = 'PT-HAND' WHERE code = 'PT-TOOLS'")
    _write(app, "UPDATE core_customer_group SET code = 'PT-TRADE' WHERE code = 'PT-WHOLESALE'")
    assert group_rule.replace("PT-TOOLS", "PT-HAND").replace("PT-WHOLESALE", "PT-TRADE") in \
        _applied(_hammer(client, headers, catalogue))

    deleted = client.delete(f"/api/v1/price-lists/{list_id}/rules/{added.json['id']}",
                            headers=headers)
    assert deleted.status_code == 204
    assert _hammer(client, headers, catalogue)["unit_price"] == "10.00"

    client.patch(f"/api/v1/price-lists/{list_id}", headers=headers, json={"active": False})
    assert _hammer(client, headers, catalogue)["discount"] == "0"

    _write(app, "UPDATE pricing_price_list SET active = :on", on=True)
    assert _hammer(client, headers, catalogue)["discount"] == "10"
    _write(app, "DELETE FROM pricing_rule")
    _write(app, "DELETE FROM pricing_price_list")
    assert _hammer(client, headers, catalogue)["discount"] == "0"


def test_a_change_rolled_back_is_never_priced_with(client, catalogue, headers):
    app = client.application
    registry = app.extensions["comptoir"]
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"},
                                           {"item_id": catalogue.saw, "price": "20"}])
    assert _hammer(client, headers, catalogue)["unit_price"] == "9.00"

    with registry.session_factory() as session:
        session.execute(update(PriceRuleRow).where(PriceRuleRow.item_id == catalogue.hammer)
                        .values(price=Decimal(1)))
        hammer = PricingItem.of(session.get(Item, catalogue.hammer))
        seen = price(registry.hook, PricingContext("EUR", date.today(), session=session),
                     [PricingLine(0, hammer, Decimal(1))])
        assert seen.lines[0].unit_price == 1  # the change, seen by its own transaction
        session.rollback()
    # Another change, committed: the rules it leaves are not those the rolled-back one saw.
    _write(app, update(PriceRuleRow).where(PriceRuleRow.item_id == catalogue.saw)
           .values(price=Decimal(19)))

    assert _hammer(client, headers, catalogue)["unit_price"] == "9.00"


def test_a_pricing_of_items_met_before_reads_no_rule(client, catalogue, headers):
    new_price_list(client, headers, rules=[{"item_group": "PT-TOOLS", "discount": "10"}])
    registry = client.application.extensions["comptoir"]
    with count_queries(registry.engine) as first:
        with registry.writing_session() as session, session.begin():  # as an order's request
            orders.create_order(session, registry.hook, {
                "type": "sales", "party_id": catalogue.acme, "currency": "EUR",
                "lines": [{"item_id": catalogue.hammer, "quantity": Decimal(1)}]})
    with count_queries(registry.engine) as again:
        assert _hammer(client, headers, catalogue)["discount"] == "10"
    assert sum("pricing_rule.id" in statement for statement in first) == 1
    assert sum("pricing_rules_version" in statement for statement in first) == 2
    assert sum("pricing_rule.id" in statement for statement in again) == 0
    assert sum("pricing_rules_version" in statement for statement in again) == 1


def test_an_item_rule_names_the_item_as_its_line_does(client, catalogue, headers):
    registry = client.application.extensions["comptoir"]
    list_id = new_price_list(client, headers,
                             rules=[{"item_id": catalogue.hammer, "price": "9"}])
    rule = f"price list Trade, rule {rule_ids(client, headers, list_id)[0]}: item"
    with registry.session_factory() as session:
        hammer = PricingItem.of(session.get(Item, catalogue.hammer))  # read before the rename
        _write(client.application,
               "UPDATE core_item SET number = 'PT-MALLET' WHERE number = 'PT-HAMMER'")
        [line] = price(registry.hook, PricingContext("EUR", date.today(), session=session),
                       [PricingLine(0, hammer, Decimal(1))]).lines
    assert [entry["rule"] for entry in line.explanation[:2]] == [
        f"{rule} PT-HAMMER", "list price of item PT-HAMMER"]
    line = _hammer(client, headers, catalogue)
    assert line["item_number"] == "PT-MALLET"
    assert f"{rule} PT-MALLET" in _applied(line)


def test_rules_read_while_a_change_committed_are_kept_under_its_token(
        client, catalogue, headers, monkeypatch):
    app = client.application
    registry = app.extensions["comptoir"]
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"},
                                           {"item_id": catalogue.saw, "price": "20"}])
    assert _hammer(client, headers, catalogue)["unit_price"] == "9.00"  # the hammer's kept
    read = rules._Rules.read

    def read_after_a_change(self, *args):
        monkeypatch.setattr(rules._Rules, "read", read)  # one change, the first time only
        _write(app, "UPDATE pricing_rule SET price = price - 1")
        read(self, *args)

    monkeypatch.setattr(rules._Rules, "read", read_after_a_change)
    with registry.session_factory() as session:
        saw = PricingLine(0, PricingItem.of(session.get(Item, catalogue.saw)), Decimal(1))
        [priced] = price(registry.hook, PricingContext("EUR", date.today(), session=session),
                         [saw]).lines
    # SQLite's transaction saw the rules before the change; PostgreSQL's next statement, after.
    assert priced.unit_price in (20, 19)
    # Kept with the hammer's rules, read before the change, the saw's must be of that time too
    # (or not kept): a pricing of both under the old token would otherwise mix the two.
    with registry.session_factory() as session:
        token = session.scalar(text("SELECT token FROM pricing_rules_version"))
    kept = rules._KEPT[registry.engine.pool]
    for kept_rule in kept.by_buyer["EUR", None].by_item.get(catalogue.saw, ()):
        assert kept_rule.price == (19 if kept.token == token else 20)
    assert _hammer(client, headers, catalogue)["unit_price"] == "8.00"


def test_a_change_made_under_another_search_path_is_seen(client, catalogue, headers):
    app = client.application
    if app.extensions["comptoir"].engine.dialect.name != "postgresql":
        pytest.skip("schemas and search paths are PostgreSQL's")
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"}])
    assert _hammer(client, headers, catalogue)["unit_price"] == "9.00"
    with app.extensions["comptoir"].session_factory() as session, session.begin():
        schema = session.execute(text("SELECT current_schema()")).scalar_one()
        session.execute(text("SET LOCAL search_path TO public"))
        session.execute(text(f'UPDATE "{schema}".pricing_rule SET price = 7'))
    assert _hammer(client, headers, catalogue)["unit_price"] == "7.00"


def test_rules_kept_past_their_limit_are_dropped_and_read_again(
        client, catalogue, headers, monkeypatch):
    monkeypatch.setattr(rules, "MAX_KEPT", 2)
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"},
                                           {"item_id": catalogue.saw, "price": "20"},
                                           {"item_group": "PT-TOOLS", "discount": "5"}])
    database = client.application.extensions["comptoir"].engine.pool
    for item, unit_price in [(catalogue.hammer, "9.00"), (catalogue.saw, "20.00"),
                             (catalogue.hammer, "9.00"), (catalogue.glue, "4.99")]:
        line = simulate(client, headers, currency="EUR",
                        lines=[{"item_id": item, "quantity": "1"}])["lines"][0]
        assert line["unit_price"] == unit_price
        kept = rules._KEPT[database].by_buyer.values()
        assert sum(map(len, kept)) <= 2


def test_a_pricing_before_the_upgrade_says_an_upgrade_is_pending(client, catalogue, headers):
    registry = client.application.extensions["comptoir"]
    with registry.engine.begin() as connection:  # as if this revision were not run yet
        connection.execute(text("DROP TABLE pricing_rules_version"))
    answer = client.post("/api/v1/pricing/simulate", headers=headers, json={
        "currency": "EUR", "lines": [{"item_id": catalogue.hammer, "quantity": "1"}]})
    assert answer.status_code == 500
    assert answer.json["message"] == SCHEMA_BEHIND


def test_rules_are_read_through_a_connection_as_through_a_session(client, catalogue, headers):
    registry = client.application.extensions["comptoir"]
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"}])
    with registry.session_factory() as session:
        hammer = PricingItem.of(session.get(Item, catalogue.hammer))
    for _twice in range(2):  # reading the rules, then keeping them
        with registry.engine.connect() as connection:
            priced = price(registry.hook, PricingContext("EUR", date.today(),
                                                         session=connection),
                           [PricingLine(0, hammer, Decimal(1))])
        assert priced.lines[0].unit_price == 9


def test_a_pricing_reads_the_rules_once_however_often_they_change(
        client, catalogue, headers, monkeypatch):
    app = client.application
    registry = app.extensions["comptoir"]
    new_price_list(client, headers, rules=[{"item_id": catalogue.hammer, "price": "9"}])
    read, reads = rules._Rules.read, []

    def read_then_a_change(self, *args):
        reads.append(1)
        assert len(reads) < 5, "the rules are read again and again"
        read(self, *args)
        _write(app, "UPDATE pricing_rule SET price = price - 1")  # before the token is read

    monkeypatch.setattr(rules._Rules, "read", read_then_a_change)
    with registry.session_factory() as session:
        hammer = PricingItem.of(session.get(Item, catalogue.hammer))
        [line] = price(registry.hook, PricingContext("EUR", date.today(), session=session),
                       [PricingLine(0, hammer, Decimal(1))]).lines
    assert (line.unit_price, len(reads)) == (9, 1)
