"""A partner's incoming order type: goods the customer sends back for repair."""

from core import hookimpl
from core.ordertypes import OrderType


@hookimpl
def comptoir_order_types():
    return [OrderType("repair_return", "Repair return",
                      "The customer sends items back to be repaired.", incoming=True)]
