"""A module adding a rule kind to the pricing chain, and nothing else: the volume bonus.

Any line of at least 100 units gets a 10% discount, at priority 25: it beats an item-group
discount of a price list (20) and loses to an item discount (30) or a typed one.
"""

from decimal import Decimal

from core import hookimpl
from core.pricing import PriceRule

THRESHOLD = Decimal(100)
BONUS = Decimal(10)
PRIORITY = 25


@hookimpl
def comptoir_price_rules(lines, context):
    return [
        PriceRule(line.key, "discount", BONUS, PRIORITY, "volume bonus",
                  f"volume bonus: {BONUS}% from {THRESHOLD} units")
        for line in lines
        if line.quantity >= THRESHOLD
    ]
