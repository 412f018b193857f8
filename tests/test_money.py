"""Currencies: which codes documents may be in, and how amounts are written."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow.exceptions import ValidationError as MarshmallowError
from sqlalchemy.dialects import sqlite

from core.errors import ValidationError
from core.formatting import amount_field
from core.money import Amount, check_currency, plain
from core.schemas import decimal_field


def test_a_withdrawn_currency_is_still_taken_but_not_a_code_of_no_money():
    assert check_currency("BGN") == "BGN"  # withdrawn for the euro: its records are settled
    assert check_currency("DEM") == "DEM"
    assert check_currency(" usd ") == "USD", "written in capitals"
    for code in ("XXX", "XTS", "XAU", "CHE", "EURO"):
        with pytest.raises(ValidationError) as refused:
            check_currency(code)
        assert refused.value.fields == {"currency": ["Unknown currency."]}


def test_an_amount_in_a_form_field_has_its_currency_decimals_and_nothing_else():
    assert amount_field(Decimal("200"), "EUR") == "200.00"
    assert amount_field(Decimal("1234.567"), "EUR") == "1234.57"
    assert amount_field(Decimal("1234.5"), "JPY") == "1235"
    assert amount_field(None, "EUR") == ""


@given(st.decimals(min_value=Decimal("-999999999999.999999"),
                   max_value=Decimal("999999999999.999999"), places=6))
def test_sqlite_holds_an_amount_as_one_plain_text_that_reads_back_the_same(value):
    dialect = sqlite.dialect()
    write = Amount().dialect_impl(dialect).bind_processor(dialect)
    read = Amount().dialect_impl(dialect).result_processor(dialect, None)
    text = write(value)
    assert text == write(value.quantize(Decimal("0.000001")))  # 8.5 and 8.500000 alike
    assert text == str(plain(value)) and "E" not in text
    assert read(text) == value and str(read(text)) == text


def test_an_amount_is_read_only_from_plain_digits():
    field = decimal_field()
    for typed, read in (("12", "12"), (" 12.50 ", "12.50"), ("+.5", "0.5"), ("3.", "3"), (7, "7")):
        assert field.deserialize(typed) == Decimal(read), typed
    for typed in ("1_000", "1e3", "\u0663", "\uff11\uff12", "1,5", "", "Infinity", "0x10",
                  "\u00a012", "12\n\u00a0"):
        with pytest.raises(MarshmallowError) as refused:
            field.deserialize(typed)
        assert refused.value.messages == ["Not a valid number."], typed
