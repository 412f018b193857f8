"""``comptoir new-plugin``: write an installable module package from a template.

The template is the tree under ``core/scaffold_template``.  Every file in it is a
:class:`string.Template`: ``${name}`` and the other placeholders of :func:`placeholders` are
replaced in its text and in its path (``${package}/views.py.tmpl`` becomes
``comptoir_foo/views.py``), and a trailing ``.tmpl`` is dropped, so that the template's Python
files are neither imported, collected by pytest nor byte-compiled where the template lives.
"""

import shutil
from pathlib import Path
from string import Template

from core.errors import ValidationError
from core.manifest import NAME_PATTERN

TEMPLATE = Path(__file__).parent / "scaffold_template"
TEMPLATE_SUFFIX = ".tmpl"

# The module's first revision is "<name>_0001"; Alembic keeps revision ids in a VARCHAR(32).
MAX_NAME_LENGTH = 32 - len("_0001")

# Names the kernel already uses for its migration branch, blueprints or top-level URLs: a
# module with one of them would clash with the kernel when enabled.
RESERVED_NAMES = frozenset(
    {"core", "web", "auth", "admin", "api", "kernel", "static", "login", "logout", "health"}
)


def check_name(name):
    """Raise ValidationError unless ``name`` can be the name of a new module."""
    problem = None
    if not NAME_PATTERN.match(name):
        problem = "use lower-case letters, digits and underscores, starting with a letter"
    elif len(name) > MAX_NAME_LENGTH:
        problem = f"use at most {MAX_NAME_LENGTH} characters"
    elif name in RESERVED_NAMES:
        problem = "the kernel already uses this name"
    if problem:
        raise ValidationError(
            f"{name!r} is not a valid module name: {problem}",
            fields={"name": ["invalid module name"]},
        )


def default_directory(name):
    """The folder ``comptoir new-plugin NAME`` writes to when none is given: ``comptoir-NAME``."""
    return Path(f"comptoir-{name.replace('_', '-')}")


def placeholders(name):
    """The values substituted in the template for module ``name``.

    ``name`` (``foo_bar``), ``package`` (``comptoir_foo_bar``, the import name), ``dist``
    (``comptoir-foo-bar``, the distribution name), ``title`` (``Foo bar``) and ``model``
    (``FooBarItem``, the model's class name).
    """
    return {
        "name": name,
        "package": f"comptoir_{name}",
        "dist": f"comptoir-{name.replace('_', '-')}",
        "title": name.replace("_", " ").capitalize(),
        "model": "".join(part.capitalize() for part in name.split("_")) + "Item",
    }


def _check_directory(target):
    if target.exists() and not target.is_dir():
        raise ValidationError(
            f"{target} exists and is not a directory", fields={"directory": ["not a directory"]}
        )
    if target.is_dir() and any(target.iterdir()):
        raise ValidationError(
            f"{target} already exists and is not empty: give a new or empty directory",
            fields={"directory": ["not empty"]},
        )


def _render(text, values, source):
    try:
        return Template(text).substitute(values)
    except (KeyError, ValueError) as exc:  # a template bug, not a user error: say where
        raise RuntimeError(f"scaffold template {source}: bad placeholder: {exc}") from exc


def template_files():
    """The template's files, as paths relative to the template folder, sorted."""
    return sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file())


def _write_tree(target, values):
    for relative in template_files():
        destination = _render(relative.as_posix(), values, relative)
        destination = destination.removesuffix(TEMPLATE_SUFFIX)
        path = target / destination
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (TEMPLATE / relative).read_text(encoding="utf-8")
        path.write_text(_render(text, values, relative), encoding="utf-8")


def _remove_contents(target, created):
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def scaffold_plugin(name, directory=None):
    """Create the package of module ``name`` in ``directory`` and return its absolute path.

    ``directory`` (default ``./comptoir-NAME``) must not exist yet or be empty.  The package
    holds a manifest, hook implementations, a model, its first migration, a page, a test and a
    README; ``pip install -e DIRECTORY`` makes the module known to Comptoir.  Raises
    ValidationError for an invalid name or an unusable directory; on any failure while writing,
    what was written is removed again.
    """
    check_name(name)
    target = Path(directory if directory is not None else default_directory(name)).resolve()
    _check_directory(target)
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
        _write_tree(target, placeholders(name))
    except BaseException as exc:
        _remove_contents(target, created)
        if isinstance(exc, OSError):
            raise ValidationError(
                f"cannot write {target}: {exc.strerror or exc}",
                fields={"directory": ["cannot be written"]},
            ) from exc
        raise
    return target
