"""Which modules this database has enabled, and the version every worker compares with."""

from datetime import datetime

from sqlalchemy import String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class ModuleState(Base):
    """One row per module ever enabled on this database; disabling keeps the row (and data)."""

    __tablename__ = "core_module"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool]
    version: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RegistryVersion(Base):
    """A single row whose ``version`` goes up whenever the set of enabled modules changes.

    Each worker process reads it once per request and reloads its modules when it moved.
    """

    __tablename__ = "core_registry"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
