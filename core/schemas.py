"""Marshmallow schemas of the kernel's records, shared by the API and the admin forms, and the
field builders every module's schemas use for amounts and dates."""

import re
from datetime import UTC, date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.db import MAX_ID
from core.models import ROLES
from core.money import DIGITS_BEFORE_POINT, price_text, round_money

# A record id, as a query argument or a body names one: from 1 to what an id column holds.
ID = validate.Range(min=1, max=MAX_ID)


class WholeNumber(fields.Integer):
    """An integer, refusing what ``fields.Integer`` reads as another number: one with a
    fraction (8.5 is not 8), and text other than ASCII digits ("0_1", "١" are not 1): a
    request naming record 8.5 names none."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def id_field(**kwargs):
    """The id of a record a request names: a whole number a database id can take."""
    return WholeNumber(validate=ID, **kwargs)


# A number as people write one: ASCII digits, an optional sign and point, spaces around; no
# exponent ("1e3"), no digit separator ("1_000"), no digits or spaces of other scripts, all of
# which Python's Decimal would read.
PLAIN_NUMBER = r"^[ \t\r\n]*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*$"


class PlainDecimal(fields.Decimal):
    """A ``Decimal`` read from text written as :data:`PLAIN_NUMBER` says, or from a whole JSON
    number.  A JSON number with a fraction or an exponent is refused: the JSON parser has made
    it a binary float, which need not be the number written (``99999999999.999999`` arrives
    as 100000000000.0)."""

    default_error_messages = {
        "float": 'Write this number as a string ("12.50"): a JSON number with a fraction or '
                 "an exponent need not arrive as written.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, float):
            raise self.make_error("float")
        if isinstance(value, str) and not re.fullmatch(PLAIN_NUMBER, value):
            raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        return number if number else number.copy_abs()  # "-0" is 0, not a negative zero


def decimal_field(minimum=0, maximum=None, *, above_minimum=False, **kwargs):
    """A ``Decimal`` field, read and written as a string of plain digits (whole JSON numbers
    are read too; see :class:`PlainDecimal`), that an Amount column holds exactly: at least
    ``minimum`` (above it with ``above_minimum``), at most ``maximum``, with at most 6 digits
    after the point.

    Documented in OpenAPI as a decimal string: the schema generator would write the bounds of a
    string-valued number as strings, which is not valid OpenAPI.
    """
    lowest = f"above {minimum}" if above_minimum else f"at least {minimum}"
    bounds = f"{lowest} and at most {maximum}" if maximum is not None else lowest

    def check(value):
        # The digits first, by the exponent alone: arithmetic on 1E+999999999 overflows.
        if (value and value.adjusted() >= DIGITS_BEFORE_POINT) or value.as_tuple().exponent < -6:
            raise ValidationError("At most 12 digits before the point and 6 after it.")
        if value < minimum or (above_minimum and value == minimum) or (
                maximum is not None and value > maximum):
            raise ValidationError(f"Must be {bounds}.")

    metadata = dict(kwargs.pop("metadata", {}))
    described = metadata.pop("description", f"a decimal, {bounds}")
    metadata = {"type": "string", "format": "decimal", "pattern": PLAIN_NUMBER, **metadata,
                "description": f"{described}; as a string (a whole JSON number is read too)"}
    return PlainDecimal(as_string=True, allow_nan=False, validate=check, metadata=metadata,
                        **kwargs)


class Timestamp(fields.DateTime):
    """A time as stored (UTC without a time zone, see ``core.clock``), written to the second
    with its offset: ``2026-12-04T15:45:09+00:00``, as OpenAPI's ``date-time`` format asks.
    (The database keeps some times to the second, others finer: all read alike.)"""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None:
            value = value.replace(microsecond=0)
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


# The days a business date may be: a later one is a typing mistake, and dates counted from the
# last ones (a due date 30 days on) would pass the calendar's end.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def date_field(**kwargs):
    """A date between 1900-01-01 and 2999-12-31."""
    return fields.Date(validate=validate.Range(
        min=FIRST_DAY, max=LAST_DAY, error="Must be a date between 1900-01-01 and 2999-12-31."),
        **kwargs)


def percent_field(**kwargs):
    """A percentage (a discount, a tax rate): from 0 to 100."""
    return decimal_field(0, 100, **kwargs)


def price_field(attribute, currency_of):
    """A dumped unit price: ``attribute`` of the record as text with at least the decimals of
    the currency ``currency_of(record)`` gives, more when it has them (never rounded)."""
    return fields.Function(
        lambda record: price_text(getattr(record, attribute), currency_of(record)),
        metadata={"type": "string", "format": "decimal"},
    )


class ListArgsSchema(Schema):
    """The query arguments of every paged list: text to search for, a page and its size."""

    q = fields.String(load_default="", validate=validate.Length(max=128),
                      metadata={"description": "text to search for"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class PeriodSchema(Schema):
    """A period of days: from ``start`` to ``end``, both included, either left open."""

    start = date_field(metadata={"description": "the first day; none: from the first"})
    end = date_field(metadata={"description": "the last day; none: to the last"})

    @validates_schema
    def _in_order(self, data, **_kwargs):
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ValidationError("Must not be before the start.", "end")


def page_schema(item_schema, name):
    """The schema of one page of a list: its ``items`` (``item_schema``), the ``total`` count,
    the ``page``, its size ``per_page`` and the number of ``pages``."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema)),
        "total": fields.Integer(),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "pages": fields.Integer(),
    }, name=name)


def page_of(items, total, args):
    """One page of a list, as ``page_schema`` describes it, for the ``ListArgsSchema`` args."""
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"],
            "pages": max(1, -(-total // args["per_page"]))}


class KeptAddressSchema(Schema):
    """An address as a posted document kept it (see :func:`core.parties.billing_details`,
    :func:`core.parties.delivery_details`)."""

    street = fields.String()
    postcode = fields.String()
    city = fields.String()
    country = fields.String()


class PriceStepSchema(Schema):
    """One step of a line's price explanation: a rule that applied or lost, and why it lost."""

    kind = fields.String()
    rule = fields.String()
    effect = fields.String(metadata={"enum": ["price", "discount", "tax"]})
    value = fields.String(metadata={"format": "decimal"})
    priority = fields.Integer(allow_none=True)
    outcome = fields.String(metadata={"enum": ["applied", "lost"]})
    why = fields.String()


def money_field(attribute, currency_of, description=None):
    """A dumped amount: ``attribute`` of the record as a string rounded to the currency
    ``currency_of(record)`` gives; ``description`` documents it in OpenAPI."""
    metadata = {"type": "string", "format": "decimal"}
    if description:
        metadata["description"] = description
    return fields.Function(
        lambda record: str(round_money(getattr(record, attribute), currency_of(record))),
        metadata=metadata,
    )


class UserSchema(Schema):
    """A user as the API shows it (never the password hash)."""

    id = fields.Integer(dump_only=True)
    login = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    roles = fields.Method("_roles", dump_only=True)
    active = fields.Boolean(dump_only=True)

    def _roles(self, user):
        return sorted(user.role_set)


class UserCreateSchema(Schema):
    """What creating a user takes."""

    login = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list)


class UserUpdateSchema(Schema):
    """What changing a user takes; every field is optional."""

    name = fields.String(validate=validate.Length(min=1, max=128))
    password = fields.String(load_only=True, validate=validate.Length(min=8))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)))
    active = fields.Boolean()


class TokenCreateSchema(Schema):
    """What creating an API token takes: whose token and a name to recognise it by."""

    user_id = id_field(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))


class TokenSchema(Schema):
    """An API token; ``secret`` is present only in the answer that creates it."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    revoked = fields.Boolean()
    secret = fields.String()


class ModuleSchema(Schema):
    """One installed or known module and its state on this database."""

    name = fields.String()
    title = fields.String()
    summary = fields.String()
    installed_version = fields.String(allow_none=True)
    recorded_version = fields.String(allow_none=True)
    enabled = fields.Boolean()
    needs_upgrade = fields.Boolean()
    pending_revisions = fields.Integer(allow_none=True, metadata={
        "description": "revisions this database lacks; null when they cannot be read"})
    missing = fields.Boolean()
    depends = fields.List(fields.String())
    loaded = fields.Boolean()


class ClashSchema(Schema):
    """A first-result hook answered by several modules."""

    hook = fields.String()
    winner = fields.String()
    others = fields.List(fields.String())
    reason = fields.String()


class PreviewSchema(Schema):
    """What enabling a module will do."""

    module = fields.String()
    to_enable = fields.List(fields.String())
    already_enabled = fields.Boolean()
    migrations = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    hooks = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    clashes = fields.List(fields.Nested(ClashSchema))
    problems = fields.List(fields.String())


class ModuleChangeSchema(Schema):
    """The result of enabling, disabling or upgrading: the modules affected."""

    modules = fields.List(fields.String())
