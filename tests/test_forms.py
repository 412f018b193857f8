"""The fields modules add to the kernel's forms, as their submitted text is read."""

from decimal import Decimal

from core.forms import validate_extra
from core.ui import FormField


def test_a_modules_number_field_reads_plain_digits_only():
    fields = [FormField("weight", "Weight", kind="number")]
    assert validate_extra(fields, {"weight": " 12.5 "}) == ({"weight": Decimal("12.5")}, {})
    for typed in ("1_000", "1e3", "\u0661\u0662", "NaN", "Infinity", "-inf"):
        refused = ({}, {"weight": ["Must be a number."]})
        assert validate_extra(fields, {"weight": typed}) == refused, typed
