"""Sales orders and their lines; what an order's type allows comes from the order-type hook."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.models.items import Item
from core.models.parties import Party
from core.money import Amount

# draft → confirmed (prices frozen) → delivered → invoiced; draft or confirmed → cancelled.
STATUSES = ("draft", "confirmed", "delivered", "invoiced", "cancelled")


class Order(Base):
    """An order header: customer, type, currency, status and the totals of its priced lines."""

    __tablename__ = "core_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    requested_ship_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    # Set by the campaigns module once it exists; no foreign key, the table is not the kernel's.
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    rma_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # order discount, %
    untaxed: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)

    party: Mapped[Party] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    """One item on an order, with its price, discount, tax and the explanation of its price."""

    __tablename__ = "core_order_line"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never given again

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("core_order.id"), index=True)
    position: Mapped[int]
    item_id: Mapped[int] = mapped_column(ForeignKey("core_item.id"), index=True)
    description: Mapped[str] = mapped_column(String(256), default="")
    quantity: Mapped[Decimal] = mapped_column(Amount)
    # What the salesperson typed, if anything; pricing treats it as the strongest rule.
    manual_price: Mapped[Decimal | None] = mapped_column(Amount)
    manual_discount: Mapped[Decimal | None] = mapped_column(Amount)
    # Where the typed price and discount come from, when not from the salesperson (a quotation).
    price_source: Mapped[str | None] = mapped_column(String(64))
    unit_price: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # percent
    tax_rate: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # percent
    amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # excluding tax
    tax_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    explanation: Mapped[list] = mapped_column(JSON, default=list)
    # Kept by the modules posting packing slips and invoices.
    delivered_quantity: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    invoiced_quantity: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))

    order: Mapped[Order] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()

    @property
    def deliver_remainder(self):
        """The quantity still to deliver."""
        return self.quantity - self.delivered_quantity

    @property
    def invoice_remainder(self):
        """The quantity still to invoice."""
        return self.quantity - self.invoiced_quantity
