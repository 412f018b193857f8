"""What invoices hold of order lines and packing slip lines: which invoices take quantities,
and what they took of packing slip lines.

Drafting reads these to offer only what is left; posting reads them again under the orders'
row locks, since drafts made at the same moment may each hold the same quantities.
"""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import and_, or_, select

from core.invoicekinds import invoice_kinds
from plugins.invoicing.models import Invoice, InvoiceLine


def invoicing_kinds(hook):
    """The codes of the kinds whose invoices may take order quantities: they post and their
    lines may hold order lines.  Such an invoice takes the quantities it names (a customer
    invoice, or a credit note of a returned order), unless it credits another invoice
    (``credited_invoice_id``): it then gives back what that one took."""
    return [code for code, kind in invoice_kinds(hook).items()
            if kind.posts and kind.lines != "accounts"]


def taking():
    """The condition that an invoice takes order quantities rather than giving them back."""
    return Invoice.credited_invoice_id.is_(None)


def drafts_taking(hook):
    """The condition that an invoice is a draft that will take the order quantities it holds."""
    return drafts_of(invoicing_kinds(hook))


def drafts_of(kinds):
    """The condition that an invoice is a draft of one of ``kinds`` (codes:
    :func:`invoicing_kinds`) that will take the order quantities it holds."""
    return and_(Invoice.status == "draft", Invoice.kind.in_(kinds), taking())


def taken_of_slip_lines(session, hook, slip_line_ids, *, drafts=True):
    """``{packing slip line id: quantity}`` that invoices took of ``slip_line_ids``: what
    posted invoices took, less what posted cancelling credit notes gave back, and with
    ``drafts`` what drafts hold."""
    if not slip_line_ids:
        return {}
    posted = and_(Invoice.status == "posted", Invoice.kind.in_(invoicing_kinds(hook)))
    # A cancelling credit note's lines name the packing slip lines they give back, as the
    # lines they credit do: the index on the slip lines finds both.
    rows = session.execute(
        select(InvoiceLine.packing_slip_line_id, taking(), InvoiceLine.quantity)
        .join(InvoiceLine.invoice)
        .where(InvoiceLine.packing_slip_line_id.in_(slip_line_ids),
               or_(posted, drafts_taking(hook)) if drafts else posted,
               # a credit note gives a slip's quantities back only when it cancels (names
               # order lines); one of goods not delivered names no slip line
               or_(InvoiceLine.credited_line_id.is_(None),
                   InvoiceLine.order_line_id.is_not(None)))).all()
    net = defaultdict(Decimal)
    for line_id, takes, quantity in rows:
        net[line_id] += quantity if takes else -quantity
    return net


def slip_line_rests(session, hook, slip_lines, *, drafts=True):
    """``{packing slip line id: quantity}`` of ``slip_lines`` (with ``id`` and ``quantity``)
    not on an invoice yet: each one's quantity less what invoices took of it (see
    :func:`taken_of_slip_lines`).  A slip line invoiced in part keeps the rest to invoice."""
    taken = taken_of_slip_lines(session, hook, [line.id for line in slip_lines], drafts=drafts)
    return {line.id: max(line.quantity - taken.get(line.id, 0), Decimal(0))
            for line in slip_lines}
