"""The price-list rule kind: candidates from every active price list, for all lines at once.

Priority follows specificity: a rule on the item (30) beats one on its item group (20), which
beats one on every item (10); a rule for the customer's group adds 5 to its target's priority.
"""

import functools

from sqlalchemy import bindparam, or_, select, union_all

from core.models import CustomerGroup, ItemGroup
from core.pricing import PriceRule
from plugins.pricing.models import PriceList, PriceRuleRow

ITEM, GROUP, EVERY_ITEM, CUSTOMER_GROUP_BONUS = 30, 20, 10, 5


def price_list_rules(lines, context):
    """The candidates of every price-list rule matching ``lines`` in ``context``; one query."""
    if not lines:
        return []
    rows = context.session.execute(_matching_rules(), {
        "currency": context.currency,
        "customer_group": context.customer_group_id,
        "day": context.date,
        "items": sorted({line.item.id for line in lines}),
        "groups": sorted({line.item.item_group_id for line in lines} - {None}),
    }).all()
    by_item, by_group, general = {}, {}, []
    for row in rows:
        if row.item_id is not None:
            by_item.setdefault(row.item_id, []).append(row)
        elif row.item_group_id is not None:
            by_group.setdefault(row.item_group_id, []).append(row)
        else:
            general.append(row)
    candidates = []
    described = {}  # rule id → its candidate but the line: described once, however many lines
    for line in lines:
        matching = (by_item.get(line.item.id, []) + by_group.get(line.item.item_group_id, [])
                    + general)
        for row in matching:
            if line.quantity >= row.min_quantity:
                proposal = described.get(row.id)
                if proposal is None:
                    proposal = described[row.id] = _proposal(line, row)
                candidates.append(PriceRule(line.key, *proposal))
    return candidates


@functools.cache
def _matching_rules():
    """The statement reading the rules that may apply, built once (its parameters are bound
    at each call): three branches, each using its own index, rather than one OR that scans
    every rule."""
    rule = PriceRuleRow
    shared = (
        select(rule.id, rule.item_id, rule.item_group_id, rule.customer_group_id,
               rule.min_quantity, rule.price, rule.discount, PriceList.name,
               ItemGroup.code.label("group_code"), CustomerGroup.code.label("customer_code"))
        .join(PriceList, PriceList.id == rule.price_list_id)
        .outerjoin(ItemGroup, ItemGroup.id == rule.item_group_id)
        .outerjoin(CustomerGroup, CustomerGroup.id == rule.customer_group_id)
        .where(
            PriceList.active,
            PriceList.currency == bindparam("currency"),
            or_(rule.customer_group_id.is_(None),
                rule.customer_group_id == bindparam("customer_group")),
            or_(rule.start_date.is_(None), rule.start_date <= bindparam("day")),
            or_(rule.end_date.is_(None), rule.end_date >= bindparam("day")),
        )
    )
    return union_all(
        shared.where(rule.item_id.in_(bindparam("items", expanding=True))),
        shared.where(rule.item_id.is_(None),
                     rule.item_group_id.in_(bindparam("groups", expanding=True))),
        shared.where(rule.item_id.is_(None), rule.item_group_id.is_(None)),
    )


def _proposal(line, row):
    """What ``row`` proposes to any line it matches: effect, value, priority, kind, rule."""
    if row.item_id is not None:
        priority, target = ITEM, f"item {line.item.number}"
    elif row.item_group_id is not None:
        priority, target = GROUP, f"item group {row.group_code}"
    else:
        priority, target = EVERY_ITEM, "every item"
    description = f"price list {row.name}, rule {row.id}: {target}"
    if row.customer_group_id is not None:
        priority += CUSTOMER_GROUP_BONUS
        description += f", customer group {row.customer_code}"
    if row.min_quantity:
        description += f", from {row.min_quantity.normalize():f} units"
    if row.price is not None:
        return "price", row.price, priority, "price list", description
    return "discount", row.discount, priority, "price list", description
