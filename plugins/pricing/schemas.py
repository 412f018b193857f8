"""Marshmallow schemas of the pricing module, shared by its API and its web forms."""

from datetime import date
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.db import MAX_ID

# What an Amount column holds: 18 digits, 6 of them after the point.
LARGEST_AMOUNT = Decimal(10) ** 12
MAX_SIMULATED_LINES = 1000


def _fits_a_column(value):
    """Refuse a number an Amount column cannot store exactly."""
    if abs(value) >= LARGEST_AMOUNT or value.as_tuple().exponent < -6:
        raise ValidationError("At most 12 digits before the point and 6 after it.")


def _not_blank(text):
    if not text.strip():
        raise ValidationError("Must not be blank.")


def amount(*, maximum=None, positive=False, **kwargs):
    """A decimal input (a price, a quantity, a percent) that fits an Amount column; never
    negative, and above zero when ``positive``."""
    return fields.Decimal(
        as_string=True,
        validate=[validate.Range(min=0, max=maximum, min_inclusive=not positive), _fits_a_column],
        **kwargs,
    )


def percent(**kwargs):
    """A discount percent: between 0 and 100."""
    return amount(maximum=100, **kwargs)


def record_id(**kwargs):
    """The id of a record, within the range a database id can take."""
    return fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


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
    item_id = record_id(allow_none=True)
    item_group = code(allow_none=True)
    min_quantity = amount(load_default=Decimal(0))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    price = amount(allow_none=True)
    discount = percent(allow_none=True)

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

    item_id = record_id(required=True)
    quantity = amount(required=True, positive=True)
    unit_price = amount(allow_none=True)
    discount = percent(allow_none=True)


class SimulationSchema(Schema):
    """A hypothetical order to price: for a customer, a customer group or anyone."""

    party_id = record_id(allow_none=True)
    customer_group = code(allow_none=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    date = fields.Date(load_default=date.today)
    discount = percent(load_default=Decimal(0))
    lines = fields.List(fields.Nested(SimulatedLineSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_SIMULATED_LINES,
                                                error="Give between {min} and {max} lines."))

    @validates_schema
    def _one_customer(self, data, **_kwargs):
        if data.get("party_id") is not None and data.get("customer_group") is not None:
            raise ValidationError("Give a customer or a customer group, not both.",
                                  "customer_group")


class PriceExplanationSchema(Schema):
    """One candidate of a priced line: what it proposed, and whether it was applied or lost."""

    kind = fields.String()
    rule = fields.String()
    effect = fields.String()
    value = fields.String()
    priority = fields.Integer(allow_none=True)
    outcome = fields.String()
    why = fields.String()


class SimulatedLineResultSchema(Schema):
    """A priced line of a simulation; money is rounded to the currency."""

    item_id = fields.Integer()
    item_number = fields.String()
    item_name = fields.String()
    quantity = fields.Decimal(as_string=True)
    unit_price = fields.Decimal(as_string=True)
    discount = fields.Decimal(as_string=True)
    tax_rate = fields.Decimal(as_string=True)
    amount = fields.Decimal(as_string=True)
    tax_amount = fields.Decimal(as_string=True)
    explanation = fields.List(fields.Nested(PriceExplanationSchema))


class SimulationResultSchema(Schema):
    """The priced hypothetical order: every line, and the totals in the currency."""

    party_id = fields.Integer(allow_none=True)
    customer_group = fields.String(allow_none=True)
    currency = fields.String()
    date = fields.Date()
    discount = fields.Decimal(as_string=True)
    lines = fields.List(fields.Nested(SimulatedLineResultSchema))
    untaxed = fields.Decimal(as_string=True)
    tax = fields.Decimal(as_string=True)
    total = fields.Decimal(as_string=True)
