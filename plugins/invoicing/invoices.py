"""Services on invoices: create them from an order, from packing slips or as free text, make a
pro forma, change and delete drafts, find them.

Every function works inside the caller's transaction (the caller commits) and raises a
ComptoirError naming what is wrong.  Creating an invoice costs a fixed number of SQL statements
whatever its number of lines (or of packing slips): what it needs is loaded with one query per
table and its lines are inserted in one batch.

Amounts of a line invoicing part of an order line are that part of the order line's frozen
amount and tax: ``round(amount × quantity / ordered quantity)`` to the currency's minor unit,
half up.  Invoicing an order line in several parts may therefore differ from its amount by a
cent per part; prices are never computed again.
"""

import functools
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import String, and_, bindparam, case, false, func, insert, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.db import in_period
from core.documents import insert_record, party_for
from core.errors import Conflict, NotFound, ValidationError
from core.invoicekinds import invoice_kind, invoice_kinds, kind_of
from core.models import Order, OrderLine, Party, TaxCategory
from core.money import HUNDRED, check_currency, exponent, plain, round_money
from core.orders import lock_orders
from core.ordertypes import brings_goods_back, order_types, recurring_codes
from core.parties import contains
from plugins.fulfilment.models import PackingSlip, PackingSlipLine
from plugins.invoicing.holdings import (
    drafts_taking,
    invoicing_kinds,
    slip_line_rests,
    taken_of_slip_lines,
    taking,
)
from plugins.invoicing.kinds import CREDIT_NOTE
from plugins.invoicing.models import Account, Invoice, InvoiceLine, PostingProfile
from plugins.invoicing.posting import compute_totals, require_draft, totals, validate

DUE_DAYS = 30  # the due date when none is given: the invoice date plus 30 days
HEADER_FIELDS = ("invoice_date", "due_date", "posting_profile", "note")
SIX_PLACES = Decimal("0.000001")  # what an Amount column holds after the point
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's answer to a row lock taken with NOWAIT
# Packing slips are offered and invoiced oldest first; of what the order lines they share
# delivered and no invoice took, the newest take first (see slip_parts).
SLIPS_ORDER = (PackingSlip.delivery_date, PackingSlip.id)
# The columns every new line is given, so that all of them are inserted in one batch.
LINE_COLUMNS = ("order_line_id", "packing_slip_line_id", "credited_line_id", "item_id",
                "account_id", "tax_category_id", "description", "quantity", "unit_price",
                "discount", "tax_rate", "amount", "tax_amount")


def invoice_kind_for(hook, orders, kind=None):
    """The kind of an invoice of ``orders``' lines: ``kind``, or by default the one their
    direction takes: a customer invoice of goods sent, a credit note of goods returned (an
    order of an incoming type, a Returned order).  A kind that takes no order lines (a free
    text invoice) or of the other direction is refused (422 on ``kind``), and so are orders of
    both directions (on ``packing_slip_ids``)."""
    types = order_types(hook)
    returned = {brings_goods_back(types, order.type) for order in orders}
    if len(returned) > 1:  # only packing slips bring several orders
        raise ValidationError("goods returned and goods sent are not on one invoice",
                              fields={"packing_slip_ids": ["Goods returned and goods sent are "
                                                           "not on one invoice."]})
    returned = returned.pop()
    if kind is None:
        return CREDIT_NOTE if returned else "customer"
    chosen = invoice_kind(hook, kind)
    _require_lines(chosen, "items")
    sign = chosen.sign
    if returned and sign > 0:
        raise ValidationError("a returned order is credited with a credit note", fields={
            "kind": ["A returned order is credited with a credit note."]})
    if not returned and sign < 0:
        raise ValidationError("only a returned order is credited so", fields={
            "kind": ["Only a returned order is credited so: credit an invoice from its page."]})
    return kind


def default_profile(session, code=None):
    """The posting profile ``code``, or the default one; an unknown code is refused (422)."""
    profile = session.scalars(_profile_query(), {"code": code or None}).first()
    if profile is None:
        message = f"Unknown posting profile {code}." if code else "There is no default profile."
        raise ValidationError(message, fields={"posting_profile": [message]})
    return profile


@functools.cache
def _profile_query():
    code = bindparam("code", type_=String)
    return (select(PostingProfile)
            .where(or_(PostingProfile.code == code,
                       and_(code.is_(None), PostingProfile.is_default)))
            .order_by(PostingProfile.id).limit(1))


def _new_invoice(session, hook, kind_code, party, currency, header):
    """A transient invoice of kind ``kind_code`` for ``party``, its header from ``header``.
    The caller has chosen a kind taking the lines it brings (see :func:`_require_lines`)."""
    kind = invoice_kind(hook, kind_code)
    header = header or {}
    invoice_date = header.get("invoice_date") or date.today()
    due_date = header.get("due_date") or due_by_default(kind, invoice_date)
    if due_date < invoice_date:
        raise ValidationError("the due date is before the invoice date",
                              fields={"due_date": ["Must not be before the invoice date."]})
    profile = default_profile(session, header.get("posting_profile"))
    return Invoice(kind=kind.code, status="draft", number=None, party=party, party_id=party.id,
                   currency=currency, invoice_date=invoice_date, due_date=due_date,
                   posting_profile=profile, posting_profile_id=profile.id,
                   credited_invoice_id=None, note=header.get("note") or "",
                   untaxed=Decimal(0), tax=Decimal(0), total=Decimal(0), settled=Decimal(0),
                   credited=Decimal(0),
                   lines=[])


def _require_lines(kind, takes):
    """Refuse (422 on ``kind``) an invoice kind whose lines are not of the kind ``takes``
    (``"items"`` or ``"accounts"``)."""
    if kind.lines not in (takes, "any"):
        what = "order lines" if takes == "items" else "free text lines"
        raise ValidationError(f"a {kind.title.lower()} does not take {what}",
                              fields={"kind": [f"A {kind.title.lower()} does not take {what}."]})


def _save(session, hook, invoice, rows):
    """Insert the new ``invoice`` (see :func:`_new_invoice`) and its lines from ``rows``
    (their column values), numbered and totalled, with one statement each; then validate it
    with its kind, whose refusal the caller rolls back as any other."""
    for position, row in enumerate(rows, 1):
        row["position"] = position
    invoice.untaxed, invoice.tax, invoice.total = totals(
        invoice.currency, [(row["amount"], row["tax_amount"]) for row in rows])
    insert_record(session, invoice)
    insert_lines(session, invoice, rows)
    validate(hook, invoice)
    return invoice


def insert_lines(session, invoice, rows):
    """Insert lines of the flushed ``invoice`` from ``rows`` (their column values, ``position``
    included) with one statement, whatever their number; load them back with another, append
    them to its lines and return them."""
    if not rows:  # an empty list of rows would insert one row of no values
        return []
    session.execute(_NEW_LINES, [{**row, "invoice_id": invoice.id} for row in rows])
    inserted = session.scalars(_inserted_lines_query(), {
        "invoice": invoice.id, "first": min(row["position"] for row in rows)}).all()
    set_committed_value(invoice, "lines", [*invoice.lines, *inserted])
    return inserted


_NEW_LINES = insert(InvoiceLine.__table__)


@functools.cache
def _inserted_lines_query():
    return (select(InvoiceLine).where(InvoiceLine.invoice_id == bindparam("invoice"),
                                      InvoiceLine.position >= bindparam("first"))
            .order_by(InvoiceLine.position))


def _row(**values):
    """The column values of a new invoice line, every column given (unset ones None)."""
    return {**dict.fromkeys(LINE_COLUMNS), "discount": Decimal(0), **values}


class Taken(NamedTuple):
    """What invoices took of an order line: the quantity, and what they came to (``amount``;
    None where that is the line's amount in proportion, rounded: for a Subscription's line,
    whose earlier periods' invoices do not count, and for a pro forma, which takes nothing)."""

    quantity: Decimal
    amount: Decimal | None = None


NOTHING_TAKEN = Taken(Decimal(0))


def _order_line_part(order_line, quantity, currency, slip_line_id=None, before=NOTHING_TAKEN):
    """The row of an invoice line invoicing ``quantity`` of ``order_line`` at its frozen
    prices (see :func:`_row`), after invoices took ``before`` of it (see
    :func:`taken_quantities`).  Its amount is what the order line's invoices come to with it,
    in proportion, rounded, less what those standing came to: the parts of a line add up to
    its amount, however many, and whichever drafts were deleted or invoices cancelled in
    between.  Its tax is its own amount's, as on any line; its discount is the order line's
    and the order's together, so that quantity, unit price and discount give its amount (to 6
    places, as an Amount holds it)."""
    def share(taken):
        return round_money(order_line.amount * taken / order_line.quantity, currency)

    came_to = share(before.quantity) if before.amount is None else before.amount
    amount = share(before.quantity + quantity) - came_to
    # Standing parts come to more than their share once parts that rounded down were
    # deleted: this one then takes nothing rather than less than nothing.
    amount = max(amount, Decimal(0)) if order_line.amount >= 0 else min(amount, Decimal(0))
    kept = (HUNDRED - order_line.discount) * (HUNDRED - order_line.order.discount) / HUNDRED
    kept = kept.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
    return _row(order_line_id=order_line.id, packing_slip_line_id=slip_line_id,
                item_id=order_line.item_id, tax_category_id=order_line.item.tax_category_id,
                description=order_line.description or order_line.item.name, quantity=quantity,
                unit_price=order_line.unit_price, discount=plain(HUNDRED - kept),
                tax_rate=order_line.tax_rate, amount=amount,
                tax_amount=round_money(amount * order_line.tax_rate / HUNDRED, currency))


def _require_source(what, party_id, currency, customer, source_currency):
    """Refuse (422 on the field) a ``party_id`` or ``currency`` given that is not ``customer``
    or ``source_currency``, those of what is invoiced (``what``: "The order is")."""
    if party_id is not None and party_id != customer:
        raise ValidationError(f"{what.lower()} of another customer",
                              fields={"party_id": [f"{what} of another customer."]})
    if currency is not None and currency.strip().upper() != source_currency:
        raise ValidationError(f"{what.lower()} in {source_currency}",
                              fields={"currency": [f"{what} in {source_currency}."]})


def _invoiceable(order):
    if order.status in ("draft", "cancelled"):
        raise Conflict(f"order {order.number} is {order.status}: only a confirmed order is "
                       "invoiced")


def drafted_quantities(session, hook, order_line_ids):
    """``{order line id: quantity}`` already on draft invoices that will invoice them."""
    found = defaultdict(Decimal)
    for line_id, role, quantity, _amount in _standing_lines(session, hook, order_line_ids):
        if role == "draft":
            found[line_id] += quantity
    return found


def open_quantities(session, hook, order):
    """``{order line id: quantity}`` that an invoice of ``order`` may still take: the invoice
    remainder less what draft invoices already hold."""
    return open_line_quantities(session, hook, order.lines)


def taken_quantities(session, hook, order_lines):
    """``{order line id: Taken}``: what invoices took of each of ``order_lines``, the quantity
    posted ones invoiced (in its current period, for a Subscription's) and drafts hold, and
    what the invoices standing come to: posted ones and drafts, less the credit notes that
    gave quantities back (a cancellation, goods not delivered); one statement."""
    drafted, amounts = defaultdict(Decimal), defaultdict(Decimal)
    for line_id, role, quantity, amount in _standing_lines(
            session, hook, [line.id for line in order_lines]):
        if role == "draft":
            drafted[line_id] += quantity
        amounts[line_id] += -amount if role == "gives back" else amount
    recurring = recurring_codes(hook)
    # The orders are in the session: looked up once each, not through every line.
    types = {order_id: session.get(Order, order_id).type
             for order_id in {line.order_id for line in order_lines}}
    return {line.id: Taken(line.invoiced_quantity + drafted[line.id],
                           None if types[line.order_id] in recurring else amounts[line.id])
            for line in order_lines}


def _standing_lines(session, hook, order_line_ids):
    """The invoice lines of ``order_line_ids`` that take or give back their quantities, as
    ``(order line id, role, quantity, amount)``: role ``"draft"``, ``"takes"`` (posted) or
    ``"gives back"`` (a posted credit note taking quantities back); one statement."""
    if not order_line_ids:
        return []
    rows = session.execute(_standing_query(), {"lines": list(order_line_ids),
                                               "kinds": invoicing_kinds(hook)})
    return [row for row in rows if row.role is not None]  # not a pro forma's, another kind's


@functools.cache
def _standing_query():
    # Driven by the order lines' index, each line's invoice read by its key: joined to the
    # invoices instead, SQLite starts from every draft invoice of the kinds.
    role = (select(case((Invoice.status == "draft", "draft"), (taking(), "takes"),
                        else_="gives back"))
            .where(Invoice.id == InvoiceLine.invoice_id,
                   Invoice.kind.in_(bindparam("kinds", expanding=True)),
                   or_(Invoice.status == "posted", and_(Invoice.status == "draft", taking())))
            .scalar_subquery())
    return select(InvoiceLine.order_line_id, role.label("role"), InvoiceLine.quantity,
                  InvoiceLine.amount).where(
        InvoiceLine.order_line_id.in_(bindparam("lines", expanding=True)))


def open_line_quantities(session, hook, order_lines, delivered=False, taken=None):
    """``{order line id: quantity}`` that an invoice may still take of each of ``order_lines``
    (of any orders): its invoice remainder less what draft invoices already hold; with
    ``delivered``, only of what was delivered (an invoice of packing slips).  ``taken``: what
    :func:`taken_quantities` answers, when the caller has read it."""
    if taken is None:
        taken = taken_quantities(session, hook, order_lines)
    return {line.id: max(_invoiceable_in_all(line, delivered) - taken[line.id].quantity,
                         Decimal(0))
            for line in order_lines}


def _invoiceable_in_all(order_line, delivered):
    """What invoices may take of ``order_line`` in all: what was ordered, or with
    ``delivered`` what was delivered of it (by packing slips)."""
    return min(order_line.delivered_quantity, order_line.quantity) if delivered \
        else order_line.quantity


def awaiting_invoice(session, limit=50):
    """The oldest ``limit`` confirmed or delivered orders with a line not invoiced in full:
    those an invoice may still take (a draft may hold it already, see :func:`drafts_holding`).

    A line not invoiced in full is found by a difference: amounts are stored plain (SQLite
    holds them as text, which compares only so) and nothing is invoiced beyond the quantity."""
    open_line = select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                           OrderLine.quantity != OrderLine.invoiced_quantity)
    return session.scalars(select(Order).where(Order.status.in_(("confirmed", "delivered")),
                                               open_line.exists())
                           .order_by(Order.id).limit(limit)).all()


def drafts_holding(session, hook, order_ids):
    """``{order id: [draft invoice]}``: the drafts holding some of the lines of ``order_ids``,
    which will take them once posted."""
    rows = session.execute(
        select(OrderLine.order_id, Invoice).distinct()
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .where(OrderLine.order_id.in_(order_ids), drafts_taking(hook))
        .order_by(OrderLine.order_id, Invoice.id)).all()
    held = defaultdict(list)
    for order_id, draft in rows:
        held[order_id].append(draft)
    return held


def invoice_from_order(session, hook, order, quantities=None, kind=None, header=None,
                       party_id=None, currency=None):
    """A draft invoice of ``order``'s lines: what is left to invoice of each, or the
    ``quantities`` given (``{order line id: quantity}``); of the ``kind`` given, by default a
    customer invoice, or a credit note for a returned order (see :func:`invoice_kind_for`).

    Refused (409) for a draft or cancelled order or when nothing is left to invoice; a quantity
    beyond what is left, or of a line not on the order, is refused (422) on ``quantities``, and
    an order of another customer than ``party_id`` or in another currency than ``currency``
    (when given) on that field.  ``header`` may hold ``invoice_date``, ``due_date``,
    ``posting_profile`` (a code), ``note``.  ``order`` is best loaded under its row lock
    (``load_order(..., lock=True)``): two drafts of it made at once would each hold all that
    is left, and posting the second would be refused.
    """
    _require_source("The order is", party_id, currency, order.party_id, order.currency)
    kind = invoice_kind_for(hook, [order], kind)
    _invoiceable(order)
    invoice = _new_invoice(session, hook, kind, order.party, order.currency, header)
    taken = taken_quantities(session, hook, order.lines)
    left = open_line_quantities(session, hook, order.lines, taken=taken)
    if quantities is None:
        quantities = {line_id: quantity for line_id, quantity in left.items() if quantity > 0}
    problems = []
    positions = {line.id: line.position for line in order.lines}
    for line_id, quantity in quantities.items():
        if line_id not in left:
            problems.append(f"Order {order.number} has no line {line_id}.")
        elif quantity > left[line_id]:
            problems.append(f"Line {positions[line_id]}: {quantity} is more than the "
                            f"{left[line_id]} left to invoice.")
    if problems:
        raise ValidationError("the quantities cannot be invoiced", fields={"quantities": problems})
    rows = [_order_line_part(line, quantities[line.id], order.currency, before=taken[line.id])
            for line in order.lines if quantities.get(line.id, 0) > 0]
    if not rows:
        drafts = [draft.reference for draft in drafts_holding(session, hook, [order.id])[order.id]]
        held = f": it is on {', '.join(drafts)}, not posted yet" if drafts else ""
        raise Conflict(f"nothing of order {order.number} is left to invoice{held}")
    return _save(session, hook, invoice, rows)


def invoice_from_packing_slips(session, hook, slip_ids, kind=None, header=None,
                               party_id=None, currency=None):
    """A draft invoice of what the packing slips ``slip_ids`` delivered: slips of one customer
    and one currency, possibly of several orders; each slip line invoices what is left of it.
    Its kind is chosen as :func:`invoice_from_order` chooses it.

    Unknown slips, slips of several customers or currencies are refused (422) on
    ``packing_slip_ids``, slips of another customer than ``party_id`` or in another currency
    than ``currency`` (when given) on that field.  Each slip line invoices what no invoice
    (draft or posted) took of it yet, within what its order line delivered and did not
    invoice (see :func:`slip_parts`); a slip with nothing left so is refused (409), as one
    whose goods an invoice of the order took before they were delivered.
    """
    slip_ids = sorted(set(slip_ids))
    if not slip_ids:
        raise ValidationError("no packing slip", fields={"packing_slip_ids": ["Choose one."]})
    # The slips' orders locked first, in one order: two invoices of the same slips made at
    # once would each take all of them.  What is left is read once the locks are held.
    lock_orders(session, select(PackingSlip.order_id).where(PackingSlip.id.in_(slip_ids)))
    slips = session.scalars(
        select(PackingSlip).where(PackingSlip.id.in_(slip_ids)).order_by(*SLIPS_ORDER)
        .options(selectinload(PackingSlip.order),
                 selectinload(PackingSlip.lines).selectinload(PackingSlipLine.order_line)
                 .selectinload(OrderLine.item))
        .execution_options(populate_existing=True)).all()
    missing = sorted(set(slip_ids) - {slip.id for slip in slips})
    if missing:
        raise ValidationError("unknown packing slips", fields={"packing_slip_ids": [
            f"Packing slip {slip_id} does not exist." for slip_id in missing]})
    orders = {slip.order for slip in slips}
    customers = {(order.party_id, order.currency) for order in orders}
    if len(customers) > 1:
        raise ValidationError("the packing slips are of several customers or currencies",
                              fields={"packing_slip_ids": [
                                  "All the packing slips must be of one customer and currency."]})
    [(customer, slips_currency)] = customers
    _require_source("The packing slips are", party_id, currency, customer, slips_currency)
    # The request's mistakes (a kind that does not fit) are told before the slips' state.
    kind = invoice_kind_for(hook, orders, kind)
    for order in orders:
        _invoiceable(order)
    parts = slip_parts(session, hook, slips)
    given = {slip for slip, *_part in parts}
    numbers = [slip.number for slip in slips if slip not in given]
    if numbers:
        # An invoice of the order (rather than of its slips) may hold what a slip delivered:
        # the slip is not named on it, so the message says where else to look.
        named = (f"packing slip {numbers[0]} is already on an invoice, draft or posted, of "
                 "the slip or of its order" if len(numbers) == 1 else
                 f"packing slips {', '.join(numbers)} are already on an invoice, draft or "
                 "posted, of the slips or of their orders")
        raise Conflict(named, fields={"packing_slip_ids": [
                           f"{number} is already on an invoice, draft or posted, of the slip "
                           "or of its order." for number in numbers]})
    first = slips[0].order
    invoice = _new_invoice(session, hook, kind, first.party, first.currency, header)
    return _save(session, hook, invoice, [
        _order_line_part(slip_line.order_line, quantity, first.currency, slip_line.id, before)
        for _slip, slip_line, quantity, before in parts])


def free_text_invoice(session, hook, data):
    """A draft invoice of free text lines, not related to any order.

    ``data``: ``party_id``, ``currency``, the header fields, ``kind`` (default ``free_text``)
    and ``lines``, each with ``account`` (a code), ``description``, ``quantity`` (default 1)
    and ``unit_price``, or an ``amount``, and ``tax_category`` (a code).  An ``item`` on a line
    and a line without a tax category are refused (422) on that line's field.
    """
    party = party_for(session, data["party_id"])
    currency = check_currency(data.get("currency") or "EUR")
    kind = data.get("kind") or "free_text"
    _require_lines(invoice_kind(hook, kind), "accounts")
    invoice = _new_invoice(session, hook, kind, party, currency, data)
    rows = free_text_lines(session, data.get("lines") or [], currency,
                           invoice_kind(hook, kind))
    if not rows:
        raise ValidationError("the invoice has no lines", fields={"lines": ["Add a line."]})
    return _save(session, hook, invoice, rows)


# The accounts a free text line may post to: never the customers', tax or bank accounts,
# which posting and payments keep.
LINE_ACCOUNT_KINDS = ("revenue", "other")


def line_accounts(session):
    """The ledger accounts a free text line may post to, by code."""
    return session.scalars(select(Account).where(Account.kind.in_(LINE_ACCOUNT_KINDS))
                           .order_by(Account.code)).all()


def free_text_lines(session, lines, currency, kind=None):
    """The rows of new free text invoice lines (see :func:`_row`) from their input (see
    :func:`free_text_invoice`); every mistake of every line is reported at once, keyed by the
    line's index: those of the input and, with ``kind`` (an InvoiceKind), what the kind's
    validation says of the lines as far as they could be read (see :func:`kinds_refusals`)."""
    codes = {line.get("account") for line in lines} - {None}
    accounts = {code: (account_id, kind) for code, account_id, kind in session.execute(
        select(Account.code, Account.id, Account.kind).where(Account.code.in_(codes))
        .with_for_update(read=True))}  # its kind holds until the lines are written
    codes = {line.get("tax_category") for line in lines} - {None}
    taxes = ({tax.code: tax for tax in session.scalars(
        select(TaxCategory).where(TaxCategory.code.in_(codes)))} if codes else {})
    built, problems = [], {}
    for index, data in enumerate(lines):
        errors = {}
        for field in ("item", "item_number", "item_id"):
            if data.get(field) not in (None, ""):
                errors[field] = ["Item numbers are not allowed on a free text line."]
        account = accounts.get(data.get("account"))
        if data.get("account") and account is None:
            errors["account"] = [f"Unknown ledger account {data['account']}."]
        elif account is not None and account[1] not in LINE_ACCOUNT_KINDS:
            errors["account"] = [f"Account {data['account']} is a {account[1]} account: a "
                                 "line posts to a revenue or other account."]
        tax = taxes.get(data.get("tax_category"))
        if not data.get("tax_category"):
            errors["tax_category"] = ["Tax information is required: give a tax category."]
        elif tax is None:
            errors["tax_category"] = [f"Unknown tax category {data['tax_category']}."]
        quantity, unit_price = _quantity_and_price(data, errors, currency)
        if errors:
            problems[index] = errors
        amount = round_money(quantity * unit_price, currency)
        rate = tax.rate if tax is not None else Decimal(0)
        built.append(_row(account_id=account[0] if account else None,
                          tax_category_id=tax.id if tax is not None else None,
                          description=data.get("description") or "", quantity=quantity,
                          unit_price=unit_price, tax_rate=rate, amount=amount,
                          tax_amount=round_money(amount * rate / HUNDRED, currency)))
    if problems:
        raise ValidationError("the lines are not valid", fields={
            "lines": kinds_refusals(kind, currency, built, problems)})
    return built


def kinds_refusals(kind, currency, rows, problems):
    """``problems`` (``{line index: {field: [messages]}}``, the input's mistakes) with what
    ``kind``'s validation says of ``rows``, the lines as far as their input could be read, on
    the fields the input did not fault: a line missing its account and its tax category hears
    of both at once, not of the second once the first is mended.

    The rows belong to a provisional invoice that is never stored; a kind failing on what it
    lacks (its customer) says nothing here, and validates the invoice itself once it is made."""
    if kind is None or kind.validate is None:
        return problems
    provisional = Invoice(kind=kind.code, currency=currency,
                          lines=[InvoiceLine(**row) for row in rows])
    try:
        kind.validate(provisional)
        return problems
    except ValidationError as refusal:
        said = (refusal.fields or {}).get("lines")
    except Exception:  # a kind failing on what the provisional invoice lacks
        return problems
    merged = {index: dict(fields) for index, fields in problems.items()}
    for index, fields in (said.items() if isinstance(said, dict) else ()):
        for field, messages in (fields.items() if isinstance(fields, dict) else ()):
            merged.setdefault(index, {}).setdefault(field, messages)
    return merged


def _quantity_and_price(data, errors, currency):
    """A free text line's quantity and unit price: ``unit_price`` × ``quantity`` (default 1),
    or an ``amount`` for one unit, which is money: in ``currency``'s minor unit (a unit price
    may be finer: 0.125 × 8)."""
    quantity = data.get("quantity") or Decimal(1)
    if data.get("amount") is not None:
        if data.get("unit_price") is not None or quantity != 1:
            errors["amount"] = ["Give either an amount, or a unit price and a quantity."]
        elif round_money(data["amount"], currency) != data["amount"]:
            errors["amount"] = [f"An amount in {currency} is in steps of "
                                f"{plain(exponent(currency))}."]
        return quantity, data["amount"]
    if data.get("unit_price") is None:
        errors["unit_price"] = ["Give a unit price (or an amount)."]
    return quantity, data.get("unit_price") or Decimal(0)


def pro_forma_of(session, hook, invoice):
    """A pro forma invoice copying draft ``invoice`` (a customer or free text invoice): the
    same customer, dates and lines; it is printed, never posted nor numbered."""
    kind = kind_of(hook, invoice)
    require_draft(invoice, ": a pro forma is made of a draft; print the invoice itself")
    if not kind.posts or kind.sign < 0:
        raise Conflict(f"a pro forma is made of an invoice charging the customer, not of a "
                       f"{kind.title.lower()}")
    if not invoice.lines:
        raise Conflict("the invoice has no lines: add some before printing a pro forma of it")
    _require_orders_live(session, {line.order_line.order_id for line in invoice.lines
                                   if line.order_line is not None})
    copy = _new_invoice(session, hook, "pro_forma", invoice.party, invoice.currency,
                        {"invoice_date": invoice.invoice_date, "due_date": invoice.due_date,
                         "posting_profile": invoice.posting_profile.code,
                         "note": invoice.note})
    return _save(session, hook, copy, [
        _row(**{column: getattr(line, column) for column in LINE_COLUMNS})
        for line in invoice.lines])


def _require_orders_live(session, order_ids):
    """Take the locks of the orders ``order_ids`` (see :func:`core.orders.lock_orders`) and
    refuse (409) a cancelled one.  Cancelling an order deletes the drafts of its lines: a
    draft outlives it only when cancelled while invoicing was disabled, and is then of no use
    but to be deleted; a copy made while the order is being cancelled waits for it here, then
    is refused."""
    if not order_ids:
        return
    cancelled = [order.number for order in lock_orders(session, order_ids)
                 if order.status == "cancelled"]
    if cancelled:
        raise Conflict(f"order {cancelled[0]} is cancelled: this draft is of no use now; "
                       "delete it")


def due_by_default(kind, invoice_date):
    """The due date of an invoice of ``kind`` dated ``invoice_date`` when none is given:
    ``DUE_DAYS`` later; what a credit note owes the customer is theirs at once."""
    return invoice_date if kind.sign < 0 else invoice_date + timedelta(days=DUE_DAYS)


def update_invoice(session, hook, invoice, data):
    """Change a draft invoice's header: ``invoice_date``, ``due_date``, ``posting_profile``
    (a code), ``note``.  Refused (409) once posted.  A due date left as it was by default
    follows a new invoice date; a ``due_date`` of None is the default one."""
    require_draft(invoice)
    kind = kind_of(hook, invoice)
    due = data.get("due_date", invoice.due_date)
    following = due is None or due == invoice.due_date == due_by_default(kind,
                                                                        invoice.invoice_date)
    if "posting_profile" in data:
        invoice.posting_profile = default_profile(session, data["posting_profile"])
    for field in ("invoice_date", "due_date", "note"):
        if data.get(field) is not None:
            setattr(invoice, field, data[field])
    if following:
        invoice.due_date = due_by_default(kind, invoice.invoice_date)
    if invoice.due_date < invoice.invoice_date:
        raise ValidationError("the due date is before the invoice date",
                              fields={"due_date": ["Must not be before the invoice date."]})
    validate(hook, invoice)
    session.flush()
    return invoice


def takes_free_text(hook, invoice):
    """Whether free text lines may be added to draft ``invoice``: its kind takes them, it
    charges the customer (a credit note's lines come from what it credits) and it holds no
    order lines."""
    kind = kind_of(hook, invoice)
    return (kind.lines != "items" and kind.sign > 0
            and not any(line.order_line_id for line in invoice.lines))


def add_lines(session, hook, invoice, lines):
    """Append free text ``lines`` to a draft invoice whose kind takes them; returns them."""
    require_draft(invoice)
    if not takes_free_text(hook, invoice):
        raise Conflict("free text lines go on a free text invoice")
    rows = free_text_lines(session, lines, invoice.currency, kind_of(hook, invoice))
    start = max((line.position for line in invoice.lines), default=0)
    for number, row in enumerate(rows, start + 1):
        row["position"] = number
    session.flush()
    added = insert_lines(session, invoice, rows)
    compute_totals(invoice)
    validate(hook, invoice)
    session.flush()
    return added


def update_line(session, hook, invoice, line_id, data):
    """Change a line of a draft invoice: the quantity (its amounts follow) and the description
    of an order line's part, or any field of a free text line."""
    require_draft(invoice)
    line = _line_of(invoice, line_id)
    if line.order_line is not None:
        unknown = set(data) - {"quantity", "description"}
        if unknown:
            message = "Only the quantity and the description of an order line's part change."
            raise ValidationError("an order line's part takes a quantity and a description",
                                  fields={name: [message] for name in sorted(unknown)})
        if "quantity" in data:
            # Another invoice of the order may be drafted or posted at this moment: the line
            # is read again under the order's lock, as they take it.
            _require_orders_live(session, {line.order_line.order_id})
            session.refresh(line.order_line)
            _within_slip_line(session, hook, invoice, line, data["quantity"])
            before = _within_remainder(session, hook, invoice, line, data["quantity"])
            replaced = _order_line_part(line.order_line, data["quantity"], invoice.currency,
                                        before=before)
            for column in ("quantity", "amount", "tax_amount"):
                setattr(line, column, replaced[column])
        if "description" in data:
            if not data["description"].strip():
                raise ValidationError("a line needs a description", fields={
                    "description": ["A description is required."]})
            line.description = data["description"]
    else:
        current = {"account": line.account.code if line.account else None,
                   "tax_category": line.tax_category.code if line.tax_category else None,
                   "description": line.description, "quantity": line.quantity,
                   "unit_price": line.unit_price}
        if "amount" in data:
            current.pop("unit_price")
            current.pop("quantity")
        try:
            [new] = free_text_lines(session, [{**current, **data}], invoice.currency)
        except ValidationError as error:
            raise ValidationError(error.message, fields=error.fields["lines"][0]) from None
        for column in LINE_COLUMNS:
            setattr(line, column, new[column])
        # The account and tax category loaded with the line follow the ids just set: the
        # kind's checks and the answer read them.
        account, tax_category = new["account_id"], new["tax_category_id"]
        line.account = session.get(Account, account) if account else None
        line.tax_category = session.get(TaxCategory, tax_category) if tax_category else None
    compute_totals(invoice)
    validate(hook, invoice)
    session.flush()
    return line


def _within_remainder(session, hook, invoice, line, quantity):
    """Refuse (422) a quantity of ``line``'s order line beyond what is left to invoice of it
    (of what it delivered, for a line of a packing slip) beside the other lines of this and
    other drafts (a pro forma takes nothing); returns what those took of it (:class:`Taken`;
    nothing for a pro forma)."""
    if invoice.kind not in invoicing_kinds(hook) or invoice.credited_invoice_id is not None:
        return NOTHING_TAKEN
    order_line = line.order_line
    every = taken_quantities(session, hook, [order_line])[order_line.id]  # this line too
    taken = Taken(every.quantity - line.quantity,
                  None if every.amount is None else every.amount - line.amount)
    of_slip = line.packing_slip_line_id is not None
    left = _invoiceable_in_all(order_line, of_slip) - taken.quantity
    if quantity > left:
        what = "delivered and left to invoice" if of_slip else "left to invoice"
        raise ValidationError("more than is left to invoice", fields={"quantity": [
            f"{quantity} is more than the {max(left, 0)} {what}."]})
    return taken


def _within_slip_line(session, hook, invoice, line, quantity):
    """Refuse (422) a quantity of ``line``, made of a packing slip line, beyond what that slip
    line delivered less what other invoices took of it."""
    slip_line = line.packing_slip_line
    if (slip_line is None or invoice.kind not in invoicing_kinds(hook)
            or invoice.credited_invoice_id is not None):
        return
    # What invoices took counts this draft's line as it stands.
    others = taken_of_slip_lines(session, hook, [slip_line.id]).get(slip_line.id, 0) \
        - line.quantity
    left = slip_line.quantity - others
    if quantity > left:
        raise ValidationError("more than the packing slip delivered", fields={"quantity": [
            f"{quantity} is more than the {max(left, 0)} packing slip "
            f"{slip_line.packing_slip.number} delivered and no other invoice took."]})


def remove_line(session, hook, invoice, line_id):
    """Remove a line of a draft invoice."""
    require_draft(invoice)
    invoice.lines.remove(_line_of(invoice, line_id))
    compute_totals(invoice)
    session.flush()
    return invoice


def _line_of(invoice, line_id):
    for line in invoice.lines:
        if line.id == line_id:
            return line
    raise NotFound(f"the invoice has no line {line_id}")


def delete_invoice(session, invoice):
    """Delete a draft invoice and its lines (409 once posted: a credit note corrects it)."""
    require_draft(invoice)
    session.delete(invoice)
    session.flush()


def delete_drafts_of_order(session, order):
    """Delete the draft invoices of ``order``'s lines, pro formas included: the order is
    cancelled, and they would never post.  Returns a sentence naming them, or None.

    Refused (409, try again) while another request holds one of them (posting or changing it):
    a posting holds the draft and next waits for the order, which the cancelling request
    holds, so waiting for the draft here would have each wait for the other."""
    try:
        drafts = session.scalars(
            select(Invoice).where(Invoice.status == "draft", Invoice.id.in_(
                select(InvoiceLine.invoice_id).join(InvoiceLine.order_line)
                .where(OrderLine.order_id == order.id)))
            .with_for_update(of=Invoice, nowait=True)).all()
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise Conflict(f"a draft invoice of order {order.number} is being posted or changed "
                       "at this moment: try again") from None
    for draft in drafts:
        session.delete(draft)
    session.flush()
    if not drafts:
        return None
    words = {"pro_forma": "pro forma", CREDIT_NOTE: "draft credit note"}
    return "Deleted with the order: " + ", ".join(
        f"{words.get(draft.kind, 'draft invoice')} {draft.id}" for draft in drafts) + "."


def search_invoices(session, text="", kind=None, status=None, party_id=None, page=1,
                    per_page=25, order_id=None, packing_slip_id=None, payment=None,
                    credit_kinds=(), start=None, end=None):
    """Invoices whose number, customer name or name billed to (a posted invoice's customer as
    it was, renamed or merged since) contains ``text``, drafts first then the newest
    by date and posting, of ``kind``, ``status``, customer ``party_id``, with lines of order
    ``order_id`` and of packing slip ``packing_slip_id``, posted and ``payment`` (one of
    :data:`PAYMENTS`; none for another; ``credit_kinds`` names the kinds that credit the
    customer, never overdue), dated from ``start`` to ``end`` when given: ``(invoices, total
    count)``."""
    query = select(Invoice).join(Invoice.party)
    if text:
        pattern = contains(text)
        query = query.where(or_(
            func.lower(Invoice.number).like(pattern, escape="\\"),
            func.lower(Party.name).like(pattern, escape="\\"),
            func.lower(Invoice.billed_to["name"].as_string()).like(pattern, escape="\\")))
    if kind:
        query = query.where(Invoice.kind == kind)
    if status:
        query = query.where(Invoice.status == status)
    if party_id is not None:
        query = query.where(Invoice.party_id == party_id)
    query = query.where(in_period(Invoice.invoice_date, start, end))
    if payment is not None:
        left = PAYMENTS.get(payment)
        query = query.where(Invoice.status == "posted", left(credit_kinds) if left else false())
    if order_id is not None:
        of_order = select(OrderLine.id).where(OrderLine.order_id == order_id)
        query = query.where(Invoice.id.in_(_having_lines(
            lambda line: line.order_line_id.in_(of_order))))
    if packing_slip_id is not None:
        of_slip = select(PackingSlipLine.id).where(
            PackingSlipLine.packing_slip_id == packing_slip_id)
        query = query.where(Invoice.id.in_(_having_lines(
            lambda line: line.packing_slip_line_id.in_(of_slip))))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(
        query.order_by(case((Invoice.status == "draft", 0), else_=1), Invoice.invoice_date.desc(),
                       Invoice.posted_at.desc(), Invoice.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return found, total


def known_kind(session, hook, code):
    """Whether ``code`` is a kind of invoice: an enabled module's, or one invoices hold (of a
    module disabled since)."""
    return code in invoice_kinds(hook) or session.scalar(
        select(Invoice.id).where(Invoice.kind == code).limit(1)) is not None


# What is left of a posted invoice (or credit note) to settle, as the invoice list filters
# by, given the kinds that credit the customer: something (an invoice partly paid too), an
# invoice's rest past its due date (what a credit note owes the customer is never late), or
# nothing.
PAYMENTS = {
    "unsettled": lambda credit_kinds: Invoice.settled != Invoice.total,
    "overdue": lambda credit_kinds: and_(Invoice.settled != Invoice.total,
                                         Invoice.due_date < date.today(),
                                         Invoice.kind.not_in(credit_kinds)),
    "settled": lambda credit_kinds: Invoice.settled == Invoice.total,
}


def _having_lines(condition):
    """The ids of the invoices with a line meeting ``condition(line)`` (given an InvoiceLine
    entity), or crediting one that does: a credit note of part of an invoice names no packing
    slip line, and no order line unless it credits goods not delivered."""
    credited = aliased(InvoiceLine)
    return select(InvoiceLine.invoice_id).where(condition(InvoiceLine)).union(
        select(InvoiceLine.invoice_id).join(credited, credited.id == InvoiceLine.credited_line_id)
        .where(condition(credited)))


def uninvoiced_slips(session, hook, party_id):
    """The packing slips of customer ``party_id`` with something not invoiced yet, oldest
    first: ``{slip: how many of its lines have something left}``."""
    slips = session.scalars(
        select(PackingSlip).join(PackingSlip.order)
        .where(Order.party_id == party_id, Order.status != "cancelled")
        .order_by(*SLIPS_ORDER)
        .options(selectinload(PackingSlip.order),
                 selectinload(PackingSlip.lines).selectinload(PackingSlipLine.order_line))).all()
    lines_left = defaultdict(int)
    for slip, *_part in slip_parts(session, hook, slips):
        lines_left[slip] += 1
    return dict(lines_left)


def _earlier_periods(hook, slips, slip_lines):
    """The ids of the ``slip_lines`` (every slip line of the order lines of ``slips``) that a
    recurring order (Subscription) delivered in a period it has closed: invoiced then, from
    the order if not from the slip.

    A period closes once its lines are delivered and invoiced in full, and their delivered
    quantities start again from zero: the newest slip lines of an order line, up to what it
    delivered in this period, are this period's; the older ones were invoiced before."""
    recurring = recurring_codes(hook)
    this_period = {line.order_line_id: line.order_line.delivered_quantity
                   for slip in slips if slip.order.type in recurring for line in slip.lines}
    earlier = set()
    for line in sorted(slip_lines, key=lambda line: line.id, reverse=True):
        if line.order_line_id not in this_period:
            continue
        if line.quantity <= this_period[line.order_line_id]:
            this_period[line.order_line_id] -= line.quantity
        else:
            this_period[line.order_line_id] = Decimal(0)
            earlier.add(line.id)
    return earlier


def slip_parts(session, hook, slips):
    """What an invoice of ``slips`` (in :data:`SLIPS_ORDER`) takes, as ``(slip, slip line,
    quantity, before)``, ``before`` what invoices took of its order line before it (see
    :func:`_order_line_part`): each slip line what is left of it, within what its order line
    delivered and did not invoice (an invoice of the order may have taken a slip's goods
    before they were delivered).  The slips of one order line, those not chosen too, share
    that quantity the newest first (an invoice of the order took the oldest goods), so that a
    slip takes the same whichever others are chosen with it; a draft holding the order line (a
    corrected copy, an invoice of the order) leaves less, and a recurring order's slip of an
    earlier period gives nothing."""
    order_lines = {line.order_line for slip in slips for line in slip.lines}
    before = taken_quantities(session, hook, order_lines)
    left = open_line_quantities(session, hook, order_lines, delivered=True, taken=before)
    every = [_SlipLine(*row) for row in session.execute(
        _slip_lines_of_query(), {"lines": [line.id for line in order_lines]})]
    rest = slip_line_rests(session, hook, every)
    for line_id in _earlier_periods(hook, slips, every):
        rest[line_id] = Decimal(0)
    taken = {}
    for line in reversed(every):
        quantity = min(rest[line.id], left[line.order_line_id])
        if quantity > 0:
            left[line.order_line_id] -= quantity
            taken[line.id] = quantity
    parts = []
    for slip in slips:
        for line in slip.lines:
            if line.id in taken:
                earlier = before[line.order_line_id]
                parts.append((slip, line, taken[line.id], earlier))
                # The next part of the line follows this one, which takes its share less
                # what came before: together they come to the share.
                before[line.order_line_id] = Taken(earlier.quantity + taken[line.id])
    return parts


class _SlipLine(NamedTuple):
    """A packing slip line as :func:`slip_line_rests` reads it."""

    id: int
    order_line_id: int
    quantity: Decimal


@functools.cache
def _slip_lines_of_query():
    """Every packing slip line of some order lines, their slips in :data:`SLIPS_ORDER`."""
    return (select(PackingSlipLine.id, PackingSlipLine.order_line_id, PackingSlipLine.quantity)
            .join(PackingSlipLine.packing_slip)
            .where(PackingSlipLine.order_line_id.in_(bindparam("lines", expanding=True)))
            .order_by(*SLIPS_ORDER, PackingSlipLine.id))
