"""The price-list rule kind: candidates from every active price list, for all lines at once.

Priority follows specificity: a rule on the item (30) beats one on its item group (20), which
beats one on every item (10); a rule for the customer's group adds 5 to its target's priority.

The rules read are kept in memory, for each database, while the token of
``pricing_rules_version`` stays the one they were read under (triggers draw a new one at every
change of a price list, a rule or a group's code): a pricing reads the token, and when it
meets an item or item group whose rules are not kept, reads the rules of all its lines again,
then the token again.
"""

import functools
import threading
import weakref
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import bindparam, or_, select, union_all
from sqlalchemy.orm import Session

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
    the token; if rules of these lines are not kept, one more for them and the token again."""
    if not lines:
        return []
    rules = _rules_for(context.session, (context.currency, context.customer_group_id),
                       {line.item.id for line in lines},
                       {line.item.item_group_id for line in lines} - {None})
    day, proposals, candidates = context.date, rules.proposals, []
    for line in lines:
        item, quantity = line.item, line.quantity
        # A rule on an item names it as the line does (read with the line); the others, none.
        for matching, number in ((rules.by_item[item.id], item.number),
                                 (rules.by_group.get(item.item_group_id, ()), None),
                                 (rules.general, None)):
            for rule in matching:
                if (quantity >= rule.min_quantity
                        and (rule.start_date is None or rule.start_date <= day)
                        and (rule.end_date is None or rule.end_date >= day)):
                    known = proposals.get(rule.id)
                    if known is None or known[0] != number:
                        known = proposals[rule.id] = number, _proposal(number, rule)
                    candidates.append(PriceRule(line.key, *known[1]))
    return candidates


# Past this many items and item groups whose rules are kept for one database (about 120 bytes
# each, and their rules), all kept for it is dropped and read again as pricings need it.
MAX_KEPT = 100_000


class _Rules:
    """The rules of active price lists for one buyer (a currency and a customer group) as the
    database held them under one token: those on each item and on each item group read so far
    (an empty tuple for none), and those on every item once read."""

    def __init__(self):
        self.by_item, self.by_group, self.general = {}, {}, None
        # rule id → (item number or None, what the rule proposes), worked out when it applies
        self.proposals = {}

    def lacks(self, item_ids, group_ids):
        """Whether the rules of some of ``item_ids``, ``group_ids`` or every item are not kept."""
        return (self.general is None or not item_ids <= self.by_item.keys()
                or not group_ids <= self.by_group.keys())

    def read(self, session, buyer, item_ids, group_ids):
        """Read the rules of ``buyer`` on ``item_ids``, ``group_ids`` and every item, in one
        query, and keep them."""
        currency, customer_group = buyer
        by_item, by_group, every_item = {}, {}, []
        for rule in map(_Rule._make, session.execute(_rules_query(), {
                "currency": currency, "customer_group": customer_group,
                "items": sorted(item_ids), "groups": sorted(group_ids)}).all()):
            if rule.item_id is not None:
                by_item.setdefault(rule.item_id, []).append(rule)
            elif rule.item_group_id is not None:
                by_group.setdefault(rule.item_group_id, []).append(rule)
            else:
                every_item.append(rule)
        self.by_item.update({item: by_item.get(item, ()) for item in item_ids})
        self.by_group.update({group: by_group.get(group, ()) for group in group_ids})
        self.general = every_item

    def __len__(self):
        return len(self.by_item) + len(self.by_group)


class _Kept:
    """What is kept for one database: the token the rules were read under, and their
    :class:`_Rules` by buyer."""

    def __init__(self, token):
        self.token, self.by_buyer = token, {}


_KEPT = weakref.WeakKeyDictionary()  # the engine's connection pool → its _Kept
_KEEPING = threading.Lock()


def _rules_for(session, buyer, item_ids, group_ids):
    """The rules of ``buyer`` on ``item_ids``, ``group_ids`` and every item, as ``session``'s
    database holds them at the token it reads: those kept, or else all of them read again.

    The token is read once more after the rules: on PostgreSQL each statement sees what was
    committed before it, and rules read after a change committed in between must not be kept
    under the token from before it (a pricing of that token would mix them with the others).
    They are then used for this pricing alone: read by one statement, they are of one state."""
    database = _database(session)
    token = session.execute(_TOKEN).scalar_one()
    with _KEEPING:
        kept = _KEPT.get(database)
        if kept is None or kept.token != token:
            kept = _KEPT[database] = _Kept(token)
        rules = kept.by_buyer.setdefault(buyer, _Rules())
    if not rules.lacks(item_ids, group_ids):
        return rules
    read = _Rules()
    read.read(session, buyer, item_ids, group_ids)
    if session.execute(_TOKEN).scalar_one() != token:
        return read
    with _KEEPING:
        if sum(map(len, kept.by_buyer.values())) + len(read) > MAX_KEPT:
            kept.by_buyer.clear()
        rules = kept.by_buyer.setdefault(buyer, read)
        if rules is not read:
            rules.by_item.update(read.by_item)
            rules.by_group.update(read.by_group)
            rules.general = read.general
    return rules


def _database(session):
    """What stands for the database ``session`` works on (a Session, or a Connection as a
    caller may give): its engine's connection pool, which a writing session's engine, a copy
    of the application's with other options, shares."""
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.engine.pool


_TOKEN = select(RulesVersion.token)


@functools.cache
def _rules_query():
    """The statement reading the rules of active price lists in ``currency``, for everyone or
    for ``customer_group``, on the items ``items``, on the item groups ``groups`` and on every
    item, built once: three branches, each using its own index, rather than one OR that scans
    every rule.  Its columns are :class:`_Rule`'s fields, in their order."""
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
