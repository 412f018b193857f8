"""Helpers shared by the parties and items areas: records named by a code (customer groups,
tax categories, item groups), unique values taken by a concurrent request, and form saving."""

from contextlib import contextmanager

from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import ValidationError
from web.database import db


def not_blank(value):
    """Refuse text made of spaces only."""
    if not value.strip():
        raise MarshmallowError("Must not be blank.")


class CodedSchema(Schema):
    """A record named by a short unique code: a customer group or an item group."""

    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=[validate.Length(min=1, max=32), not_blank])
    name = fields.String(required=True, validate=[validate.Length(min=1, max=128), not_blank])


def add_coded_routes(blp, path, model, schema, name, note=""):
    """Add ``GET`` and ``POST`` on ``path`` to API blueprint ``blp``: list the ``model`` rows by
    code, create one (its code must be new).  ``name`` is what one row is called in the API's
    description ("tax category"); ``note`` adds to the creation's."""

    def listed():
        return list_coded(db(), model)

    def created(data):
        record = create_coded(db(), model, data)
        db().commit()
        return record

    listed.__doc__ = f"Every {name}, by code."
    article = "an" if name[0] in "aeiou" else "a"
    created.__doc__ = f"Create {article} {name}{note}; its code must be new."
    endpoint = path.strip("/").replace("-", "_")
    blp.route(path, endpoint=f"{endpoint}_list", methods=["GET"])(
        blp.response(200, schema(many=True))(listed))
    blp.route(path, endpoint=f"{endpoint}_create", methods=["POST"])(
        blp.arguments(schema)(blp.response(201, schema)(created)))


def list_coded(session, model):
    """Every ``model`` row, by code."""
    return session.scalars(select(model).order_by(model.code)).all()


def create_coded(session, model, data):
    """Add a ``model`` row from validated ``data`` (code, name...); its code must be new."""
    if session.scalar(select(model.id).where(model.code == data["code"])) is not None:
        raise ValidationError(f"code {data['code']!r} is taken",
                              fields={"code": ["This code is taken."]})
    with refused_if_taken("code"):
        record = model(**data)
        session.add(record)
        session.flush()
    return record


@contextmanager
def refused_if_taken(field):
    """Turn the database's refusal of a duplicate ``field`` into a 422 on that field.

    Services check that a unique value is new before adding it; two requests adding the same
    value at once both pass that check, and the database refuses the second.
    """
    try:
        yield
    except IntegrityError:
        raise ValidationError(f"{field} is taken",
                              fields={field: ["This value is taken."]}) from None


def committed(record):
    """Commit the request's transaction and hand back ``record`` (for ``attempt``)."""
    db().commit()
    return record


def attempt(action):
    """Run ``action()`` (service calls, then the commit) for a web form: ``(result, errors)``.

    On a ValidationError the transaction is rolled back and its per-field messages returned,
    so that the form can be shown again with them; other errors go to the error page.
    """
    try:
        return action(), {}
    except ValidationError as error:
        db().rollback()
        return None, error.fields or {"form": [error.message]}
