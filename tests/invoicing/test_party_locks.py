"""A party merged while documents are written for it, merged twice at once, or made a customer
by two documents at once (PostgreSQL: SQLite lets one writer in at a time anyway)."""

import queue
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from core import orders
from core.models import CustomerGroup, Party, StageChange, Tag
from core.parties import (
    BEING_CHANGED,
    create_party,
    get_party,
    merge_parties,
    tags_named,
    update_party,
)
from core.testing import api_client
from plugins.invoicing.invoices import free_text_invoice, invoice_from_order
from plugins.invoicing.models import Invoice, Payment
from plugins.invoicing.payments import customer_balance, register_payment
from plugins.invoicing.posting import invoice_to_post, post_invoice
from tests.invoicing.test_order_locks import (  # noqa: F401
    _one_after_the_other,
    _wait_until_blocked,
    postgresql,
)

FEE = {"account": "706", "description": "Consulting", "quantity": Decimal(1),
       "unit_price": Decimal(100), "tax_category": "VAT20"}


def test_a_payment_being_registered_is_moved_by_the_merge_waiting_for_it(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, bolt, acme),
        first=lambda session: register_payment(session, acme, Decimal(50), "EUR",
                                               date.today()))
    assert second == "done"
    with registry.session_factory() as session:
        assert session.scalars(select(Payment.party_id)).all() == [bolt]
        assert customer_balance(session, bolt) == {"EUR": Decimal("-50.00")}


def test_a_payment_begun_while_its_customer_is_merged_is_refused(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: register_payment(session, acme, Decimal(50), "EUR",
                                                   date.today()),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme))
    assert second == f"ValidationError: party 'Acme' was merged into party {bolt}"
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_two_parties_merged_into_each_other_at_once_leave_one(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, acme, bolt),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme))
    assert second == f"Conflict: party 'Acme' was merged into party {bolt}"
    with registry.session_factory() as session:
        merged = dict(session.execute(select(Party.id, Party.merged_into_id)
                                      .where(Party.id.in_((acme, bolt)))).all())
    assert merged == {acme: bolt, bolt: None}


def test_a_prospect_charged_twice_at_once_becomes_a_customer_once(
        postgresql, registry, catalogue):  # noqa: F811
    acme = catalogue["acme"]
    with registry.session_factory() as session:
        drafts = [free_text_invoice(session, registry.hook, {
            "party_id": acme, "currency": "EUR", "lines": [FEE]}).id for _ in range(2)]
        session.commit()

    def post(draft):
        def action(session):
            post_invoice(session, registry.hook, invoice_to_post(session, draft))
        return action

    assert _one_after_the_other(registry, post(drafts[1]), first=post(drafts[0])) == "done"
    with registry.session_factory() as session:
        changes = session.execute(select(StageChange.old_stage, StageChange.new_stage)
                                  .where(StageChange.party_id == acme)).all()
    assert [tuple(change) for change in changes].count(("prospect", "customer")) == 1


def test_a_tag_created_by_two_requests_at_once_is_one_tag(
        postgresql, registry, catalogue):  # noqa: F811
    def tag(session):
        tags_named(session, ["vip"])
        session.flush()

    assert _one_after_the_other(registry, tag) == "done"
    with registry.session_factory() as session:
        assert session.scalars(select(Tag.name)).all() == ["vip"]


def _interleaved(registry, begin, other, end):
    """A first transaction runs ``begin``; a second runs ``other`` until it waits for the
    first; the first runs ``end(session, what begin returned)`` and commits.  Returns what
    became of each: ``"done"``, or why it was refused or failed."""
    outcome, backend = {}, queue.Queue()

    def run(name, action, session):
        try:
            action(session)
            session.commit()
            outcome[name] = "done"
        except Exception as error:  # reported by the assertions, whatever it is
            session.rollback()
            outcome[name] = f"{type(error).__name__}: {error}"

    def second():
        with registry.session_factory() as session:
            backend.put(session.execute(text("SELECT pg_backend_pid()")).scalar())
            run("second", other, session)

    with registry.session_factory() as session:
        begun = begin(session)
        thread = threading.Thread(target=second)
        thread.start()
        _wait_until_blocked(registry, backend.get(timeout=60), thread)
        run("first", lambda session: end(session, begun), session)
    thread.join()
    return outcome["first"], outcome["second"]


def _draft_order(registry, catalogue, party_id):
    """A draft order of two hammers for ``party_id``: its id."""
    with registry.session_factory() as session:
        order_id = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": party_id, "currency": "EUR",
            "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(2)}]}).id
        session.commit()
    return order_id


GAVE_WAY = ("OperationalError: (psycopg.errors.LockNotAvailable) canceling statement due to "
            "lock timeout")


def test_a_merge_gives_way_to_the_order_being_confirmed_which_waits_for_the_party(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    order_id = _draft_order(registry, catalogue, acme)
    confirmed, merged = _interleaved(
        registry, lambda session: orders.load_order(session, order_id, lock=True),
        lambda session: merge_parties(session, registry.hook, bolt, acme),
        lambda session, order: orders.confirm_order(session, registry.hook, order))
    assert confirmed == "done" and merged.startswith(GAVE_WAY)
    with registry.session_factory() as session:
        order, acme_now = session.get(orders.Order, order_id), session.get(Party, acme)
        assert (order.status, order.party_id) == ("confirmed", acme)
        assert (acme_now.stage, acme_now.merged_into_id) == ("customer", None)
    with registry.session_factory() as session:  # tried again, it merges
        merge_parties(session, registry.hook, bolt, acme)
        session.commit()
        assert session.get(orders.Order, order_id).party_id == bolt


def _bolts_invoice_posted(session, registry, catalogue):
    """Begin and end of posting a draft invoice of Bolt, as its page does."""
    draft = free_text_invoice(session, registry.hook, {
        "party_id": catalogue["bolt"], "currency": "EUR", "lines": [FEE]}).id
    return (lambda session: invoice_to_post(session, draft),
            lambda session, invoice: post_invoice(session, registry.hook, invoice))


def _bolts_order_invoiced(session, registry, catalogue):
    """Begin and end of invoicing a confirmed order of Bolt, as its page does."""
    order = orders.create_order(session, registry.hook, {
        "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
        "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(2)}]})
    orders.confirm_order(session, registry.hook, order)
    order_id = order.id
    return (lambda session: orders.load_order(session, order_id, lock=True),
            lambda session, order: invoice_from_order(session, registry.hook, order))


@pytest.mark.parametrize("making", [_bolts_invoice_posted, _bolts_order_invoiced])
def test_a_merge_gives_way_to_an_invoice_being_posted_or_made(
        postgresql, registry, catalogue, making):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        begin, end = making(session, registry, catalogue)
        session.commit()
    made, merged = _interleaved(
        registry, begin, lambda session: merge_parties(session, registry.hook, acme, bolt), end)
    assert made == "done" and merged.startswith(GAVE_WAY)
    with registry.session_factory() as session:
        assert session.scalars(select(Invoice.party_id)).all() == [bolt]


def test_two_duplicates_merged_into_one_survivor_at_once_both_merge(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        cole = create_party(session, {"name": "Cole"}).id
        session.commit()
    assert _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, bolt, cole),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme)) == "done"
    with registry.session_factory() as session:
        merged = dict(session.execute(select(Party.id, Party.merged_into_id)).all())
    assert (merged[acme], merged[cole], merged[bolt]) == (bolt, bolt, None)


def test_a_payment_applied_to_the_duplicates_invoice_while_it_is_merged_moves_with_it(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        draft = free_text_invoice(session, registry.hook, {
            "party_id": bolt, "currency": "EUR", "lines": [FEE]}).id
        post_invoice(session, registry.hook, invoice_to_post(session, draft))
        session.commit()
    paid = _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, acme, bolt),
        first=lambda session: register_payment(session, bolt, Decimal(50), "EUR", date.today(),
                                               applications=[(draft, Decimal(50))]))
    assert paid == "done"
    with registry.session_factory() as session:
        assert session.scalars(select(Payment.party_id)).all() == [acme]
        assert session.scalars(select(Invoice.party_id)).all() == [acme]
        assert customer_balance(session, acme) == {"EUR": Decimal("70.00")}


def test_an_order_confirmed_while_its_customer_is_merged_is_found_and_confirmed(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    order_id = _draft_order(registry, catalogue, acme)
    assert _one_after_the_other(
        registry, lambda session: orders.confirm_order(
            session, registry.hook, orders.load_order(session, order_id, lock=True)),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme)) == "done"
    with registry.session_factory() as session:
        order = session.get(orders.Order, order_id)
        assert (order.status, order.party_id) == ("confirmed", bolt)


def test_a_party_changed_while_it_is_merged_is_refused(
        postgresql, invoicing_app, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    api, answers = api_client(invoicing_app, "sales"), []
    with registry.session_factory() as session:
        merge_parties(session, registry.hook, bolt, acme)
        merging = session.execute(text("SELECT pg_backend_pid()")).scalar()
        thread = threading.Thread(target=lambda: answers.append(api.post(
            f"/api/v1/parties/{acme}/stage", json={"stage": "lead", "cause": "called"})))
        thread.start()
        with registry.engine.connect() as watching:
            while thread.is_alive() and not watching.execute(text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE :pid = ANY(pg_blocking_pids(pid))"), {"pid": merging}).scalar():
                time.sleep(0.05)
        session.commit()
    thread.join()
    [answer] = answers
    assert answer.status_code == 409
    assert answer.get_json()["message"] == f"party 'Acme' was merged into party {bolt}"
    with registry.session_factory() as session:
        assert session.scalars(select(StageChange.party_id)).all() == [bolt] * 3


def _grouped(registry, party_id, code):
    """Give ``party_id`` a new customer group ``code``."""
    with registry.session_factory() as session:
        session.add(CustomerGroup(code=code, name=code.title()))
        session.flush()
        update_party(session, session.get(Party, party_id), {"customer_group": code})
        session.commit()


def test_a_party_changed_after_waiting_for_a_merge_sees_the_group_it_was_given(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    _grouped(registry, bolt, "wholesale")
    seen = {}

    def change(session):
        seen["group"] = get_party(session, acme, lock=BEING_CHANGED).customer_group.code

    assert _one_after_the_other(
        registry, change,
        first=lambda session: merge_parties(session, registry.hook, acme, bolt)) == "done"
    assert seen["group"] == "wholesale"


def test_a_merge_waiting_for_a_party_change_keeps_what_the_change_wrote(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    _grouped(registry, bolt, "wholesale")
    with registry.session_factory() as session:
        session.add(CustomerGroup(code="retail", name="Retail"))
        session.commit()

    def change(session):
        update_party(session, get_party(session, acme, lock=BEING_CHANGED),
                     {"customer_group": "retail"})
        session.flush()

    def merge_from_the_page(session):
        party = get_party(session, acme)  # read first and kept, as the party page's merge
        merge_parties(session, registry.hook, party.id, bolt)

    assert _one_after_the_other(registry, merge_from_the_page, first=change) == "done"
    with registry.session_factory() as session:
        assert session.get(Party, acme).customer_group.code == "retail"


def test_an_order_or_invoice_loaded_under_its_lock_is_read_again(registry, catalogue):
    order_id = _draft_order(registry, catalogue, catalogue["bolt"])
    with registry.session_factory() as session:
        draft = free_text_invoice(session, registry.hook, {
            "party_id": catalogue["bolt"], "currency": "EUR", "lines": [FEE]}).id
        session.commit()
    with registry.session_factory() as reading:
        order = orders.load_order(reading, order_id)  # held, as a page may hold it
        invoice = invoice_to_post(reading, draft)
        reading.commit()
        with registry.session_factory() as session:
            orders.confirm_order(session, registry.hook, orders.load_order(session, order_id))
            post_invoice(session, registry.hook, invoice_to_post(session, draft))
            session.commit()
        assert orders.load_order(reading, order_id, lock=True).status == "confirmed"
        assert invoice_to_post(reading, draft).status == "posted"
        assert (order.status, invoice.status) == ("confirmed", "posted")
