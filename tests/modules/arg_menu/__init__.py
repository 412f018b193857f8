"""A menu entry linking to a page that needs a URL argument."""

from flask import Blueprint

from core import hookimpl
from core.ui import MenuEntry


@hookimpl
def comptoir_blueprints():
    bp = Blueprint("arg_menu", __name__, url_prefix="/arg-menu")

    @bp.route("/<int:item>")
    def item(item):
        return str(item)

    return [bp]


@hookimpl
def comptoir_menu_entries():
    return [MenuEntry("Item", "arg_menu.item")]
