"""Credit notes: cancel an unpaid posted invoice, or credit part of one (goods a customer
returned or, invoiced before delivery, will not take; part of a free text line); apply what a
credit note owes the customer to other invoices, or refund it.

A posted invoice is never edited: a credit note (kind ``credit_note``) reverses all or part of
it, with a number of its own and reversing ledger entries.  Every function works inside the
caller's transaction, which must hold the row lock of the invoice credited (or of the credit
note applied or refunded): ``posting.load_invoice(..., lock=True)``; each runs a fixed number
of SQL statements whatever the number of lines.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core.errors import Conflict, ValidationError
from core.invoicekinds import invoice_kinds, kind_of
from core.models import Order, OrderLine
from core.money import round_money
from core.orders import lock_orders
from core.ordertypes import recurring_codes
from plugins.invoicing.invoices import drafted_quantities, insert_lines
from plugins.invoicing.kinds import CREDIT_NOTE
from plugins.invoicing.models import Invoice, InvoiceLine, Settlement
from plugins.invoicing.payments import (
    checked_applications,
    move_to_summaries,
    pay_back,
    settle_invoices,
)
from plugins.invoicing.posting import compute_totals, post_invoice

# What a credit note's (or a corrected copy's) line takes of the line it copies.
LINE_COLUMNS = ("position", "order_line_id", "packing_slip_line_id", "item_id", "account_id",
                "tax_category_id", "description", "quantity", "unit_price", "discount",
                "tax_rate", "amount", "tax_amount")


def cancel_invoice(session, hook, invoice, reason, copy=False, on=None):
    """Cancel the posted, unpaid ``invoice`` with a credit note of its every line, posted on
    ``on`` (default: today; never before the invoice's date); returns ``(credit_note, draft
    copy or None)``.

    The credit note credits the same order lines, so they can be invoiced again, and settles
    the invoice in full: both are then paid and the customer's balance is back where it was.
    With ``copy`` a new draft invoice with the same lines, dated as the credit note, is made,
    to correct and post.
    Refused (409) for a draft, an invoice already paid in part or in full (credit it in part
    instead), an invoice a credit note already credits, a credit note, a kind that never
    posts, and a Subscription's invoice that is not its latest one still standing or whose
    period the next one has started.
    """
    require_cancellable(session, hook, invoice)
    credit_note = _credit_note(invoice, reason, on)
    _insert(session, credit_note, [_line_values(line, credited_line_id=line.id)
                                   for line in invoice.lines])
    post_invoice(session, hook, credit_note)
    _settle(session, invoice, credit_note, invoice.total)
    draft = _draft_copy(session, invoice, credit_note.invoice_date) if copy else None
    return credit_note, draft


def credit_in_part(session, hook, invoice, quantities, reason, on=None, not_delivered=False):
    """Credit part of the posted ``invoice``: ``quantities`` (``{invoice line id: quantity}``)
    of its lines (goods returned, or part of a free text line's quantity), on a credit note
    posted on ``on`` (default: today; never before the invoice's date); returns it.

    Each quantity is at most what the line invoiced less what earlier credit notes credited
    (422 naming each line otherwise); amounts are the line's, in proportion: what all its
    credits so far come to, rounded, less what the earlier ones took, so that together they
    never exceed the line and the last takes exactly what is left.  Goods returned leave the
    order as it is.  With ``not_delivered`` the quantities are instead goods invoiced before
    they were delivered, which the customer will not take: each comes off its order line's
    invoiced quantity, so that the order can close them (or deliver and invoice them again);
    each line must then invoice an order line from the order (not from a packing slip, whose
    goods were delivered; not a Subscription's, which counts one period), and its quantity be
    at most what that order line invoiced beyond what it delivered and drafts of its packing
    slips will charge (422 naming each line otherwise).
    The customer's balance goes down by the credit note's total; while the invoice is still
    open, the credit note settles it up to its open amount, and the rest is owed to the customer.
    """
    require_creditable(session, hook, invoice)
    lines = {line.id: line for line in invoice.lines}
    credited = _credited_so_far(session, list(lines))
    problems, chosen = [], []
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            problems.append(f"Line {line_id} is not a line of invoice {invoice.number}.")
            continue
        done_quantity, done_amount, done_tax = credited.get(line.id, (0, 0, 0))
        left = line.quantity - done_quantity
        if quantity <= 0:
            problems.append(f"Line {line.position}: the quantity must be more than 0.")
        elif quantity > left:
            problems.append(f"Line {line.position} ({line.description}): {quantity} is more "
                            f"than the {left} left to credit.")
        else:
            # What the line's credits come to with this one, rounded, less what the earlier
            # ones took: rounding each on its own could credit more than the line.
            share = (done_quantity + quantity) / line.quantity
            amount = round_money(line.amount * share, invoice.currency) - done_amount
            tax = round_money(line.tax_amount * share, invoice.currency) - done_tax
            if quantity < left and not (amount or tax) and (line.amount or line.tax_amount):
                problems.append(f"Line {line.position} ({line.description}): {quantity} is "
                                "too little to credit a cent: credit more of it at once.")
            else:
                chosen.append((line, quantity, amount, tax))
    if not problems and not chosen:
        problems.append("Give a quantity to credit on at least one line.")
    if problems:
        raise ValidationError("the lines cannot be credited so", fields={"lines": problems})
    chosen.sort(key=lambda chosen_line: chosen_line[0].position)
    if not_delivered:
        _require_not_delivered(session, hook, chosen)
    credit_note = _credit_note(invoice, reason, on)
    _insert(session, credit_note, [
        _line_values(line, credited_line_id=line.id, position=position, quantity=quantity,
                     amount=amount, tax_amount=tax_amount,
                     order_line_id=line.order_line_id if not_delivered else None,
                     packing_slip_line_id=None)
        for position, (line, quantity, amount, tax_amount) in enumerate(chosen, 1)])
    post_invoice(session, hook, credit_note)
    if invoice.open_amount > 0:
        _settle(session, invoice, credit_note, min(invoice.open_amount, credit_note.total))
    return credit_note


def apply_credit_note(session, hook, credit_note, applications, on=None):
    """Apply what is left of the posted ``credit_note`` (locked by the caller:
    ``posting.load_invoice(..., lock=True)``) to posted invoices of its customer and currency,
    ``[(invoice id, amount)]``; returns the credit note.

    What a credit note does not settle of the invoice it credits (goods returned after the
    invoice was paid) is owed to the customer: applied, it settles other invoices as a payment
    would.  The checks are a payment's (422 naming each problem; 409 for a draft invoice), and
    409 for a document that is not a posted credit note.  Posting the credit note already
    credited the customer's balance: only an invoice posting to another summary account than
    the credit note's gets the amount moved there, with entries dated ``on`` (default: today).
    """
    _require_credit_note(hook, credit_note, "applied to invoices")
    if not applications:
        raise ValidationError("nothing to apply", fields={"applications": [
            "Apply the credit note to an invoice."]})
    invoices, profiles = checked_applications(session, credit_note, credit_note.open_amount,
                                              applications, noun="credit note")
    applied = settle_invoices(session, invoices, applications, profiles,
                              credit_note_id=credit_note.id)
    credit_note.settled += sum(amount for _id, amount in applications)
    move_to_summaries(session, credit_note.posting_profile.summary_account.code, applied,
                      credit_note.party, document=credit_note.number,
                      currency=credit_note.currency, entry_date=on or date.today(),
                      owner="credit notes", invoice_id=credit_note.id)
    session.flush()
    return credit_note


def refund_credit_note(session, hook, credit_note, amount, payment_date, reference="",
                       account="512"):
    """Pay ``amount`` of what the posted ``credit_note`` (locked by the caller:
    ``posting.load_invoice(..., lock=True)``) owes the customer back from the bank account
    ``account``; returns the refund, a payment of kind ``refund`` numbered from the ``refund``
    sequence (RF-).

    The amount is at most what is left of the credit note (422 under ``amount``), in whole
    cents, and the refund is not dated before the credit note (422 under ``payment_date``);
    409 for a document that is not a posted credit note.  The ledger gets the customer's
    balance debited on the credit note's summary account and the bank credited; the refund
    settles the credit note.
    """
    _require_credit_note(hook, credit_note, "refunded")
    refund = pay_back(session, credit_note.party, credit_note.currency, amount, payment_date,
                      reference, account, source=credit_note,
                      left=round_money(credit_note.open_amount, credit_note.currency),
                      since=credit_note.invoice_date,
                      summary=credit_note.posting_profile.summary_account)
    session.add(Settlement(invoice_id=credit_note.id, payment_id=refund.id,
                           amount=refund.amount))
    credit_note.settled += refund.amount
    session.flush()
    return refund


def credited_quantities(session, invoice):
    """What posted credit notes credited of each of ``invoice``'s lines, as
    ``{line id: quantity}``."""
    return {line_id: quantity for line_id, (quantity, _amount, _tax)
            in _credited_so_far(session, [line.id for line in invoice.lines]).items()}


def require_creditable(session, hook, invoice):
    """Refuse (409) crediting ``invoice`` unless it is a posted invoice of a kind that posts
    and charges the customer."""
    kind = kind_of(hook, invoice)
    if invoice.status != "posted":
        raise Conflict(f"invoice {invoice.reference} is not posted: only a posted invoice "
                       "is credited")
    if not kind.posts or kind.sign < 0:
        raise Conflict(f"{invoice.number} is a {kind.title.lower()}: only an invoice is credited")


def require_cancellable(session, hook, invoice):
    """Refuse (409) cancelling ``invoice`` unless it is creditable, unpaid and credited by no
    credit note yet: otherwise it is credited in part."""
    require_creditable(session, hook, invoice)
    earlier = session.scalar(select(Invoice.number).where(
        Invoice.credited_invoice_id == invoice.id, Invoice.status == "posted").limit(1))
    if earlier is not None:
        raise Conflict(f"invoice {invoice.number} is already credited by {earlier}: only an "
                       "invoice nothing credited yet is cancelled; credit the rest of it in "
                       "part instead")
    if invoice.settled != 0:
        state = invoice.payment_status.replace("_", " ")
        raise Conflict(f"invoice {invoice.number} is already {state}: only an unpaid invoice "
                       "is cancelled; credit it in part instead")


def is_posted_credit_note(hook, document):
    """Whether ``document`` is a posted invoice of a kind that posts and credits (sign -1)."""
    kind = invoice_kinds(hook).get(document.kind)
    return (kind is not None and kind.posts and kind.sign < 0
            and document.status == "posted")


def _require_credit_note(hook, credit_note, action):
    if not is_posted_credit_note(hook, credit_note):
        raise Conflict(f"{credit_note.reference} is not a posted credit note: only a credit "
                       f"note is {action}")


def _credited_so_far(session, line_ids):
    """``{credited line id: (quantity, amount, tax)}`` over posted credit notes; summed here
    because SQLite would sum the exact amounts as floats."""
    rows = session.execute(
        select(InvoiceLine.credited_line_id, InvoiceLine.quantity, InvoiceLine.amount,
               InvoiceLine.tax_amount)
        .join(InvoiceLine.invoice)
        .where(InvoiceLine.credited_line_id.in_(line_ids), Invoice.status == "posted")).all()
    totals = {}
    for line_id, quantity, amount, tax in rows:
        done = totals.get(line_id, (Decimal(0), Decimal(0), Decimal(0)))
        totals[line_id] = (done[0] + quantity, done[1] + amount, done[2] + tax)
    return totals


def _require_not_delivered(session, hook, chosen):
    """Refuse (422 naming each line) crediting ``chosen`` (``[(invoice line, quantity, ...)]``,
    in the lines' order) as goods not delivered: lines of packing slips or of no order line,
    of a Subscription, or beyond what their order lines invoiced and did not deliver."""
    left = _invoiced_not_delivered(session, hook, [line for line, *_ in chosen])
    problems = []
    for line, quantity, *_ in chosen:
        named = f"Line {line.position} ({line.description})"
        if line.order_line_id is None:
            problems.append(f"{named} invoices no goods of an order: credit it without "
                            "\"not delivered\".")
        elif line.packing_slip_line_id is not None:
            problems.append(f"{named} invoices goods a packing slip delivered: credit them "
                            "as goods returned.")
        elif line.order_line_id not in left:
            problems.append(f"{named} is of a recurring order (a Subscription), whose lines "
                            "count one period: credit it as goods returned.")
        elif quantity > left[line.order_line_id]:
            problems.append(f"{named}: {quantity} is more than the "
                            f"{left[line.order_line_id]} invoiced and not delivered.")
        else:
            left[line.order_line_id] -= quantity
    if problems:
        raise ValidationError("the lines were not invoiced before delivery so",
                              fields={"lines": problems})


def _invoiced_not_delivered(session, hook, lines):
    """``{order line id: quantity}`` the order lines of invoice ``lines`` invoiced beyond what
    they delivered and drafts do not hold (a draft of a packing slip will charge its goods),
    read under their orders' locks; a Subscription's lines left out."""
    ids = {line.order_line_id for line in lines} - {None}
    if not ids:
        return {}
    lock_orders(session, select(OrderLine.order_id).where(OrderLine.id.in_(ids)))
    rows = session.execute(
        select(OrderLine.id, OrderLine.invoiced_quantity, OrderLine.delivered_quantity)
        .join(OrderLine.order)
        .where(OrderLine.id.in_(ids), Order.type.not_in(recurring_codes(hook))))
    drafted = drafted_quantities(session, hook, ids)
    return {line_id: max(invoiced - max(delivered - drafted.get(line_id, 0), 0), Decimal(0))
            for line_id, invoiced, delivered in rows}


def _credit_note(invoice, reason, on):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a credit note needs a reason", fields={"reason": ["Required."]})
    day = on or date.today()
    if day < invoice.invoice_date:
        raise Conflict(f"a credit note of {invoice.number} is not dated before it "
                       f"({invoice.invoice_date})")
    return Invoice(kind=CREDIT_NOTE, party=invoice.party, currency=invoice.currency,
                   invoice_date=day, due_date=day, posting_profile=invoice.posting_profile,
                   credited_invoice=invoice, note=f"Credits {invoice.number}: {reason}",
                   status="draft", settled=Decimal(0), credited=Decimal(0))


def _line_values(line, **changes):
    """The column values of a new invoice line like ``line``, except ``changes``."""
    values = {column: getattr(line, column) for column in LINE_COLUMNS}
    return {**values, "credited_line_id": None, **changes}


def _insert(session, invoice, lines):
    """Insert the new ``invoice`` (without lines), then its ``lines`` (column values) with one
    statement whatever their number."""
    invoice.lines = []
    session.add(invoice)
    session.flush()
    insert_lines(session, invoice, lines)


def _settle(session, invoice, credit_note, amount):
    """Record that ``credit_note`` settles ``amount`` of ``invoice``.

    No ledger entries: posting the credit note already credited the customer's balance.
    """
    session.add(Settlement(invoice_id=invoice.id, credit_note_id=credit_note.id, amount=amount))
    invoice.settled += amount
    invoice.credited += amount
    credit_note.settled += amount
    session.flush()


def _draft_copy(session, invoice, day):
    """A new draft invoice of ``invoice``'s kind, customer and lines, dated ``day``, to correct
    and post."""
    draft = Invoice(kind=invoice.kind, party=invoice.party, currency=invoice.currency,
                    invoice_date=day, due_date=day + (invoice.due_date - invoice.invoice_date),
                    posting_profile=invoice.posting_profile, note=f"Corrects {invoice.number}",
                    status="draft", settled=Decimal(0), credited=Decimal(0))
    _insert(session, draft, [_line_values(line) for line in invoice.lines])
    compute_totals(draft)
    session.flush()
    return draft
