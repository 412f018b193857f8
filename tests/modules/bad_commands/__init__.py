"""A module whose command-line hook raises."""

from core import hookimpl


@hookimpl
def comptoir_cli_commands():
    raise RuntimeError("bad_commands cannot list its commands")
