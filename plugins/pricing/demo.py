"""Demo data of the pricing module: two price lists, and the demo drafts (orders and quotations)
repriced with them."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core import orders
from core.models import CustomerGroup, Item, ItemGroup, Order
from plugins.pricing.models import PriceList, PriceRuleRow
from plugins.sales import quotations
from plugins.sales.models import Quotation


def load(session, hook):
    """Add the demo price lists (on the sales module's demo catalogue) and reprice the drafts."""
    items = {i.number: i.id for i in session.scalars(select(Item))}
    groups = {g.code: g.id for g in session.scalars(select(ItemGroup))}
    customers = {g.code: g.id for g in session.scalars(select(CustomerGroup))}
    if not items:
        return
    today = date.today()
    trade = PriceList(name="Trade agreements 2026", currency="EUR", rules=[
        PriceRuleRow(customer_group_id=customers["WHOLESALE"], item_group_id=groups["FURN"],
                     discount=Decimal(12)),
        PriceRuleRow(item_id=items["CHAIR-200"], min_quantity=Decimal(20),
                     price=Decimal("229.00")),
        PriceRuleRow(customer_group_id=customers["WHOLESALE"], item_id=items["BULB-120"],
                     min_quantity=Decimal(50), price=Decimal("9.90")),
        PriceRuleRow(customer_group_id=customers["WHOLESALE"], discount=Decimal(3)),
    ])
    promotion = PriceList(name="Spring lighting promotion", currency="EUR", rules=[
        PriceRuleRow(item_group_id=groups["LIGHT"], discount=Decimal(10),
                     start_date=today - timedelta(days=10), end_date=today + timedelta(days=50)),
        PriceRuleRow(item_id=items["LAMP-110"], price=Decimal("34.90"),
                     start_date=today - timedelta(days=10), end_date=today + timedelta(days=50)),
    ])
    session.add_all([trade, promotion])
    session.flush()
    for order_id in session.scalars(select(Order.id).where(Order.status == "draft")):
        orders.price_order(session, hook, orders.load_order(session, order_id))
    for quotation_id in session.scalars(select(Quotation.id).where(Quotation.status == "draft")):
        quotations.price_quotation(session, hook, quotations.load_quotation(session, quotation_id))
