"""A broken partner order type: its second number comes from a sequence nobody created."""

from core import hookimpl
from core.ordertypes import OrderType


@hookimpl
def comptoir_order_types():
    return [OrderType("loan", "Loan", "Items lent to the customer.", sequence="loan")]
