"""The pricing chain's contract with rule kinds, without a database."""

from datetime import date
from decimal import Decimal

import pluggy
import pytest

from core import hookimpl, hookspecs
from core.pricing import PriceRule, PricingContext, PricingFailed, PricingItem, PricingLine, price

ITEM = PricingItem(1, "HAM", "Hammer", Decimal("12.50"), "EUR", None, "VAT20", Decimal(20))
CONTEXT = PricingContext(currency="EUR", date=date(2026, 11, 22))


def hook_with(*plugins):
    manager = pluggy.PluginManager("comptoir")
    manager.add_hookspecs(hookspecs)
    for number, plugin in enumerate(plugins):
        manager.register(plugin, name=f"kind{number}")
    return manager.hook


class LinesOnly:
    """A rule kind taking only the lines, as a hook implementation may."""

    @hookimpl
    def comptoir_price_rules(self, lines):
        return [PriceRule(line.key, "price", Decimal("12.50"), 0, "twin", "same as list price")
                for line in lines]


class StrayLine:
    @hookimpl
    def comptoir_price_rules(self, lines, context):
        return [PriceRule(99, "discount", Decimal(5), 10, "stray", "for a line not there")]


def test_a_rule_kind_may_take_a_subset_of_the_arguments_and_ties_are_explained():
    document = price(hook_with(LinesOnly()), CONTEXT, [PricingLine(0, ITEM, Decimal(2))])
    line = document.lines[0]
    assert (line.amount, document.total) == (Decimal("25.00"), Decimal("30.00"))
    lost = [step for step in line.explanation if step["outcome"] == "lost"]
    assert len(lost) == 1
    assert lost[0]["why"].startswith("same priority and value as ")
    assert lost[0]["why"].endswith(", which comes first")


def test_a_rule_for_a_line_that_is_not_there_fails_naming_the_module():
    with pytest.raises(PricingFailed, match="price rules of kind0 failed: .*line 99"):
        price(hook_with(StrayLine()), CONTEXT, [PricingLine(0, ITEM, Decimal(1))])
