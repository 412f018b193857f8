"""Tokens of forms already sent (see web.once)."""

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base


class FormToken(Base):
    """The one-time token of a form that was sent and did what it asked."""

    __tablename__ = "core_form_token"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
