"""Marshmallow schemas of the kernel's records, shared by the API and the admin forms."""

from marshmallow import Schema, fields, validate

from core.db import MAX_ID
from core.models import ROLES


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

    user_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID))
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
