"""Reading the ledger: the balance of every account, an account's entries with their running
balance, and the entries one document (an invoice, a payment) wrote.

Sums are taken in Python: SQLite holds amounts as exact text, which its SUM would turn into
floats.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from core.db import in_period
from core.errors import NotFound
from plugins.invoicing.models import Account, LedgerEntry


class Balance(NamedTuple):
    """What an account holds in one currency: its debits, its credits and their difference."""

    code: str
    name: str
    kind: str
    currency: str | None
    debit: Decimal
    credit: Decimal

    @property
    def balance(self):
        """Debits less credits."""
        return self.debit - self.credit


class EntryLine(NamedTuple):
    """A ledger entry as the ledger shows it, with the running balance of its account in its
    currency after it."""

    id: int
    entry_date: date
    document: str
    invoice_id: int | None
    payment_id: int | None
    account: str
    party_id: int | None
    currency: str
    debit: Decimal
    credit: Decimal
    description: str
    balance: Decimal | None


def _line(entry, balance=None):
    return EntryLine(entry.id, entry.entry_date, entry.document, entry.invoice_id,
                     entry.payment_id, entry.account.code, entry.party_id, entry.currency,
                     entry.debit, entry.credit, entry.description, balance)


def account_balances(session):
    """Every account with its totals, one :class:`Balance` per currency it has entries in
    (an account without entries once, with zeros), by account code."""
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for account_id, currency, debit, credit in session.execute(
            select(LedgerEntry.account_id, LedgerEntry.currency, LedgerEntry.debit,
                   LedgerEntry.credit)):
        sums[account_id, currency][0] += debit
        sums[account_id, currency][1] += credit
    currencies = defaultdict(list)
    for account_id, currency in sorted(sums):
        currencies[account_id].append(currency)
    return [Balance(account.code, account.name, account.kind, currency,
                    *sums.get((account.id, currency), (Decimal(0), Decimal(0))))
            for account in session.scalars(select(Account).order_by(Account.code))
            for currency in currencies.get(account.id) or [None]]


def get_account(session, code, *, lock=False):
    """The ledger account ``code``, or NotFound; ``lock`` takes its row lock and reads it as
    the database holds it now."""
    query = select(Account).where(Account.code == code)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    account = session.scalars(query).one_or_none()
    if account is None:
        raise NotFound(f"there is no ledger account {code}")
    return account


class Held(NamedTuple):
    """What an account held in one currency at the start or the end of a period: debits less
    credits."""

    currency: str
    balance: Decimal


class AccountLedger(NamedTuple):
    """One page of an account's entries of a period, oldest first, each with the account's
    running balance in its currency after it; per currency, the balance the period opens with
    (:class:`Held`) and its debits and credits (:class:`Balance`, whose ``balance`` is what
    they add to it), in the same order; how many entries the period has."""

    account: Account
    entries: list
    opening: list
    totals: list
    count: int

    @property
    def closing(self):
        """Per currency, the balance the period closes with (:class:`Held`)."""
        return [Held(held.currency, held.balance + moved.balance)
                for held, moved in zip(self.opening, self.totals, strict=True)]


def account_ledger(session, code, page=1, per_page=50, start=None, end=None):
    """The :class:`AccountLedger` of account ``code`` from ``start`` to ``end`` (dates, both
    included; the whole ledger when not given)."""
    account = get_account(session, code)
    order = (LedgerEntry.entry_date, LedgerEntry.id)
    running, opening = {}, defaultdict(Decimal)
    period = defaultdict(lambda: [Decimal(0), Decimal(0)])
    rows = session.execute(select(LedgerEntry.id, LedgerEntry.entry_date, LedgerEntry.currency,
                                  LedgerEntry.debit, LedgerEntry.credit)
                           .where(LedgerEntry.account_id == account.id,
                                  in_period(LedgerEntry.entry_date, end=end))
                           .order_by(*order)).all()
    for entry_id, entry_date, currency, debit, credit in rows:
        if start is not None and entry_date < start:
            opening[currency] += debit - credit
            continue
        period[currency][0] += debit
        period[currency][1] += credit
        running[entry_id] = opening[currency] + period[currency][0] - period[currency][1]
    entries = session.scalars(select(LedgerEntry)
                              .where(LedgerEntry.account_id == account.id,
                                     in_period(LedgerEntry.entry_date, start, end))
                              .order_by(*order).limit(per_page)
                              .offset((page - 1) * per_page)).all()
    currencies = sorted(set(period) | set(opening))
    totals = [Balance(account.code, account.name, account.kind, currency,
                      *period.get(currency, (Decimal(0), Decimal(0)))) for currency in currencies]
    return AccountLedger(account, [_line(entry, running[entry.id]) for entry in entries],
                         [Held(currency, opening[currency]) for currency in currencies],
                         totals, len(running))


def document_entries(session, document):
    """The entries the document numbered ``document`` wrote (NotFound when none)."""
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.document == document)
                              .order_by(LedgerEntry.id)).all()
    if not entries:
        raise NotFound(f"no ledger entry of document {document}")
    return [_line(entry) for entry in entries]


def invoice_entries(session, invoice_id):
    """The entries invoice ``invoice_id`` wrote when it was posted (none for a draft)."""
    return [_line(entry) for entry in session.scalars(
        select(LedgerEntry).where(LedgerEntry.invoice_id == invoice_id)
        .order_by(LedgerEntry.id))]
