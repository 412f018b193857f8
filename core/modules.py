"""Listing, previewing, enabling, disabling and upgrading modules on one database.

Each action runs in one transaction on one connection: migrations, module state and lifecycle
hooks commit together or not at all.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field

from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core import migrate
from core.dependencies import dependency_order, dependents
from core.errors import ComptoirError, Conflict, NotFound, ValidationError
from core.manifest import version_key
from core.models import ModuleState
from core.registry import bump_registry_version, lock_registry

logger = logging.getLogger(__name__)


@dataclass
class ModuleInfo:
    """What ``comptoir modules list`` shows of one module.

    ``loaded`` is False for an enabled module this process left out (package, dependency or
    code gone; the log says why).
    """

    name: str
    title: str
    summary: str
    installed_version: str | None
    recorded_version: str | None
    enabled: bool
    depends: tuple[str, ...]
    loaded: bool = False
    # Revisions this database lacks; None when they cannot be read (upgrading says why).
    pending_revisions: int | None = 0

    @property
    def needs_upgrade(self):
        """True when the installed code is newer than what this database last migrated to:
        a newer version, or revisions this database lacks (a version left as it was), or
        revisions that cannot be read."""
        return bool(
            self.enabled
            and self.installed_version
            and self.recorded_version
            and (self.pending_revisions != 0
                 or version_key(self.installed_version) > version_key(self.recorded_version))
        )

    @property
    def missing(self):
        """True when the database knows the module but its package is no longer installed."""
        return self.installed_version is None


@dataclass
class FirstResultClash:
    """Two or more enabled modules answering one first-result hook, and who wins."""

    hook: str
    winner: str
    others: list[str]
    reason: str


@dataclass
class Preview:
    """What enabling a module will do, before doing it; ``problems`` say why it would be refused."""

    module: str
    to_enable: list[str]
    already_enabled: bool
    migrations: dict[str, list[str]] = field(default_factory=dict)
    hooks: dict[str, list[str]] = field(default_factory=dict)
    clashes: list[FirstResultClash] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class ModuleError(ComptoirError):
    """A module's migration or lifecycle hook failed; nothing was changed (HTTP 500)."""

    status = 500


@contextmanager
def _transaction(registry, action, lock=True):
    """One connection, one transaction and a session on it; any failure rolls everything back.

    With ``lock``, the registry row is locked first, so that two processes
    changing modules at once take turns and the second sees what the first did.  Errors that
    are not already user-facing are wrapped in ModuleError naming ``action``.
    """
    try:
        with registry.engine.connect() as connection, _tables_rebuildable(connection), \
                connection.begin():
            with Session(bind=connection) as session:
                if lock:
                    lock_registry(session)
                yield connection, session
                session.flush()
            _check_foreign_keys(connection, action)
    except ComptoirError:
        raise
    except Exception as exc:
        raise ModuleError(f"{action} failed, nothing was changed: {exc}") from exc
    registry.refresh()


@contextmanager
def _tables_rebuildable(connection):
    """On SQLite, let the transaction's migrations rebuild a table other tables refer to
    (Alembic's batch mode copies it, drops it and renames the copy): foreign keys are not
    enforced statement by statement, as SQLite's procedure for such changes asks, but checked
    once before the commit (:func:`_check_foreign_keys`).  SQLite changes this setting only
    outside a transaction, hence on the driver's connection before it begins."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection, action):
    """Refuse to commit ``action``, on SQLite, when rows' foreign keys name no row (see
    :func:`_tables_rebuildable`)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise ModuleError(f"{action} failed, nothing was changed: rows of {tables} would "
                          "refer to rows that do not exist")


def _states(session):
    return {row.name: row for row in session.scalars(select(ModuleState))}


def list_modules(registry, session):
    """Every installed module, and every module the database knows, sorted by name."""
    states = _states(session)
    infos = []
    for name in sorted(set(registry.installed) | set(states)):
        installed = registry.installed.get(name)
        state = states.get(name)
        pending = 0
        if installed and state and state.enabled:
            pending = _count(_pending, registry, session.connection(), name)
        infos.append(
            ModuleInfo(
                name=name,
                title=installed.manifest.title if installed else name,
                summary=installed.manifest.summary if installed else "package not installed",
                installed_version=installed.manifest.version if installed else None,
                recorded_version=state.version if state else None,
                enabled=bool(state and state.enabled),
                depends=installed.manifest.depends if installed else (),
                loaded=name in registry.enabled,
                pending_revisions=pending,
            )
        )
    return infos


def kernel_pending(session):
    """How many of the kernel's revisions this database lacks (``comptoir upgrade`` runs
    them); None when they cannot be read against it."""
    return _count(migrate.pending, session.connection(), migrate.KERNEL_VERSIONS,
                  migrate.KERNEL_BRANCH)


def _count(pending, *args):
    """How many revisions ``pending(*args)`` lists, or None when they cannot be read: a file
    that does not load, a revision the database names and the code lacks.  Listing goes on;
    upgrading reports the error."""
    try:
        return len(pending(*args))
    except DBAPIError:  # the database's own trouble, not the files': not hidden as theirs
        raise
    except Exception:  # whatever the files hold, the listing still shows every module
        logger.exception("migrations cannot be read")
        return None


def _enabled(session):
    return sorted(name for name, state in _states(session).items() if state.enabled)


def _pending(registry, connection, name):
    """The revisions of module ``name`` this database lacks (none for a module without tables).

    Revision files Alembic cannot make sense of are reported naming the module.
    """
    folder = registry.installed[name].migrations_folder()
    if folder is None:
        return []
    try:
        return migrate.pending(connection, folder, name)
    except (KeyError, RevisionError, CommandError) as exc:
        raise ValidationError(f"module {name!r}: its migrations cannot be read: {exc!r}") from exc


def _migration_lines(registry, connection, names):
    lines = {}
    for name in names:
        revisions = _pending(registry, connection, name)
        if revisions:
            lines[name] = [f"{rev.revision}: {rev.doc}" for rev in revisions]
    return lines


def _reason(winner, loser, registry):
    if winner.opts.get("tryfirst") and not loser.opts.get("tryfirst"):
        return f"{winner.plugin_name} marks its implementation tryfirst"
    if loser.opts.get("trylast") and not winner.opts.get("trylast"):
        return f"{loser.plugin_name} marks its implementation trylast"
    chain = dependency_order([winner.plugin_name], registry.installed)
    if loser.plugin_name in chain:
        return f"{winner.plugin_name} depends on {loser.plugin_name}, so it is asked first"
    return (
        f"neither depends on the other; {winner.plugin_name} comes later in the dependency "
        f"order of the enabled modules, so it is asked first"
    )


def first_result_clashes(registry, manager):
    """For each first-result hook answered by several modules, who is asked first and why."""
    clashes = []
    for name in sorted(manager.hook.__dict__):
        caller = getattr(manager.hook, name)
        if not caller.spec or not caller.spec.opts.get("firstresult"):
            continue
        impls = [i for i in caller.get_hookimpls() if i.plugin_name in registry.installed]
        if len(impls) < 2:
            continue
        winner, others = impls[-1], list(reversed(impls[:-1]))
        clashes.append(
            FirstResultClash(
                hook=name,
                winner=winner.plugin_name,
                others=[i.plugin_name for i in others],
                reason=_reason(winner, others[0], registry),
            )
        )
    return clashes


def preview(registry, name):
    """Say what enabling ``name`` would do: modules pulled in, migrations, hooks, clashes."""
    if name not in registry.installed:
        raise NotFound(f"no module named {name!r} is installed")
    with registry.session_factory() as session:
        enabled = _enabled(session)
        order = dependency_order([name], registry.installed)
        to_enable = [n for n in order if n not in enabled]
        after = set(enabled) | set(order)
        manager = registry.manager_with(after)
        problems = []
        try:  # the same checks enabling runs, so a refusal shows before anyone clicks
            registry.check(after, new=to_enable)
        except ComptoirError as error:
            problems.append(error.message)
        return Preview(
            module=name,
            to_enable=to_enable,
            already_enabled=name in enabled,
            migrations=_migration_lines(registry, session.connection(), to_enable),
            hooks={n: registry.installed[n].hooks_implemented() for n in to_enable},
            clashes=first_result_clashes(registry, manager),
            problems=problems,
        )


def _record_enabled(session, module):
    """Mark ``module`` enabled at its installed version (a row is kept once created)."""
    session.merge(ModuleState(name=module.name, enabled=True, version=module.manifest.version))


def enable(registry, name):
    """Enable ``name`` and what it depends on; return the names newly enabled, in order.

    Runs each module's migrations to head, records it enabled and calls
    ``comptoir_module_enabled``, all in one transaction; then reloads this process's hooks.
    """
    if name not in registry.installed:
        raise NotFound(f"no module named {name!r} is installed")
    order = dependency_order([name], registry.installed)
    with _transaction(registry, f"enabling {name!r}") as (connection, session):
        enabled = _enabled(session)
        to_enable = [n for n in order if n not in enabled]
        for module_name in to_enable:  # refuse code that fails to load before any change
            registry.installed[module_name].hooks_implemented()
            _pending(registry, connection, module_name)
        for module_name in to_enable:
            module = registry.installed[module_name]
            folder = module.migrations_folder()
            if folder is not None:
                migrate.upgrade(connection, folder, module_name)
            _record_enabled(session, module)
            session.flush()
            enabled.append(module_name)
            registry.manager_with(enabled).hook.comptoir_module_enabled(
                module=module.manifest, session=session
            )
            session.flush()
        if to_enable:
            registry.check(enabled, new=to_enable)
            bump_registry_version(session)
    return to_enable


def disable(registry, name):
    """Disable ``name``, keeping all its data; refused while an enabled module depends on it."""
    with _transaction(registry, f"disabling {name!r}") as (_connection, session):
        enabled = _enabled(session)
        if name not in enabled:
            raise Conflict(f"module {name!r} is not enabled")
        needing = dependents(name, enabled, registry.installed)
        if needing:
            raise Conflict(
                f"module {name!r} cannot be disabled: {', '.join(needing)} "
                f"{'depends' if len(needing) == 1 else 'depend'} on it",
                fields={"dependents": needing},
            )
        module = registry.installed.get(name)
        if module is not None:
            manager = registry.manager_with(enabled)
            manager.hook.comptoir_module_disabled(module=module.manifest, session=session)
        session.get(ModuleState, name).enabled = False
        bump_registry_version(session)


def upgrade(registry, names=None):
    """Migrate the kernel and the enabled modules (or only ``names``) to their installed version.

    Returns the names of the modules that had pending migrations or a newer version.
    """
    with _transaction(registry, "upgrading") as (connection, session):
        migrate.upgrade(connection, migrate.KERNEL_VERSIONS, migrate.KERNEL_BRANCH)
        enabled = registry.usable(_enabled(session))
        if names:
            unknown = sorted(set(names) - set(enabled))
            if unknown:
                raise Conflict(
                    f"not enabled or not loadable, nothing to upgrade: {', '.join(unknown)}"
                )
        upgraded = []
        for module_name in enabled:
            if names and module_name not in names:
                continue
            module = registry.installed[module_name]
            state = session.get(ModuleState, module_name)
            has_pending = bool(_pending(registry, connection, module_name))
            newer = version_key(module.manifest.version) > version_key(state.version)
            if has_pending:
                migrate.upgrade(connection, module.migrations_folder(), module_name)
            if has_pending or newer:
                state.version = module.manifest.version
                upgraded.append(module_name)
        if upgraded:
            bump_registry_version(session)
    return upgraded


def builtin_modules(registry):
    """Names of the modules shipped with Comptoir itself (the ``plugins`` package)."""
    return sorted(
        name for name, module in registry.installed.items()
        if module.import_path.startswith("plugins.")
    )


def initialise(registry, modules=(), demo=False):
    """Create the kernel's tables, enable ``modules`` and optionally load demo data.

    Safe to run again on an initialised database: what is there already is left as it is, and
    demo data is only loaded into a database created by this call.  Returns the names of the
    modules newly enabled.
    """
    registry.refresh()
    fresh = not registry.initialised
    with _transaction(registry, "initialising the database", lock=not fresh) as (connection, _):
        migrate.upgrade(connection, migrate.KERNEL_VERSIONS, migrate.KERNEL_BRANCH)
    newly = []
    for name in modules:
        newly += enable(registry, name)
    if demo and fresh:
        with _transaction(registry, "loading demo data") as (_, session):
            registry.call_in_order("comptoir_demo_data", session=session, hook=registry.hook)
    return newly
