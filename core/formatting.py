"""How amounts and quantities are written on pages and printed documents, as the template
filters ``{{ amount | money(currency) }}``, ``{{ price | unit_price(currency) }}``,
``{{ qty | plain }}`` and, in a form's field, ``{{ amount | amount(currency) }}``."""

from decimal import Decimal

from babel.numbers import format_currency

from core.money import format_money, plain, round_money


def money(amount, currency):
    """``amount`` rounded to ``currency`` and written with its symbol (``€1,234.50``)."""
    return format_money(round_money(amount or 0, currency), currency)


def unit_price(amount, currency):
    """A unit price with its currency symbol, as precise as it is: ``€9.999`` (a price may have
    more decimals than its currency), ``€12.50``."""
    value = Decimal(amount or 0)
    if value == round_money(value, currency):
        return money(value, currency)
    return format_currency(value, currency, format="¤#,##0.00####", currency_digits=False,
                           locale="en")


def amount_field(amount, currency):
    """An amount as a form's field holds it: rounded to ``currency``'s decimals, no symbol and
    no grouping, ready to be sent back (``1234.50``)."""
    return "" if amount is None else f"{round_money(amount, currency):f}"


def plain_number(value):
    """A quantity or percentage without trailing zeros (``12``, ``8.5``)."""
    return "" if value is None else f"{plain(Decimal(value)):f}"
