"""The application factory: the kernel's pages and API, plus every installed module's routes."""

from dataclasses import dataclass, field

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import text

import core.defaults
import web.defaults
from core.db import make_engine
from core.errors import ComptoirError
from core.registry import Registry
from web import admin, api, auth, errors
from web import config as settings
from web.converters import IdConverter
from web.database import close_session, db, registry


@dataclass
class RouteOwner:
    """Which module a blueprint belongs to, and the OpenAPI paths it documents."""

    module: str
    blueprint: str
    api_paths: set = field(default_factory=set)


def create_app(config=None):
    """Build the Comptoir application.

    ``config`` (a dict) takes precedence over the environment (see web.config);
    ``INSTANCE_PATH`` there, or ``COMPTOIR_INSTANCE_PATH``, moves the instance folder.
    Every installed module's routes are registered once; they answer only while their module
    is enabled on the database, which each request checks with one small query.
    """
    overrides = config or {}
    app = Flask(__name__, instance_path=settings.instance_path(overrides))
    app.config.update(settings.from_environment(app.instance_path, overrides))
    app.config.update(settings.FIXED)
    app.config.update(overrides)

    engine = make_engine(
        app.config["COMPTOIR_DATABASE_URL"], app.config.get("COMPTOIR_DATABASE_SCHEMA")
    )
    reg = Registry(
        engine,
        kernel_plugins=[core.defaults, web.defaults],
        extra_modules=app.config.get("COMPTOIR_EXTRA_MODULES"),
    )
    app.url_map.converters["id"] = IdConverter
    app.extensions["comptoir"] = reg
    app.extensions["comptoir_owners"] = {}

    auth.login_manager.init_app(app)
    auth.csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    api.create_api(app)
    api.register_api_blueprint(app, api.kernel_blueprint())
    app.add_url_rule(f"{api.PREFIX}/openapi.json", "openapi", api.openapi_document)
    _register_module_routes(app, reg)
    errors.register(app)

    app.before_request(_refresh_modules)
    app.before_request(auth.require_login_and_csrf)
    app.teardown_appcontext(close_session)
    app.context_processor(_navigation)
    app.add_url_rule("/", "home", _home)
    app.add_url_rule("/health", "health", _health)
    return app


def _register_module_routes(app, reg):
    owners = app.extensions["comptoir_owners"]
    for name, module in sorted(reg.installed.items()):
        try:
            page_answers = module.call("comptoir_blueprints")
            api_answers = module.call("comptoir_api_blueprints")
        except ComptoirError as error:
            app.logger.warning("module %s is unusable: %s", name, error.message)
            continue
        for blueprints in page_answers:
            for blueprint in blueprints:
                app.register_blueprint(blueprint)
                owners[blueprint.name] = RouteOwner(name, blueprint.name)
        for blueprints in api_answers:
            for blueprint in blueprints:
                paths = api.register_api_blueprint(app, blueprint)
                owners[blueprint.name] = RouteOwner(name, blueprint.name, paths)


def _refresh_modules():
    """Pick up modules enabled or disabled by any process, then hide disabled modules' routes."""
    reg = registry()
    reg.refresh()
    if not reg.initialised and request.endpoint not in ("health", "static"):
        abort(503, "The database is not initialised: run `comptoir init`.")
    owner = app_owner(request.blueprint)
    if owner is not None and not reg.is_enabled(owner.module):
        abort(404)


def app_owner(blueprint_name):
    """The RouteOwner of a blueprint, or None for the kernel's own blueprints."""
    return current_app.extensions["comptoir_owners"].get(blueprint_name)


def _navigation():
    """The navigation bar: every enabled module's menu entries the user may see."""
    if not current_user.is_authenticated:
        return {"menu": []}
    entries = [e for answer in registry().hook.comptoir_menu_entries() for e in answer]
    visible = [e for e in entries if e.role is None or current_user.has_role(e.role)]
    return {"menu": sorted(visible, key=lambda e: (e.priority, e.title))}


def _home():
    return render_template("home.html", enabled=registry().enabled)


def _health():
    """Liveness and database reachability, for load balancers; no login needed."""
    try:
        db().execute(text("SELECT 1"))
    except Exception as exc:  # the point is to report any failure, not to raise it
        return jsonify(status="error", database=str(exc.__class__.__name__)), 503
    return jsonify(status="ok", database="ok", modules=list(registry().enabled))
