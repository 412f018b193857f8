"""A menu entry whose endpoint no module serves."""

from core import hookimpl
from core.ui import MenuEntry


@hookimpl
def comptoir_menu_entries():
    return [MenuEntry("Nowhere", "bad_menu.missing")]
