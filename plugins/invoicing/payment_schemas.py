"""Marshmallow schemas of credit notes, payments, customer balances and the aged list, shared by
their pages and the API."""

from datetime import date
from operator import attrgetter

from marshmallow import Schema, fields, validate

from core.money import round_money
from core.schemas import (
    ListArgsSchema,
    PeriodSchema,
    date_field,
    decimal_field,
    id_field,
    money_field,
    page_schema,
)
from plugins.invoicing.invoice_schemas import InvoiceSchema, InvoiceSummarySchema
from plugins.invoicing.models import PAYMENT_KINDS
from plugins.invoicing.payments import (
    BUCKETS,
    payment_applications,
    payment_entries,
    payment_refunds,
)
from web.database import db

REASON = validate.Length(min=1, max=200)


class CancelSchema(Schema):
    """What cancelling an unpaid invoice takes: why, and whether to make a corrected copy."""

    reason = fields.String(required=True, validate=REASON)
    copy = fields.Boolean(load_default=False,
                          metadata={"description": "also make a new draft invoice to correct"})


class CancelResultSchema(Schema):
    """The credit note cancelling an invoice, and the draft copy when one was asked for."""

    credit_note = fields.Nested(InvoiceSchema)
    copy = fields.Nested(InvoiceSchema, allow_none=True)


class CreditLineSchema(Schema):
    """A quantity of an invoice line to credit."""

    invoice_line_id = id_field(required=True)
    quantity = decimal_field(above_minimum=True, required=True)


class CreditNoteCreateSchema(Schema):
    """What crediting part of an invoice takes: why, and the quantities of its lines."""

    reason = fields.String(required=True, validate=REASON)
    lines = fields.List(fields.Nested(CreditLineSchema), required=True,
                        validate=validate.Length(min=1, max=10_000))
    not_delivered = fields.Boolean(load_default=False, metadata={
        "description": "the quantities are goods invoiced before they were delivered, which the "
                       "customer will not take: they go back to their order lines, so that the "
                       "order can close them (422 for a line of a packing slip, of no order "
                       "line or of a Subscription, and beyond what an order line invoiced and "
                       "did not deliver); by default, goods returned, which leave the order as "
                       "it is"})


class ApplicationInputSchema(Schema):
    """An amount of a payment (or a credit note) to apply to a posted invoice."""

    invoice_id = id_field(required=True)
    amount = decimal_field(above_minimum=True, required=True)


class ApplicationsInputSchema(Schema):
    """Amounts of a payment's unapplied rest (or a credit note's) to apply to posted
    invoices."""

    applications = fields.List(fields.Nested(ApplicationInputSchema), required=True,
                               validate=validate.Length(min=1, max=10_000))


class PaymentCreateSchema(Schema):
    """What registering a payment takes; ``applications`` may be left for later."""

    party_id = id_field(required=True)
    amount = decimal_field(above_minimum=True, required=True)
    currency = fields.String(load_default="EUR", validate=validate.Length(equal=3))
    payment_date = date_field(load_default=date.today, metadata={"description":
                                                                  "default: today"})
    reference = fields.String(load_default="", validate=validate.Length(max=128))
    account = fields.String(load_default="512", validate=validate.Length(min=1, max=32),
                            metadata={"description": "the bank account's code"})
    applications = fields.List(fields.Nested(ApplicationInputSchema), load_default=list,
                               validate=validate.Length(max=10_000))


class RefundCreateSchema(Schema):
    """What a refund takes (of a credit note, or of a payment's unapplied rest): the amount
    paid back, on which day, from which bank account."""

    amount = decimal_field(above_minimum=True, required=True)
    payment_date = date_field(load_default=date.today, metadata={"description":
                                                                  "default: today"})
    reference = fields.String(load_default="", validate=validate.Length(max=128))
    account = fields.String(load_default="512", validate=validate.Length(min=1, max=32),
                            metadata={"description": "the bank account's code"})


class ApplicationSchema(Schema):
    """A part of a payment applied to an invoice."""

    invoice_id = fields.Integer()
    invoice_number = fields.String()
    amount = money_field("amount", attrgetter("currency"))


class PaymentEntrySchema(Schema):
    """A ledger entry."""

    id = fields.Integer()
    entry_date = fields.Date()
    document = fields.String()
    account = fields.String(attribute="account.code")
    party_id = fields.Integer(allow_none=True)
    debit = money_field("debit", attrgetter("currency"))
    credit = money_field("credit", attrgetter("currency"))
    description = fields.String()


class RefundSummarySchema(Schema):
    """A refund of part of a receipt."""

    id = fields.Integer()
    number = fields.String()
    payment_date = fields.Date()
    amount = money_field("amount", attrgetter("currency"))


class PaymentSchema(Schema):
    """A payment (a receipt, or a refund of a credit note or of a receipt's rest), what it was
    applied to, and (in full) the refunds of its rest and the ledger entries it wrote."""

    id = fields.Integer()
    number = fields.String()
    kind = fields.String(metadata={"enum": list(PAYMENT_KINDS)})
    party_id = fields.Integer()
    party_name = fields.String(attribute="party.name")
    payment_date = fields.Date()
    currency = fields.String()
    amount = money_field("amount", attrgetter("currency"))
    applied = money_field("applied", attrgetter("currency"),
                          "what it settled, and for a receipt what refunds paid back")
    unapplied = money_field("unapplied", attrgetter("currency"))
    reference = fields.String()
    account = fields.String(attribute="account.code")
    refunded_payment_id = fields.Integer(allow_none=True, metadata={
        "description": "for a refund of a receipt's rest, that receipt"})
    applications = fields.List(fields.Nested(ApplicationSchema))
    refunds = fields.List(fields.Nested(RefundSummarySchema))
    entries = fields.List(fields.Nested(PaymentEntrySchema))

    def get_attribute(self, obj, attr, default):
        """Read what the payment was applied to, its refunds and its entries from the
        database."""
        if attr == "applications":
            return payment_applications(db(), obj)
        if attr == "refunds":
            return payment_refunds(db(), obj)
        if attr == "entries":
            return payment_entries(db(), obj)
        return super().get_attribute(obj, attr, default)


class PaymentSummarySchema(PaymentSchema):
    """A payment in a list."""

    class Meta:
        exclude = ("applications", "refunds", "entries")


PaymentPageSchema = page_schema(PaymentSummarySchema, "PaymentPage")


class AmountSchema(Schema):
    """An amount in a currency, rounded to it."""

    currency = fields.String()
    amount = fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal"})


class CustomerBalanceSchema(Schema):
    """What a customer owes per currency (negative: owed to the customer), its open invoices
    and credit notes, and its payments not wholly applied."""

    party_id = fields.Integer()
    party_name = fields.String()
    balances = fields.List(fields.Nested(AmountSchema))
    open_invoices = fields.List(fields.Nested(InvoiceSummarySchema))
    unapplied_payments = fields.List(fields.Nested(PaymentSummarySchema))


def _bucket_fields():
    return {code: fields.Function(
        lambda aged, code=code: str(round_money(aged.buckets[code], aged.currency)),
        metadata={"type": "string", "format": "decimal", "description": title})
        for code, title in BUCKETS}


class AgedInvoiceSchema(Schema):
    """An open invoice (or credit note, negative) in the aged list."""

    invoice_id = fields.Integer(attribute="invoice.id")
    number = fields.String(attribute="invoice.number")
    kind = fields.String(attribute="invoice.kind")
    invoice_date = fields.Date(attribute="invoice.invoice_date")
    due_date = fields.Date(attribute="invoice.due_date")
    days_past_due = fields.Integer()
    bucket = fields.String(metadata={"enum": [code for code, _title in BUCKETS]})
    open_amount = money_field("open_amount", lambda aged: aged.invoice.currency)


class AgedPaymentSchema(Schema):
    """A receipt not wholly applied in the aged list: its unapplied part, negative."""

    payment_id = fields.Integer(attribute="payment.id")
    number = fields.String(attribute="payment.number")
    payment_date = fields.Date(attribute="payment.payment_date")
    days_past_due = fields.Integer(metadata={"description": "days since it was received"})
    bucket = fields.String(metadata={"enum": [code for code, _title in BUCKETS]})
    open_amount = money_field("open_amount", lambda aged: aged.payment.currency)


AgedCustomerSchema = Schema.from_dict({
    "party_id": fields.Integer(allow_none=True),
    "party_name": fields.String(),
    "currency": fields.String(),
    **_bucket_fields(),
    "total": money_field("total", attrgetter("currency")),
    "invoices": fields.List(fields.Nested(AgedInvoiceSchema)),
    "payments": fields.List(fields.Nested(AgedPaymentSchema)),
}, name="AgedCustomer")

AgedTotalSchema = Schema.from_dict({
    "currency": fields.String(),
    **_bucket_fields(),
    "total": money_field("total", attrgetter("currency")),
}, name="AgedTotal")


class AgedSchema(Schema):
    """The aged list: open invoices and unapplied receipts per customer and currency, as
    they stood on ``as_of``, by days past due, and the totals per currency."""

    as_of = fields.Date()
    customers = fields.List(fields.Nested(AgedCustomerSchema))
    totals = fields.List(fields.Nested(AgedTotalSchema))


class PaymentListArgsSchema(ListArgsSchema, PeriodSchema):
    """Query arguments of the payment list: text in the number, reference or customer name,
    one customer, one kind, the days they were made (``start`` to ``end``)."""

    party_id = id_field()
    kind = fields.String(validate=validate.OneOf(PAYMENT_KINDS))


class AgedArgsSchema(Schema):
    """Query arguments of the aged list: the day it shows (documents dated later are left
    out, days past due are counted to it), one customer."""

    as_of = date_field(load_default=date.today, metadata={"description": "default: today"})
    party_id = id_field()
