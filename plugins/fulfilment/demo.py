"""Demo data of the fulfilment module: the confirmed sales order delivered in full, and the
item requirements partly, so that a backorder is left."""

from datetime import date, timedelta

from sqlalchemy import select

from core.models import Order
from core.orders import load_order
from plugins.fulfilment.services import deliver


def load(session, hook):
    """Deliver the first confirmed sales order in full and half of the first confirmed item
    requirements' desks."""
    confirmed = {}
    for order_id, type_code in session.execute(
            select(Order.id, Order.type).where(Order.status == "confirmed").order_by(Order.id)):
        confirmed.setdefault(type_code, order_id)
    if "sales" in confirmed:
        deliver(session, hook, load_order(session, confirmed["sales"], lock=True),
                delivery_date=date.today() - timedelta(days=2))
    if "item_requirements" in confirmed:
        order = load_order(session, confirmed["item_requirements"], lock=True)
        desks = {line.id: line.quantity / 2 for line in order.lines
                 if line.item.number == "DESK-100"}
        if desks:
            deliver(session, hook, order, desks)
