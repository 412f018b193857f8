"""Posting an invoice: its gapless number, its ledger entries, and what it invoiced.

Everything happens in the caller's transaction, so a posting that fails anywhere leaves no
number taken, no entry written and no quantity changed.  The number of SQL statements does not
grow with the invoice's lines: entries are inserted and order lines updated in one batch each.
"""

import functools
from collections import defaultdict
from datetime import date

from sqlalchemy import and_, bindparam, func, insert, or_, select
from sqlalchemy.orm import defer, joinedload, lazyload

from core.clock import utcnow
from core.db import locks_rows
from core.documents import store_values
from core.errors import ComptoirError, Conflict, NotFound, ValidationError
from core.invoicekinds import Entry, invoice_kinds, kind_of
from core.models import Order, OrderLine, Party
from core.money import check_totals, plain, round_money
from core.numbering import MissingSequence, next_number
from core.orders import attach_lines, lines_query, reopen_period, settle_status
from core.ordertypes import brings_goods_back, order_types
from core.parties import advance_to, billing_details
from plugins.fulfilment.models import PackingSlip, PackingSlipLine
from plugins.invoicing.holdings import invoicing_kinds, slip_line_rests
from plugins.invoicing.models import Account, Invoice, InvoiceLine, LedgerEntry


class UnbalancedEntries(ComptoirError):
    """An invoice kind's entries do not balance: the kind's mistake (HTTP 500)."""

    status = 500


def load_invoice(session, invoice_id, *, lock=False):
    """The invoice ``invoice_id`` with its party and posting profile, its lines and what they
    invoice (order lines and their orders, packing slips, items, tax categories), in two queries;
    ``lock`` takes its row lock."""
    return _one_invoice(session, invoice_id, lock, _invoice_lines_query(described=True))


def invoice_to_post(session, invoice_id):
    """The invoice ``invoice_id`` under its row lock with only what posting it reads: its
    posting profile and its lines, in two queries.  Posting loads the orders it invoices
    itself, under their locks; pages and responses use :func:`load_invoice`."""
    return _one_invoice(session, invoice_id, True, _invoice_lines_query(described=False))


def _one_invoice(session, invoice_id, lock, lines):
    """The invoice ``invoice_id`` with its party, posting profile and lines, these read by the
    query ``lines``, or NotFound; ``lock`` takes its row lock first (alone: see
    :func:`core.orders.load_order`), then reads it again."""
    if lock and locks_rows(session):
        session.execute(_LOCK_INVOICE, {"id": invoice_id})
    invoice = session.scalars(_INVOICE, {"id": invoice_id},
                              execution_options={"populate_existing": lock})
    invoice = invoice.unique().one_or_none()  # unique: the party's addresses are joined
    if invoice is None:
        raise NotFound(f"invoice {invoice_id} does not exist")
    attach_lines(session, [invoice], query=lines)
    return invoice


_LOCK_INVOICE = select(Invoice.id).where(Invoice.id == bindparam("id")).with_for_update()
# The party's addresses come with it: posting keeps the invoice address (billed_to), and a
# draft's document prints it.
_INVOICE = (select(Invoice).where(Invoice.id == bindparam("id"))
            .options(joinedload(Invoice.posting_profile),
                     joinedload(Invoice.party).options(lazyload(Party.customer_group),
                                                       joinedload(Party.addresses))))


@functools.cache
def _invoice_lines_query(described):
    if not described:
        return lines_query(Invoice.lines)
    return lines_query(
        Invoice.lines,
        joinedload(InvoiceLine.order_line).joinedload(OrderLine.order),
        joinedload(InvoiceLine.packing_slip_line).joinedload(PackingSlipLine.packing_slip),
        joinedload(InvoiceLine.item), joinedload(InvoiceLine.tax_category))


def require_draft(invoice, refusal=" and cannot be changed: correct it with a credit note"):
    """Refuse (409) any change to an invoice that is no longer a draft, the message ending with
    ``refusal`` after the invoice's status."""
    if invoice.status != "draft":
        raise Conflict(f"invoice {invoice.number} is {invoice.status}{refusal}")


def compute_totals(invoice):
    """Set the invoice's untaxed amount, tax and total from its lines; refused (422 on
    ``lines``) when they are too large to store."""
    invoice.untaxed, invoice.tax, invoice.total = _totals(invoice)


def _totals(invoice):
    return totals(invoice.currency, [(line.amount, line.tax_amount) for line in invoice.lines])


def totals(currency, amounts):
    """``(untaxed, tax, total)`` in ``currency`` of lines' ``(amount, tax)`` pairs; refused
    (422 on ``lines``) when they are too large to store."""
    untaxed = round_money(sum(amount for amount, _tax in amounts), currency)
    tax = round_money(sum(tax for _amount, tax in amounts), currency)
    check_totals(untaxed, tax, untaxed + tax)
    return untaxed, tax, untaxed + tax


def validate(hook, invoice):
    """Run the invoice kind's own validation; returns the kind."""
    kind = kind_of(hook, invoice)
    if kind.validate is not None:
        kind.validate(invoice)
    return kind


def post_invoice(session, hook, invoice, posted_on=None):
    """Post a draft invoice: number it from its kind's sequence, write its balanced ledger
    entries, update the invoiced quantities of the order lines it invoices and the status of
    their orders, make its party a customer when it charges one (a free text invoice to a
    prospect), keep the customer as it is billed (name, invoice address, e-mail: its
    document prints them from now on), and call ``comptoir_invoice_posted``.

    An invoice adds to the order lines' invoiced quantities, whatever its kind's sign: a
    customer invoice of goods sent, a credit note of a returned order's goods.  One that
    credits another invoice (``credited_invoice_id``) takes back what that one added.

    Refused (409) for an invoice already posted, a kind that never posts (a pro forma), an
    invoice without lines, an order cancelled since the draft was made, an order of the other
    direction (a customer invoice of a returned order), a quantity beyond an order line's
    invoice remainder or beyond what is left to invoice of a packing slip line, and a date
    after today or out of its sequence's date order (see :func:`_require_date_order`).
    ``posted_on`` is the posting date (default: the invoice date).
    """
    require_draft(invoice)
    if invoice.invoice_date > date.today():
        raise Conflict(f"this invoice is dated {invoice.invoice_date}: post it on that day or "
                       "later, or date it today")
    # The orders first: the kind's validation reads the order lines, as read under the locks.
    orders = _lock_orders(session, invoice)
    cancelled = [order.number for order in orders if order.status == "cancelled"]
    if cancelled:
        raise Conflict(f"order {cancelled[0]} was cancelled after this invoice was drafted: "
                       "delete the draft")
    kind = kind_of(hook, invoice)
    if not kind.posts:
        raise Conflict(f"a {kind.title.lower()} is never posted")
    if not invoice.lines:
        raise Conflict("the invoice has no lines")
    validate(hook, invoice)
    quantities = _order_line_quantities(invoice)
    if invoice.credited_invoice_id is not None:
        _reopen_closed_periods(session, hook, invoice, orders, quantities)
        _invoice_order_lines(session, quantities, -1)
    else:
        _require_direction(hook, kind, orders)
        _require_slip_lines_left(session, hook, invoice)
        _invoice_order_lines(session, quantities, 1)
    untaxed, tax, total = _totals(invoice)
    number = _number(session, kind)
    _require_date_order(session, hook, kind, invoice)
    store_values(session, [invoice], [{"untaxed": untaxed, "tax": tax, "total": total,
                                       "number": number, "status": "posted",
                                       "posted_at": utcnow(),
                                       "billed_to": billing_details(invoice.party)}])
    writer, sign = _entries_kind(hook, kind, invoice)
    entries = (writer.entries or standard_entries)(invoice, invoice.posting_profile)
    write_entries(session, entries, document=invoice.number, currency=invoice.currency,
                  entry_date=posted_on or invoice.invoice_date, invoice_id=invoice.id,
                  sign=sign, owner=f"invoice kind {writer.code!r}")
    for order in orders:
        settle_status(hook, order)
    if kind.sign > 0 and total > 0:  # a party charged is a customer, as a confirmed order makes
        advance_to(session, invoice.party, "customer", f"invoice {invoice.number} posted")
    hook.comptoir_invoice_posted(invoice=invoice, session=session)
    session.flush()
    return invoice


def _entries_kind(hook, kind, invoice):
    """``(kind, sign)`` whose entries posting ``invoice`` writes: its own kind's; for a credit
    note of another invoice, the credited invoice's kind's, on the other sides, so that revenue
    and tax go back on the accounts that kind wrote them to (a down payment's prepayments
    account, say, not the revenue account)."""
    if invoice.credited_invoice_id is None:
        return kind, kind.sign
    credited = kind_of(hook, invoice.credited_invoice)
    return credited, -credited.sign


def _number(session, kind):
    try:
        return next_number(session, kind.sequence)
    except MissingSequence as error:
        raise MissingSequence(f"invoice kind {kind.code!r}: {error.message}") from None


def _require_date_order(session, hook, kind, invoice):
    """Refuse (409) an invoice dated before the latest one its kind's sequence numbered: the
    numbers follow the dates, as the law of several countries asks (France's, Italy's).
    (An invoice dated ahead is refused first, so that none holds back the days before it.)

    Called once the number is taken: the sequence's row lock keeps another posting of the
    sequence from passing in between.  The caller rolls back on refusal, as after any.
    Invoices posted dated ahead before this rule (a database of earlier code may hold some)
    are not counted: they would hold the sequence back until their day."""
    sharing = [code for code, other in invoice_kinds(hook).items()
               if other.sequence == kind.sequence]
    latest = session.scalar(_latest_date_query(), {"kinds": sharing, "today": date.today()})
    if latest is not None and invoice.invoice_date < latest:
        raise Conflict(f"a {kind.title.lower()} posted before is dated {latest}: this one, "
                       f"dated {invoice.invoice_date}, would take a number out of date order; "
                       f"date it {latest} or later")


@functools.cache
def _latest_date_query():
    return select(func.max(Invoice.invoice_date)).where(
        Invoice.kind.in_(bindparam("kinds", expanding=True)), Invoice.status == "posted",
        Invoice.invoice_date <= bindparam("today"))


def _lock_orders(session, invoice):
    """Lock and load, with their lines, the orders whose lines the invoice invoices.  The
    invoice's lines then find their order lines, as read under the locks, in the session.
    The lines are read by a second query, once the locks are held (see ``load_order``)."""
    order_line_ids = {line.order_line_id for line in invoice.lines} - {None}
    if not order_line_ids:
        return []
    orders = session.scalars(_invoiced_orders_query(), {"lines": list(order_line_ids)}).all()
    attach_lines(session, orders, query=_invoiced_order_lines_query())
    return orders


@functools.cache
def _invoiced_orders_query():
    invoiced_orders = select(OrderLine.order_id).where(
        OrderLine.id.in_(bindparam("lines", expanding=True)))
    # Locked in id order, as drafting and delivering lock them: in any other order two
    # requests could each hold an order the other waits for.
    return (select(Order).where(Order.id.in_(invoiced_orders)).order_by(Order.id)
            .options(lazyload(Order.party))  # the invoice names the customer
            .with_for_update(of=Order).execution_options(populate_existing=True))


@functools.cache
def _invoiced_order_lines_query():
    return lines_query(Order.lines, defer(OrderLine.explanation))


def _require_direction(hook, kind, orders):
    """Refuse (409) invoicing goods returned (an order of an incoming type) with a kind that
    charges the customer, or goods sent with one that credits them."""
    types = order_types(hook)
    for order in orders:
        returned = brings_goods_back(types, order.type)
        if returned and kind.sign > 0:
            raise Conflict(f"order {order.number} is a {types[order.type].title}: it is "
                           "credited with a credit note, not invoiced")
        if not returned and kind.sign < 0:
            raise Conflict(f"order {order.number} sent goods: a {kind.title.lower()} does not "
                           "credit it; credit the invoice that charged them")


def _require_slip_lines_left(session, hook, invoice):
    """Refuse (409) an invoice taking more of a packing slip line than the invoices posted
    before it left: drafts made at the same moment may each hold the whole slip.  Read under
    the orders' locks, so that two postings of such drafts cannot both pass."""
    wanted = defaultdict(lambda: 0)
    for line in invoice.lines:
        if line.packing_slip_line_id is not None:
            wanted[line.packing_slip_line_id] += line.quantity
    if not wanted or invoice.kind not in invoicing_kinds(hook):
        return
    delivered = session.execute(
        select(PackingSlipLine.id, PackingSlipLine.quantity, PackingSlip.number)
        .join(PackingSlipLine.packing_slip).where(PackingSlipLine.id.in_(wanted))
        .order_by(PackingSlip.number, PackingSlipLine.id)).all()
    left = slip_line_rests(session, hook, delivered, drafts=False)
    problems = [f"Packing slip {line.number}: {wanted[line.id]} is more than the {left[line.id]} "
                "left to invoice of it." for line in delivered if wanted[line.id] > left[line.id]]
    if problems:
        raise Conflict("the invoice takes more of a packing slip than is left to invoice of it",
                       fields={"lines": problems})


def _order_line_quantities(invoice):
    """``{order line: quantity}`` the invoice's lines invoice (or credit)."""
    quantities = defaultdict(lambda: 0)
    for line in invoice.lines:
        if line.order_line is not None:
            quantities[line.order_line] += line.quantity
    return quantities


def _reopen_closed_periods(session, hook, invoice, orders, quantities):
    """Before a credit note takes back more of an order line than it now shows invoiced: the
    line's order may be a Subscription whose period the credited invoice closed; reopen it
    (``core.orders.reopen_period``).  Any other such credit is refused afterwards.

    A Subscription's lines only count its current period, so a credit note may take back only
    its latest invoice still standing (409 naming the later one otherwise): an earlier one
    would take back, or reopen, another period's quantities.
    """
    types = order_types(hook)
    recurring = [order for order in orders
                 if order.type in types and types[order.type].recurring]
    if recurring and invoice.credited_invoice_id is not None:
        _require_latest_invoice(session, invoice.credited_invoice, recurring)
    short = {line.order_id for line, quantity in quantities.items()
             if quantity > line.invoiced_quantity}
    for order in orders:
        if order.id in short:
            reopen_period(session, hook, order)


def _require_latest_invoice(session, credited, orders):
    later = session.execute(
        select(Invoice.number, Invoice.total, Invoice.credited).distinct()
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(InvoiceLine.order_line_id.in_([line.id for order in orders
                                              for line in order.lines]),
               Invoice.status == "posted", Invoice.credited_invoice_id.is_(None),
               or_(Invoice.posted_at > credited.posted_at,
                   and_(Invoice.posted_at == credited.posted_at, Invoice.id > credited.id)))
        .order_by(Invoice.number)).all()
    standing = [number for number, total, settled_by_credit in later
                if settled_by_credit < total]  # compared here: SQLite holds amounts as text
    if standing:
        raise Conflict(f"invoice {credited.number} is not the latest invoice of subscription "
                       f"{orders[0].number}: take back {', '.join(standing)} first")


def _invoice_order_lines(session, quantities, sign):
    """Add (or, with ``sign`` -1, take back) the ``{order line: quantity}`` invoiced, within
    the remainders."""
    problems = []
    for order_line, quantity in quantities.items():
        if sign > 0 and quantity > order_line.invoice_remainder:
            problems.append(f"Order {order_line.order.number} line {order_line.position}: "
                            f"{quantity} is more than the {order_line.invoice_remainder} left "
                            "to invoice.")
        if sign < 0 and quantity > order_line.invoiced_quantity:
            problems.append(f"Order {order_line.order.number} line {order_line.position}: "
                            f"{quantity} is more than the {order_line.invoiced_quantity} "
                            "invoiced.")
    if problems:
        raise Conflict("the invoice invoices more than is left to invoice",
                       fields={"lines": problems})
    lines = list(quantities)
    store_values(session, lines, [{"invoiced_quantity": line.invoiced_quantity
                                   + sign * quantities[line]} for line in lines])


def standard_entries(invoice, profile):
    """The standard entries of an invoice: the customer's balance debited on the profile's
    summary account, each line's amount credited to its account (the profile's revenue account
    for item lines), the tax of each rate credited to the profile's tax account (a tax return
    reads them by rate).  A kind with ``sign`` -1 swaps debits and credits when they are
    written."""
    revenue, taxes = defaultdict(lambda: 0), defaultdict(lambda: 0)
    for line in invoice.lines:
        revenue[line.account.code if line.account else profile.revenue_account.code] += \
            line.amount
        taxes[line.tax_rate] += line.tax_amount
    party = invoice.party.name
    entries = [Entry(profile.summary_account.code, invoice.total, 0, party, invoice.party_id)]
    entries += [Entry(code, 0, amount, f"revenue, {party}")
                for code, amount in sorted(revenue.items()) if amount]
    entries += [Entry(profile.tax_account.code, 0, amount, f"tax {plain(rate)} %, {party}")
                for rate, amount in sorted(taxes.items()) if amount]
    return entries


def write_entries(session, entries, *, document, currency, entry_date, owner, invoice_id=None,
                  payment_id=None, sign=1):
    """Insert balanced ``entries`` (:class:`core.invoicekinds.Entry`) in one statement.

    Negative amounts move to the other side, and ``sign`` -1 swaps debits and credits.  Entries
    that do not balance raise UnbalancedEntries naming ``owner``; an unknown account code is a
    422.
    """
    rows = []
    for entry in entries:
        debit, credit = (entry.debit, entry.credit) if sign > 0 else (entry.credit, entry.debit)
        if debit < 0 or credit < 0:
            debit, credit = -credit, -debit
        rows.append((entry, debit, credit))
    if sum(debit for _, debit, _ in rows) != sum(credit for _, _, credit in rows):
        raise UnbalancedEntries(f"{owner}: the entries of {document} do not balance")
    codes = {entry.account for entry in entries}
    accounts = dict(session.execute(_accounts_query(), {"codes": list(codes)}).all())
    if codes - accounts.keys():
        missing = ", ".join(sorted(codes - accounts.keys()))
        raise ValidationError(f"{owner}: no ledger account {missing}",
                              fields={"account": [f"Unknown ledger account {missing}."]})
    session.execute(_NEW_ENTRIES, [  # one statement, parties or not
        {"entry_date": entry_date, "document": document, "invoice_id": invoice_id,
         "payment_id": payment_id, "account_id": accounts[entry.account],
         "party_id": entry.party_id, "currency": currency, "debit": debit, "credit": credit,
         "description": entry.description[:256]}
        for entry, debit, credit in rows])


_NEW_ENTRIES = insert(LedgerEntry.__table__)


@functools.cache
def _accounts_query():
    # Key-share locked: an account being deleted (chart.delete_account) waits, then sees the
    # entries, or is gone and refused, rather than failing the insert.
    return (select(Account.code, Account.id).where(Account.code.in_(bindparam(
        "codes", expanding=True))).with_for_update(read=True, key_share=True))
