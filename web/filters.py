"""Template filters for every page: ``{{ amount | money(currency) }}``, ``{{ qty | plain }}``."""

from decimal import Decimal

from core.money import format_money, plain, round_money


def money(amount, currency):
    """``amount`` rounded to ``currency`` and written with its symbol (``€1,234.50``)."""
    return format_money(round_money(amount or 0, currency), currency)


def plain_number(value):
    """A quantity or percentage without trailing zeros (``12``, ``8.5``)."""
    return "" if value is None else f"{plain(Decimal(value)):f}"


def register(app):
    """Add the filters to ``app``'s templates."""
    app.add_template_filter(money, "money")
    app.add_template_filter(plain_number, "plain")
