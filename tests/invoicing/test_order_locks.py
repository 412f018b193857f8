"""Two transactions delivering or invoicing one order line at once: the second waits for the
order's lock, then sees what the first wrote, and is refused beyond what is left (PostgreSQL:
SQLite lets one writer in at a time anyway)."""

import queue
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import text

from core import orders
from core.models import OrderLine
from plugins.fulfilment.services import deliver
from plugins.invoicing.posting import invoice_to_post, load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order
from tests.invoicing.test_posting import _draft_of


@pytest.fixture
def postgresql(comptoir_db):
    if comptoir_db["COMPTOIR_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("row locks are a PostgreSQL matter")


def _one_after_the_other(registry, action):
    """Run ``action(session)`` in a transaction, then in a second one started while the first
    holds its locks; commit the first once the second waits for one of them.  Returns what
    became of the second: ``"done"``, or why it was refused or failed."""
    outcome, backend = {}, queue.Queue()

    def second():
        with registry.session_factory() as session:
            backend.put(session.execute(text("SELECT pg_backend_pid()")).scalar())
            try:
                action(session)
                session.commit()
                outcome["second"] = "done"
            except Exception as error:  # reported by the assertions, whatever it is
                session.rollback()
                outcome["second"] = f"{type(error).__name__}: {error}"

    with registry.session_factory() as session:
        action(session)
        thread = threading.Thread(target=second)
        thread.start()
        _wait_until_blocked(registry, backend.get(timeout=60), thread)
        session.commit()
    thread.join()
    return outcome["second"]


def _wait_until_blocked(registry, pid, thread, patience=60):
    """Wait until the backend ``pid`` waits for a lock (or its thread is done)."""
    deadline = time.monotonic() + patience
    with registry.engine.connect() as connection:
        while thread.is_alive() and time.monotonic() < deadline and not connection.execute(
                text("SELECT cardinality(pg_blocking_pids(:pid))"), {"pid": pid}).scalar():
            time.sleep(0.05)


def test_a_delivery_waiting_for_the_order_sees_the_one_before(postgresql, registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 10)])
        session.commit()
        order_id, line_id = order.id, order.lines[0].id

    second = _one_after_the_other(registry, lambda session: deliver(
        session, hook, orders.load_order(session, order_id, lock=True), {line_id: Decimal(6)}))

    assert "cannot be delivered" in second
    with registry.session_factory() as session:
        assert session.get(OrderLine, line_id).delivered_quantity == 6


@pytest.mark.parametrize("load", [invoice_to_post, lambda session, invoice_id: load_invoice(
    session, invoice_id, lock=True)], ids=["invoice_to_post", "load_invoice"])
def test_an_invoice_posted_while_another_posts_sees_it(postgresql, registry, catalogue, load):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 10)])
        line_id = order.lines[0].id
        # Two drafts of 6 out of 10, as a partner kind or an import could leave them.
        drafts = [_draft_of(session, order, quantities={line_id: Decimal(6)}).id
                  for _ in range(2)]
        session.commit()

    posting = iter(drafts)
    second = _one_after_the_other(
        registry, lambda session: post_invoice(session, hook, load(session, next(posting))))

    assert "more than is left to invoice" in second
    with registry.session_factory() as session:
        assert session.get(OrderLine, line_id).invoiced_quantity == 6
