"""Pytest fixtures for Comptoir and its modules, loaded as a pytest plugin when installed.

Every test gets a database of its own: an SQLite file in its temporary folder, or a fresh schema
on PostgreSQL.  ``pytest --comptoir-db=sqlite,postgresql`` runs each database test once per
backend.  Override the ``comptoir_modules`` fixture to offer modules that are not installed.

Initialising a database is the costly part of most tests, so ``make_app`` does it once per run
for each set-up and gives later tests with the same set-up a copy (see ``make_app``);
``pytest --comptoir-fresh-databases`` turns that off for a run, the ``fresh_database`` marker
for one test.
"""

import functools
import importlib.util
import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Settings with which a test chooses its own database: make_app then never copies one there.
_OWN_DATABASE = {"COMPTOIR_DATABASE_URL", "COMPTOIR_DATABASE_SCHEMA"}


def pytest_addoption(parser):
    parser.addoption(
        "--comptoir-db",
        default="sqlite",
        help="comma-separated databases to run database tests on: sqlite, postgresql "
        f"(COMPTOIR_TEST_POSTGRESQL_URL, default {POSTGRESQL_URL})",
    )
    parser.addoption(
        "--comptoir-fresh-databases",
        action="store_true",
        help="initialise every test's database from scratch instead of copying one initialised "
        "earlier in the run with the same modules",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fresh_database: make_app initialises this test's database from scratch instead of "
        "copying one initialised earlier in the run",
    )


def pytest_generate_tests(metafunc):
    if "comptoir_db" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("comptoir_db").split(",")]
        unknown = set(backends) - {"sqlite", "postgresql"}
        if unknown:
            raise pytest.UsageError(f"--comptoir-db: unknown database {', '.join(unknown)}")
        metafunc.parametrize("comptoir_db", backends, indirect=True)


@pytest.fixture
def comptoir_db(request, tmp_path):
    """Configuration entries pointing at an empty database of the backend under test."""
    if request.param == "sqlite":
        yield {"COMPTOIR_DATABASE_URL": f"sqlite:///{tmp_path / 'comptoir.sqlite'}"}
        return
    url = os.environ.get("COMPTOIR_TEST_POSTGRESQL_URL", POSTGRESQL_URL)
    schema = "t_" + re.sub(r"\W", "", uuid.uuid4().hex)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"COMPTOIR_DATABASE_URL": url, "COMPTOIR_DATABASE_SCHEMA": schema}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def comptoir_modules():
    """Modules offered besides the installed ones, as ``{name: import path}``."""
    return {}


@pytest.fixture(scope="session")
def comptoir_snapshots(request, tmp_path_factory):
    """The initialised databases ``make_app`` copies, by set-up; None when turned off."""
    from core.testdb import Snapshots

    if request.config.getoption("comptoir_fresh_databases"):
        yield None
        return
    snapshots = Snapshots(tmp_path_factory.mktemp("snapshots"))
    yield snapshots
    snapshots.close()


@pytest.fixture
def make_app(request, comptoir_db, comptoir_modules, comptoir_snapshots, tmp_path):
    """Build an application on the test database (call it twice for two workers on one database).

    The first call initialises the database with the kernel, ``modules`` (a list of names) and
    the demo users, or with ``demo=True`` the demo data of the kernel and of every module; later
    calls enable ``modules`` on the same database.

    The first initialisation of a set-up in a run (backend, ``modules`` in their order, ``demo``,
    the installed and offered modules with their versions and folders, ``config``, the
    ``COMPTOIR_*`` environment) is done as described and kept; a later first call with the same
    set-up copies that database, rows, sequences and instance folder included, instead of
    migrating, checking and filling it again.  The application gets the copy's modules loaded,
    as it would after initialising.  A set-up whose initialisation failed is never kept.  Tests
    marked ``fresh_database``, runs with ``--comptoir-fresh-databases`` and calls that set
    ``COMPTOIR_DATABASE_URL`` or ``COMPTOIR_DATABASE_SCHEMA`` initialise from scratch.
    """
    apps = []
    may_copy = (comptoir_snapshots is not None
                and not request.node.get_closest_marker("fresh_database"))

    def build(modules=(), demo=False, **config):
        nonlocal may_copy
        from core.modules import enable
        from web import create_app

        settings = {
            **comptoir_db,
            "COMPTOIR_EXTRA_MODULES": comptoir_modules,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            **config,
        }
        app = create_app(settings)
        registry = app.extensions["comptoir"]
        if apps:
            for name in modules:
                enable(registry, name)
        else:
            # A copy goes into the empty database of a first call only, not after a failed one.
            copy, may_copy = may_copy and not _OWN_DATABASE & set(config), False
            if not copy:
                _initialise(registry, modules, demo)
            else:
                key = _setup_key(settings, registry, modules, demo, config)
                instance = Path(app.instance_path)
                if comptoir_snapshots.restore(key, settings, instance):
                    registry.refresh()
                else:
                    _initialise(registry, modules, demo)
                    comptoir_snapshots.take(key, settings, instance)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["comptoir"].engine.dispose()


def _initialise(registry, modules, demo):
    """Initialise the database with ``modules``, and the demo data or else the demo users."""
    from core.modules import initialise

    initialise(registry, modules, demo=demo)
    if not demo:
        with registry.session_factory() as session, session.begin():
            session.add_all(_demo_users())


def _setup_key(settings, registry, modules, demo, config):
    """What decides the content of a database ``make_app`` initialises, as a dictionary key."""
    backend = ((settings["COMPTOIR_DATABASE_URL"], "schema") if "COMPTOIR_DATABASE_SCHEMA"
               in settings else ("sqlite",))
    installed = tuple(sorted(
        (name, module.import_path, module.manifest.version,
         importlib.util.find_spec(module.import_path).origin)
        for name, module in registry.installed.items()
    ))
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("COMPTOIR_")))
    return (backend, tuple(modules), bool(demo), installed,
            tuple(sorted((k, repr(v)) for k, v in config.items())), environment)


def _demo_users():
    """The kernel's demo users (``sales`` / ``salessales``...) with cheap password hashes.

    A real hash is deliberately slow to compute and to check (about 0.13 s); every test starts
    with these users and many log in, so theirs use few iterations.  Users created through
    ``core.users`` keep the real method.
    """
    from core.defaults import DEMO_USERS
    from core.models import User

    return [User(login=login, name=name, password_hash=_password_hash(login * 2),
                 roles=",".join(roles), active=True) for login, name, roles in DEMO_USERS]


@functools.cache
def _password_hash(password):
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def app(make_app):
    """An application on a fresh database holding the kernel and the demo users."""
    return make_app()


@pytest.fixture
def registry(app):
    """The module registry of ``app``."""
    return app.extensions["comptoir"]


@pytest.fixture
def client(app):
    """A test client of ``app``."""
    return app.test_client()


def csrf_token(client, path="/login"):
    """Fetch ``path`` and return the CSRF token its form carries."""
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client, login, password=None):
    """Log ``client`` in through the login form (demo users' password is the login twice)."""
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"login": login, "password": password or login * 2, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def api_client(app, login="sales"):
    """A test client of ``app`` sending a new API token of demo user ``login`` every request."""
    from core import users

    registry = app.extensions["comptoir"]
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, login), "tests")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def login():
    """``login(client, "sales")`` logs a demo user in through the login form."""
    return log_in


@contextmanager
def count_queries(engine):
    """Count the SQL statements run on ``engine`` inside the block: ``with ... as counter``."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
