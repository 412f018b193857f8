"""The hook specifications are the public contract: each one is named, documented and in the guide.

A hook specification in core/hookspecs.py must
- be named ``comptoir_...``;
- have a docstring saying whether the hook is "First-result" or "Collected", matching how it is
  declared (``firstresult=True`` or not);
- have its own section in docs/plugins.md, a heading holding its name in backticks.
"""

import inspect
import re
from pathlib import Path

import pluggy
import pytest

from core import hookspecs

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"
HEADING = re.compile(r"^#{1,6}\s.*$", re.MULTILINE)
NAME_IN_BACKTICKS = re.compile(r"`(comptoir_\w+)`")


def _specifications():
    """Every hook specification, by name, as pluggy reads core/hookspecs.py."""
    manager = pluggy.PluginManager("comptoir")
    manager.add_hookspecs(hookspecs)
    return {
        name: caller.spec
        for name, caller in sorted(vars(manager.hook).items())
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None
    }


SPECS = _specifications()


def _documented_hooks():
    """Hook names appearing in backticks in a heading of docs/plugins.md."""
    text = GUIDE.read_text(encoding="utf-8")
    headings = HEADING.findall(text)
    return {name for heading in headings for name in NAME_IN_BACKTICKS.findall(heading)}


def test_the_kernel_declares_hooks():
    assert SPECS, "pluggy found no hook specification in core/hookspecs.py"


def test_every_function_of_the_module_is_a_hook_specification():
    """A function in core/hookspecs.py without @hookspec would silently not be a hook."""
    functions = {
        name for name, member in inspect.getmembers(hookspecs, inspect.isfunction)
        if member.__module__ == hookspecs.__name__ and not name.startswith("_")
    }
    assert sorted(functions - set(SPECS)) == [], "functions not marked @hookspec"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_name_starts_with_comptoir(name):
    assert name.startswith("comptoir_"), f"hook {name!r} must be named comptoir_..."


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_docstring_says_how_answers_are_gathered(name):
    spec = SPECS[name]
    doc = inspect.getdoc(spec.function)
    assert doc and doc.strip(), f"hook {name} has no docstring"
    first_result = bool(spec.opts.get("firstresult"))
    wanted, other = ("First-result", "Collected") if first_result else ("Collected", "First-result")
    assert wanted in doc, (
        f"hook {name} is {'first-result' if first_result else 'collected'}: its docstring must "
        f"say {wanted!r}"
    )
    assert other not in doc, f"hook {name}: its docstring says {other!r}, but it is {wanted!r}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_hook_is_documented_in_the_guide(name):
    assert GUIDE.is_file(), f"{GUIDE} is missing"
    assert name in _documented_hooks(), (
        f"hook {name} has no section in docs/plugins.md (a heading such as ### `{name}`)"
    )


def test_the_guide_documents_no_hook_that_does_not_exist():
    stale = _documented_hooks() - set(SPECS)
    assert sorted(stale) == [], "docs/plugins.md has sections for hooks core/hookspecs.py lacks"
