"""Price lists (trade agreements) and their rules."""

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.models import CustomerGroup, Item, ItemGroup
from core.money import Amount


class PriceList(Base):
    """A trade agreement in one currency, valid between two optional dates."""

    __tablename__ = "pricing_price_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)

    rules: Mapped[list["PriceRuleRow"]] = relationship(
        back_populates="price_list", order_by="PriceRuleRow.id", cascade="all, delete-orphan"
    )


class PriceRuleRow(Base):
    """One rule of a price list: for whom, for what, from which quantity, when; and its effect.

    It targets an item, an item group or every item (neither set), for one customer group or
    everyone, and gives either a fixed unit ``price`` or a ``discount`` percent.
    """

    __tablename__ = "pricing_rule"
    # Serves the rules on an item group and those on every item (both columns null) alike.
    __table_args__ = (Index("ix_pricing_rule_item_group_id_item_id", "item_group_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("pricing_price_list.id"), index=True)
    customer_group_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer_group.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("core_item.id"), index=True)
    item_group_id: Mapped[int | None] = mapped_column(ForeignKey("core_item_group.id"))
    min_quantity: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    price: Mapped[Decimal | None] = mapped_column(Amount)
    discount: Mapped[Decimal | None] = mapped_column(Amount)

    price_list: Mapped[PriceList] = relationship(back_populates="rules")
    customer_group: Mapped[CustomerGroup | None] = relationship(lazy="joined")
    item: Mapped[Item | None] = relationship(lazy="joined")
    item_group: Mapped[ItemGroup | None] = relationship(lazy="joined")


class RulesVersion(Base):
    """One row whose ``token`` changes at every change of the rules pricing reads.

    Triggers (migration pricing_0003) draw a new random token when a price list or a rule is
    written and when an item group or customer group changes its code; a rolled-back change
    leaves the token it drew unused.  The rules kept in memory (``plugins.pricing.rules``) are
    those read while the token was the one they are kept with.
    """

    __tablename__ = "pricing_rules_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
