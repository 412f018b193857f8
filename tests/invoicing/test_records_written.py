"""Documents written with Core statements (``core.documents.insert_record`` and
``store_values``) behave in the session as if the unit of work had written them: after a
rollback, after a savepoint's, and for the helpers and hooks partner modules use."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core import hookimpl, orders
from core.documents import store_values
from core.errors import ValidationError
from core.models import Order, OrderLine
from plugins.fulfilment.services import deliver
from plugins.invoicing import invoices
from plugins.invoicing.models import Invoice
from plugins.invoicing.posting import invoice_to_post, post_invoice
from tests.invoicing.conftest import confirmed_order


def _free_text(party_id, account="706"):
    line = {"description": "Consulting", "amount": Decimal(10), "tax_category": "VAT20"}
    return {"party_id": party_id, "kind": "free_text",
            "lines": [{**line, "account": account} if account else line]}


def test_a_draft_refused_by_its_kind_leaves_nothing_and_the_next_one_is_made(registry,
                                                                           catalogue):
    """The kind validates the written draft: its refusal is rolled back, in the database and
    in the session, which then makes the next draft (SQLite gives it the same id)."""
    with registry.session_factory() as session:
        with pytest.raises(ValidationError) as refused:  # a line without a ledger account
            invoices.free_text_invoice(session, registry.hook, _free_text(catalogue["acme"],
                                                                          account=None))
        assert "account" in refused.value.fields["lines"][0]
        session.rollback()
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert not [record for record in session.identity_map.values()
                    if isinstance(record, Invoice)]
        invoice = invoices.free_text_invoice(session, registry.hook,
                                             _free_text(catalogue["acme"]))
        session.commit()
    with registry.session_factory() as session:
        assert session.get(Invoice, invoice.id).total == Decimal("12.00")


def test_an_order_rolled_back_keeps_what_it_was_written_with(registry, catalogue):
    with registry.session_factory() as session:
        order = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["NAIL"], "quantity": Decimal(5)}]})
        number = order.number
        session.rollback()
        assert order not in session
        assert (order.number, order.status) == (number, "draft")
        again = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["NAIL"], "quantity": Decimal(5)}]})
        session.commit()
        assert again.number == number  # the number given back: gapless
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_posting_rolled_back_to_a_savepoint_leaves_the_invoice_a_draft(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        invoice_id = invoices.invoice_from_order(session, hook, order).id
        session.commit()
        invoice = invoice_to_post(session, invoice_id)
        savepoint = session.begin_nested()
        post_invoice(session, hook, invoice)
        assert (invoice.status, invoice.number) == ("posted", "INV-00001")
        savepoint.rollback()
        assert (invoice.status, invoice.number) == ("draft", None)
        assert order.status == "confirmed"
        assert [line.invoiced_quantity for line in order.lines] == [Decimal(0)]
        post_invoice(session, hook, invoice_to_post(session, invoice_id))
        session.commit()
        assert (invoice.status, invoice.number, order.status) == (
            "posted", "INV-00001", "confirmed")


def test_an_order_written_before_a_savepoint_released_is_rolled_back_with_the_rest(registry,
                                                                                   catalogue):
    """A savepoint released (a merge of parties uses them) is a commit of the savepoint only:
    what the transaction wrote before it is still rolled back with it."""
    new_order = {"type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
                 "lines": [{"item_id": catalogue["NAIL"], "quantity": Decimal(5)}]}
    with registry.session_factory() as session:
        order = orders.create_order(session, registry.hook, new_order)
        with session.begin_nested():
            orders.confirm_order(session, registry.hook, order)
        session.rollback()
        assert order not in session and order.status == "draft"
        orders.create_order(session, registry.hook, new_order)
        session.commit()
        assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_change_refused_by_the_database_leaves_the_record_as_stored(registry, catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        session.commit()
        savepoint = session.begin_nested()
        with pytest.raises(IntegrityError):  # an order has a number
            store_values(session, [order], [{"number": None}])
        savepoint.rollback()
        assert order.number == session.scalar(select(Order.number).where(Order.id == order.id))


def test_an_empty_posting_profile_code_means_the_default_profile(registry):
    with registry.session_factory() as session:
        assert invoices.default_profile(session, "").is_default


class PacksOfTen:
    """A partner's comptoir_order_line_added: nails are sold by packs of ten."""

    @hookimpl
    def comptoir_order_line_added(self, order, line, session):
        if line.quantity % 10:
            line.quantity = (line.quantity // 10 + 1) * 10


def test_a_line_the_hook_changes_on_a_new_order_is_priced_as_changed(registry, catalogue):
    packs = PacksOfTen()
    registry.loaded.manager.register(packs)
    try:
        with registry.session_factory() as session:
            order = orders.create_order(session, registry.hook, {
                "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
                "lines": [{"item_id": catalogue["NAIL"], "quantity": Decimal(3)}]})
            session.commit()
            [line] = order.lines
            assert (line.quantity, line.amount, order.total) == (
                Decimal(10), Decimal("32.00"), Decimal("38.40"))
            orders.confirm_order(session, registry.hook, order)  # no price changed since
            session.commit()
    finally:
        registry.loaded.manager.unregister(packs)


def test_the_helpers_offered_to_modules_keep_their_calls(registry, catalogue):
    """``attach_lines(session, documents, *options)`` and ``settle_status(hook, order)``, as
    docs/plugins.md offers them."""
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        deliver(session, hook, order)
        session.commit()
    with registry.session_factory() as session:
        order = session.get(Order, order.id)
        orders.attach_lines(session, [order], joinedload(OrderLine.item))
        assert [line.item.number for line in order.lines] == ["HAM"]
        orders.attach_lines(session, [order])
        assert order.lines[0].delivered_quantity == Decimal(2)
        assert orders.settle_status(hook, order).status == "delivered"


def test_an_order_read_to_move_it_on_reads_its_explanations_when_asked(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        explanation = order.lines[0].explanation
        session.commit()
    with registry.session_factory() as session:
        order = orders.load_order(session, order.id, lock=True, explained=False)
        assert "explanation" not in order.lines[0].__dict__
        assert order.lines[0].explanation == explanation
        assert order.lines[0].item.tax_category.code == "VAT20"
