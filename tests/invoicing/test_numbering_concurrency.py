"""Invoices posted at the same time from several connections get distinct, consecutive numbers
and balanced entries.  On SQLite the writing sessions take turns."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import orders
from plugins.invoicing import invoices
from plugins.invoicing.models import Invoice, LedgerEntry, Payment
from plugins.invoicing.payments import register_payment
from plugins.invoicing.posting import post_invoice
from tests.invoicing.conftest import confirmed_order

THREADS, EACH = 8, 25


def test_eight_threads_posting_get_consecutive_numbers(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        made = [confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], EACH)])
                for _ in range(THREADS)]
        session.commit()
        order_ids = [(order.id, order.lines[0].id) for order in made]

    def post_one_by_one(ids):
        order_id, line_id = ids
        with registry.writing_session() as session:
            for _ in range(EACH):
                order = orders.load_order(session, order_id)
                invoice = invoices.invoice_from_order(session, hook, order,
                                                      {line_id: Decimal(1)})
                post_invoice(session, hook, invoice)
                session.commit()

    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(post_one_by_one, ids) for ids in order_ids]:
            done.result()
    with registry.session_factory() as session:
        numbers = sorted(session.scalars(select(Invoice.number)))
        assert numbers == [f"INV-{n:05d}" for n in range(1, THREADS * EACH + 1)]
        entries = session.execute(select(LedgerEntry.debit, LedgerEntry.credit)).all()
        assert sum(debit for debit, _ in entries) == sum(credit for _, credit in entries) == (
            Decimal("15.00") * THREADS * EACH)
        assert {order.status for order in session.scalars(
            select(orders.Order).where(orders.Order.id.in_([i for i, _ in order_ids])))} == {
            "confirmed"}


def test_payments_registered_at_once_all_go_through(registry, catalogue):
    """Each locks the bank account it names to keep its kind, and its entries' accounts: shared
    locks, so that payments at once wait for the number in turn instead of deadlocking."""
    def pay(_):
        with registry.writing_session() as session:
            register_payment(session, catalogue["bolt"], Decimal(1), "EUR", date.today())
            session.commit()

    with ThreadPoolExecutor(THREADS) as pool:
        for done in [pool.submit(pay, n) for n in range(THREADS)]:
            done.result()
    with registry.session_factory() as session:
        numbers = sorted(session.scalars(select(Payment.number)))
        assert numbers == [f"PAY-{n:05d}" for n in range(1, THREADS + 1)]
