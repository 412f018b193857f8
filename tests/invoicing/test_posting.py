"""Posting: gapless numbers, balanced ledger entries, invoiced quantities and order status."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.errors import Conflict
from core.models import Order, OrderLine
from plugins.invoicing.invoices import invoice_from_packing_slips
from plugins.invoicing.models import Account, Invoice, InvoiceLine, LedgerEntry, PostingProfile
from plugins.invoicing.posting import invoice_to_post, post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip


def _draft_of(session, order, kind="customer", quantities=None):
    """A draft invoice of ``order``'s lines (their whole quantity unless ``quantities``)."""
    profile = session.scalars(select(PostingProfile).where(PostingProfile.is_default)).one()
    invoice = Invoice(kind=kind, party_id=order.party_id, currency=order.currency,
                      invoice_date=date.today(), due_date=date.today(), posting_profile=profile)
    for position, line in enumerate(order.lines, 1):
        quantity = (quantities or {}).get(line.id, line.quantity)
        share = quantity / line.quantity
        invoice.lines.append(InvoiceLine(
            position=position, order_line=line, item_id=line.item_id, quantity=quantity,
            description=line.item.name, unit_price=line.unit_price, discount=line.discount,
            tax_rate=line.tax_rate, amount=(line.amount * share).quantize(Decimal("0.01")),
            tax_amount=(line.tax_amount * share).quantize(Decimal("0.01"))))
    session.add(invoice)
    session.flush()
    return invoice


def _balances(session, invoice):
    """``{account code: (debits, credits)}`` of the entries ``invoice`` wrote."""
    balances = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for code, debit, credit in session.execute(
            select(Account.code, LedgerEntry.debit, LedgerEntry.credit)
            .join(LedgerEntry.account).where(LedgerEntry.invoice_id == invoice.id)):
        balances[code] = (balances[code][0] + debit, balances[code][1] + credit)
    return dict(balances)


def test_posting_numbers_and_balances_the_ledger(registry, catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2), (catalogue["BOOK"], 1)])
        invoice = _draft_of(session, order)
        post_invoice(session, registry.hook, invoice)
        session.commit()
        assert invoice.number == "INV-00001"
        assert invoice.total == Decimal("51.10")  # 25.00 + 20% and 20.00 + 5.5%
        assert _balances(session, invoice) == {
            "411": (Decimal("51.10"), Decimal(0)),
            "706": (Decimal(0), Decimal("45.00")),
            "4457": (Decimal(0), Decimal("6.10")),
        }
        assert sorted(session.execute(select(LedgerEntry.description, LedgerEntry.credit).where(
            LedgerEntry.invoice_id == invoice.id))) == [
            ("Bolt & Co", 0), ("revenue, Bolt & Co", Decimal("45.00")),
            ("tax 20 %, Bolt & Co", Decimal("5.00")), ("tax 5.5 %, Bolt & Co", Decimal("1.10"))]
        assert session.get(Order, order.id).status == "confirmed"  # nothing delivered yet
        assert [line.invoice_remainder for line in order.lines] == [0, 0]


def test_a_posted_invoice_cannot_be_posted_again(registry, catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        invoice = post_invoice(session, registry.hook, _draft_of(session, order))
        with pytest.raises(Conflict):
            post_invoice(session, registry.hook, invoice)


def test_invoicing_more_than_the_remainder_is_refused_and_takes_no_number(registry, catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        post_invoice(session, registry.hook, _draft_of(session, order))
        session.commit()
        second = _draft_of(session, order)
        with pytest.raises(Conflict):
            post_invoice(session, registry.hook, second)
        session.rollback()
        third = _draft_of(session, confirmed_order(session, registry.hook, catalogue["bolt"],
                                                   [(catalogue["NAIL"], 1)]))
        post_invoice(session, registry.hook, third)
        assert third.number == "INV-00002"


def test_two_drafts_holding_one_packing_slip_post_once(registry, catalogue):
    """Drafts made at the same moment may each hold a whole packing slip: the first posts, the
    second is refused, although the order line has more left to invoice."""
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 10)])
        slip = packing_slip(session, hook, order, {1: 4})
        first = invoice_from_packing_slips(session, hook, [slip.id])
        second = _draft_of(session, order, quantities={order.lines[0].id: Decimal(4)})
        second.lines[0].packing_slip_line_id = slip.lines[0].id
        session.commit()
        post_invoice(session, hook, invoice_to_post(session, first.id))
        session.commit()
        with pytest.raises(Conflict) as refused:
            post_invoice(session, hook, invoice_to_post(session, second.id))
        session.rollback()
        assert refused.value.fields == {"lines": [
            "Packing slip PS-00001: 4 is more than the 0 left to invoice of it."]}
        assert session.get(OrderLine, order.lines[0].id).invoiced_quantity == 4
        assert session.get(Invoice, second.id).status == "draft"
