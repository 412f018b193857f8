"""The application factory, and the builds of the app that follow the enabled modules.

``create_app`` returns a :class:`Comptoir` application.  It serves each request with a *build*:
a complete Flask application holding the kernel's pages and API and those of the modules
enabled on the database.  When a module is enabled or disabled (by this process or another),
the next request finds a new registry version and gets a new build, so routes, OpenAPI paths,
templates and menu entries appear and disappear without a restart, and the code of a disabled
module never runs.
"""

import os
import threading

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import core.defaults
import web.defaults
from core.db import make_engine
from core.errors import ComptoirError, ValidationError
from core.registry import Loaded, Registry
from web import admin, api, auth, errors
from web import config as settings
from web.converters import IdConverter
from web.database import close_session, db


class Comptoir(Flask):
    """The application object: hands each request to the build matching the enabled modules.

    Its own configuration and extensions (the module registry) are shared with every build;
    the command line runs in its application context.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._build = None
        self._build_lock = threading.Lock()

    def current_build(self):
        """The build for the modules enabled now (one query to check; rebuilt when they changed)."""
        loaded = self.extensions["comptoir"].refresh()
        build = self._build
        if build is None or build.loaded is not loaded:
            with self._build_lock:
                if self._build is None or self._build.loaded is not loaded:
                    self._build = build_app(self.config, self.extensions["comptoir"], loaded)
                build = self._build
        return build

    def wsgi_app(self, environ, start_response):
        try:
            build = self.current_build()
        except OperationalError as error:
            self.logger.error("database unreachable: %s", error)
            return errors.unavailable_response(environ)(environ, start_response)
        return build.wsgi_app(environ, start_response)


def create_app(config=None):
    """Build the Comptoir application.

    ``config`` (a dict) takes precedence over the environment (see web.config);
    ``INSTANCE_PATH`` there, or ``COMPTOIR_INSTANCE_PATH``, moves the instance folder.
    Nothing touches the database until the first request or command.
    """
    overrides = config or {}
    app = Comptoir(__name__, instance_path=settings.instance_path(overrides))
    os.makedirs(app.instance_path, exist_ok=True)
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
    reg.checks.append(lambda names: _check_build(app.config, reg, names))
    app.extensions["comptoir"] = reg
    return app


def build_app(config, reg, loaded, strict=False):
    """A complete application with the kernel and the modules of ``loaded`` (a Loaded state).

    A module whose routes cannot be added (a blueprint name taken, a hook raising) is left out
    with an error logged; with ``strict`` it raises ValidationError naming it instead.
    """
    app = Flask(__name__)
    app.config.update(config)
    app.loaded = loaded
    app.url_map.converters["id"] = IdConverter
    app.extensions["comptoir"] = reg

    auth.login_manager.init_app(app)
    auth.csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    api.create_api(app)
    api.api_of(app).register_blueprint(api.kernel_blueprint())
    for name in loaded.enabled:
        _add_module_routes(app, reg.installed[name], strict)
    if strict:
        _check_menu(app, reg, loaded)
    errors.register(app)

    app.before_request(_require_initialised)
    app.before_request(auth.require_login_and_csrf)
    app.teardown_appcontext(close_session)
    app.context_processor(_navigation)
    app.add_url_rule("/", "home", _home)
    app.add_url_rule("/health", "health", _health)
    return app


def _add_module_routes(app, module, strict):
    try:
        for blueprints in module.call("comptoir_blueprints"):
            for blueprint in blueprints:
                app.register_blueprint(blueprint)
        for blueprints in module.call("comptoir_api_blueprints"):
            for blueprint in blueprints:
                api.api_of(app).register_blueprint(blueprint)
    except Exception as exc:  # any failure of a module's code: refuse it or leave it out
        message = f"module {module.name!r}: its routes cannot be added: {exc}"
        if strict:
            raise ValidationError(message) from exc
        app.logger.error(message)


def _check_menu(app, reg, loaded):
    for name in loaded.enabled:
        for entries in reg.installed[name].call("comptoir_menu_entries"):
            for entry in entries:
                if entry.endpoint not in app.view_functions:
                    raise ValidationError(
                        f"module {name!r}: menu entry {entry.title!r} points to "
                        f"{entry.endpoint!r}, which no enabled module serves"
                    )


def _check_build(config, reg, names):
    """Refuse a module set whose routes or menu entries do not fit together."""
    loaded = Loaded(reg.version, tuple(names), reg.manager_with(names))
    try:
        build_app(config, reg, loaded, strict=True)
    except ComptoirError:
        raise
    except Exception as exc:
        raise ValidationError(f"the application cannot be built: {exc}") from exc


def _require_initialised():
    if current_app.loaded.version is None and request.endpoint not in ("health", "static"):
        abort(503, "The database is not initialised: run `comptoir init`.")


def _navigation():
    """The navigation bar: the enabled modules' menu entries the user may see."""
    if not current_user.is_authenticated:
        return {"menu": []}
    hook = current_app.loaded.manager.hook
    entries = [e for answer in hook.comptoir_menu_entries() for e in answer]
    visible = [
        e for e in entries
        if (e.role is None or current_user.has_role(e.role))
        and e.endpoint in current_app.view_functions
    ]
    return {"menu": sorted(visible, key=lambda e: (e.priority, e.title))}


def _home():
    return render_template("home.html", enabled=current_app.loaded.enabled)


def _health():
    """Liveness and database reachability, for load balancers; no login needed."""
    db().execute(text("SELECT 1"))  # an unreachable database answers 503 (web.errors)
    return jsonify(status="ok", database="ok", modules=list(current_app.loaded.enabled))
