"""Outgoing e-mail waiting to be sent, and what became of it (see core.outbox)."""

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

# queued → sent; a failed attempt leaves the message queued for a later one; a queued message
# may be withdrawn (kept on record, never sent).
OUTBOX_STATUSES = ("queued", "sent", "withdrawn")


class OutboxMessage(Base):
    """One e-mail with at most one attachment; kept once sent, as a record of what went out.

    ``message_id`` is the Message-ID header, chosen when the message is queued and the same on
    every attempt, so a copy sent twice (see core.outbox) is recognisable as one message.
    ``claimed_until`` is set while a sender is working on the message.
    """

    __tablename__ = "core_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text, default="")
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_name: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str] = mapped_column(String(128), unique=True)
