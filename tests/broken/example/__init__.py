"""The example module as a broken release: it implements a hook that does not exist."""

from core import hookimpl


@hookimpl
def comptoir_menu_entrie():
    return []
