"""The kernel's own tables: module state, users and tokens, the shared business records
(parties, items, orders, number sequences) every module builds on, the mail outbox and the
tokens of forms already sent."""

from core.models.forms import FormToken
from core.models.items import Item, ItemGroup, TaxCategory
from core.models.module_state import ModuleState, RegistryVersion
from core.models.orders import Order, OrderLine
from core.models.outbox import OutboxMessage
from core.models.parties import STAGES, Address, CustomerGroup, Party, StageChange, Tag
from core.models.users import ROLES, ApiToken, User
from core.numbering import Sequence

__all__ = [
    "ROLES",
    "STAGES",
    "Address",
    "ApiToken",
    "CustomerGroup",
    "FormToken",
    "Item",
    "ItemGroup",
    "ModuleState",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Party",
    "RegistryVersion",
    "Sequence",
    "StageChange",
    "Tag",
    "TaxCategory",
    "User",
]
