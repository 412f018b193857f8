"""Order types and invoice kinds: one code, one module."""

import pluggy
import pytest

from core import hookimpl, hookspecs
from core.errors import ValidationError
from core.invoicekinds import InvoiceKind, invoice_kind, invoice_kinds


class Deposits:
    @hookimpl
    def comptoir_invoice_kinds(self):
        return [InvoiceKind("deposit", "Deposit invoice", sequence="deposit")]


class Prepayments:
    @hookimpl
    def comptoir_invoice_kinds(self):
        return [InvoiceKind("deposit", "Prepayment", sequence="prepayment"),
                InvoiceKind("advance", "Advance invoice", sequence="advance")]


def _hook(*plugins):
    manager = pluggy.PluginManager("comptoir")
    manager.add_hookspecs(hookspecs)
    for plugin in plugins:
        manager.register(plugin(), name=plugin.__name__.lower())
    return manager.hook


def test_kinds_are_listed_by_title_and_looked_up_by_code():
    hook = _hook(Prepayments)
    assert list(invoice_kinds(hook)) == ["advance", "deposit"]
    assert invoice_kind(hook, "deposit").title == "Prepayment"
    with pytest.raises(ValidationError) as refused:
        invoice_kind(hook, "customer")
    assert refused.value.fields == {"kind": ["Must be one of: advance, deposit."]}


def test_two_modules_contributing_one_code_is_an_error_naming_both():
    with pytest.raises(ValidationError, match="'deposit' is contributed by both"):
        invoice_kinds(_hook(Deposits, Prepayments))
