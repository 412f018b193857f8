"""Marshmallow schemas of the pricing module, shared by its API and its web forms."""

from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.schemas import PriceStepSchema, date_field, decimal_field, id_field, percent_field

MAX_SIMULATED_LINES = 1000


def _not_blank(text):
    if not text.strip():
        raise ValidationError("Must not be blank.")


def code(**kwargs):
    """The code of a customer group or an item group."""
    return fields.String(validate=validate.Length(min=1, max=32), **kwargs)


class PriceListSchema(Schema):
    """A price list as the API shows it; ``rules`` only when one price list is asked for."""

    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    currency = fields.String(dump_only=True)
    active = fields.Boolean(dump_only=True)


class PriceListCreateSchema(Schema):
    """What creating a price list takes."""

    name = fields.String(required=True, validate=[validate.Length(min=1, max=128), _not_blank])
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    active = fields.Boolean(load_default=True)


class PriceListUpdateSchema(Schema):
    """What changing a price list takes: its name and whether it applies; both optional."""

    name = fields.String(validate=[validate.Length(min=1, max=128), _not_blank])
    active = fields.Boolean()


class PriceRuleSchema(Schema):
    """A rule of a price list as the API shows it."""

    id = fields.Integer()
    customer_group = fields.Function(
        lambda rule: rule.customer_group.code if rule.customer_group else None
    )
    item_id = fields.Integer(allow_none=True)
    item_number = fields.Function(lambda rule: rule.item.number if rule.item else None)
    item_group = fields.Function(lambda rule: rule.item_group.code if rule.item_group else None)
    min_quantity = fields.Decimal(as_string=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    price = fields.Decimal(as_string=True, allow_none=True)
    discount = fields.Decimal(as_string=True, allow_none=True)


class PriceListDetailSchema(PriceListSchema):
    """A price list with its rules."""

    rules = fields.List(fields.Nested(PriceRuleSchema), dump_only=True)


class PriceRuleCreateSchema(Schema):
    """A new rule: for whom (a customer group, or everyone), for what (an item, an item group,
    or every item), from which quantity, when, and exactly one of a fixed price or a discount."""

    customer_group = code(allow_none=True)
    item_id = id_field(allow_none=True)
    item_group = code(allow_none=True)
    min_quantity = decimal_field(load_default=Decimal(0))
    start_date = date_field(allow_none=True)
    end_date = date_field(allow_none=True)
    price = decimal_field(allow_none=True)
    discount = percent_field(allow_none=True)

    @validates_schema
    def _consistent(self, data, **_kwargs):
        errors = {}
        if data.get("item_id") is not None and data.get("item_group") is not None:
            errors["item_group"] = ["Choose an item or an item group, not both."]
        has_price, has_discount = data.get("price") is not None, data.get("discount") is not None
        if has_price and has_discount:
            errors["price"] = errors["discount"] = ["Give a fixed price or a discount, not both."]
        elif not (has_price or has_discount):
            errors["price"] = errors["discount"] = ["Give a fixed price or a discount."]
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            errors["end_date"] = ["The end date comes before the start date."]
        if errors:
            raise ValidationError(errors)


class SimulatedLineSchema(Schema):
    """One line of a simulated order; a typed unit price or discount beats every rule."""

    item_id = id_field(required=True)
    quantity = decimal_field(above_minimum=True, required=True)
    unit_price = decimal_field(allow_none=True)
    discount = percent_field(allow_none=True)


class SimulationSchema(Schema):
    """A hypothetical order to price: for a customer, a customer group or anyone."""

    party_id = id_field(allow_none=True)
    customer_group = code(allow_none=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    date = date_field(load_default=date.today)
    discount = percent_field(load_default=Decimal(0))
    lines = fields.List(fields.Nested(SimulatedLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_SIMULATED_LINES,
                                                error="Give between {min} and {max} lines."))

    @validates_schema
    def _one_customer(self, data, **_kwargs):
        if data.get("party_id") is not None and data.get("customer_group") is not None:
            raise ValidationError("Give a customer or a customer group, not both.",
                                  "customer_group")


class SimulatedLineResultSchema(Schema):
    """A priced line of a simulation; money is rounded to the currency."""

    item_id = fields.Integer()
    item_number = fields.String()
    item_name = fields.String()
    quantity = decimal_field()
    unit_price = decimal_field()
    discount = decimal_field()
    tax_rate = decimal_field()
    amount = decimal_field()
    tax_amount = decimal_field()
    explanation = fields.List(fields.Nested(PriceStepSchema))


class SimulationResultSchema(Schema):
    """The priced hypothetical order: every line, and the totals in the currency."""

    party_id = fields.Integer(allow_none=True)
    customer_group = fields.String(allow_none=True)
    currency = fields.String()
    date = fields.Date()
    discount = decimal_field()
    lines = fields.List(fields.Nested(SimulatedLineResultSchema))
    untaxed = decimal_field()
    tax = decimal_field()
    total = decimal_field()
