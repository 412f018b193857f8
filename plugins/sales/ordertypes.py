"""The five standard order types."""

from core.ordertypes import OrderType

STANDARD_TYPES = [
    OrderType("journal", "Journal",
              "A draft: no effect on stock quantities, no item transactions.",
              statuses=("draft", "cancelled"), affects_stock=False),
    OrderType("subscription", "Subscription",
              "Recurring: once invoiced, the order returns to an open state; its type is fixed "
              "once confirmed (its lines start again each period).", recurring=True,
              fixed_from=("confirmed", "delivered", "invoiced")),
    OrderType("sales", "Sales order", "The customer placed or confirmed the order."),
    OrderType("returned", "Returned order",
              "The customer returns items; an RMA number is assigned automatically.",
              sequence="rma", incoming=True),
    OrderType("item_requirements", "Item requirements",
              "Created when items are sold through a project; its type is fixed once delivered.",
              fixed_from=("delivered", "invoiced")),
]
