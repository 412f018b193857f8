from decimal import Decimal

from core import items, orders, parties
from core.models import CustomerGroup, ItemGroup, TaxCategory
from plugins.pricing.models import PriceList, PriceRuleRow


def test_order_priced_and_confirmed(make_app):
    app = make_app(["sales", "pricing"])
    reg = app.extensions["comptoir"]
    reg.refresh()
    with reg.session_factory() as s:
        s.add_all([TaxCategory(code="VAT20", name="Standard", rate=Decimal("20")),
                   CustomerGroup(code="WHOLESALE", name="Wholesale"),
                   ItemGroup(code="TOOLS", name="Tools")])
        s.flush()
        p = parties.create_party(s, {"name": "Acme", "customer_group": "WHOLESALE"})
        i = items.create_item(s, {"number": "A1", "name": "Hammer", "list_price": Decimal("10.00"),
                                  "currency": "EUR", "tax_category": "VAT20", "item_group": "TOOLS"})
        pl = PriceList(name="Trade", currency="EUR")
        pl.rules = [PriceRuleRow(item_id=i.id, price=Decimal("8.50"), min_quantity=Decimal(10)),
                    PriceRuleRow(item_group_id=i.item_group_id, discount=Decimal(5))]
        s.add(pl)
        s.flush()
        o = orders.create_order(s, reg.hook, {"type": "sales", "party_id": p.id, "currency": "EUR",
                                              "lines": [{"item_id": i.id, "quantity": Decimal(12)},
                                                        {"item_id": i.id, "quantity": Decimal(1)}]})
        assert o.number == "SO-00001"
        assert [l.unit_price for l in o.lines] == [Decimal("8.50"), Decimal("10.00")]
        assert o.untaxed == Decimal("106.40")  # 12*8.5*0.95=96.90 + 9.50
        orders.confirm_order(s, reg.hook, o)
        s.commit()
        assert p.stage == "customer"
        print(o.lines[0].explanation)
