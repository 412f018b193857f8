"""The invoicing module's four invoice kinds and how each validates."""

from core.errors import ValidationError
from core.invoicekinds import InvoiceKind

CREDIT_NOTE = "credit_note"


def _refuse(problems):
    """Raise the problems found, ``{line index: {field: [messages]}}``, as one 422."""
    if problems:
        raise ValidationError("the invoice is not valid", fields={"lines": dict(problems)})


def validate_item_lines(invoice):
    """A customer invoice's lines each invoice a positive quantity of an order line of the
    invoice's customer and currency."""
    problems = {}
    for index, line in enumerate(invoice.lines):
        order_line = line.order_line
        if order_line is None:
            problems[index] = {"order_line": ["A customer invoice line invoices an order line."]}
        elif line.quantity <= 0:
            problems[index] = {"quantity": ["Must be more than 0."]}
        elif (order_line.order.party_id != invoice.party_id
              or order_line.order.currency != invoice.currency):
            problems[index] = {"order_line": [
                f"Order {order_line.order.number} is not of this invoice's customer and "
                "currency."]}
    _refuse(problems)


def validate_free_text_lines(invoice):
    """A free text invoice's lines each have a ledger account, a description and tax
    information, and no item."""
    problems = {}
    for index, line in enumerate(invoice.lines):
        errors = {}
        if line.item_id is not None or line.order_line_id is not None:
            errors["item"] = ["Item numbers are not allowed on a free text line."]
        if line.account_id is None:
            errors["account"] = ["A ledger account is required."]
        if line.tax_category_id is None:
            errors["tax_category"] = ["Tax information is required: give a tax category."]
        if not line.description.strip():
            errors["description"] = ["A description is required."]
        if errors:
            problems[index] = errors
    _refuse(problems)


def validate_pro_forma(invoice):
    """A pro forma invoice holds either customer invoice lines or free text lines, each with a
    description (the customer reads it).  It is never posted: a free text line needs no
    account (a copy of a module's down payment names none)."""
    if any(line.order_line_id is not None for line in invoice.lines):
        validate_item_lines(invoice)
        return
    _refuse({index: {"description": ["A description is required."]}
             for index, line in enumerate(invoice.lines) if not line.description.strip()})


def validate_credit_note(invoice):
    """A credit note credits a posted invoice of the same customer and currency, or the lines
    of a returned order (as an invoice invoices those of an order)."""
    credited = invoice.credited_invoice
    if credited is None and invoice.lines and all(line.order_line_id is not None
                                                  for line in invoice.lines):
        validate_item_lines(invoice)
        return
    if credited is None:
        raise ValidationError("a credit note credits a posted invoice or a returned order",
                              fields={"kind": [
                                  "A credit note is made from the invoice it credits (cancel "
                                  "it, or credit it in part) or from a returned order."]})
    if credited.status != "posted" or credited.kind == CREDIT_NOTE:
        raise ValidationError("a credit note credits a posted invoice or a returned order",
                              fields={"credited_invoice_id": ["Must be a posted invoice."]})
    if (credited.party_id, credited.currency) != (invoice.party_id, invoice.currency):
        raise ValidationError("a credit note has its invoice's customer and currency",
                              fields={"credited_invoice_id": ["Another customer or currency."]})


KINDS = [
    InvoiceKind("customer", "Customer invoice",
                "Invoices order lines, from an order or from packing slips.",
                lines="items", sequence="invoice", validate=validate_item_lines),
    InvoiceKind("free_text", "Free text invoice",
                "Lines with a ledger account, a description, an amount and a tax category.",
                lines="accounts", sequence="free_text_invoice",
                validate=validate_free_text_lines),
    InvoiceKind("pro_forma", "Pro forma invoice",
                "An estimate of a customer or free text invoice; never posted nor numbered.",
                lines="any", posts=False, validate=validate_pro_forma, watermark="PRO FORMA"),
    InvoiceKind(CREDIT_NOTE, "Credit note",
                "Reverses all or part of a posted invoice, or credits a returned order.",
                lines="any", sequence="credit_note", sign=-1, validate=validate_credit_note),
]


def is_credit_note(invoice):
    """Whether ``invoice`` is a credit note: of another invoice, or of a returned order."""
    return invoice.kind == CREDIT_NOTE or invoice.credited_invoice_id is not None
