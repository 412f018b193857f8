"""The REST API under /api/v1: the kernel's endpoints and the OpenAPI document."""

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from core import modules, outbox, users
from core.schemas import (
    ModuleChangeSchema,
    ModuleSchema,
    PreviewSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from web.auth import role_required
from web.database import db, registry
from web.printing import OutboxMessageSchema

PREFIX = "/api/v1"


def api_of(app=None):
    """The flask-smorest Api of ``app`` (default: the current app)."""
    return (app or current_app).extensions["comptoir_api"]


def create_api(app):
    """Set up flask-smorest on ``app`` with the bearer-token security scheme."""
    api = Api(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "An API token (cpt_...)"}
    )
    api.spec.options["security"] = [{"bearer": []}]
    app.extensions["comptoir_api"] = api
    return api


class OutboxArgsSchema(Schema):
    """Which outbox messages to list."""

    all = fields.Boolean(load_default=False, metadata={"description": "sent ones too"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


def kernel_blueprint():
    """The kernel's API endpoints: the current user, modules, users and tokens."""
    blp = Blueprint("kernel", __name__, url_prefix=PREFIX, description="Users, tokens, modules")

    @blp.route("/me")
    @blp.response(200, UserSchema)
    def me():
        """The user the request authenticates as."""
        return current_user

    @blp.route("/modules")
    class ModuleList(MethodView):
        decorators = [role_required("admin")]

        @blp.response(200, ModuleSchema(many=True))
        def get(self):
            """Every installed module and its state on this database."""
            return modules.list_modules(registry(), db())

    @blp.route("/modules/<name>/preview")
    @blp.response(200, PreviewSchema)
    @role_required("admin")
    def preview(name):
        """What enabling the module would do: modules pulled in, migrations, hooks, clashes."""
        return modules.preview(registry(), name)

    @blp.route("/modules/<name>/enable", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @role_required("admin")
    def enable(name):
        """Enable the module and its dependencies; lists the modules newly enabled."""
        return {"modules": modules.enable(registry(), name)}

    @blp.route("/modules/<name>/disable", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @role_required("admin")
    def disable(name):
        """Disable the module (409 while an enabled module depends on it); data is kept."""
        modules.disable(registry(), name)
        return {"modules": [name]}

    @blp.route("/modules/<name>/upgrade", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @role_required("admin")
    def upgrade(name):
        """Run the module's pending migrations and record its installed version."""
        return {"modules": modules.upgrade(registry(), [name])}

    @blp.route("/users")
    class UserList(MethodView):
        decorators = [role_required("admin")]

        @blp.response(200, UserSchema(many=True))
        def get(self):
            """Every user."""
            return users.list_users(db())

        @blp.arguments(UserCreateSchema)
        @blp.response(201, UserSchema)
        def post(self, data):
            """Create a user."""
            user = users.create_user(db(), **data)
            db().commit()
            return user

    @blp.route("/users/<id:user_id>")
    class UserItem(MethodView):
        decorators = [role_required("admin")]

        @blp.response(200, UserSchema)
        def get(self, user_id):
            """One user."""
            return users.get_user(db(), user_id)

        @blp.arguments(UserUpdateSchema)
        @blp.response(200, UserSchema)
        def patch(self, data, user_id):
            """Change a user's name, password, roles or active flag."""
            user = users.update_user(db(), users.get_user(db(), user_id), **data)
            db().commit()
            return user

    @blp.route("/tokens", methods=["POST"])
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenSchema)
    @role_required("admin")
    def create_token(data):
        """Create an API token for a user; the answer holds the secret, shown this once."""
        token, secret = users.create_token(db(), users.get_user(db(), data["user_id"]),
                                           data["name"])
        db().commit()
        return {**TokenSchema().dump(token), "secret": secret}

    @blp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
    @blp.response(204)
    @role_required("admin")
    def revoke_token(token_id):
        """Revoke a token; requests bearing it get 401 from then on."""
        users.revoke_token(db(), token_id)
        db().commit()

    @blp.route("/outbox")
    @blp.arguments(OutboxArgsSchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @role_required("admin")
    def outbox_messages(args):
        """The newest e-mail in the outbox: queued only, or ``all``; attachments left out."""
        return outbox.list_messages(db(), args["all"], args["limit"])

    return blp
