"""A module whose revision names another module's revision in depends_on."""

from pathlib import Path

from core import hookimpl


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"
