"""Two transactions delivering or invoicing one order line at once: the second waits for the
order's lock, then sees what the first wrote, and is refused beyond what is left (PostgreSQL:
SQLite lets one writer in at a time anyway)."""

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import text

from core import orders
from core.errors import ComptoirError
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
    holds its locks; commit the first once the second waits for a lock.  Returns what became
    of the second: ``"done"`` or the refusal's message."""
    outcome = {}

    def second():
        with registry.session_factory() as session:
            try:
                action(session)
                session.commit()
                outcome["second"] = "done"
            except ComptoirError as error:
                session.rollback()
                outcome["second"] = error.message

    with registry.session_factory() as session:
        action(session)
        thread = threading.Thread(target=second)
        thread.start()
        _wait_for_a_lock_wait(registry)
        session.commit()
    thread.join()
    return outcome["second"]


def _wait_for_a_lock_wait(registry, patience=60):
    deadline = time.monotonic() + patience
    with registry.engine.connect() as connection:
        while not connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar():
            assert time.monotonic() < deadline, "the second transaction never waited"
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
