"""A module whose lifecycle hook raises after its migration ran: enabling it must change nothing."""

from pathlib import Path

from core import hookimpl


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_module_enabled(module, session):
    if module.name == "bad_hook":
        raise RuntimeError("bad_hook refuses to start")
