"""Packing slips and the stock moves they post."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import COMPARABLE_JSON, Base
from core.models import Item, Order, OrderLine, Party
from core.money import Amount


class PackingSlip(Base):
    """A posted delivery of some or all of an order's remaining quantities."""

    __tablename__ = "fulfilment_packing_slip"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("core_order.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    delivery_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # The customer as the slip delivered to (or received from) it
    # (core.parties.delivery_details): the slip prints these, whatever the party's name or
    # address becomes, or a merge makes it.
    delivered_to: Mapped[dict | None] = mapped_column(COMPARABLE_JSON)

    order: Mapped[Order] = relationship()
    party: Mapped[Party] = relationship()
    lines: Mapped[list["PackingSlipLine"]] = relationship(
        back_populates="packing_slip", order_by="PackingSlipLine.id",
        cascade="all, delete-orphan")


class PackingSlipLine(Base):
    """The quantity of one order line a packing slip delivered."""

    __tablename__ = "fulfilment_packing_slip_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    packing_slip_id: Mapped[int] = mapped_column(ForeignKey("fulfilment_packing_slip.id"),
                                                 index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("core_order_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Amount)
    # What was still to deliver of the order line once this slip delivered it.
    remainder_after: Mapped[Decimal | None] = mapped_column(Amount)

    packing_slip: Mapped[PackingSlip] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class StockMove(Base):
    """A change of an item's stock: negative when goods leave, positive when they come back."""

    __tablename__ = "fulfilment_stock_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("core_item.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Amount)
    packing_slip_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("fulfilment_packing_slip_line.id"), index=True)
    move_date: Mapped[date] = mapped_column(Date)

    item: Mapped[Item] = relationship()
    packing_slip_line: Mapped[PackingSlipLine | None] = relationship()
