"""The price-list rule kind: candidates from every active price list, for all lines at once.

Priority follows specificity: a rule on the item (30) beats one on its item group (20), which
beats one on every item (10); a rule for the customer's group adds 5 to its target's priority.
"""

import functools
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, or_, select, union_all

from core.models import CustomerGroup, ItemGroup
from core.pricing import PriceRule
from plugins.pricing.models import PriceList, PriceRuleRow

ITEM, GROUP, EVERY_ITEM, CUSTOMER_GROUP_BONUS = 30, 20, 10, 5


class _Rule(NamedTuple):
    """A rule that may apply, as :func:`_matching_rules` reads it.  A tuple rather than the
    result's row: a row's fields read by name cost ten times more, and each is read once per
    line it may apply to."""

    id: int
    item_id: int | None
    item_group_id: int | None
    customer_group_id: int | None
    min_quantity: Decimal
    price: Decimal | None
    discount: Decimal | None
    list_name: str
    group_code: str | None
    customer_code: str | None


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
    for rule in map(_Rule._make, rows):
        if rule.item_id is not None:
            by_item.setdefault(rule.item_id, []).append(rule)
        elif rule.item_group_id is not None:
            by_group.setdefault(rule.item_group_id, []).append(rule)
        else:
            general.append(rule)
    candidates = []
    described = {}  # rule id → its candidate but the line: described once, however many lines
    for line in lines:
        item, quantity = line.item, line.quantity
        for matching in (by_item.get(item.id, ()), by_group.get(item.item_group_id, ()), general):
            for rule in matching:
                if quantity >= rule.min_quantity:
                    proposal = described.get(rule.id)
                    if proposal is None:
                        proposal = described[rule.id] = _proposal(item.number, rule)
                    candidates.append(PriceRule(line.key, *proposal))
    return candidates


@functools.cache
def _matching_rules():
    """The statement reading the rules that may apply, built once (its parameters are bound
    at each call): three branches, each using its own index, rather than one OR that scans
    every rule.  Its columns are :class:`_Rule`'s fields, in their order."""
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


def _proposal(item_number, rule):
    """What ``rule`` proposes to any line it matches (of item ``item_number`` when the rule is
    on an item): effect, value, priority, kind, rule."""
    if rule.item_id is not None:
        priority, target = ITEM, f"item {item_number}"
    elif rule.item_group_id is not None:
        priority, target = GROUP, f"item group {rule.group_code}"
    else:
        priority, target = EVERY_ITEM, "every item"
    description = f"price list {rule.list_name}, rule {rule.id}: {target}"
    if rule.customer_group_id is not None:
        priority += CUSTOMER_GROUP_BONUS
        description += f", customer group {rule.customer_code}"
    if rule.min_quantity:
        description += f", from {rule.min_quantity.normalize():f} units"
    if rule.price is not None:
        return "price", rule.price, priority, "price list", description
    return "discount", rule.discount, priority, "price list", description
