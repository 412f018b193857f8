"""Dependency resolution: order, cycles, missing modules, dependents."""

import pytest

from core.dependencies import dependency_order, dependents
from core.errors import ValidationError
from core.manifest import Manifest


class Fake:
    def __init__(self, name, *depends):
        self.manifest = Manifest(name=name, version="1.0.0", title=name, depends=depends)


def installed(*modules):
    return {m.manifest.name: m for m in modules}


def test_dependencies_come_first_and_ties_go_by_name():
    mods = installed(
        Fake("sales", "party", "pricing"), Fake("pricing", "party"), Fake("party"),
        Fake("invoicing", "sales"),
    )
    assert dependency_order(["invoicing"], mods) == ["party", "pricing", "sales", "invoicing"]
    assert dependency_order(["sales", "party"], mods) == ["party", "pricing", "sales"]


def test_order_does_not_depend_on_the_order_asked():
    mods = installed(Fake("a"), Fake("b"), Fake("c", "b", "a"))
    assert dependency_order(["c", "b", "a"], mods) == dependency_order(["a", "c"], mods)


def test_cycle_is_refused_naming_it():
    mods = installed(Fake("a", "b"), Fake("b", "c"), Fake("c", "a"))
    with pytest.raises(ValidationError, match="dependency cycle: a -> b -> c -> a"):
        dependency_order(["a"], mods)


def test_missing_dependency_is_refused_naming_both():
    mods = installed(Fake("sales", "pricing"))
    with pytest.raises(ValidationError, match="'sales' depends on 'pricing', which is not inst"):
        dependency_order(["sales"], mods)


def test_unknown_module_is_refused():
    with pytest.raises(ValidationError, match="no module named 'ghost'"):
        dependency_order(["ghost"], {})


def test_dependents_are_transitive_and_only_enabled_ones():
    mods = installed(Fake("a"), Fake("b", "a"), Fake("c", "b"), Fake("d", "a"))
    assert dependents("a", ["a", "b", "c"], mods) == ["b", "c"]
    assert dependents("c", ["a", "b", "c"], mods) == []
