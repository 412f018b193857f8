"""The kernel's own web hook implementations: the outbox and admin entries of the navigation
bar."""

from core.hookspecs import hookimpl
from core.ui import MenuEntry
from web.outbox import SENDERS


@hookimpl(trylast=True)
def comptoir_menu_entries():
    """The outbox, for those who e-mail documents, and the admin pages, shown to admins only,
    after every module's entries."""
    return [
        *(MenuEntry("Outbox", "outbox.message_list", role=role, priority=890)
          for role in SENDERS),
        MenuEntry("Modules", "admin.module_list", role="admin", priority=900),
        MenuEntry("Users", "admin.user_list", role="admin", priority=910),
        MenuEntry("API tokens", "admin.token_list", role="admin", priority=920),
    ]
