"""Parties: people and organisations, their relationship stage and its history."""

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

# A party moves along this flow as it becomes a customer (a vendor flag is separate).
STAGES = ("prospect", "lead", "opportunity", "customer")


class CustomerGroup(Base):
    """A group of customers that price lists can target (wholesale, retail...)."""

    __tablename__ = "core_customer_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))


class Tag(Base):
    """A free label on parties, used to find them and to choose campaign targets."""

    __tablename__ = "core_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


party_tag = Table(
    "core_party_tag",
    Base.metadata,
    Column("party_id", ForeignKey("core_party.id"), primary_key=True),
    Column("tag_id", ForeignKey("core_tag.id"), primary_key=True),
)


class Party(Base):
    """A person or organisation; ``merged_into`` is set once it was merged into another."""

    __tablename__ = "core_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    stage: Mapped[str] = mapped_column(String(16), default="prospect")
    is_vendor: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_group_id: Mapped[int | None] = mapped_column(ForeignKey("core_customer_group.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("core_party.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    customer_group: Mapped[CustomerGroup | None] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=party_tag, order_by=Tag.name)
    addresses: Mapped[list["Address"]] = relationship(
        back_populates="party", order_by="Address.id", cascade="all, delete-orphan"
    )
    history: Mapped[list["StageChange"]] = relationship(
        back_populates="party", order_by="[StageChange.changed_at, StageChange.id]"
    )


class Address(Base):
    """A postal address of a party: invoice, delivery or other."""

    __tablename__ = "core_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="invoice")
    street: Mapped[str] = mapped_column(String(256), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")
    city: Mapped[str] = mapped_column(String(128), default="")
    country: Mapped[str] = mapped_column(String(2), default="")

    party: Mapped[Party] = relationship(back_populates="addresses")


class StageChange(Base):
    """One change of a party's relationship stage: when, from what, to what, and why."""

    __tablename__ = "core_party_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    old_stage: Mapped[str | None] = mapped_column(String(16))
    new_stage: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(256))

    party: Mapped[Party] = relationship(back_populates="history")
