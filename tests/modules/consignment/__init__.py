"""A partner's order type: goods placed at the customer's, invoiced once sold."""

from core import hookimpl
from core.ordertypes import OrderType


@hookimpl
def comptoir_order_types():
    return [OrderType("consignment", "Consignment",
                      "Goods stay ours at the customer's until sold.", affects_stock=False)]
