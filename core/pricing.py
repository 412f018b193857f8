"""The pricing chain: price every line of a document in one pass and explain each price.

For each line the chain gathers *candidate rules*: the base price (``comptoir_base_prices``, or
the item's list price when no module answers), the candidates of every rule kind
(``comptoir_price_rules``, one implementation per kind, each loading what it needs for all lines
at once) and what the salesperson typed on the line.  Among price candidates the highest priority
wins, then the lowest price; among discount candidates the highest priority wins, then the
largest discount.  The
order discount then applies to every line, tax follows the item's tax category, and amounts are
rounded to the currency's minor unit.  Every candidate, winner or loser, goes into the line's
explanation with the reason it lost.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy.exc import DBAPIError

from core.errors import ComptoirError, ValidationError
from core.money import HUNDRED, ZERO, check_totals, round_money

MANUAL_PRIORITY = 1000  # what the salesperson typed beats every rule


class PricingFailed(ComptoirError):
    """A rule kind failed to evaluate: the document is not priced at all (HTTP 500)."""

    status = 500


@dataclass(frozen=True)
class PricingItem:
    """What pricing knows of an item."""

    id: int
    number: str
    name: str
    list_price: Decimal
    currency: str
    item_group_id: int | None
    tax_code: str
    tax_rate: Decimal

    @classmethod
    def of(cls, item):
        """The pricing view of an ``Item`` row (its tax category loaded)."""
        return cls(item.id, item.number, item.name, item.list_price, item.currency,
                   item.item_group_id, item.tax_category.code, item.tax_category.rate)


@dataclass(frozen=True)
class PricingLine:
    """One line to price: ``key`` identifies it within the document; ``manual_source`` says
    where a typed price or discount comes from when not from the salesperson."""

    key: int
    item: PricingItem
    quantity: Decimal
    manual_price: Decimal | None = None
    manual_discount: Decimal | None = None
    manual_source: str | None = None


@dataclass(frozen=True)
class PricingContext:
    """Who buys, in which currency, on which date; ``session`` lets rule kinds read rules."""

    currency: str
    date: date
    party_id: int | None = None
    customer_group_id: int | None = None
    discount: Decimal = ZERO  # the order discount, percent
    campaign_id: int | None = None
    session: object = None


class PriceRule(NamedTuple):
    """A candidate for one line: a unit price (``effect="price"``) or a discount percent.

    A tuple rather than a dataclass: a large order gathers tens of thousands of them.
    """

    line: int
    effect: str
    value: Decimal
    priority: int
    kind: str
    rule: str


@dataclass
class PricedLine:
    """The outcome for one line, with its explanation (a list of plain dicts, JSON-ready)."""

    key: int
    unit_price: Decimal
    discount: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax_amount: Decimal
    explanation: list = field(default_factory=list)


@dataclass
class PricedDocument:
    """Every priced line and the document's totals."""

    currency: str
    lines: list
    untaxed: Decimal
    tax: Decimal
    total: Decimal


def price(hook, context, lines):
    """Price ``lines`` (PricingLine) in ``context``; return a PricedDocument.

    Raises ValidationError when a line has no price at all, PricingFailed when a rule kind
    fails (naming its module); nothing is ever skipped quietly.  A database error in a rule
    kind passes as it is: what it means (an upgrade pending, a request to try again) is the
    database's, not the kind's.
    """
    candidates = {line.key: [] for line in lines}
    base = hook.comptoir_base_prices(lines=lines, context=context)
    if base is None:  # no module answers: the items' list prices
        base = list_prices(lines, context)
    for rule in base.values():
        candidates[rule.line].append(rule)
    arguments = {"lines": lines, "context": context}
    for impl in hook.comptoir_price_rules.get_hookimpls():
        try:
            proposed = impl.function(**{name: arguments[name] for name in impl.argnames})
        except (ComptoirError, DBAPIError):
            raise
        except Exception as exc:
            raise PricingFailed(f"the price rules of {impl.plugin_name} failed: {exc}") from exc
        for rule in proposed or ():
            if rule.line not in candidates:
                raise PricingFailed(f"the price rules of {impl.plugin_name} failed: they "
                                    f"propose a rule for line {rule.line!r}, which is not there")
            candidates[rule.line].append(rule)
    for line in lines:
        source = f"from {line.manual_source}" if line.manual_source else "typed on the line"
        if line.manual_price is not None:
            candidates[line.key].append(PriceRule(line.key, "price", line.manual_price,
                                                  MANUAL_PRIORITY, "manual", f"price {source}"))
        if line.manual_discount is not None:
            candidates[line.key].append(PriceRule(line.key, "discount", line.manual_discount,
                                                  MANUAL_PRIORITY, "manual",
                                                  f"discount {source}"))
    priced = [_price_line(line, candidates[line.key], context) for line in lines]
    untaxed = sum((p.amount for p in priced), ZERO)
    tax = sum((p.tax_amount for p in priced), ZERO)
    currency = context.currency
    document = PricedDocument(currency, priced, round_money(untaxed, currency),
                              round_money(tax, currency), round_money(untaxed + tax, currency))
    check_totals(document.untaxed, document.tax, document.total)
    return document


def _price_line(line, candidates, context):
    prices = [candidate for candidate in candidates if candidate.effect == "price"]
    if not prices:
        raise ValidationError(
            f"item {line.item.number} has no price in {context.currency}: its list price is in "
            f"{line.item.currency} and no price rule gives one",
            fields={"lines": [f"No price for item {line.item.number} in {context.currency}."]},
        )
    discounts = [candidate for candidate in candidates if candidate.effect == "discount"]
    prices.sort(key=_price_rank)
    discounts.sort(key=_discount_rank)
    explanation = _explain(prices, "price", "higher price")
    explanation += _explain(discounts, "discount", "smaller discount")
    unit_price = prices[0].value
    discount = discounts[0].value if discounts else ZERO
    net = line.quantity * unit_price * (1 - discount / HUNDRED)
    if context.discount:
        net *= 1 - context.discount / HUNDRED
        explanation.append(_entry("order discount", "discount on the whole order", "discount",
                                  context.discount, None, "applied", ""))
    amount = round_money(net, context.currency)
    tax_amount = round_money(amount * line.item.tax_rate / HUNDRED, context.currency)
    explanation.append(_entry("tax", f"tax category {line.item.tax_code}", "tax",
                              line.item.tax_rate, None, "applied", ""))
    return PricedLine(line.key, unit_price, discount, line.item.tax_rate, amount, tax_amount,
                      explanation)


def _price_rank(candidate):  # the highest priority first, then the lowest price
    return -candidate.priority, candidate.value, candidate.kind, candidate.rule


def _discount_rank(candidate):  # the highest priority first, then the largest discount
    return -candidate.priority, -candidate.value, candidate.kind, candidate.rule


def _explain(ranked, effect, worse):
    """The explanation entries of ``ranked`` candidates of one ``effect``, the first applied;
    ``worse`` says how a loser of the same priority compares ("higher price")."""
    if not ranked:
        return []
    winner = ranked[0]
    entries = [_entry(winner.kind, winner.rule, effect, winner.value, winner.priority,
                      "applied", "")]
    # Built here rather than by _entry: a document's pricing writes hundreds of them.
    for loser in ranked[1:]:
        if loser.priority < winner.priority:
            why = f"lower priority ({loser.priority} < {winner.priority}) than {winner.rule}"
        elif loser.value != winner.value:
            why = f"same priority, {worse} than {winner.rule}"
        else:
            why = f"same priority and value as {winner.rule}, which comes first"
        entries.append({"kind": loser.kind, "rule": loser.rule, "effect": effect,
                        "value": f"{loser.value:f}", "priority": loser.priority,
                        "outcome": "lost", "why": why})
    return entries


def _entry(kind, rule, effect, value, priority, outcome, why):
    return {"kind": kind, "rule": rule, "effect": effect, "value": f"{value:f}",
            "priority": priority, "outcome": outcome, "why": why}


def list_prices(lines, context):
    """The kernel's base prices: each item's list price, where it is in the context currency."""
    return {
        line.key: PriceRule(line.key, "price", line.item.list_price, 0, "list price",
                            f"list price of item {line.item.number}")
        for line in lines
        if line.item.currency == context.currency
    }
