"""Two transactions delivering or invoicing one order line at once: the second waits for the
order's lock, then sees what the first wrote, and is refused beyond what is left; a credit note
named among a payment's invoices is refused without waiting for its lock, and so is the
cancellation of an order whose draft invoice is being posted (PostgreSQL: SQLite lets one
writer in at a time anyway)."""

import queue
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import text

from core import orders
from core.errors import ValidationError
from core.models import Order, OrderLine
from plugins.fulfilment.services import deliver
from plugins.invoicing.credit_notes import apply_credit_note, credit_in_part
from plugins.invoicing.invoices import (
    invoice_from_order,
    invoice_from_packing_slips,
    update_line,
)
from plugins.invoicing.models import Invoice
from plugins.invoicing.payments import register_payment
from plugins.invoicing.posting import invoice_to_post, load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip
from tests.invoicing.test_posting import _draft_of


@pytest.fixture
def postgresql(comptoir_db):
    if comptoir_db["COMPTOIR_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("row locks are a PostgreSQL matter")


def _one_after_the_other(registry, action, first=None):
    """Run ``first(session)`` (default: ``action``) in a transaction, then ``action`` in a
    second one started while the first holds its locks; commit the first once the second waits
    for one of them.  Returns what became of the second: ``"done"``, or why it was refused or
    failed."""
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
        (first or action)(session)
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


def _four_of_ten_hammers_delivered(session, hook, catalogue):
    """The packing slip of 4 hammers of a confirmed order of 10."""
    order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 10)])
    return packing_slip(session, hook, order, {1: 4})


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


def test_an_invoice_of_a_packing_slip_made_while_another_is_sees_it(postgresql, registry,
                                                                    catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        slip_id = _four_of_ten_hammers_delivered(session, hook, catalogue).id
        session.commit()

    second = _one_after_the_other(registry, lambda session: invoice_from_packing_slips(
        session, hook, [slip_id]))

    assert "packing slip PS-00001 is already on an invoice" in second


def test_a_draft_line_changed_while_another_draft_takes_the_slip_sees_it(postgresql, registry,
                                                                         catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        slip_id = _four_of_ten_hammers_delivered(session, hook, catalogue).id
        draft = invoice_from_packing_slips(session, hook, [slip_id])
        update_line(session, hook, draft, draft.lines[0].id, {"quantity": Decimal(1)})
        session.commit()
        draft_id, line_id = draft.id, draft.lines[0].id

    second = _one_after_the_other(
        registry, lambda session: update_line(session, hook, load_invoice(
            session, draft_id, lock=True), line_id, {"quantity": Decimal(4)}),
        first=lambda session: invoice_from_packing_slips(session, hook, [slip_id]))

    assert second == "ValidationError: more than the packing slip delivered"


def test_a_delivery_does_not_wait_for_lines_naming_its_items(postgresql, registry, catalogue):
    """A new line naming an item key-share locks the item's row until its transaction ends; a
    delivery changing the item's stock does not wait for it (waiting, it deadlocked with
    requests naming the items in another order)."""
    hook = registry.hook
    with registry.session_factory() as session:
        order_id = confirmed_order(session, hook, catalogue["bolt"],
                                   [(catalogue["HAM"], 2), (catalogue["NAIL"], 3)]).id
        session.commit()
    outcome, backend = {}, queue.Queue()

    def delivery():
        with registry.session_factory() as session:
            backend.put(session.execute(text("SELECT pg_backend_pid()")).scalar())
            deliver(session, hook, orders.load_order(session, order_id, lock=True))
            session.commit()
            outcome["delivery"] = "done"

    with registry.session_factory() as naming:
        confirmed_order(naming, hook, catalogue["acme"], [(catalogue["NAIL"], 1)])
        thread = threading.Thread(target=delivery)
        thread.start()
        _wait_until_blocked(registry, backend.get(timeout=60), thread)
        waited = thread.is_alive()
        naming.rollback()
    thread.join()
    assert not waited and outcome == {"delivery": "done"}


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


def test_a_credit_note_named_by_mistake_is_refused_without_waiting_for_its_lock(
        registry, catalogue, postgresql):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        paid = post_invoice(session, hook, _draft_of(session, confirmed_order(
            session, hook, bolt, [(catalogue["HAM"], 2)])))
        register_payment(session, bolt, paid.total, "EUR", paid.invoice_date, "",
                         [(paid.id, paid.total)])
        credit_note = credit_in_part(session, hook, paid,
                                     {paid.lines[0].id: Decimal(1)}, "Back")
        other = post_invoice(session, hook, _draft_of(session, confirmed_order(
            session, hook, bolt, [(catalogue["BOOK"], 1)])))
        session.commit()
        credit_note_id, other_id = credit_note.id, other.id

    with registry.session_factory() as applying, registry.session_factory() as paying:
        # One request applies the credit note and holds its lock...
        apply_credit_note(applying, hook, load_invoice(applying, credit_note_id, lock=True),
                          [(other_id, Decimal(1))])
        # ...while another names it among the invoices a payment settles: refused at once,
        # not left waiting for that lock (which, crosswise, could deadlock).
        paying.execute(text("SET LOCAL lock_timeout = '5s'"))
        with pytest.raises(ValidationError, match="cannot be applied") as refused:
            register_payment(paying, bolt, Decimal(1), "EUR", other.invoice_date, "",
                             [(credit_note_id, Decimal(1))])
        assert refused.value.fields["applications"] == [
            f"{credit_note.number} is a credit note: it is not paid."]
        paying.rollback()
        applying.commit()


def test_cancelling_an_order_is_refused_while_its_draft_is_being_posted(postgresql, registry,
                                                                        catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        draft_id = invoice_from_order(session, hook, order).id
        session.commit()
        order_id = order.id

    # A posting holds the draft's lock, then waits for the order's: were the cancellation,
    # which holds the order's, to wait for the draft, each would wait for the other.
    second = _one_after_the_other(
        registry, lambda session: orders.cancel_order(
            session, hook, orders.load_order(session, order_id, lock=True)),
        first=lambda session: invoice_to_post(session, draft_id))

    assert second == ("Conflict: a draft invoice of order SO-00001 is being posted or "
                      "changed at this moment: try again")
    with registry.session_factory() as session:
        assert session.get(Order, order_id).status == "confirmed"
        post_invoice(session, hook, invoice_to_post(session, draft_id))
        session.commit()
        assert session.get(Order, order_id).status == "confirmed"  # invoiced, not delivered
        assert session.get(Invoice, draft_id).number == "INV-00001"
