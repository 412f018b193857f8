"""The kernel's own tables: module state, users and tokens, the shared business records
(parties, items, orders, number sequences) every module builds on, the mail outbox, the
tokens of forms already sent and the keys of API requests already answered."""

from core.models.forms import FormToken, RequestKey
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
    "RequestKey",
    "Sequence",
    "StageChange",
    "Tag",
    "TaxCategory",
    "User",
]
