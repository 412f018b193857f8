"""Money: ``Decimal`` amounts with a currency, rounded to the currency's minor unit.

Amounts are never floats.  ``Amount`` is the column type of every stored amount, quantity or
percentage: NUMERIC on PostgreSQL, exact decimal text on SQLite (whose NUMERIC is a float).
"""

import functools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies
from sqlalchemy import Numeric, String
from sqlalchemy.types import TypeDecorator

from core.errors import ValidationError

# The ISO 4217 currencies some country tenders or tendered (withdrawn ones too: records in
# them are still settled), not the codes that name no money one invoices in (XXX "no
# currency", XTS, gold XAU, funds codes).
CURRENCIES = frozenset(
    code for territory in get_global("territory_currencies")
    for code in get_territory_currencies(territory, start_date=date(1800, 1, 1),
                                         end_date=date.today(), tender=True))
HUNDRED = Decimal(100)
ZERO = Decimal(0)
# What an Amount column holds exactly: 12 digits before the point, 6 after it.
DIGITS_BEFORE_POINT = 12
LARGEST_AMOUNT = Decimal(10) ** DIGITS_BEFORE_POINT


class Amount(TypeDecorator):
    """A ``Decimal`` column, exact on every database (18 digits, 6 after the point)."""

    impl = Numeric(18, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, 6, asdecimal=True))

    # On SQLite an amount is written as the text of plain(value), at a fraction of its cost
    # (amounts are compared there as text, so one value is always written the same way), and
    # read from that text; each by one call per value rather than the decorator's two: a
    # document's pricing writes and reads thousands.
    def bind_processor(self, dialect):
        if dialect.name == "sqlite":
            return _text_of_amount
        return super().bind_processor(dialect)

    def result_processor(self, dialect, coltype):
        if dialect.name == "sqlite":
            return _amount_of_text
        return super().result_processor(dialect, coltype)

    def process_bind_param(self, value, dialect):
        if dialect.name == "sqlite":
            return _text_of_amount(value)
        return None if value is None else Decimal(value)

    def process_result_value(self, value, dialect):
        # Elsewhere than on SQLite (read by result_processor): the same value reads back the
        # same on every database, 8.5, never 8.500000.
        return None if value is None else plain(value)


def _text_of_amount(value):
    return None if value is None else format(Decimal(value).normalize(), "f")


def _amount_of_text(text):
    return None if text is None else Decimal(text)


def check_totals(*amounts, field="lines"):
    """Refuse (422 on ``field``) computed totals an Amount column cannot hold: each is checked
    on input, but their sum may still pass 12 digits before the point."""
    if any(abs(amount) >= LARGEST_AMOUNT for amount in amounts):
        raise ValidationError("the total is too large: at most 12 digits before the point",
                              fields={field: ["The total is too large: at most 12 digits "
                                              "before the point."]})


def plain(value):
    """``value`` without trailing zeros, never in exponent form: 8.50 → 8.5, 1E+1 → 10."""
    value = value.normalize()
    return value.quantize(1) if value.as_tuple().exponent > 0 else value


def check_currency(code):
    """Return ``code`` in capitals (``"usd"`` is ``"USD"``) if it is an ISO 4217 currency a
    country tenders or tendered; else raise ValidationError."""
    written = code.strip().upper() if isinstance(code, str) else code
    if written not in CURRENCIES:
        raise ValidationError(f"unknown currency {code!r}",
                              fields={"currency": ["Unknown currency."]})
    return written


@functools.cache
def exponent(currency):
    """The quantum of ``currency``'s minor unit: ``Decimal('0.01')`` for EUR, ``1`` for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount, currency):
    """``amount`` rounded half up to ``currency``'s minor unit."""
    return Decimal(amount).quantize(exponent(currency), rounding=ROUND_HALF_UP)


def price_text(value, currency):
    """A unit price as text: with the currency's decimals at least (``12.50``), more when it
    has them (``9.999``) — a price may be finer than the currency, never shown rounded."""
    value = Decimal(value)
    rounded = value.quantize(exponent(currency))
    return f"{rounded if rounded == value else plain(value):f}"


def to_decimal(value, field="value"):
    """``value`` (a string, int or Decimal; never a float) as a finite Decimal."""
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{field}: not a number", fields={field: ["Not a number."]}) from None
    if not result.is_finite():
        raise ValidationError(f"{field}: not a number", fields={field: ["Not a number."]})
    return result


def format_money(amount, currency, locale="en"):
    """``amount`` as shown to people, e.g. ``€1,234.50``."""
    return format_currency(amount, currency, locale=locale)
