"""Marshmallow schemas of invoices and invoice kinds, shared by the invoice pages and the API."""

from operator import attrgetter

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.money import round_money
from core.schemas import (
    KeptAddressSchema,
    ListArgsSchema,
    PeriodSchema,
    Timestamp,
    date_field,
    decimal_field,
    id_field,
    money_field,
    page_schema,
    price_field,
)
from plugins.invoicing.invoices import PAYMENTS

CODE = validate.Length(min=1, max=32)
SOURCES = ("order_id", "packing_slip_ids", "lines")


class InvoiceKindSchema(Schema):
    """An invoice kind and its rules."""

    code = fields.String()
    title = fields.String()
    description = fields.String()
    lines = fields.String(metadata={"enum": ["items", "accounts", "any"]})
    posts = fields.Boolean()
    sequence = fields.String(allow_none=True)
    sign = fields.Integer()
    watermark = fields.String(allow_none=True)


class FreeTextLineInputSchema(Schema):
    """A free text line as entered: a ledger account, a description, a unit price and a
    quantity (or an amount), a tax category.  ``item`` (a number), ``item_number`` (as an
    invoice line shows it) and ``item_id`` are read only to be refused.  Which
    fields a line needs is its invoice kind's rule: a free text invoice's lines need all but
    ``amount`` or ``unit_price`` (one of them) and ``quantity`` (default 1)."""

    account = fields.String(validate=CODE, metadata={
        "description": "a ledger account code; required on a free text invoice"})
    description = fields.String(validate=validate.Length(max=256), metadata={
        "description": "required on a free text invoice"})
    quantity = decimal_field(above_minimum=True)
    unit_price = decimal_field()
    amount = decimal_field(metadata={
        "description": "the line's amount, instead of a unit_price and a quantity (it is one "
                       "unit at that price)"})
    tax_category = fields.String(validate=CODE, metadata={"description": "a tax category code"})
    item = fields.String(validate=validate.Length(max=64),
                         metadata={"description": "refused: a free text line has no item"})
    item_number = fields.String(validate=validate.Length(max=64), metadata={
        "description": "refused: a free text line has no item"})
    item_id = fields.Integer(metadata={"description": "refused: a free text line has no item"})


class QuantitySchema(Schema):
    """A quantity of an order line to invoice."""

    order_line_id = id_field(required=True)
    quantity = decimal_field(above_minimum=True, required=True)


class HeaderSchema(Schema):
    """An invoice's dates, posting profile and note."""

    invoice_date = date_field(metadata={
        "description": "default: today; posted once that day has come, not before the latest "
                       "invoice its sequence numbered"})
    due_date = date_field(metadata={
        "description": "default: the invoice date + 30 days; a credit note's, its date"})
    posting_profile = fields.String(validate=CODE,
                                    metadata={"description": "default: the default profile"})
    note = fields.String(validate=validate.Length(max=2000))


class InvoiceCreateSchema(HeaderSchema):
    """What creating an invoice takes: its ``kind`` and one of ``order_id`` (with
    ``quantities``, default: all that is left), ``packing_slip_ids``, or free text ``lines``
    with ``party_id`` and ``currency``."""

    kind = fields.String(validate=CODE, metadata={
        "description": "default: a customer invoice of an order or packing slips, a credit "
                       "note of a returned order's, a free text invoice of free text lines"})
    order_id = id_field()
    quantities = fields.List(fields.Nested(QuantitySchema),
                             validate=validate.Length(min=1, max=10_000))
    packing_slip_ids = fields.List(id_field(),
                                   validate=validate.Length(min=1, max=10_000))
    party_id = id_field()
    currency = fields.String(validate=validate.Length(equal=3), metadata={
        "description": "of free text lines, default EUR; of an order or packing slips, theirs "
                       "(another is refused)"})
    lines = fields.List(fields.Nested(FreeTextLineInputSchema),
                        validate=validate.Length(min=1, max=10_000))

    @validates_schema
    def _one_source(self, data, **_kwargs):
        given = [name for name in SOURCES if name in data]
        if len(given) != 1:
            message = "Give one of order_id, packing_slip_ids or lines."
            raise ValidationError({name: [message] for name in (given or SOURCES)})
        if "lines" in data and "party_id" not in data:
            raise ValidationError({"party_id": ["Required with free text lines."]})
        if "quantities" in data and "order_id" not in data:
            raise ValidationError({"quantities": ["Only with an order_id."]})


class InvoiceChangeSchema(HeaderSchema):
    """A change to a draft invoice's header: every field optional."""


class InvoiceLinesInputSchema(Schema):
    """Free text lines to append to a draft invoice."""

    lines = fields.List(fields.Nested(FreeTextLineInputSchema), required=True,
                        validate=validate.Length(min=1, max=10_000))


class InvoiceLineChangeSchema(FreeTextLineInputSchema):
    """A change to a draft invoice's line: the quantity and description of an order line's
    part, or any field of a free text line."""

    description = fields.String(validate=validate.Length(max=256))


def _currency(line):
    return line.invoice.currency


class InvoiceLineSchema(Schema):
    """An invoice line as the API shows it."""

    id = fields.Integer()
    position = fields.Integer()
    order_line_id = fields.Integer(allow_none=True, metadata={
        "description": "the order line it invoices, or gives back (a cancelling credit note, "
                       "or one of goods invoiced but not delivered); null on a free text line "
                       "and on a credit note of goods returned, which gives nothing back to "
                       "invoice: its credited_line_id names the line it credits"})
    order_number = fields.Function(
        lambda line: line.order_line.order.number if line.order_line else None, allow_none=True,
        metadata={"type": "string"})
    packing_slip_line_id = fields.Integer(allow_none=True)
    packing_slip_number = fields.Function(
        lambda line: line.packing_slip_line.packing_slip.number if line.packing_slip_line
        else None, allow_none=True, metadata={"type": "string"})
    credited_line_id = fields.Integer(allow_none=True)
    item_number = fields.Function(lambda line: line.item.number if line.item else None,
                                  allow_none=True, metadata={"type": "string"})
    account = fields.Function(lambda line: line.account.code if line.account else None,
                              allow_none=True, metadata={"type": "string"})
    tax_category = fields.Function(
        lambda line: line.tax_category.code if line.tax_category else None, allow_none=True,
        metadata={"type": "string"})
    description = fields.String()
    quantity = decimal_field()
    unit_price = price_field("unit_price", _currency)
    discount = decimal_field()
    tax_rate = decimal_field()
    amount = money_field("amount", _currency)
    tax_amount = money_field("tax_amount", _currency)


class CreditNoteReferenceSchema(Schema):
    """A credit note that credits an invoice."""

    id = fields.Integer()
    number = fields.String(allow_none=True)
    total = money_field("total", attrgetter("currency"))


class BilledToSchema(Schema):
    """The customer a posted invoice was issued to, as it was then."""

    name = fields.String()
    email = fields.String(allow_none=True)
    address = fields.Nested(KeptAddressSchema, allow_none=True)


class InvoiceSchema(Schema):
    """An invoice as the API shows it, with its lines and totals, and the credit notes that
    credit it."""

    id = fields.Integer()
    kind = fields.String()
    number = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["draft", "posted"]})
    payment_status = fields.String(allow_none=True, metadata={
        "enum": ["open", "partially_paid", "paid", "credited", None],  # nullable: null too
        "description": "null for a draft; of a credit note, paid means used: all of it applied "
                       "to invoices or refunded (its page says used, partly used)"})
    party_id = fields.Integer()
    party_name = fields.String(attribute="party.name")
    billed_to = fields.Nested(BilledToSchema, allow_none=True, metadata={
        "description": "once posted, the customer as the invoice was issued to it (name, "
                       "invoice address, e-mail), which its document prints whatever the party "
                       "becomes; null for a draft, which prints the party as it is"})
    currency = fields.String()
    invoice_date = fields.Date()
    due_date = fields.Date()
    posting_profile = fields.String(attribute="posting_profile.code")
    credited_invoice_id = fields.Integer(allow_none=True)
    note = fields.String()
    untaxed = money_field("untaxed", attrgetter("currency"))
    tax = money_field("tax", attrgetter("currency"))
    total = money_field("total", attrgetter("currency"))
    settled = money_field("settled", attrgetter("currency"),
                          "what payments and credit notes have settled of the total")
    credited = money_field("credited", attrgetter("currency"),
                           "of what is settled, what its own credit notes settled (a credit "
                           "note of a paid invoice settles nothing of it: it is owed to the "
                           "customer; see credit_notes for every credit note of it)")
    open_amount = fields.Function(
        lambda invoice: str(round_money(invoice.open_amount, invoice.currency))
        if invoice.status == "posted" else None, allow_none=True, metadata={
            "type": "string", "format": "decimal",
            "description": "once posted, the total less what is settled: left to pay, or for "
                           "a credit note to refund or apply; null for a draft or a pro forma, "
                           "which nobody owes"})
    created_at = Timestamp()
    posted_at = Timestamp(allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema))
    credit_notes = fields.List(fields.Nested(CreditNoteReferenceSchema))


class InvoiceSummarySchema(InvoiceSchema):
    """An invoice in a list: the header and totals, without lines nor credit notes."""

    class Meta:
        exclude = ("lines", "credit_notes")


InvoicePageSchema = page_schema(InvoiceSummarySchema, "InvoicePage")


class InvoiceListArgsSchema(ListArgsSchema, PeriodSchema):
    """Query arguments of the invoice list: text in the number or customer name, kind, status,
    customer, order or packing slip invoiced, what is left to pay, the days they are dated
    (``start`` to ``end``)."""

    kind = fields.String(validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(("draft", "posted")))
    payment = fields.String(validate=validate.OneOf(tuple(PAYMENTS)), metadata={
        "description": "posted invoices and credit notes with something left to settle "
                       "(unsettled), invoices with something left past their due date "
                       "(overdue), or nothing left (settled)"})
    party_id = id_field()
    order_id = id_field()
    packing_slip_id = id_field()

