"""One process's view of the modules of one database: installed, enabled, and their hooks."""

import logging
import threading
from dataclasses import dataclass

import pluggy
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from core import hookspecs
from core.db import WRITES, make_session_factory
from core.dependencies import dependency_order
from core.discovery import discover, register_checked
from core.errors import ComptoirError, ValidationError
from core.models import ModuleState, RegistryVersion

logger = logging.getLogger(__name__)


def new_plugin_manager(kernel_plugins, modules):
    """A plugin manager holding the kernel's plugins, then ``modules`` in the order given.

    Raises ValidationError naming the module when it implements a hook that does not exist or
    with arguments the specification lacks.
    """
    manager = pluggy.PluginManager("comptoir")
    manager.add_hookspecs(hookspecs)
    for plugin in kernel_plugins:
        manager.register(plugin, name=f"kernel:{plugin.__name__}")
    for module in modules:
        register_checked(manager, module.plugin, module.name)
    return manager


def read_registry_version(connection):
    """The database's registry version, or None when the kernel tables do not exist yet."""
    try:
        return connection.execute(select(RegistryVersion.version)).scalar_one_or_none()
    except (ProgrammingError, OperationalError) as exc:
        # PostgreSQL says "relation does not exist", SQLite "no such table"; anything else (a
        # locked or unreachable database) is not an empty database and must not pass for one.
        if isinstance(exc, OperationalError) and "no such table" not in str(exc):
            raise
        connection.rollback()
        return None


def lock_registry(session):
    """Hold the registry row until the transaction ends, so module changes take turns.

    A write that changes nothing: it takes PostgreSQL's row lock and SQLite's write lock alike,
    before the transaction reads which modules are enabled.
    """
    session.execute(update(RegistryVersion).values(version=RegistryVersion.version))


def bump_registry_version(session):
    """Tell every worker that the set of enabled modules changed (in the caller's transaction)."""
    session.execute(update(RegistryVersion).values(version=RegistryVersion.version + 1))


@dataclass(frozen=True)
class Loaded:
    """What one look at the database gave: its registry version, the modules enabled then (in
    dependency order) and the plugin manager holding their hooks.  Replaced whole, never
    changed, so a reader always sees the three agree."""

    version: int | None
    enabled: tuple
    manager: pluggy.PluginManager


class Registry:
    """Installed modules and the hooks of the enabled ones, kept in step with the database.

    ``refresh()`` costs one small query; it reloads the hooks only when another process (or this
    one) changed the enabled modules since the last look.  ``checks`` holds functions called
    with the names a module change would leave enabled, before it commits; the web layer adds
    one that builds the application with them, so that clashing routes refuse the change.
    """

    def __init__(self, engine, kernel_plugins=(), extra_modules=None):
        self.engine = engine
        self.session_factory = make_session_factory(engine)
        # The same engine and pool, its connections marked as writing ones.
        self._writing_engine = engine.execution_options(**{WRITES: True})
        self.kernel_plugins = tuple(kernel_plugins)
        self.installed = discover(extra_modules)
        self.loaded = Loaded(None, (), new_plugin_manager(self.kernel_plugins, []))
        self.checks = []
        self._lock = threading.Lock()

    def writing_session(self):
        """A new session for work that reads and then writes (a request changing something, a
        command): on SQLite its transaction begins with the write lock, so that two
        processes' writers take turns instead of the later one failing.  ``session_factory``
        serves work that only reads, or whose first statement writes (takes the lock)."""
        return self.session_factory(bind=self._writing_engine)

    @property
    def hook(self):
        """The hooks of the kernel and of the enabled modules: ``registry.hook.comptoir_x()``."""
        return self.loaded.manager.hook

    @property
    def enabled(self):
        """Names of the enabled modules, in dependency order (as of the last refresh)."""
        return self.loaded.enabled

    @property
    def version(self):
        """The registry version of the last refresh; None before the database is initialised."""
        return self.loaded.version

    @property
    def initialised(self):
        """True once the database holds the kernel's tables."""
        return self.loaded.version is not None

    def refresh(self):
        """Reload the enabled modules if the registry version moved; return what is loaded."""
        with self.engine.connect() as connection:
            version = read_registry_version(connection)
            if version == self.loaded.version:
                return self.loaded
            with self._lock:
                if version != self.loaded.version:
                    names = self._enabled_names(connection) if version is not None else []
                    self.loaded = self.loaded_with(names, version)
        return self.loaded

    def _enabled_names(self, connection):
        rows = connection.execute(select(ModuleState.name).where(ModuleState.enabled))
        return list(rows.scalars())

    def usable(self, names):
        """``names`` in dependency order, leaving out (with an error logged) any module that is
        not installed, whose dependencies are gone or whose code no longer loads, so that one
        broken package cannot take the platform down."""
        wanted = set()
        for name in names:
            try:
                dependency_order([name], self.installed)
            except ComptoirError as error:
                logger.error("enabled module %s is left out: %s", name, error.message)
                continue
            wanted.add(name)
        usable = []
        for name in dependency_order(wanted, self.installed):
            missing = [d for d in self.installed[name].manifest.depends if d not in usable]
            try:
                if missing:
                    raise ValidationError(f"it needs {', '.join(missing)}, which cannot be used")
                self.installed[name].hooks_implemented()  # imports and checks its hooks
            except ComptoirError as error:
                if name in wanted:
                    logger.error("enabled module %s is left out: %s", name, error.message)
                continue
            if name in wanted:
                usable.append(name)
        return usable

    def loaded_with(self, names, version=None):
        """What would be loaded with ``names`` enabled (the usable ones, with their hooks)."""
        order = self.usable(names)
        manager = new_plugin_manager(self.kernel_plugins, [self.installed[n] for n in order])
        return Loaded(version if version is not None else self.version, tuple(order), manager)

    def manager_with(self, names):
        """A separate plugin manager as it would be with ``names`` enabled."""
        return self.loaded_with(names).manager

    def check(self, names, new):
        """Run every check on the module set ``names``, ``new`` being the modules added to it.

        A check receives what would be loaded and raises ComptoirError to refuse; it judges the
        new modules strictly, while a module already enabled that fails is left out as it is at
        every load.
        """
        loaded = self.loaded_with(names)
        for check in self.checks:
            check(loaded, set(new))

    def call_in_order(self, hook_name, **kwargs):
        """Call a collected hook kernel first, then modules in dependency order; return answers.

        Pluggy calls the most recently registered implementation first; hooks whose
        implementations build on each other's work (demo data) need the opposite.
        """
        caller = getattr(self.hook, hook_name)
        return [
            impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            for impl in caller.get_hookimpls()
        ]
