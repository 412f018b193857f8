"""Items (products and services), their groups and the tax categories they fall in."""

from decimal import Decimal

from sqlalchemy import ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.money import Amount


class TaxCategory(Base):
    """A tax rate items fall under (standard VAT 20%, reduced 5.5%, exempt 0%)."""

    __tablename__ = "core_tax_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    rate: Mapped[Decimal] = mapped_column(Amount)  # percent


class ItemGroup(Base):
    """A group of items that price lists and reports can target."""

    __tablename__ = "core_item_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))


class Item(Base):
    """Something sold: its number, unit, list price in its currency, tax category and stock;
    a service (``stocked`` false) keeps no stock."""

    __tablename__ = "core_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="unit")
    list_price: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    tax_category_id: Mapped[int] = mapped_column(ForeignKey("core_tax_category.id"))
    item_group_id: Mapped[int | None] = mapped_column(ForeignKey("core_item_group.id"))
    stock_on_hand: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    stocked: Mapped[bool] = mapped_column(default=True, server_default=true())

    tax_category: Mapped[TaxCategory] = relationship(lazy="joined")
    item_group: Mapped[ItemGroup | None] = relationship(lazy="joined")
