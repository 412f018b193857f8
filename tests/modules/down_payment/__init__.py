"""A partner's invoice kind: a down payment asked before delivery, owed back to the customer
until the final invoice, so posted to a customer prepayments account instead of revenue."""

from pathlib import Path

from core import hookimpl
from core.errors import ValidationError
from core.invoicekinds import Entry, InvoiceKind

PREPAYMENTS = "4191"  # created by this module's migration


def validate_down_payment(invoice):
    """A down payment's lines each say what they are for, ask a positive amount and carry tax
    information; they have no item and no order line."""
    problems = {}
    for index, line in enumerate(invoice.lines):
        errors = {}
        if line.item_id is not None or line.order_line_id is not None:
            errors["item"] = ["A down payment has no item."]
        if line.amount <= 0:
            errors["amount"] = ["A down payment asks a positive amount."]
        if line.tax_category_id is None:
            errors["tax_category"] = ["Tax information is required."]
        if not line.description.strip():
            errors["description"] = ["Say what the down payment is for."]
        if errors:
            problems[index] = errors
    if problems:
        raise ValidationError("the down payment is not valid", fields={"lines": problems})


def down_payment_entries(invoice, profile):
    """The customer owes the total; the untaxed amount is a prepayment owed back until the
    final invoice, the tax goes to the profile's tax account."""
    entries = [Entry(profile.summary_account.code, invoice.total, 0, invoice.party.name,
                     invoice.party_id),
               Entry(PREPAYMENTS, 0, invoice.untaxed, "down payment")]
    if invoice.tax:
        entries.append(Entry(profile.tax_account.code, 0, invoice.tax, "tax"))
    return entries


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_invoice_kinds():
    return [InvoiceKind("down_payment", "Down-payment invoice",
                        "A part of an order's total asked before delivery.", lines="accounts",
                        sequence="down_payment", validate=validate_down_payment,
                        entries=down_payment_entries)]
