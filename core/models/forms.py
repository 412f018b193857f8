"""Tokens of forms already sent, and keys of API requests already answered (see web.once)."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base


class FormToken(Base):
    """The one-time token of a form that was sent and did what it asked."""

    __tablename__ = "core_form_token"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class RequestKey(Base):
    """The ``Idempotency-Key`` an API request of a user sent, claimed in the transaction doing
    its work: a digest of the request, and the answer it got once kept (``status`` null until
    then)."""

    __tablename__ = "core_request_key"

    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
    used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
