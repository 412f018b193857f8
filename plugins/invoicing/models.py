"""Invoices and their lines, the ledger (accounts, posting profiles, entries) and payments."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import COMPARABLE_JSON, Base
from core.models import Item, OrderLine, Party, TaxCategory
from core.money import Amount
from plugins.fulfilment.models import PackingSlipLine

ACCOUNT_KINDS = ("receivable", "revenue", "tax", "bank", "other")
PAYMENT_KINDS = ("receipt", "refund")


class Account(Base):
    """A ledger (main) account."""

    __tablename__ = "invoicing_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))


class PostingProfile(Base):
    """Where an invoice posts: the customer balance's summary account, revenue and tax."""

    __tablename__ = "invoicing_posting_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    summary_account_id: Mapped[int] = mapped_column(ForeignKey("invoicing_account.id"))
    revenue_account_id: Mapped[int] = mapped_column(ForeignKey("invoicing_account.id"))
    tax_account_id: Mapped[int] = mapped_column(ForeignKey("invoicing_account.id"))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    summary_account: Mapped[Account] = relationship(foreign_keys=[summary_account_id],
                                                    lazy="joined")
    revenue_account: Mapped[Account] = relationship(foreign_keys=[revenue_account_id],
                                                    lazy="joined")
    tax_account: Mapped[Account] = relationship(foreign_keys=[tax_account_id], lazy="joined")


class Invoice(Base):
    """An invoice of some kind: a draft until posted, then numbered and immutable."""

    __tablename__ = "invoicing_invoice"
    # Posting finds the latest date a kind's posted invoices took by this index.
    __table_args__ = (Index("ix_invoicing_invoice_kind_status_invoice_date", "kind", "status",
                            "invoice_date"),
                      {"sqlite_autoincrement": True})  # ids never given again

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft, posted
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    posting_profile_id: Mapped[int] = mapped_column(ForeignKey("invoicing_posting_profile.id"))
    # A credit note names the invoice it credits.
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice.id"),
                                                           index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    untaxed: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    # What payments and credit notes have settled of the total so far, and of that what its
    # own credit notes (those crediting it) settled.
    settled: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    credited: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0), server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    posted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The customer as the posted invoice was issued to it (core.parties.billing_details): its
    # document prints these, whatever the party's name or address becomes, or a merge makes it.
    billed_to: Mapped[dict | None] = mapped_column(COMPARABLE_JSON)

    party: Mapped[Party] = relationship(lazy="joined", innerjoin=True)
    posting_profile: Mapped[PostingProfile] = relationship()
    credited_invoice: Mapped["Invoice | None"] = relationship(remote_side=[id],
                                                              back_populates="credit_notes")
    credit_notes: Mapped[list["Invoice"]] = relationship(back_populates="credited_invoice",
                                                         order_by="Invoice.id")
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan")

    @property
    def reference(self):
        """How people name the invoice: its number, or ``draft 12`` before it has one."""
        return self.number or f"draft {self.id}"

    @property
    def open_amount(self):
        """What is left to pay (or, for a credit note, to refund or apply)."""
        return self.total - self.settled

    @property
    def payment_status(self):
        """``open``, ``partially_paid``, ``paid``, or ``credited`` when its own credit notes
        settled all of it (a cancelled invoice), once posted; ``None`` for a draft."""
        if self.status != "posted":
            return None
        if self.settled == 0 and self.total != 0:
            return "open"
        if self.settled < self.total:
            return "partially_paid"
        return "credited" if self.credited >= self.total and self.total else "paid"


class InvoiceLine(Base):
    """One line of an invoice: an order line's quantity (with its item), or free text posted
    to a ledger account."""

    __tablename__ = "invoicing_invoice_line"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never given again

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    position: Mapped[int]
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("core_order_line.id"),
                                                      index=True)
    packing_slip_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("fulfilment_packing_slip_line.id"), index=True)
    # On a credit note: the invoice line it credits.
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice_line.id"),
                                                         index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("core_item.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_account.id"))
    tax_category_id: Mapped[int | None] = mapped_column(ForeignKey("core_tax_category.id"))
    description: Mapped[str] = mapped_column(String(256), default="")
    quantity: Mapped[Decimal] = mapped_column(Amount, default=Decimal(1))
    unit_price: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # percent
    tax_rate: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # percent
    amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # excluding tax
    tax_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine | None] = relationship()
    packing_slip_line: Mapped[PackingSlipLine | None] = relationship()
    item: Mapped[Item | None] = relationship()
    account: Mapped[Account | None] = relationship(lazy="joined")
    tax_category: Mapped[TaxCategory | None] = relationship()


class Payment(Base):
    """Money received from a customer and applied to posted invoices (a ``receipt``), or paid
    back to a customer (a ``refund``) against a credit note or of a receipt's unapplied rest
    (``refunded_payment_id``)."""

    __tablename__ = "invoicing_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="receipt", server_default="receipt")
    party_id: Mapped[int] = mapped_column(ForeignKey("core_party.id"), index=True)
    payment_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    applied: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    reference: Mapped[str] = mapped_column(String(128), default="")
    account_id: Mapped[int] = mapped_column(ForeignKey("invoicing_account.id"))
    refunded_payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_payment.id"),
                                                            index=True)
    # Where the customer's side stands: a receipt's unapplied rest, a refund's debit.
    summary_account_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())

    party: Mapped[Party] = relationship(lazy="joined", innerjoin=True)
    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    summary_account: Mapped[Account | None] = relationship(foreign_keys=[summary_account_id])
    refunded_payment: Mapped["Payment | None"] = relationship(remote_side=[id])

    @property
    def unapplied(self):
        """The part of the payment not applied to an invoice yet."""
        return self.amount - self.applied


class Settlement(Base):
    """A part of an invoice settled by a payment or by a credit note."""

    __tablename__ = "invoicing_settlement"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoicing_invoice.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_payment.id"),
                                                   index=True)
    credit_note_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice.id"),
                                                       index=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    settled_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class LedgerEntry(Base):
    """One debit or credit on a ledger account, written when a document posts."""

    __tablename__ = "invoicing_ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(String(32), index=True)  # INV-00001, PAY-00001
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_invoice.id"),
                                                   index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoicing_payment.id"),
                                                   index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("invoicing_account.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("core_party.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    debit: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    description: Mapped[str] = mapped_column(String(256), default="")

    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)
