"""Currencies: which codes documents may be in."""

import pytest

from core.errors import ValidationError
from core.money import check_currency


def test_a_withdrawn_currency_is_still_taken_but_not_a_code_of_no_money():
    assert check_currency("BGN") == "BGN"  # withdrawn for the euro: its records are settled
    assert check_currency("DEM") == "DEM"
    for code in ("XXX", "XTS", "XAU", "CHE", "EURO"):
        with pytest.raises(ValidationError) as refused:
            check_currency(code)
        assert refused.value.fields == {"currency": ["Unknown currency."]}
