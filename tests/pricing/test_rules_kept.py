"""The rules pricing keeps in memory: every change of price lists, rules or group codes shows in
the next pricing, however it is written; a change rolled back is never priced with; a pricing
that met the same items before reads no rule."""

from datetime import date
from decimal import Decimal

from sqlalchemy import text, update

from core.models import Item
from core.pricing import PricingContext, PricingItem, PricingLine, price
from core.testing import count_queries
from plugins.pricing.models import PriceRuleRow
from tests.pricing.conftest import new_price_list, simulate


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
    engine = client.application.extensions["comptoir"].engine
    with count_queries(engine) as first:
        assert _hammer(client, headers, catalogue)["discount"] == "10"
    with count_queries(engine) as again:
        assert _hammer(client, headers, catalogue)["discount"] == "10"
    assert sum("pricing_rule.id" in statement for statement in first) == 1
    assert sum("pricing_rule.id" in statement for statement in again) == 0
    assert len(again) == len(first) - 1
