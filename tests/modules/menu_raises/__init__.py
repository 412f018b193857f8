"""A module whose menu hook starts raising after it was enabled."""

import os

from core import hookimpl


@hookimpl
def comptoir_menu_entries():
    if os.environ.get("MENU_RAISES"):
        raise RuntimeError("menu_raises cannot list its entries")
    return []
