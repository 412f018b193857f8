"""A module whose migrations fail halfway: enabling it must change nothing."""

from pathlib import Path

from core import hookimpl


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"
