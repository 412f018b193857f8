"""Marshmallow schemas of packing slips, remainders and stock, shared by the pages and the API."""

from marshmallow import Schema, ValidationError, fields, validate

from core.money import plain
from core.schemas import (
    KeptAddressSchema,
    ListArgsSchema,
    Timestamp,
    date_field,
    decimal_field,
    id_field,
    page_schema,
)


class DeliverLineSchema(Schema):
    """A quantity of one order line to deliver."""

    order_line_id = id_field(required=True)
    quantity = decimal_field(above_minimum=True, required=True)


def _once_each(lines):
    """Refuse two quantities for one order line."""
    ids = [line["order_line_id"] for line in lines]
    if len(ids) != len(set(ids)):
        raise ValidationError("Give each order line once.")


class DeliverSchema(Schema):
    """What posting a packing slip takes: quantities per order line (absent: every remainder;
    an empty list is refused, rather than taken for every remainder) and the delivery date
    (default: today)."""

    lines = fields.List(fields.Nested(DeliverLineSchema),
                        validate=[validate.Length(min=1, max=10_000), _once_each])
    delivery_date = date_field(allow_none=True)


class PackingSlipLineSchema(Schema):
    """A packing slip line: the order line, its item and the quantity delivered."""

    id = fields.Integer()
    order_line_id = fields.Integer()
    item_id = fields.Integer(attribute="order_line.item_id")
    item_number = fields.String(attribute="order_line.item.number")
    description = fields.String(attribute="order_line.description")
    quantity = decimal_field()
    remainder_after = decimal_field(allow_none=True, metadata={
        "description": "what was still to deliver of the order line once this slip delivered"})


class DeliveredToSchema(Schema):
    """The customer a packing slip delivered to (or received from), as it was then."""

    name = fields.String()
    address = fields.Nested(KeptAddressSchema, allow_none=True)


class PackingSlipSchema(Schema):
    """A posted packing slip with its lines."""

    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    order_number = fields.String(attribute="order.number")
    party_id = fields.Integer()
    party_name = fields.String(attribute="party.name")
    delivered_to = fields.Nested(DeliveredToSchema, allow_none=True, metadata={
        "description": "the customer as the slip delivered to (or received from) it: name and "
                       "delivery address (else invoice address), which the slip prints "
                       "whatever the party becomes"})
    delivery_date = fields.Date()
    created_at = Timestamp()
    lines = fields.List(fields.Nested(PackingSlipLineSchema))


class PackingSlipSummarySchema(PackingSlipSchema):
    """A packing slip in a list: without its lines."""

    class Meta:
        exclude = ("lines",)


PackingSlipPageSchema = page_schema(PackingSlipSummarySchema, "PackingSlipPage")


class PackingSlipListArgsSchema(ListArgsSchema):
    """Query arguments of the packing slip list: text in the slip or order number or customer
    name, one order, one customer."""

    order_id = id_field()
    party_id = id_field()


def _remainder(attribute):
    """A remainder written as stored quantities are, without trailing zeros: 2.5 - 2.5 is
    "0", not "0.0"."""
    return fields.Function(lambda line: f"{plain(getattr(line, attribute)):f}",
                           metadata={"type": "string", "format": "decimal"})


class RemainderSchema(Schema):
    """What is delivered and invoiced of one order line, and what remains."""

    order_line_id = fields.Integer(attribute="id")
    position = fields.Integer()
    item_number = fields.String(attribute="item.number")
    quantity = decimal_field()
    delivered = decimal_field(attribute="delivered_quantity")
    deliver_remainder = _remainder("deliver_remainder")
    invoiced = decimal_field(attribute="invoiced_quantity")
    invoice_remainder = _remainder("invoice_remainder")


class OrderRemaindersSchema(Schema):
    """An order's status and its lines' remainders."""

    order_id = fields.Integer(attribute="id")
    number = fields.String()
    status = fields.String()
    lines = fields.List(fields.Nested(RemainderSchema))


class BackorderSchema(Schema):
    """A line of an open order with something left to deliver."""

    order_id = fields.Integer()
    order_number = fields.String(attribute="order.number")
    party_id = fields.Integer(attribute="order.party_id")
    party_name = fields.String(attribute="order.party.name")
    order_line_id = fields.Integer(attribute="id")
    item_id = fields.Integer()
    item_number = fields.String(attribute="item.number")
    requested_ship_date = fields.Date(attribute="order.requested_ship_date", allow_none=True)
    quantity = decimal_field()
    delivered = decimal_field(attribute="delivered_quantity")
    deliver_remainder = _remainder("deliver_remainder")


BackorderPageSchema = page_schema(BackorderSchema, "BackorderPage")


class BackorderListArgsSchema(ListArgsSchema):
    """Query arguments of the backorders: one item, one customer, a page."""

    class Meta:
        exclude = ("q",)

    item_id = id_field()
    party_id = id_field()


class StockSchema(Schema):
    """An item's stock: on hand, still to deliver on open orders, and short."""

    item_id = fields.Integer()
    item_number = fields.String()
    on_hand = decimal_field(metadata={
        "description": "a decimal; below 0 when more was delivered than was on hand"})
    backordered = decimal_field()
    short = decimal_field()


StockPageSchema = page_schema(StockSchema, "StockPage")


class StockMoveSchema(Schema):
    """A change of an item's stock: negative when goods left, positive when they came back;
    the packing slip that moved it."""

    id = fields.Integer()
    move_date = fields.Date()
    item_id = fields.Integer()
    item_number = fields.String(attribute="item.number")
    quantity = decimal_field(metadata={
        "description": "a decimal: negative when goods left, positive when they came back"})
    packing_slip_id = fields.Integer(attribute="packing_slip_line.packing_slip_id",
                                     allow_none=True, dump_default=None)
    packing_slip_number = fields.String(attribute="packing_slip_line.packing_slip.number",
                                        allow_none=True, dump_default=None)


StockMovePageSchema = page_schema(StockMoveSchema, "StockMovePage")


class StockMoveListArgsSchema(ListArgsSchema):
    """Query arguments of the stock move list: text in the item's number or name, one item,
    one packing slip."""

    item_id = id_field()
    packing_slip_id = id_field()
