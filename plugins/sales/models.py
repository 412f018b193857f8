"""The sales module's own tables: quotations and their lines (revisions are kept, read-only)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.models import Item, Order, Party
from core.money import Amount

# draft → sent → accepted | lost; a revised quotation's earlier revisions become "archived".
QUOTATION_STATUSES = ("draft", "sent", "accepted", "lost", "archived")


class Quotation(Base):
    """One revision of a quotation; the revisions of a quotation share its number."""

    __tablename__ = "sales_quotation"
    __table_args__ = (UniqueConstraint("number", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    lost_reason: Mapped[str] = mapped_column(String(256), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("core_order.id"))
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    untaxed: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    party: Mapped[Party] = relationship(lazy="joined", innerjoin=True)
    order: Mapped[Order | None] = relationship()
    lines: Mapped[list["QuotationLine"]] = relationship(
        back_populates="quotation", order_by="QuotationLine.position",
        cascade="all, delete-orphan",
    )

    def shown_status(self, today=None):
        """The status people see: an open quotation past its validity date is "expired"."""
        if self.status in ("draft", "sent") and self.valid_until < (today or date.today()):
            return "expired"
        return self.status


class QuotationLine(Base):
    """One item offered on a quotation, priced like an order line."""

    __tablename__ = "sales_quotation_line"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never given again

    id: Mapped[int] = mapped_column(primary_key=True)
    quotation_id: Mapped[int] = mapped_column(ForeignKey("sales_quotation.id"), index=True)
    position: Mapped[int]
    item_id: Mapped[int] = mapped_column(ForeignKey("core_item.id"))
    description: Mapped[str] = mapped_column(String(256), default="")
    quantity: Mapped[Decimal] = mapped_column(Amount)
    manual_price: Mapped[Decimal | None] = mapped_column(Amount)
    manual_discount: Mapped[Decimal | None] = mapped_column(Amount)
    unit_price: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_rate: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    explanation: Mapped[list] = mapped_column(JSON, default=list)

    quotation: Mapped[Quotation] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


def accepted_quotation(session, order):
    """The quotation ``order`` was accepted from, or None."""
    return session.scalar(select(Quotation).where(Quotation.order_id == order.id))
