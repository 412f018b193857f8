"""A module whose blueprint hook raises."""

from core import hookimpl


@hookimpl
def comptoir_blueprints():
    raise RuntimeError("boom_routes cannot build its pages")
