"""The application factory, and the builds of the app that follow the enabled modules.

``create_app`` returns a :class:`Comptoir` application.  It serves each request with a *build*:
a complete Flask application holding the kernel's pages and API and those of the modules
enabled on the database.  When a module is enabled or disabled (by this process or another),
the next request finds a new registry version and gets a new build, so routes, OpenAPI paths,
templates and menu entries appear and disappear without a restart, and the code of a disabled
module never runs.
"""

import gc
import os
import threading

from flask import Flask, abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.routing import BuildError

import core.defaults
import web.defaults
from core.db import make_engine
from core.errors import ComptoirError, ValidationError
from core.models import ROLES
from core.registry import Registry
from web import admin, api, auth, errors, filters, guards, once, outbox
from web import config as settings
from web.converters import IdConverter
from web.database import close_session, db
from web.routing import LazyBuilderRule


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
    _collect_garbage_less_often()
    overrides = config or {}
    app = Comptoir(__name__, instance_path=settings.instance_path(overrides))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(settings.from_environment(app.instance_path, overrides))
    app.config.update(settings.FIXED)
    app.config.update(overrides)
    app.config["INSTANCE_PATH"] = app.instance_path  # builds share the instance folder
    try:
        engine = make_engine(
            app.config["COMPTOIR_DATABASE_URL"], app.config.get("COMPTOIR_DATABASE_SCHEMA")
        )
    except Exception as exc:  # SQLAlchemy's errors do not say which setting was wrong
        raise ValidationError(f"COMPTOIR_DATABASE_URL is not usable: {exc}") from exc
    reg = Registry(
        engine,
        kernel_plugins=[core.defaults, web.defaults],
        extra_modules=app.config.get("COMPTOIR_EXTRA_MODULES"),
    )
    reg.checks.append(lambda loaded, new: _check_build(app.config, reg, loaded, new))
    app.extensions["comptoir"] = reg
    return app


def _collect_garbage_less_often():
    """Run Python's cyclic garbage collector every 50,000 allocations rather than 700.

    Pricing allocates tens of thousands of short-lived objects (a 1,000-line order gathers
    some 13,000 candidate rules, each explained).  At 700, collections follow each other, and
    the older generations' ones, every few young ones, walk every object the process holds:
    they took a third of that order's pricing (measured: 235 ms, 150 ms with this).  What it
    leaves in memory for longer is a few requests' cyclic garbage."""
    gc.set_threshold(50_000, 20, 20)


class Build(Flask):
    """The application of one build (see ``build_app``)."""

    url_rule_class = LazyBuilderRule


def build_app(config, reg, loaded, strict=frozenset()):
    """A complete application with the kernel and the modules of ``loaded`` (a Loaded state).

    A module whose routes cannot be added (a blueprint name taken, a hook raising) is left out
    with an error logged; for the modules named in ``strict``, that and a menu entry that cannot
    be shown raise ValidationError naming the module instead.
    """
    app = Build(__name__, instance_path=config["INSTANCE_PATH"])
    app.config.update(config)
    app.loaded = loaded
    app.url_map.converters["id"] = IdConverter
    app.extensions["comptoir"] = reg

    auth.login_manager.init_app(app)
    auth.csrf.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(outbox.bp)
    # A build checking new modules describes their API endpoints at once, so that one whose
    # endpoints cannot be described is refused; serving builds do it when the document is read.
    api.create_api(app, lazy=not strict)
    api.api_of(app).register_blueprint(api.kernel_blueprint())
    for name in loaded.enabled:
        _add_module_routes(app, reg.installed[name], name in strict)
    _check_menu(app, reg, [name for name in loaded.enabled if name in strict])
    if strict:
        _check_codes(loaded.manager.hook, strict)
    errors.register(app)
    filters.register(app)

    app.before_request(_require_initialised)
    app.before_request(auth.require_login_and_csrf)
    app.before_request(guards.refuse_api_bodies_not_json)
    app.before_request(guards.refuse_unreadable_json)
    app.before_request(guards.refuse_unstorable_text)
    app.before_request(once.claim_request_key)
    app.after_request(once.keep_answer)
    app.teardown_appcontext(close_session)
    app.context_processor(_navigation)
    # Templates link to another module's page only while it is served: {% if serves("x.y") %}
    app.jinja_env.globals["serves"] = app.view_functions.__contains__
    app.jinja_env.globals["once_token"] = once.once_token
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


def _check_menu(app, reg, names):
    """Refuse menu entries of ``names`` that could not be shown: an unknown role, no page."""
    urls = app.url_map.bind("localhost")
    for name in names:
        for entries in reg.installed[name].call("comptoir_menu_entries"):
            for entry in entries:
                problem = None
                if entry.role is not None and entry.role not in ROLES:
                    problem = f"names the unknown role {entry.role!r}"
                else:
                    try:
                        urls.build(entry.endpoint)
                    except BuildError:
                        problem = (f"points to {entry.endpoint!r}, which no enabled module "
                                   "serves without URL arguments")
                if problem:
                    raise ValidationError(f"module {name!r}: menu entry {entry.title!r} {problem}")


def _check_codes(hook, new):
    """Refuse modules of ``new`` contributing an order type or an invoice kind under a code
    another module contributes (each page and service asking for them would answer with that
    error instead), or failing to say what they contribute.  A module enabled already that
    fails is left as it is, as at every load."""
    problems = []
    for caller, what in ((hook.comptoir_order_types, "order type"),
                         (hook.comptoir_invoice_kinds, "invoice kind")):
        owners = {}
        for impl in caller.get_hookimpls():
            try:
                records = impl.function()
            except Exception as exc:
                if impl.plugin_name in new:
                    raise ValidationError(f"module {impl.plugin_name!r}: its {what}s cannot "
                                          f"be read: {exc}") from exc
                continue
            for record in records:
                owners.setdefault(record.code, []).append(impl.plugin_name)
        problems += [f"{what} {code!r} is contributed by both {' and '.join(modules)}"
                     for code, modules in owners.items() if len(modules) > 1 and new & {*modules}]
    if problems:
        raise ValidationError("; ".join(problems))


def _check_build(config, reg, loaded, new):
    """Refuse new modules whose routes or menu entries do not fit with the enabled ones."""
    try:
        build_app(config, reg, loaded, strict=new)
    except ComptoirError:
        raise
    except Exception as exc:
        raise ValidationError(f"the application cannot be built: {exc}") from exc


def _require_initialised():
    if current_app.loaded.version is None and request.endpoint not in ("health", "static"):
        abort(503, "The database is not initialised: run `comptoir init`.")


def _navigation():
    """The navigation bar: the enabled modules' menu entries the user may see, each page once
    (a module offers one page to several roles with an entry per role)."""
    if not current_user.is_authenticated:
        return {"menu": []}
    entries = []
    for impl in current_app.loaded.manager.hook.comptoir_menu_entries.get_hookimpls():
        try:  # one implementation at a time: a module failing here must not break every page
            entries += impl.function()
        except Exception as exc:
            current_app.logger.error("menu entries of %s left out: %s", impl.plugin_name, exc)
    menu, shown = [], set()
    for entry in sorted(entries, key=lambda e: (e.priority, e.title)):
        if (entry.role is not None and not current_user.has_role(entry.role)
                or entry.endpoint in shown):
            continue
        shown.add(entry.endpoint)
        try:
            menu.append((entry, url_for(entry.endpoint)))
        except BuildError:  # checked when the module was enabled; never break every page
            current_app.logger.error("menu entry %r has no page to link to", entry.title)
    return {"menu": menu}


def _home():
    return render_template("home.html", enabled=current_app.loaded.enabled)


def _health():
    """Liveness and database readiness, for load balancers; no login needed.

    503 while the database is not initialised; an unreachable one answers 503 too (web.errors).
    """
    db().execute(text("SELECT 1"))
    if current_app.loaded.version is None:
        return jsonify(status="error", database="not initialised"), 503
    return jsonify(status="ok", database="ok", modules=list(current_app.loaded.enabled))
