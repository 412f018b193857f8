"""The kernel's own web hook implementations: the admin entries of the navigation bar."""

from core.hookspecs import hookimpl
from core.ui import MenuEntry


@hookimpl(trylast=True)
def comptoir_menu_entries():
    """Admin pages, shown to admins only, after every module's entries."""
    return [
        MenuEntry("Modules", "admin.module_list", role="admin", priority=900),
        MenuEntry("Users", "admin.user_list", role="admin", priority=910),
        MenuEntry("API tokens", "admin.token_list", role="admin", priority=920),
    ]
