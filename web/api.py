"""The REST API under /api/v1: the kernel's endpoints and the OpenAPI document."""

import re
import threading
from http import HTTPStatus

from apispec import BasePlugin
from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Api, Blueprint
from marshmallow import Schema, fields, validate

from core import modules, outbox, users
from core.models import OutboxMessage
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
from web.database import db, registry, release_request_transaction
from web.outbox import SENDERS, send_due
from web.printing import OutboxMessageSchema

PREFIX = "/api/v1"


def api_of(app=None):
    """The flask-smorest Api of ``app`` (default: the current app)."""
    return (app or current_app).extensions["comptoir_api"]


class LazyDocApi(Api):
    """flask-smorest's Api, describing registered blueprints in the OpenAPI document on demand.

    Describing the blueprints (schemas, parameters, responses) is a large part of the time
    spent building an application, and most builds never serve the document.
    ``register_blueprint`` adds the routes at once, as flask-smorest does, and queues the
    description; reading ``spec`` (for ``/api/v1/openapi.json``) describes the queued
    blueprints in the order they were registered, so the document is the one flask-smorest
    would have built.  With ``lazy=False`` each blueprint is described as it is registered, as
    flask-smorest does, so that its errors surface there.
    """

    def __init__(self, app=None, *, lazy=True, **kwargs):
        self.lazy = lazy
        self._undocumented = []  # (blueprint, name, parameters), in registration order
        self._documenting = threading.Lock()
        super().__init__(app, **kwargs)

    @property
    def spec(self):
        """The APISpec, every registered blueprint described."""
        if self._undocumented:
            self._document()
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register ``blp`` in the application; describe it now, or when the document is read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
        if not self.lazy:
            self._document()

    def _document(self):
        """Describe the queued blueprints.  A blueprint that cannot be described is left out
        of the document, with an error logged, when described on demand (its module passed the
        checks on enabling, and the rest of the API stays documented); otherwise the error is
        raised, for the build to refuse the module."""
        with self._documenting:  # one thread describes; the others wait for the whole document
            while self._undocumented:
                blp, name, parameters = self._undocumented[0]
                try:
                    blp.register_views_in_doc(self, self._app, self._spec, name=name,
                                              parameters=parameters)
                    self._spec.tag({"name": name, "description": blp.description})
                except Exception as exc:
                    if not self.lazy:
                        raise
                    self._app.logger.error(f"API blueprint {name!r} cannot be described in the "
                                           f"OpenAPI document: {exc}")
                finally:
                    self._undocumented.pop(0)  # only once done: readers wait until then


def refusals(blp, *statuses):
    """A decorator documenting in OpenAPI the refusals an operation of ``blp`` answers besides
    422 for its input: 404 (what its path names does not exist), 409 (the state of a record
    refuses the request: an invoice already posted, say), 422 for an operation taking no input
    that refuses what a record holds (a draft invoice its kind's validation refuses).  Their
    body is every error's: ``code``, ``status``, ``message``."""
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view
    return decorate


class OperationIds(BasePlugin):
    """Names each operation of the document (``operationId``, what a generated client calls its
    method) after its method and path below ``/api/v1``: ``GET /api/v1/invoices/{invoice_id}``
    is ``get_invoices_invoice_id``; a method and a path name one operation only."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        below = path.removeprefix(PREFIX)
        for method, operation in operations.items():
            words = re.findall(r"[A-Za-z0-9]+", f"{method} {below}")
            operation.setdefault("operationId", "_".join(words).lower())


def create_api(app, lazy=True):
    """Set up flask-smorest on ``app`` with the bearer-token security scheme.

    ``lazy``: describe the API blueprints only when the OpenAPI document is read (LazyDocApi).
    """
    api = LazyDocApi(app, lazy=lazy, spec_kwargs={"servers": [{"url": "/"}],
                                                  "extra_plugins": [OperationIds()]})
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
    @refusals(blp, 404)
    @role_required("admin")
    def preview(name):
        """What enabling the module would do: modules pulled in, migrations, hooks, clashes."""
        return modules.preview(registry(), name)

    @blp.route("/modules/<name>/enable", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @refusals(blp, 404, 422)
    @role_required("admin")
    def enable(name):
        """Enable the module and its dependencies; lists the modules newly enabled."""
        release_request_transaction()
        return {"modules": modules.enable(registry(), name)}

    @blp.route("/modules/<name>/disable", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @refusals(blp, 409)
    @role_required("admin")
    def disable(name):
        """Disable the module (409 while an enabled module depends on it); data is kept."""
        release_request_transaction()
        modules.disable(registry(), name)
        return {"modules": [name]}

    @blp.route("/modules/<name>/upgrade", methods=["POST"])
    @blp.response(200, ModuleChangeSchema)
    @refusals(blp, 409)
    @role_required("admin")
    def upgrade(name):
        """Run the module's pending migrations and record its installed version."""
        release_request_transaction()
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
        @refusals(blp, 404)
        def get(self, user_id):
            """One user."""
            return users.get_user(db(), user_id)

        @blp.arguments(UserUpdateSchema, required=False)  # nothing sent: no change
        @blp.response(200, UserSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, user_id):
            """Change a user's name, password, roles or active flag."""
            user = users.update_user(db(), users.get_user(db(), user_id), **data)
            db().commit()
            return user

    @blp.route("/tokens", methods=["POST"])
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenSchema)
    @refusals(blp, 404)
    @role_required("admin")
    def create_token(data):
        """Create an API token for a user; the answer holds the secret, shown this once."""
        token, secret = users.create_token(db(), users.get_user(db(), data["user_id"]),
                                           data["name"])
        db().commit()
        return {**TokenSchema().dump(token), "secret": secret}

    @blp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
    @blp.response(204)
    @refusals(blp, 404, 409)
    @role_required("admin")
    def revoke_token(token_id):
        """Revoke a token; requests bearing it get 401 from then on."""
        users.revoke_token(db(), token_id)
        db().commit()

    @blp.route("/outbox")
    @blp.arguments(OutboxArgsSchema, location="query")
    @blp.response(200, OutboxMessageSchema(many=True))
    @role_required(*SENDERS)
    def outbox_messages(args):
        """The newest e-mail in the outbox: queued only, or ``all``; attachments left out.  For
        salespeople, accountants and admins."""
        return outbox.list_messages(db(), args["all"], args["limit"])

    @blp.route("/outbox/<id:message_id>/send", methods=["POST"])
    @blp.response(200, OutboxMessageSchema)
    @refusals(blp, 404, 409)
    @role_required(*SENDERS)
    def outbox_send(message_id):
        """Send a queued message now, even one waiting for its next attempt after a failure;
        answers it as it then stands (sent, queued with the new error, or queued while a slow
        server still answers).  409 unless queued."""
        outbox.due_now(db(), message_id)
        db().commit()
        send_due()
        return db().get(OutboxMessage, message_id, populate_existing=True)

    @blp.route("/outbox/<id:message_id>/withdraw", methods=["POST"])
    @blp.response(200, OutboxMessageSchema)
    @refusals(blp, 404, 409)
    @role_required(*SENDERS)
    def outbox_withdraw(message_id):
        """Withdraw a queued message (to a wrong address, say): kept on record, never sent.
        409 once sent or withdrawn."""
        outbox.withdraw(db(), message_id)
        db().commit()
        return db().get(OutboxMessage, message_id, populate_existing=True)

    return blp
