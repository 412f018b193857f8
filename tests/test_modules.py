"""Enabling, disabling, re-enabling, upgrading and previewing modules on a database."""

import sys
import textwrap

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import inspect, select, text

from core import migrate, modules
from core.errors import Conflict, ValidationError
from core.models import ModuleState
from core.modules import ModuleError
from core.testing import api_client
from web.cli import main


def table_names(registry):
    with registry.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def states(registry):
    with registry.session_factory() as session:
        return {s.name: (s.enabled, s.version) for s in session.scalars(select(ModuleState))}


def note_texts(registry):
    with registry.engine.connect() as connection:
        return [r[0] for r in connection.execute(text("SELECT text FROM example_note ORDER BY id"))]


def test_enable_runs_migrations_records_state_and_registers_hooks(registry):
    assert "example_note" not in table_names(registry)
    assert registry.hook.comptoir_base_prices(lines=["l1"], context=None) is None

    assert modules.enable(registry, "example") == ["example"]

    assert "example_note" in table_names(registry)
    assert states(registry) == {"example": (True, "1.0.0")}
    assert registry.enabled == ("example",)
    assert registry.hook.comptoir_base_prices(lines=["l1"], context=None) == {"l1": "example"}


def test_enable_pulls_in_dependencies_in_order(registry):
    assert modules.enable(registry, "chain_top") == ["example", "example_ext", "chain_top"]
    assert registry.enabled == ("example", "example_ext", "chain_top")
    # example_ext depends on example, so it answers the first-result hook first.
    assert registry.hook.comptoir_base_prices(lines=["l1"], context=None) == {"l1": "ext"}


def test_enabling_twice_changes_nothing(registry):
    modules.enable(registry, "example")
    version = registry.version
    assert modules.enable(registry, "example") == []
    assert registry.version == version


def test_disable_keeps_data_and_reenable_gives_it_back(registry):
    modules.enable(registry, "example")
    with registry.engine.begin() as connection:
        connection.execute(text("INSERT INTO example_note (text) VALUES ('kept')"))

    modules.disable(registry, "example")
    assert registry.enabled == ()
    assert states(registry) == {"example": (False, "1.0.0")}
    assert "example_note" in table_names(registry)
    assert registry.hook.comptoir_base_prices(lines=["l1"], context=None) is None

    assert modules.enable(registry, "example") == ["example"]
    assert note_texts(registry) == ["kept"]


def test_disable_refused_while_dependents_are_enabled(registry):
    modules.enable(registry, "chain_top")
    with pytest.raises(Conflict, match="'example' cannot be disabled: chain_top, example_ext"):
        modules.disable(registry, "example")
    assert registry.enabled == ("example", "example_ext", "chain_top")

    modules.disable(registry, "chain_top")
    modules.disable(registry, "example_ext")
    modules.disable(registry, "example")
    assert registry.enabled == ()


def test_disable_a_module_not_enabled_is_a_conflict(registry):
    with pytest.raises(Conflict, match="'example' is not enabled"):
        modules.disable(registry, "example")


def test_cycle_and_missing_dependency_are_refused_and_change_nothing(registry):
    with pytest.raises(ValidationError, match="dependency cycle: cycle_a -> cycle_b -> cycle_a"):
        modules.enable(registry, "cycle_a")
    with pytest.raises(ValidationError, match="'needs_missing' depends on 'not_installed'"):
        modules.enable(registry, "needs_missing")
    assert states(registry) == {}
    assert "example_note" not in table_names(registry)


@pytest.mark.parametrize(
    ("module", "table", "message"),
    [
        ("bad_migration", "bad_migration_thing", "no_such_table"),
        ("bad_hook", "bad_hook_thing", "bad_hook refuses to start"),
        ("dangling_reference", "dangling_reference_note", "(?i)foreign key|refer to rows"),
    ],
)
def test_failed_enable_leaves_database_and_state_as_before(registry, module, table, message):
    modules.enable(registry, "example")
    before_tables, before_states = table_names(registry), states(registry)
    version = registry.version

    with pytest.raises(ModuleError, match=message) as raised:
        modules.enable(registry, module)

    assert "nothing was changed" in raised.value.message
    assert table not in table_names(registry)
    assert table_names(registry) == before_tables
    assert states(registry) == before_states
    assert registry.version == version
    assert registry.enabled == ("example",)


def test_module_with_an_unknown_hook_is_refused_by_name(registry):
    with pytest.raises(ValidationError, match="'misspelled'.*comptoir_menu_entrie"):
        modules.enable(registry, "misspelled")
    assert states(registry) == {}


def test_preview_lists_modules_migrations_hooks_and_who_wins(registry):
    modules.enable(registry, "example")
    preview = modules.preview(registry, "chain_top")

    assert preview.to_enable == ["example_ext", "chain_top"]
    assert preview.migrations == {}
    assert preview.hooks == {"example_ext": ["comptoir_base_prices"], "chain_top": []}
    [clash] = preview.clashes
    assert clash.hook == "comptoir_base_prices"
    assert (clash.winner, clash.others) == ("example_ext", ["example"])
    assert clash.reason == "example_ext depends on example, so it is asked first"
    assert states(registry) == {"example": (True, "1.0.0")}, "a preview changes nothing"


def test_preview_of_a_fresh_module_shows_its_migrations(registry):
    preview = modules.preview(registry, "example")
    assert preview.migrations == {"example": [
        "example_0001: Create the notes table.", "example_0002: Create the nicknames table."
    ]}
    assert "comptoir_blueprints" in preview.hooks["example"]


GROWING_V1 = '''
"""A module that gains a column in its second version."""
from pathlib import Path
from core import hookimpl


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"
'''

REVISION = '''
"""{doc}

Revision ID: {rev}
"""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade():
    {body}


def downgrade():
    pass
'''


@pytest.fixture
def growing(tmp_path, comptoir_modules):
    """A module package in tmp_path, at version 1.0.0 with one migration."""
    package = tmp_path / "pkgs" / "growing"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(GROWING_V1)
    (package / "manifest.toml").write_text(
        'name = "growing"\nversion = "1.0.0"\ntitle = "Growing"\n'
    )
    (package / "migrations" / "growing_0001.py").write_text(REVISION.format(
        doc="Create the growing table.", rev="growing_0001", down=None, labels=("growing",),
        depends=None,
        body='op.create_table("growing_item", sa.Column("id", sa.Integer(), primary_key=True))',
    ))
    sys.path.insert(0, str(tmp_path / "pkgs"))
    comptoir_modules["growing"] = "growing"
    yield package
    sys.path.remove(str(tmp_path / "pkgs"))
    sys.modules.pop("growing", None)


def test_upgrade_runs_pending_migrations_of_a_newer_version(make_app, growing):
    registry = make_app(modules=["growing"]).extensions["comptoir"]
    assert states(registry) == {"growing": (True, "1.0.0")}

    # A new release of the package is installed: version 1.1.0 with a second migration.
    (growing / "manifest.toml").write_text(
        'name = "growing"\nversion = "1.1.0"\ntitle = "Growing"\n'
    )
    (growing / "migrations" / "growing_0002.py").write_text(textwrap.dedent(REVISION.format(
        doc="Add a label.", rev="growing_0002", down="growing_0001", labels=None, depends=None,
        body='op.add_column("growing_item", sa.Column("label", sa.String(40)))',
    )))
    registry = make_app().extensions["comptoir"]
    with registry.session_factory() as session:
        [info] = [m for m in modules.list_modules(registry, session) if m.name == "growing"]
    assert info.needs_upgrade and info.recorded_version == "1.0.0"

    assert modules.upgrade(registry, ["growing"]) == ["growing"]

    assert states(registry) == {"growing": (True, "1.1.0")}
    with registry.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("growing_item")}
    assert columns == {"id", "label"}
    assert modules.upgrade(registry) == [], "nothing left to upgrade"


def test_a_revision_added_without_a_new_version_is_an_upgrade_pending(make_app, growing, login):
    make_app(modules=["growing"])
    (growing / "migrations" / "growing_0002.py").write_text(textwrap.dedent(REVISION.format(
        doc="Add a label.", rev="growing_0002", down="growing_0001", labels=None, depends=None,
        body='op.add_column("growing_item", sa.Column("label", sa.String(40)))',
    )))  # the version stays 1.0.0
    app = make_app()
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session:
        [info] = [m for m in modules.list_modules(registry, session) if m.name == "growing"]
    assert info.needs_upgrade and info.pending_revisions == 1
    listed = CliRunner().invoke(main, ["modules", "list"],
                                obj=ScriptInfo(create_app=lambda: app))
    assert "enabled (upgrade pending)" in listed.output
    admin = app.test_client()
    login(admin, "admin")
    assert 'action="/admin/modules/growing/upgrade"' in admin.get("/admin/modules").get_data(
        as_text=True)

    assert modules.upgrade(registry, ["growing"]) == ["growing"]
    with registry.session_factory() as session:
        [info] = [m for m in modules.list_modules(registry, session) if m.name == "growing"]
    assert not info.needs_upgrade


def test_unreadable_revisions_leave_the_modules_listed(make_app, growing, login):
    make_app(modules=["growing"])
    (growing / "migrations" / "growing_0002.py").write_text("revision = (\n")  # cut short
    app = make_app()
    with app.extensions["comptoir"].engine.begin() as connection:  # a head the code lacks
        connection.execute(text("UPDATE alembic_version_core SET version_num = 'core_9999'"))
    listed = CliRunner().invoke(main, ["modules", "list"], obj=ScriptInfo(create_app=lambda: app))
    assert listed.exit_code == 0, listed.output
    assert "The kernel's revisions cannot be read against this database" in listed.output
    assert "enabled (migrations cannot be read)" in listed.output
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/modules")
    assert page.status_code == 200
    assert "migrations cannot be read (Upgrade says why)" in page.get_data(as_text=True)
    [growing_state] = [m for m in api_client(app, "admin").get("/api/v1/modules").get_json()
                       if m["name"] == "growing"]
    assert growing_state["pending_revisions"] is None and growing_state["needs_upgrade"]


def test_a_version_table_the_database_cannot_read_is_not_taken_for_unreadable_files(
    make_app, login
):
    app = make_app()
    with app.extensions["comptoir"].engine.begin() as connection:
        connection.execute(text("ALTER TABLE alembic_version_core RENAME COLUMN version_num "
                                "TO renamed"))
    admin = app.test_client()
    login(admin, "admin")
    page = admin.get("/admin/modules")
    assert page.status_code == 500, "the database's error, answered as such"
    assert "comptoir upgrade" in page.get_data(as_text=True)
    assert "cannot be read" not in page.get_data(as_text=True)


def test_the_kernel_lacking_a_revision_is_named(make_app, login):
    app = make_app()
    registry = app.extensions["comptoir"]
    with registry.engine.begin() as connection:  # as a database of the release before
        head = connection.execute(text("SELECT version_num FROM alembic_version_core")).scalar()
        before = migrate._script(migrate.KERNEL_VERSIONS).get_revision(head).down_revision
        connection.execute(text("UPDATE alembic_version_core SET version_num = :before"),
                           {"before": before})
    listed = CliRunner().invoke(main, ["modules", "list"], obj=ScriptInfo(create_app=lambda: app))
    assert "The kernel's tables lack 1 revision(s): run `comptoir upgrade`." in listed.output
    admin = app.test_client()
    login(admin, "admin")
    assert 'id="kernel-behind"' in admin.get("/admin/modules").get_data(as_text=True)


def test_a_module_whose_dependency_was_uninstalled_is_left_out_not_fatal(
    make_app, comptoir_modules, login
):
    make_app(modules=["example_ext"])
    del comptoir_modules["example"]  # the package is uninstalled; the database still lists it

    app = make_app()
    client = app.test_client()
    login(client, "admin")
    assert client.get("/health").status_code == 200
    assert app.extensions["comptoir"].enabled == ()
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session:
        listed = {m.name: m for m in modules.list_modules(registry, session)}
    assert listed["example"].missing and listed["example"].enabled
    assert listed["example_ext"].enabled


def test_a_removed_package_with_migrations_does_not_block_other_modules(
    make_app, comptoir_modules, growing
):
    make_app(modules=["example"])
    del comptoir_modules["example"]  # uninstalled while enabled, its revisions applied
    registry = make_app().extensions["comptoir"]

    assert modules.preview(registry, "growing").migrations == {
        "growing": ["growing_0001: Create the growing table."]
    }
    assert modules.enable(registry, "growing") == ["growing"]
    assert "growing_item" in table_names(registry)
    assert modules.upgrade(registry) == []
    modules.disable(registry, "example")
    assert states(registry)["example"] == (False, "1.0.0")


def test_unreadable_migrations_are_reported_naming_the_module(registry):
    expected = "module 'bad_revision': its migrations cannot be read"
    with pytest.raises(ValidationError, match=expected):
        modules.preview(registry, "bad_revision")
    with pytest.raises(ValidationError, match=expected):
        modules.enable(registry, "bad_revision")
    assert states(registry) == {}


def test_a_module_whose_dependency_no_longer_loads_is_left_out(make_app, comptoir_modules):
    make_app(modules=["example_ext"])
    comptoir_modules["example"] = "tests.broken.example"  # same name, code now broken
    registry = make_app().extensions["comptoir"]
    assert registry.enabled == ()
