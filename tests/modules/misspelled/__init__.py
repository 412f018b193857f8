"""Implements a misspelled hook: the kernel refuses it by name."""

from core import hookimpl


@hookimpl
def comptoir_menu_entrie():
    return []
