"""Marshmallow schemas of orders, shared by the order pages and the API."""

from operator import attrgetter

from marshmallow import Schema, fields, validate

from core.models.orders import STATUSES
from core.schemas import (
    ListArgsSchema,
    PriceStepSchema,
    Timestamp,
    date_field,
    decimal_field,
    id_field,
    money_field,
    page_schema,
    percent_field,
    price_field,
)
from plugins.sales.models import accepted_quotation
from web.database import db


class LineInputSchema(Schema):
    """A line as entered: item, quantity, and optionally a typed unit price or discount."""

    item_id = id_field(required=True)
    quantity = decimal_field(above_minimum=True, required=True)
    unit_price = decimal_field(allow_none=True, attribute="manual_price")
    discount = percent_field(allow_none=True, attribute="manual_discount")
    description = fields.String(validate=validate.Length(max=256))


class LineChangeSchema(LineInputSchema):
    """A change to a line: every field optional."""

    item_id = id_field()
    quantity = decimal_field(above_minimum=True)


class OrderCreateSchema(Schema):
    """What creating an order takes; ``type`` is an order type code (GET /order-types)."""

    party_id = id_field(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=32))
    currency = fields.String(load_default="EUR", validate=validate.Length(equal=3))
    requested_ship_date = date_field(allow_none=True)
    discount = percent_field(allow_none=True)
    lines = fields.List(fields.Nested(LineInputSchema), load_default=list,
                        validate=validate.Length(max=10_000))


class OrderChangeSchema(Schema):
    """What changing a draft order's header takes; every field optional."""

    party_id = id_field()
    currency = fields.String(validate=validate.Length(equal=3))
    requested_ship_date = date_field(allow_none=True)
    discount = percent_field(allow_none=True)


class TypeChangeSchema(Schema):
    """The order type to change to."""

    type = fields.String(required=True, validate=validate.Length(min=1, max=32))


class LinesInputSchema(Schema):
    """Lines to append to an order."""

    lines = fields.List(fields.Nested(LineInputSchema), required=True,
                        validate=validate.Length(min=1, max=10_000))


class OrderLineSchema(Schema):
    """An order line as the API shows it."""

    id = fields.Integer()
    position = fields.Integer()
    item_id = fields.Integer()
    item_number = fields.Function(lambda line: line.item.number)
    description = fields.String()
    quantity = decimal_field()
    manual_price = decimal_field(data_key="typed_unit_price", allow_none=True)
    manual_discount = decimal_field(data_key="typed_discount", allow_none=True)
    price_source = fields.String(allow_none=True)
    unit_price = price_field("unit_price", attrgetter("order.currency"))
    discount = decimal_field()
    tax_rate = decimal_field()
    amount = money_field("amount", attrgetter("order.currency"))
    tax_amount = money_field("tax_amount", attrgetter("order.currency"))
    explanation = fields.List(fields.Nested(PriceStepSchema))


class OrderSchema(Schema):
    """An order as the API shows it, with its lines and totals."""

    id = fields.Integer()
    number = fields.String()
    type = fields.String()
    status = fields.String()
    party_id = fields.Integer()
    party_name = fields.Function(lambda order: order.party.name)
    currency = fields.String()
    requested_ship_date = fields.Date(allow_none=True)
    rma_number = fields.String(allow_none=True)
    campaign_id = fields.Integer(allow_none=True)
    discount = decimal_field()
    untaxed = money_field("untaxed", attrgetter("currency"))
    tax = money_field("tax", attrgetter("currency"))
    total = money_field("total", attrgetter("currency"))
    created_at = Timestamp()
    confirmed_at = Timestamp(allow_none=True)
    quotation_id = fields.Function(lambda order: _quotation_of(order, "id"), allow_none=True)
    quotation_number = fields.Function(lambda order: _quotation_of(order, "number"),
                                       allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema))


def _quotation_of(order, attribute):
    """``attribute`` of the quotation ``order`` was accepted from, or None."""
    quotation = accepted_quotation(db(), order)
    return getattr(quotation, attribute) if quotation else None


class CancelledOrderSchema(OrderSchema):
    """An order just cancelled, with what the modules did on cancelling it."""

    notices = fields.List(fields.String(), metadata={
        "description": "what the modules did on cancelling it, one sentence each (the "
                       "invoicing module: the draft invoices and pro formas it deleted)"})


class OrderSummarySchema(OrderSchema):
    """An order in a list: the header and totals, without lines."""

    class Meta:
        exclude = ("lines", "quotation_id", "quotation_number")


OrderPageSchema = page_schema(OrderSummarySchema, "OrderPage")


class OrderTypeSchema(Schema):
    """An order type and its rules."""

    code = fields.String()
    title = fields.String()
    description = fields.String()
    statuses = fields.List(fields.String())
    affects_stock = fields.Boolean()
    recurring = fields.Boolean()
    can_confirm = fields.Boolean()
    second_number = fields.String(attribute="sequence", allow_none=True)
    fixed_from = fields.List(fields.String())


class OrderListArgsSchema(ListArgsSchema):
    """Query arguments of the order list: text in the number or customer name, status, type."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(validate=validate.Length(max=32))
