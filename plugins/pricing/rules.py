"""The price-list rule kind: candidates from every active price list, for all lines at once.

Priority follows specificity: a rule on the item (30) beats one on its item group (20), which
beats one on every item (10); a rule for the customer's group adds 5 to its target's priority.

The rules read are kept in memory, for each database, while the token of
``pricing_rules_version`` stays the one they were read under (triggers draw a new one at every
change of a price list, a rule, an item's number or a group's code): a pricing reads the
token, and the rules of the items and item groups no pricing met since the last change.
"""

import functools
import threading
import weakref
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Boolean, bindparam, or_, select, union_all

from core.models import CustomerGroup, ItemGroup
from core.pricing import PriceRule
from plugins.pricing.models import PriceList, PriceRuleRow, RulesVersion

ITEM, GROUP, EVERY_ITEM, CUSTOMER_GROUP_BONUS = 30, 20, 10, 5


class _Rule(NamedTuple):
    """A rule of an active price list, as :func:`_rules_query` reads it.  A tuple rather than the
    result's row: a row's fields read by name cost ten times more, and each is read once per
    line it may apply to."""

    id: int
    item_id: int | None
    item_group_id: int | None
    customer_group_id: int | None
    start_date: date | None
    end_date: date | None
    min_quantity: Decimal
    price: Decimal | None
    discount: Decimal | None
    list_name: str
    group_code: str | None
    customer_code: str | None


def price_list_rules(lines, context):
    """The candidates of every price-list rule matching ``lines`` in ``context``: one query for
    the token, and one for rules not yet kept, if any."""
    if not lines:
        return []
    rules = _kept_rules(context.session, context.currency, context.customer_group_id)
    rules.read(context.session, {line.item.id for line in lines},
               {line.item.item_group_id for line in lines} - {None})
    day, candidates = context.date, []
    for line in lines:
        item, quantity = line.item, line.quantity
        for matching in (rules.by_item[item.id], rules.by_group.get(item.item_group_id, ()),
                         rules.general):
            for rule in matching:
                if (quantity >= rule.min_quantity
                        and (rule.start_date is None or rule.start_date <= day)
                        and (rule.end_date is None or rule.end_date >= day)):
                    proposal = rules.proposals.get(rule.id)
                    if proposal is None:
                        proposal = rules.proposals[rule.id] = _proposal(item.number, rule)
                    candidates.append(PriceRule(line.key, *proposal))
    return candidates


class _Rules:
    """The rules of active price lists in ``currency`` for everyone or for ``customer_group``,
    as read while the database's token stayed the same: those on each item and on each item
    group read so far, and those on every item once read."""

    def __init__(self, currency, customer_group):
        self.currency, self.customer_group = currency, customer_group
        self.by_item, self.by_group, self.general = {}, {}, None
        self.proposals = {}  # rule id → what it proposes, worked out when it first applies

    def read(self, session, item_ids, group_ids):
        """Read, in one query, the rules of the items and item groups not read yet, and those
        on every item if not read yet."""
        items = sorted(item_ids - self.by_item.keys())
        groups = sorted(group_ids - self.by_group.keys())
        general = self.general is None
        if not (items or groups or general):
            return
        by_item, by_group = {item: [] for item in items}, {group: [] for group in groups}
        every_item = []
        rows = session.execute(_rules_query(), {
            "currency": self.currency, "customer_group": self.customer_group,
            "items": items, "groups": groups, "general": general}).all()
        for rule in map(_Rule._make, rows):
            if rule.item_id is not None:
                by_item[rule.item_id].append(rule)
            elif rule.item_group_id is not None:
                by_group[rule.item_group_id].append(rule)
            else:
                every_item.append(rule)
        self.by_item.update(by_item)
        self.by_group.update(by_group)
        if general:
            self.general = every_item


_KEPT = weakref.WeakKeyDictionary()  # engine → (token, {(currency, customer group): _Rules})
_KEEPING = threading.Lock()


def _kept_rules(session, currency, customer_group):
    """The rules kept for ``session``'s database, for buyers of ``customer_group`` in
    ``currency``, as of the token it reads now."""
    token = session.execute(_TOKEN).scalar_one()
    bind = session.get_bind()
    with _KEEPING:
        kept_token, by_buyer = _KEPT.get(bind, (None, None))
        if kept_token != token:
            by_buyer = {}
            _KEPT[bind] = token, by_buyer
        buyer = currency, customer_group
        if buyer not in by_buyer:
            by_buyer[buyer] = _Rules(currency, customer_group)
        return by_buyer[buyer]


_TOKEN = select(RulesVersion.token)


@functools.cache
def _rules_query():
    """The statement reading the rules of active price lists in ``currency``, for everyone or
    for ``customer_group``, on the items ``items``, on the item groups ``groups``, and on every
    item if ``general``, built once: three branches, each using its own index, rather than one
    OR that scans every rule.  Its columns are :class:`_Rule`'s fields, in their order."""
    rule = PriceRuleRow
    shared = (
        select(rule.id, rule.item_id, rule.item_group_id, rule.customer_group_id,
               rule.start_date, rule.end_date, rule.min_quantity, rule.price, rule.discount,
               PriceList.name, ItemGroup.code, CustomerGroup.code)
        .join(PriceList, PriceList.id == rule.price_list_id)
        .outerjoin(ItemGroup, ItemGroup.id == rule.item_group_id)
        .outerjoin(CustomerGroup, CustomerGroup.id == rule.customer_group_id)
        .where(
            PriceList.active,
            PriceList.currency == bindparam("currency"),
            or_(rule.customer_group_id.is_(None),
                rule.customer_group_id == bindparam("customer_group")),
        )
    )
    return union_all(
        shared.where(rule.item_id.in_(bindparam("items", expanding=True))),
        shared.where(rule.item_id.is_(None),
                     rule.item_group_id.in_(bindparam("groups", expanding=True))),
        shared.where(rule.item_id.is_(None), rule.item_group_id.is_(None),
                     bindparam("general", type_=Boolean)),
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
