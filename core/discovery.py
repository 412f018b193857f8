"""Finding installed modules: the ``comptoir.plugins`` entry points, manifests first."""

import importlib
import importlib.util
import logging
from importlib.metadata import entry_points
from pathlib import Path

import pluggy

from core import hookspecs
from core.errors import ValidationError
from core.manifest import read_manifest

ENTRY_POINT_GROUP = "comptoir.plugins"
logger = logging.getLogger(__name__)


class InstalledModule:
    """A module present in the Python environment, enabled or not.

    Its manifest is read from the package folder without importing it; the code is imported
    the first time ``plugin`` is used.
    """

    def __init__(self, manifest, import_path):
        self.manifest = manifest
        self.import_path = import_path
        self._plugin = None
        self._manager = None

    @property
    def name(self):
        return self.manifest.name

    @property
    def plugin(self):
        """The imported module object holding the hook implementations."""
        if self._plugin is None:
            try:
                self._plugin = importlib.import_module(self.import_path)
            except Exception as exc:
                raise ValidationError(
                    f"module {self.name!r}: its code fails to import: {exc}"
                ) from exc
        return self._plugin

    @property
    def _alone(self):
        """A plugin manager holding this module only; checks that every hook name is known."""
        if self._manager is None:
            manager = pluggy.PluginManager("comptoir")
            manager.add_hookspecs(hookspecs)
            register_checked(manager, self.plugin, self.name)
            self._manager = manager
        return self._manager

    def call(self, hook_name, **kwargs):
        """Call one hook on this module alone (enabled or not) and return its answers."""
        return getattr(self._alone.hook, hook_name)(**kwargs)

    def hooks_implemented(self):
        """Names of the kernel hooks this module implements, sorted."""
        return sorted(caller.name for caller in self._alone.get_hookcallers(self.plugin))

    def migrations_folder(self):
        """The folder of this module's Alembic revisions, or None when it has no tables."""
        answers = [a for a in self.call("comptoir_migrations") if a]
        return Path(answers[0]) if answers else None

    def __repr__(self):
        return f"<InstalledModule {self.name} {self.manifest.version}>"


def register_checked(manager, plugin, name):
    """Register ``plugin`` as ``name``; a hook unknown to the kernel, or misdeclared, is refused.

    The error names the module and the hook, instead of the hook being silently ignored.
    """
    try:
        manager.register(plugin, name=name)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        if manager.get_plugin(name) is not None:
            manager.unregister(name=name)
        raise ValidationError(f"module {name!r}: {exc}") from exc


def _folder_of(import_path):
    try:
        spec = importlib.util.find_spec(import_path)
    except ImportError as exc:
        raise ValidationError(f"module code {import_path!r} is not importable: {exc}") from exc
    if spec is None or spec.origin is None:
        raise ValidationError(f"module code {import_path!r} is not importable")
    return Path(spec.origin).parent


def discover(extra=None):
    """Return every installed module by name: entry points, plus ``extra`` name → import path.

    ``extra`` lets a test suite or a development checkout offer modules that are not installed
    as packages; they are treated exactly like entry-point modules.  A module whose code cannot
    be found, whose manifest is invalid or names another module, or whose name an earlier
    package offers already (entry points come first), is left out with an error logged, so that
    one broken package does not stop the platform.
    """
    sources = [(ep.name, ep.value.split(":")[0]) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    sources += sorted((extra or {}).items())
    found = {}
    for name, import_path in sources:
        try:
            folder = _folder_of(import_path)
            manifest = read_manifest(folder)
            if manifest.name != name:
                raise ValidationError(
                    f"{import_path} is registered as {name!r} but its manifest says "
                    f"{manifest.name!r}"
                )
            if name in found and found[name].import_path != import_path:
                raise ValidationError(
                    f"two packages offer it: {found[name].import_path} and {import_path}"
                )
        except ValidationError as error:
            logger.error("module %s is left out: %s", name, error.message)
            continue
        found[name] = InstalledModule(manifest, import_path)
    return found
