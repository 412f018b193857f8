"""Payments: register money received from a customer and apply it to posted invoices; the
customer's balance and the aged list of open invoices and receipts.

Every function works inside the caller's transaction.  Registering or applying a payment runs
a fixed number of SQL statements however many invoices it settles: the invoices are locked and
loaded in one query, and settlements, invoice updates and ledger entries are written in one
batch each.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, insert, or_, select, union
from sqlalchemy.orm import aliased

from core.db import in_period
from core.documents import party_for, require_made, store_values
from core.errors import Conflict, NotFound, ValidationError
from core.formatting import money
from core.invoicekinds import Entry, kind_signs
from core.models import Party
from core.money import check_currency, exponent, round_money
from core.numbering import next_number
from core.parties import contains
from plugins.invoicing.kinds import CREDIT_NOTE, is_credit_note
from plugins.invoicing.models import (
    Account,
    Invoice,
    LedgerEntry,
    Payment,
    PostingProfile,
    Settlement,
)
from plugins.invoicing.posting import write_entries

BUCKETS = (("not_due", "Not due"), ("days_1_30", "1–30 days"), ("days_31_60", "31–60 days"),
           ("days_61_90", "61–90 days"), ("over_90", "Over 90 days"))
OWNER = "payments"


def register_payment(session, party_id, amount, currency, payment_date, reference="",
                     applications=(), account="512"):
    """Register ``amount`` received from the customer ``party_id`` into the bank account
    ``account`` and apply it to posted invoices; returns the payment, numbered from the
    ``payment`` sequence.

    ``applications`` is ``[(invoice id, amount)]``: invoices of the payment's customer and
    currency, each amount at most the invoice's open amount, together at most the payment
    (422 naming each problem; 409 for a draft invoice); a payment dated after today is refused
    (422 under ``payment_date``).  The ledger gets the bank debited and the customer's balance
    credited: on the summary account of each invoice's posting profile for what is applied, of
    the default profile for the rest (the payment's ``summary_account``).
    """
    # Dated ahead, its entries would stand in the balance before the money moved.
    require_made(payment_date, "payment_date", "payment is recorded once received")
    party = party_for(session, party_id)
    currency = check_currency(currency)
    amount = checked_amount(amount, currency)
    bank = bank_account(session, account)
    payment = Payment(kind="receipt", party_id=party.id, party=party,
                      payment_date=payment_date, currency=currency, amount=amount,
                      applied=Decimal(0), reference=reference or "", account_id=bank.id)
    invoices, profiles = checked_applications(session, payment, payment.unapplied,
                                              applications)
    payment.number = next_number(session, "payment")
    payment.summary_account = _default_profile(profiles).summary_account
    session.add(payment)
    session.flush()
    applied = _apply(session, payment, invoices, applications, profiles)
    applied[payment.summary_account.code] += payment.unapplied
    entries = [Entry(bank.code, amount, 0, payment_description(payment))]
    entries += [Entry(code, 0, value, party.name, party.id)
                for code, value in sorted(applied.items()) if value]
    write_entries(session, entries, document=payment.number, currency=currency,
                  entry_date=payment_date, owner=OWNER, payment_id=payment.id)
    return payment


def checked_amount(amount, currency):
    """``amount`` as a Decimal, refused (422 under ``amount``) unless more than 0 and in whole
    cents of ``currency``."""
    amount = Decimal(amount)
    if not _payable(amount, currency):
        raise ValidationError("the amount is not valid", fields={"amount": [
            f"Must be more than 0, in whole {_unit(currency)} at most."]})
    return amount


def _payable(amount, currency):
    """Whether ``amount`` can be paid in ``currency``: more than 0, in whole cents of it."""
    return amount > 0 and round_money(amount, currency) == amount


def _unit(currency):
    """The smallest amount of ``currency`` a payment takes: ``EUR cents``, ``JPY`` (none)."""
    return f"{currency} cents" if exponent(currency) < 1 else currency


def bank_account(session, code):
    """The ledger account ``code``, refused (422 under ``account``) unless a bank account."""
    bank = session.scalars(select(Account).where(Account.code == code)
                           .with_for_update(read=True)).one_or_none()  # its kind holds
    if bank is None or bank.kind != "bank":
        raise ValidationError(f"{code} is not a bank account",
                              fields={"account": ["Not a bank account."]})
    return bank


def apply_payment(session, payment, applications, on=None):
    """Apply the unapplied rest of ``payment`` (locked by the caller: ``load_payment(...,
    lock=True)``) to posted invoices, ``[(invoice id, amount)]`` as for
    :func:`register_payment`; returns the payment.

    The rest stands on the payment's summary account (the default posting profile's when it
    was registered); an invoice posting to another summary account gets the amount moved there,
    with entries dated ``on`` (default: today).
    """
    if not applications:
        raise ValidationError("nothing to apply",
                              fields={"applications": ["Apply the payment to an invoice."]})
    invoices, profiles = checked_applications(session, payment, payment.unapplied,
                                              applications)
    applied = _apply(session, payment, invoices, applications, profiles)
    move_to_summaries(session, payment.summary_account.code, applied, payment.party,
                      document=payment.number, currency=payment.currency,
                      entry_date=on or date.today(), owner=OWNER, payment_id=payment.id)
    return payment


def refund_payment(session, payment, amount, payment_date, reference="", account="512"):
    """Pay back ``amount`` of what the receipt ``payment`` (locked by the caller:
    ``load_payment(..., lock=True)``) left unapplied, from the bank account ``account``;
    returns the refund, a payment of kind ``refund`` numbered from the ``refund`` sequence
    (RF-) that names the receipt.

    The amount is at most the unapplied rest (422 under ``amount``), in whole cents, and the
    refund is not dated before the receipt (422 under ``payment_date``); 409 for a refund.
    The receipt counts the amount as applied.  The ledger gets the customer's balance debited
    on the payment's summary account, where the rest stood, and the bank credited.
    """
    if payment.kind != "receipt":
        raise Conflict(f"{payment.number} is a refund: only money received is paid back")
    refund = pay_back(session, payment.party, payment.currency, amount, payment_date,
                      reference, account, source=payment,
                      left=round_money(payment.unapplied, payment.currency),
                      since=payment.payment_date,
                      summary=payment.summary_account)
    payment.applied += refund.amount
    session.flush()
    return refund


def pay_back(session, party, currency, amount, payment_date, reference, account, *, source,
             left, since, summary):
    """Write a refund (RF-) of ``amount`` paying ``party`` back from the bank account
    ``account``, and its entries: the customer's balance debited on the summary account
    ``summary`` (an Account), the bank credited; returns it, flushed.  ``source`` is the credit
    note or the receipt paid back: the refund names a receipt.

    The amount is at most ``left`` (422 under ``amount``), in whole cents, and the refund is
    dated neither before ``since``, the source's date, nor after today (422 under
    ``payment_date``).
    """
    require_made(payment_date, "payment_date", "refund is recorded once paid")
    amount = checked_amount(amount, currency)
    if amount > left:
        raise ValidationError("the amount is more than is left to pay back", fields={
            "amount": [f"At most the {money(left, currency)} left of {source.number}." if left > 0
                       else f"Nothing is left of {source.number} to pay back."]})
    if payment_date < since:
        raise ValidationError("a refund cannot come before what it pays back", fields={
            "payment_date": [f"Not before {since}, the date of {source.number}."]})
    bank = bank_account(session, account)
    refund = Payment(kind="refund", number=next_number(session, "refund"), party_id=party.id,
                     party=party, payment_date=payment_date, currency=currency, amount=amount,
                     applied=amount, reference=reference or "", account_id=bank.id,
                     summary_account=summary,
                     refunded_payment_id=source.id if isinstance(source, Payment) else None)
    session.add(refund)
    session.flush()
    write_entries(session, [Entry(summary.code, amount, 0, party.name, party.id),
                            Entry(bank.code, 0, amount, payment_description(refund))],
                  document=refund.number, currency=currency, entry_date=payment_date,
                  owner="refunds", payment_id=refund.id)
    return refund


def payment_refunds(session, payment):
    """The refunds that paid back part of the receipt ``payment``, oldest first."""
    return session.scalars(select(Payment).where(Payment.refunded_payment_id == payment.id)
                           .order_by(Payment.id)).all()


def move_to_summaries(session, source, applied, party, **where):
    """Move what was settled (``{summary account code: amount}``) from the summary account
    ``source``, where the customer's side of the payment or credit note stands, to the invoices'
    summary accounts that differ from it; ``where`` is :func:`write_entries`' keywords."""
    moved = {code: value for code, value in applied.items() if code != source and value}
    if moved:
        entries = [Entry(source, sum(moved.values()), 0, party.name, party.id)]
        entries += [Entry(code, 0, value, party.name, party.id)
                    for code, value in sorted(moved.items())]
        write_entries(session, entries, **where)


def load_payment(session, payment_id, *, lock=False):
    """The payment ``payment_id``; ``lock`` takes its row lock."""
    query = select(Payment).where(Payment.id == payment_id)
    if lock:
        query = query.with_for_update(of=Payment).execution_options(populate_existing=True)
    payment = session.scalars(query).one_or_none()
    if payment is None:
        raise NotFound(f"payment {payment_id} does not exist")
    return payment


def search_payments(session, text="", page=1, per_page=25, party_id=None, kind=None,
                    start=None, end=None):
    """Payments whose number, reference or customer name contains ``text``, of customer
    ``party_id``, of ``kind`` (``receipt`` or ``refund``), dated from ``start`` to ``end``,
    each when given, newest first: ``(payments, total count)``."""
    query = select(Payment).join(Payment.party)
    if party_id is not None:
        query = query.where(Payment.party_id == party_id)
    if kind is not None:
        query = query.where(Payment.kind == kind)
    query = query.where(in_period(Payment.payment_date, start, end))
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(Payment.number).like(pattern, escape="\\"),
                                func.lower(Payment.reference).like(pattern, escape="\\"),
                                func.lower(Party.name).like(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(
        query.order_by(Payment.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return found, total


@dataclass(frozen=True)
class Application:
    """A part of a payment applied to an invoice."""

    invoice_id: int
    invoice_number: str
    amount: Decimal
    currency: str


def payment_applications(session, payment):
    """What ``payment`` was applied to, in the order it was."""
    rows = session.execute(
        select(Settlement.invoice_id, Invoice.number, Settlement.amount)
        .join(Invoice, Settlement.invoice_id == Invoice.id)
        .where(Settlement.payment_id == payment.id).order_by(Settlement.id)).all()
    return [Application(invoice_id, number, amount, payment.currency)
            for invoice_id, number, amount in rows]


@dataclass(frozen=True)
class SettledBy:
    """A part of an invoice settled by a payment or a credit note (or, seen from a credit note,
    the invoice it settled)."""

    document: str
    payment_id: int | None
    invoice_id: int | None
    amount: Decimal
    currency: str


def invoice_settlements(session, invoice):
    """What settled ``invoice`` (payments and credit notes), or for a credit note the invoices
    it settled and its refunds, in the order it happened."""
    other = aliased(Invoice)
    if not is_credit_note(invoice):
        query = (select(func.coalesce(Payment.number, other.number), Settlement.payment_id,
                        Settlement.credit_note_id, Settlement.amount)
                 .outerjoin(Payment, Settlement.payment_id == Payment.id)
                 .outerjoin(other, Settlement.credit_note_id == other.id)
                 .where(Settlement.invoice_id == invoice.id))
    else:
        applied = Settlement.credit_note_id == invoice.id
        query = (select(func.coalesce(other.number, Payment.number), Settlement.payment_id,
                        case((applied, Settlement.invoice_id)), Settlement.amount)
                 .outerjoin(other, and_(applied, Settlement.invoice_id == other.id))
                 .outerjoin(Payment, Settlement.payment_id == Payment.id)
                 .where(or_(applied, Settlement.invoice_id == invoice.id)))
    return [SettledBy(document, payment_id, invoice_id, amount, invoice.currency)
            for document, payment_id, invoice_id, amount
            in session.execute(query.order_by(Settlement.id)).all()]


def payment_entries(session, payment):
    """The ledger entries ``payment`` wrote."""
    return session.scalars(select(LedgerEntry).where(LedgerEntry.payment_id == payment.id)
                           .order_by(LedgerEntry.id)).all()


def customer_balance(session, party_id):
    """What the customer ``party_id`` owes, per currency (``{currency: amount}``), from the
    ledger: debits less credits of the receivable accounts' entries for that customer.  A
    negative amount is owed to the customer."""
    rows = session.execute(
        select(LedgerEntry.currency, LedgerEntry.debit, LedgerEntry.credit)
        .join(LedgerEntry.account)
        .where(LedgerEntry.party_id == party_id, Account.kind == "receivable")).all()
    balances = defaultdict(lambda: Decimal(0))
    for currency, debit, credit in rows:  # summed here: SQLite sums the exact text as floats
        balances[currency] += debit - credit
    return {currency: round_money(balances[currency], currency) for currency in sorted(balances)}


def open_invoices(session, party_id, currency=None):
    """The customer's posted invoices and credit notes not fully settled, oldest due first."""
    query = _open().where(Invoice.party_id == party_id)
    if currency:
        query = query.where(Invoice.currency == currency)
    return session.scalars(query.order_by(Invoice.due_date, Invoice.invoice_date, Invoice.posted_at,
                                          Invoice.id)).all()


def unapplied_payments(session, party_id):
    """The customer's payments not wholly applied yet, oldest first."""
    return session.scalars(select(Payment).where(Payment.party_id == party_id,
                                                 Payment.applied != Payment.amount)
                           .order_by(Payment.payment_date, Payment.id)).all()


@dataclass
class AgedCustomer:
    """One customer's open invoices and unapplied receipts in one currency, by how long they
    are past due.

    Credit notes and receipts count negative: they are owed to the customer, so the total is
    what the customer owes.
    """

    party_id: int
    party_name: str
    currency: str
    buckets: dict = field(default_factory=lambda: {code: Decimal(0) for code, _ in BUCKETS})
    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    @property
    def total(self):
        """Everything open, all buckets together."""
        return sum(self.buckets.values(), Decimal(0))


@dataclass(frozen=True)
class AgedInvoice:
    """An open invoice in the aged list: its signed open amount and days past due."""

    invoice: Invoice
    open_amount: Decimal
    days_past_due: int
    bucket: str


@dataclass(frozen=True)
class AgedPayment:
    """A receipt not wholly applied in the aged list: its unapplied part (negative) and the
    days since it was received."""

    payment: Payment
    open_amount: Decimal
    days_past_due: int
    bucket: str


def bucket_of(days_past_due):
    """The bucket code of an invoice ``days_past_due`` days past its due date."""
    for limit, code in ((0, "not_due"), (30, "days_1_30"), (60, "days_31_60"),
                        (90, "days_61_90")):
        if days_past_due <= limit:
            return code
    return "over_90"


def aged_open_invoices(session, hook, as_of, party_id=None):
    """The open invoices, credit notes and unapplied receipts (or the customer ``party_id``'s)
    as they stood at the end of the day ``as_of``, aged on that day: ``(customers, totals)``.

    Documents dated later are left out, and a settlement counts once both its documents are
    dated (a payment dated after ``as_of`` leaves its invoice open on that day), so that each
    customer's total is its balance on that day.  ``customers`` is a list of
    :class:`AgedCustomer`, by customer name and currency; ``totals`` an
    :class:`AgedCustomer` per currency summing them (its party is ``None``).
    """
    later, settled_later = _settled_after(session, as_of, party_id)
    signs = kind_signs(hook)
    customers, totals = {}, {}

    def add(party, currency, aged, to):
        key = (party.id, currency)
        if key not in customers:
            customers[key] = AgedCustomer(party.id, party.name, currency)
        if currency not in totals:
            totals[currency] = AgedCustomer(None, "", currency)
        getattr(customers[key], to).append(aged)
        customers[key].buckets[aged.bucket] += aged.open_amount
        totals[currency].buckets[aged.bucket] += aged.open_amount

    invoices = select(Invoice).where(
        Invoice.status == "posted", Invoice.invoice_date <= as_of,
        or_(Invoice.settled != Invoice.total, Invoice.id.in_(settled_later["invoices"])))
    receipts = select(Payment).where(
        Payment.kind == "receipt", Payment.payment_date <= as_of,
        or_(Payment.applied != Payment.amount, Payment.id.in_(settled_later["payments"])))
    if party_id is not None:
        invoices = invoices.where(Invoice.party_id == party_id)
        receipts = receipts.where(Payment.party_id == party_id)
    for invoice in session.scalars(invoices.order_by(Invoice.due_date, Invoice.id)):
        days = (as_of - invoice.due_date).days
        open_amount = invoice.open_amount + later["invoices"].get(invoice.id, 0)
        add(invoice.party, invoice.currency, AgedInvoice(
            invoice, signs.get(invoice.kind, 1) * open_amount, days, bucket_of(days)),
            "invoices")
    for payment in session.scalars(receipts.order_by(Payment.payment_date, Payment.id)):
        days = (as_of - payment.payment_date).days
        open_amount = payment.unapplied + later["payments"].get(payment.id, 0)
        add(payment.party, payment.currency,
            AgedPayment(payment, -open_amount, days, bucket_of(days)), "payments")
    ordered = sorted(customers.values(),
                     key=lambda customer: (customer.party_name.lower(), customer.currency))
    return ordered, [totals[currency] for currency in sorted(totals)]


def _settled_after(session, as_of, party_id):
    """What settlements and refunds of receipts made after the day ``as_of`` took from each
    document, ``{"invoices": {invoice or credit note id: amount}, "payments": {payment id:
    amount}}``, and the statements selecting the ids of those documents, by the same keys.

    A settlement is made on the later of its two documents' dates."""
    settled, source = aliased(Invoice), aliased(Invoice)
    query = (select(Settlement.invoice_id, Settlement.credit_note_id, Settlement.payment_id,
                    Settlement.amount)
             .join(settled, settled.id == Settlement.invoice_id)
             .outerjoin(Payment, Payment.id == Settlement.payment_id)
             .outerjoin(source, source.id == Settlement.credit_note_id)
             .where(or_(settled.invoice_date > as_of, Payment.payment_date > as_of,
                        source.invoice_date > as_of)))
    refunds = select(Payment.refunded_payment_id, Payment.amount).where(
        Payment.refunded_payment_id.is_not(None), Payment.payment_date > as_of)
    if party_id is not None:
        query = query.where(settled.party_id == party_id)
        refunds = refunds.where(Payment.party_id == party_id)
    settlements, paid_back = query.subquery(), refunds.subquery()
    ids = {"invoices": union(select(settlements.c.invoice_id),
                             select(settlements.c.credit_note_id)),
           "payments": union(select(settlements.c.payment_id),
                             select(paid_back.c.refunded_payment_id))}
    later = {"invoices": defaultdict(Decimal), "payments": defaultdict(Decimal)}
    for invoice_id, credit_note_id, payment_id, amount in session.execute(query):
        later["invoices"][invoice_id] += amount
        if credit_note_id is not None:
            later["invoices"][credit_note_id] += amount
        if payment_id is not None:
            later["payments"][payment_id] += amount
    for payment_id, amount in session.execute(refunds):
        later["payments"][payment_id] += amount
    return later, ids


def _open():
    return select(Invoice).where(Invoice.status == "posted", Invoice.settled != Invoice.total)


def checked_applications(session, source, left, applications, noun="payment"):
    """Lock and load the invoices ``applications`` (``[(invoice id, amount)]``) name and check
    each against ``source``, a payment or a credit note with ``left`` to apply; returns
    ``({id: invoice}, {profile id: profile})``, the default profile included.

    Each invoice must be a posted invoice (409 for a draft) of the source's customer and
    currency, not a credit note, named once, with an amount in whole cents up to its open
    amount; together at most ``left`` (422 listing every problem under ``applications``).
    """
    ids = {invoice_id for invoice_id, _amount in applications}
    invoices, credit_notes = {}, {}
    if ids:
        # Credit notes named by mistake are not locked: a credit note being applied holds its
        # own lock, and locking it here too could deadlock with that request.
        invoices = {invoice.id: invoice for invoice in session.scalars(
            select(Invoice).where(Invoice.id.in_(ids), Invoice.credited_invoice_id.is_(None),
                                  Invoice.kind != CREDIT_NOTE)
            .order_by(Invoice.id)
            .with_for_update(of=Invoice).execution_options(populate_existing=True))}
    missing = ids - invoices.keys()  # unknown, or credit notes
    if missing:
        credit_notes = dict(session.execute(select(Invoice.id, Invoice.number).where(
            Invoice.id.in_(missing))).all())
    profiles = {profile.id: profile for profile in session.scalars(
        select(PostingProfile).where(or_(PostingProfile.is_default, PostingProfile.id.in_(
            {invoice.posting_profile_id for invoice in invoices.values()}))))}
    drafts = [invoice.reference for invoice in invoices.values() if invoice.status != "posted"]
    if drafts:
        raise Conflict(f"invoice {drafts[0]} is not posted: only posted invoices are paid",
                       fields={"applications": [f"Invoice {d} is not posted." for d in drafts]})
    problems, seen = [], set()
    for invoice_id, amount in applications:
        invoice = invoices.get(invoice_id)
        if invoice_id in credit_notes:
            problems.append(f"{credit_notes[invoice_id]} is a credit note: it is not paid.")
        elif invoice is None:
            problems.append(f"Invoice {invoice_id} does not exist.")
        elif invoice_id in seen:
            problems.append(f"{invoice.number} is applied to twice.")
        elif (invoice.party_id, invoice.currency) != (source.party_id, source.currency):
            problems.append(f"{invoice.number} is not of the {noun}'s customer and currency.")
        elif not _payable(amount, source.currency):
            problems.append(f"{invoice.number}: {amount} must be more than 0, in whole "
                            f"{_unit(source.currency)}.")
        elif amount > invoice.open_amount:
            problems.append(f"{invoice.number}: {money(amount, source.currency)} is more than "
                            f"the {money(invoice.open_amount, source.currency)} open.")
        seen.add(invoice_id)
    applied = sum((amount for _id, amount in applications), Decimal(0))
    if not problems and applied > left:
        problems.append(f"The applications add up to {money(applied, source.currency)}, more "
                        f"than the {money(left, source.currency)} of the {noun} left to apply.")
    if problems:
        raise ValidationError(f"the {noun} cannot be applied so",
                              fields={"applications": problems})
    return invoices, profiles


def _apply(session, payment, invoices, applications, profiles):
    """Write the checked ``applications``; returns what was applied per summary account."""
    per_account = settle_invoices(session, invoices, applications, profiles,
                                  payment_id=payment.id)
    payment.applied += sum(amount for _id, amount in applications)
    return per_account


def settle_invoices(session, invoices, applications, profiles, *, payment_id=None,
                    credit_note_id=None):
    """Record the checked ``applications`` as settled by the payment or the credit note named:
    one statement for the settlements and one for the invoices, whatever their number.
    Returns what was settled per summary account (``{account code: amount}``)."""
    per_account = defaultdict(lambda: Decimal(0))
    if not applications:
        return per_account
    settled = [invoices[invoice_id] for invoice_id, _amount in applications]
    session.execute(insert(Settlement), [
        {"invoice_id": invoice_id, "payment_id": payment_id, "credit_note_id": credit_note_id,
         "amount": amount}
        for invoice_id, amount in applications])
    amounts = [amount for _id, amount in applications]
    store_values(session, settled, [{"settled": invoice.settled + amount}
                                    for invoice, amount in zip(settled, amounts, strict=True)])
    for invoice, amount in zip(settled, amounts, strict=True):
        per_account[profiles[invoice.posting_profile_id].summary_account.code] += amount
    return per_account


def _default_profile(profiles):
    default = next((profile for profile in profiles.values() if profile.is_default), None)
    if default is None:
        raise Conflict("there is no default posting profile: make one the default")
    return default


def payment_description(payment):
    """How a payment's bank entry reads: the customer and the payment's reference."""
    return f"{payment.party.name} {payment.reference}".strip()
