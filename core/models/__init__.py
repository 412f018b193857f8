"""The kernel's own tables: module state per database, users and API tokens."""

from core.models.module_state import ModuleState, RegistryVersion
from core.models.users import ROLES, ApiToken, User

__all__ = ["ROLES", "ApiToken", "ModuleState", "RegistryVersion", "User"]
