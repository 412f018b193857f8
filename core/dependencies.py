"""Ordering modules by their ``depends``: what enabling pulls in, and in which order."""

from core.errors import ValidationError


def dependency_order(names, installed):
    """Return ``names`` and everything they depend on, each after its dependencies.

    The order is fixed by the dependency graph alone, ties broken by module name, so every
    process computes the same one.  A dependency that is not installed, or a cycle, raises
    ValidationError naming the modules involved.
    """
    ordered, done = [], set()

    def visit(name, path):
        if name in done:
            return
        if name in path:
            cycle = " -> ".join(path[path.index(name):] + [name])
            raise ValidationError(f"dependency cycle: {cycle}")
        if name not in installed:
            if path:
                raise ValidationError(
                    f"module {path[-1]!r} depends on {name!r}, which is not installed"
                )
            raise ValidationError(f"no module named {name!r} is installed")
        for dependency in sorted(installed[name].manifest.depends):
            visit(dependency, path + [name])
        done.add(name)
        ordered.append(name)

    for name in sorted(names):
        visit(name, [])
    return ordered


def dependents(name, enabled, installed):
    """Return the enabled modules that depend on ``name``, directly or through others, sorted."""
    found = set()
    changed = True
    while changed:
        changed = False
        for other in enabled:
            if other in found or other == name or other not in installed:
                continue
            depends = set(installed[other].manifest.depends)
            if name in depends or depends & found:
                found.add(other)
                changed = True
    return sorted(found)
