"""Creating invoices: from an order, from packing slips, as free text, as a pro forma; drafts
change, posted invoices do not."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import orders
from core.errors import Conflict, ValidationError
from core.models import Order, Party, StageChange
from plugins.invoicing import invoices
from plugins.invoicing.models import Account, LedgerEntry
from plugins.invoicing.posting import load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip


def _post(session, hook, invoice):
    post_invoice(session, hook, invoice)
    session.commit()
    return invoice


def test_an_order_is_invoiced_in_parts_and_becomes_invoiced_once_delivered(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"],
                                [(catalogue["HAM"], 3), (catalogue["BOOK"], 1)])
        ham, book = order.lines
        first = invoices.invoice_from_order(session, hook, order, {ham.id: Decimal(1)})
        assert [(line.quantity, line.amount, line.tax_amount) for line in first.lines] == [
            (1, Decimal("12.50"), Decimal("2.50"))]
        with pytest.raises(ValidationError) as refused:  # more than is left beside the draft
            invoices.invoice_from_order(session, hook, order, {ham.id: Decimal(3)})
        assert "quantities" in refused.value.fields
        _post(session, hook, first)
        assert first.number == "INV-00001" and order.status == "confirmed"
        packing_slip(session, hook, order)
        assert order.status == "delivered"
        rest = invoices.invoice_from_order(session, hook, order)
        assert [line.quantity for line in rest.lines] == [2, 1]
        assert rest.due_date == rest.invoice_date + timedelta(days=30)
        with pytest.raises(Conflict):  # all of it is on the draft
            invoices.invoice_from_order(session, hook, order)
        _post(session, hook, rest)
        assert session.get(Order, order.id).status == "invoiced"
        assert [line.invoice_remainder for line in order.lines] == [0, 0]


def test_a_drafts_quantity_stays_within_what_is_left(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3)])
        draft = invoices.invoice_from_order(session, hook, order, {order.lines[0].id: 1})
        line = draft.lines[0]
        invoices.update_line(session, hook, draft, line.id, {"quantity": Decimal(3)})
        assert (line.amount, draft.total) == (Decimal("37.50"), Decimal("45.00"))
        with pytest.raises(ValidationError):
            invoices.update_line(session, hook, draft, line.id, {"quantity": Decimal(4)})


def test_invoicing_before_delivery_leaves_the_order_confirmed(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        _post(session, hook, invoices.invoice_from_order(session, hook, order))
        assert order.status == "confirmed"
        packing_slip(session, hook, order)
        assert order.status == "invoiced"


def test_draft_and_cancelled_orders_are_not_invoiced(registry, catalogue):
    from core import orders

    hook = registry.hook
    with registry.session_factory() as session:
        draft = orders.create_order(session, hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(1)}]})
        with pytest.raises(Conflict):
            invoices.invoice_from_order(session, hook, draft)
        orders.cancel_order(session, hook, draft)
        with pytest.raises(Conflict):
            invoices.invoice_from_order(session, hook, draft)


def test_one_invoice_from_packing_slips_of_two_orders(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        first = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        second = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["NAIL"], 5)])
        slips = [packing_slip(session, hook, first, {1: 1}), packing_slip(session, hook, first),
                 packing_slip(session, hook, second)]
        other = packing_slip(session, hook, confirmed_order(session, hook, catalogue["acme"],
                                                            [(catalogue["HAM"], 1)]))
        with pytest.raises(ValidationError) as mixed:
            invoices.invoice_from_packing_slips(session, hook, [slips[0].id, other.id])
        assert "packing_slip_ids" in mixed.value.fields
        with pytest.raises(ValidationError):
            invoices.invoice_from_packing_slips(session, hook, [slips[0].id, 999_999])
        invoice = invoices.invoice_from_packing_slips(session, hook,
                                                      [slip.id for slip in slips])
        assert [(line.packing_slip_line_id, line.quantity) for line in invoice.lines] == [
            (slip.lines[0].id, slip.lines[0].quantity) for slip in slips]
        assert invoice.total == Decimal("49.20")  # 2 × 12.50 + 5 × 3.20, plus 20 %
        with pytest.raises(Conflict):
            invoices.invoice_from_packing_slips(session, hook, [slips[2].id])
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {}
        _post(session, hook, invoice)
        assert {first.status, second.status} == {"invoiced"}


def test_a_slip_invoiced_in_part_offers_its_rest(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3),
                                                                   (catalogue["NAIL"], 1)])
        slip = packing_slip(session, hook, order)
        first = invoices.invoice_from_packing_slips(session, hook, [slip.id])
        invoices.update_line(session, hook, first, first.lines[0].id, {"quantity": Decimal(1)})
        _post(session, hook, first)  # one hammer of three, and the nail
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {slip: 1}
        rest = invoices.invoice_from_packing_slips(session, hook, [slip.id])
        assert [(line.packing_slip_line_id, line.quantity) for line in rest.lines] == [
            (slip.lines[0].id, 2)]
        _post(session, hook, rest)
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {}
        with pytest.raises(Conflict) as refused:
            invoices.invoice_from_packing_slips(session, hook, [slip.id])
        assert refused.value.fields == {"packing_slip_ids": [
            f"{slip.number} is already on an invoice, draft or posted, of the slip "
            "or of its order."]}
        assert order.status == "invoiced"


def test_a_slip_lines_part_takes_no_more_than_the_slip_delivered(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 5)])
        slip = packing_slip(session, hook, order, {1: 3})
        draft = invoices.invoice_from_packing_slips(session, hook, [slip.id])
        with pytest.raises(ValidationError) as refused:
            invoices.update_line(session, hook, draft, draft.lines[0].id,
                                 {"quantity": Decimal(4)})  # the order would allow 5
        assert refused.value.fields == {"quantity": [
            f"4 is more than the 3 packing slip {slip.number} delivered and no other invoice "
            "took."]}
        invoices.update_line(session, hook, draft, draft.lines[0].id, {"quantity": Decimal(2)})
        assert draft.lines[0].quantity == 2


def test_slips_of_an_order_invoiced_as_a_whole_are_not_invoiced_again(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3)])
        slip = packing_slip(session, hook, order, {1: 2})
        _post(session, hook, invoices.invoice_from_order(session, hook, order,
                                                         {order.lines[0].id: Decimal(2)}))
        # The order's invoice took the two hammers the slip delivered, without naming it.
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {}
        with pytest.raises(Conflict) as refused:
            invoices.invoice_from_packing_slips(session, hook, [slip.id])
        assert refused.value.fields == {"packing_slip_ids": [
            f"{slip.number} is already on an invoice, draft or posted, of the slip or of its "
            "order."]}
        rest = packing_slip(session, hook, order)  # the third hammer, not invoiced yet
        [offered] = invoices.uninvoiced_slips(session, hook, catalogue["bolt"])
        assert offered.id == rest.id
        _post(session, hook, invoices.invoice_from_packing_slips(session, hook, [rest.id]))
        assert [line.invoice_remainder for line in order.lines] == [0]
        assert order.status == "invoiced"


def test_free_text_lines_refuse_items_and_need_tax_information(registry, catalogue):
    hook = registry.hook
    data = {"party_id": catalogue["acme"], "currency": "EUR", "lines": [
        {"account": "706", "description": "Consulting", "amount": Decimal(100),
         "tax_category": "VAT20"},
        {"account": "706", "description": "Hammer", "amount": Decimal(10), "item": "HAM"},
    ]}
    with registry.session_factory() as session:
        with pytest.raises(ValidationError) as refused:
            invoices.free_text_invoice(session, hook, data)
        assert refused.value.fields == {"lines": {1: {
            "item": ["Item numbers are not allowed on a free text line."],
            "tax_category": ["Tax information is required: give a tax category."]}}}
        with pytest.raises(ValidationError) as no_account:
            invoices.free_text_invoice(session, hook, {**data, "lines": [
                {"description": "Consulting", "amount": Decimal(1), "tax_category": "VAT20"}]})
        assert no_account.value.fields == {"lines": {0: {
            "account": ["A ledger account is required."]}}}
        with pytest.raises(ValidationError) as receivable:
            invoices.free_text_invoice(session, hook, {**data, "lines": [
                {"account": "411", "description": "Consulting", "amount": Decimal(1),
                 "tax_category": "VAT20"}]})
        assert receivable.value.fields == {"lines": {0: {"account": [
            "Account 411 is a receivable account: a line posts to a revenue or other account."]}}}


def test_a_free_text_invoice_posts_to_the_accounts_of_its_lines(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        session.add(Account(code="7061", name="Consulting", kind="revenue"))
        invoice = invoices.free_text_invoice(session, hook, {
            "party_id": catalogue["acme"], "currency": "EUR", "lines": [
                {"account": "7061", "description": "Audit", "quantity": Decimal(2),
                 "unit_price": Decimal("150"), "tax_category": "VAT20"},
                {"account": "706", "description": "Handbooks", "amount": Decimal(40),
                 "tax_category": "VAT5"}]})
        _post(session, hook, invoice)
        assert invoice.number == "FTI-00001" and invoice.total == Decimal("402.20")
        entries = session.execute(select(Account.code, LedgerEntry.debit, LedgerEntry.credit)
                                  .join(LedgerEntry.account)
                                  .where(LedgerEntry.document == "FTI-00001")).all()
        assert sorted(entries) == [("411", Decimal("402.20"), 0), ("4457", 0, Decimal("2.20")),
                                   ("4457", 0, Decimal("60.00")), ("706", 0, Decimal(40)),
                                   ("7061", 0, Decimal(300))]  # the tax of each rate apart


def test_posting_an_invoice_to_a_prospect_makes_it_a_customer(registry, catalogue):
    hook = registry.hook
    line = {"account": "706", "description": "Audit", "amount": Decimal(300),
            "tax_category": "VAT20"}
    with registry.session_factory() as session:
        acme = session.get(Party, catalogue["acme"])
        pro_forma = invoices.free_text_invoice(session, hook, {
            "kind": "pro_forma", "party_id": acme.id, "lines": [line]})
        draft = invoices.free_text_invoice(session, hook, {"party_id": acme.id, "lines": [line]})
        nothing = invoices.free_text_invoice(session, hook, {"party_id": acme.id, "lines": [
            {**line, "amount": Decimal(0)}]})
        session.commit()
        assert acme.stage == "prospect", "an estimate or a draft charges nobody"
        with pytest.raises(Conflict):
            post_invoice(session, hook, pro_forma)
        session.rollback()
        _post(session, hook, nothing)
        assert session.get(Party, acme.id).stage == "prospect", "charged nothing"
        _post(session, hook, draft)
        assert session.get(Party, acme.id).stage == "customer"
        [change] = session.scalars(select(StageChange).where(
            StageChange.party_id == acme.id, StageChange.new_stage == "customer"))
        assert (change.old_stage, change.cause) == ("prospect", f"invoice {draft.number} posted")


def test_invoices_are_listed_drafts_first_then_newest_posted_first(registry, catalogue):
    hook = registry.hook
    data = {"party_id": catalogue["bolt"], "lines": [
        {"account": "706", "description": "Audit", "amount": Decimal(300),
         "tax_category": "VAT20"}]}
    with registry.session_factory() as session:
        drafted_first, drafted_next, left = (invoices.free_text_invoice(session, hook, data)
                                             for _ in range(3))
        _post(session, hook, drafted_next)
        _post(session, hook, drafted_first)
        found, count = invoices.search_invoices(session)
        assert count == 3
        assert [(invoice.id, invoice.number) for invoice in found] == [
            (left.id, None), (drafted_first.id, "FTI-00002"), (drafted_next.id, "FTI-00001")]


def test_a_pro_forma_never_posts_nor_takes_a_number(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        draft = invoices.invoice_from_order(session, hook, order)
        pro_forma = invoices.pro_forma_of(session, hook, draft)
        direct = invoices.free_text_invoice(session, hook, {
            "kind": "pro_forma", "party_id": catalogue["acme"], "lines": [
                {"account": "706", "description": "Estimate", "amount": Decimal(5),
                 "tax_category": "VAT20"}]})
        session.commit()
        assert pro_forma.total == draft.total and pro_forma.kind == "pro_forma"
        for invoice in (pro_forma, direct):
            with pytest.raises(Conflict):
                post_invoice(session, hook, load_invoice(session, invoice.id))
            session.rollback()
        with pytest.raises(Conflict) as posted:
            invoices.pro_forma_of(session, hook, _post(session, hook, draft))
        assert posted.value.message == ("invoice INV-00001 is posted: a pro forma is made of a "
                                        "draft; print the invoice itself")
        assert draft.number == "INV-00001"
        assert pro_forma.number is None and pro_forma.status == "draft"


def test_a_posted_invoice_is_not_changed(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        invoice = invoices.free_text_invoice(session, hook, {
            "party_id": catalogue["acme"], "lines": [
                {"account": "706", "description": "Fee", "amount": Decimal(5),
                 "tax_category": "VAT20"}]})
        line = invoice.lines[0]
        invoices.update_line(session, hook, invoice, line.id, {"amount": Decimal(7)})
        assert invoice.total == Decimal("8.40")
        _post(session, hook, invoice)
        for change in (lambda: invoices.update_invoice(session, hook, invoice, {"note": "x"}),
                       lambda: invoices.update_line(session, hook, invoice, line.id,
                                                    {"amount": Decimal(1)}),
                       lambda: invoices.remove_line(session, hook, invoice, line.id),
                       lambda: invoices.delete_invoice(session, invoice)):
            with pytest.raises(Conflict):
                change()


def test_an_invoice_line_shows_the_order_discount_with_the_lines(registry, catalogue,
                                                                  accounting_api):
    hook = registry.hook
    with registry.session_factory() as session:
        order = orders.create_order(session, hook, {
            "type": "sales", "party_id": catalogue["acme"], "currency": "EUR",
            "discount": Decimal(10), "lines": [
                {"item_id": catalogue["HAM"], "quantity": Decimal(2)},
                {"item_id": catalogue["NAIL"], "quantity": Decimal(4),
                 "manual_discount": Decimal(5)}]})
        orders.confirm_order(session, hook, order)
        session.commit()
        order_id = order.id
    draft = accounting_api.post("/api/v1/invoices", json={"order_id": order_id}).json
    # 2 × 12.50 less 10 % is 22.50; 4 × 3.20 less 5 % then 10 % (14.5 % in all) is 10.94.
    assert [(line["unit_price"], line["discount"], line["amount"]) for line in draft["lines"]
            ] == [("12.50", "10", "22.50"), ("3.20", "14.5", "10.94")]
    assert draft["untaxed"] == "33.44"

    with registry.session_factory() as session:  # discounts of many places: 6 are kept
        order = orders.create_order(session, hook, {
            "type": "sales", "party_id": catalogue["acme"], "currency": "EUR",
            "discount": Decimal("33.333333"), "lines": [
                {"item_id": catalogue["HAM"], "quantity": Decimal(1),
                 "manual_discount": Decimal("12.345678")}]})
        orders.confirm_order(session, hook, order)
        session.commit()
        order_id = order.id
    draft = accounting_api.post("/api/v1/invoices", json={"order_id": order_id}).json
    assert draft["lines"][0]["discount"] == "41.563785"


def test_slips_sharing_what_a_draft_leaves_of_their_order_line_are_offered_as_drafted(
        registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 10)])
        older = packing_slip(session, hook, order, {1: 6})
        newer = packing_slip(session, hook, order, {1: 4})
        invoices.invoice_from_order(session, hook, order, {order.lines[0].id: Decimal(5)})
        # The draft takes the oldest goods: 1 of the older slip is left, and the newer slip.
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {older: 1,
                                                                             newer: 1}
        invoice = invoices.invoice_from_packing_slips(session, hook, [older.id, newer.id])
        assert [(line.packing_slip_line_id, line.quantity) for line in invoice.lines] == [
            (older.lines[0].id, 1), (newer.lines[0].id, 4)]


def _one_of_three_hammers_invoiced_ahead(session, hook, catalogue):
    """A confirmed order of three hammers, one of them invoiced (posted) before delivery."""
    order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3)])
    _post(session, hook, invoices.invoice_from_order(session, hook, order,
                                                     {order.lines[0].id: Decimal(1)}))
    return order


def test_a_slip_whose_goods_the_orders_invoice_took_is_not_invoiced_chosen_alone(
        registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = _one_of_three_hammers_invoiced_ahead(session, hook, catalogue)
        older = packing_slip(session, hook, order, {1: 1})
        newer = packing_slip(session, hook, order, {1: 2})
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {newer: 1}
        with pytest.raises(Conflict):  # whichever slips are chosen with it
            invoices.invoice_from_packing_slips(session, hook, [older.id])
        draft = invoices.invoice_from_packing_slips(session, hook, [newer.id])
        _post(session, hook, draft)
        assert [(line.packing_slip_line_id, line.quantity) for line in draft.lines] == [
            (newer.lines[0].id, 2)]
        assert order.status == "invoiced"


def test_a_slip_line_is_not_raised_on_its_draft_beyond_what_was_delivered_and_not_invoiced(
        registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = _one_of_three_hammers_invoiced_ahead(session, hook, catalogue)
        slip = packing_slip(session, hook, order, {1: 2})  # one of its two is invoiced
        draft = invoices.invoice_from_packing_slips(session, hook, [slip.id])
        assert draft.lines[0].quantity == 1
        with pytest.raises(ValidationError) as raised:
            invoices.update_line(session, hook, draft, draft.lines[0].id,
                                 {"quantity": Decimal(2)})
        assert raised.value.fields == {"quantity": [
            "2 is more than the 1 delivered and left to invoice."]}


def test_a_subscriptions_slip_of_a_closed_period_is_not_invoiced_again(registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 1)],
                                order_type="subscription")
        first = packing_slip(session, hook, order)
        _post(session, hook, invoices.invoice_from_order(session, hook, order))
        assert order.status == "confirmed", "its first period closed, from the order"
        second = packing_slip(session, hook, order)
        assert invoices.uninvoiced_slips(session, hook, catalogue["bolt"]) == {second: 1}
        with pytest.raises(Conflict) as refused:
            invoices.invoice_from_packing_slips(session, hook, [first.id])
        assert refused.value.fields == {"packing_slip_ids": [
            f"{first.number} is already on an invoice, draft or posted, of the slip or of its "
            "order."]}
        invoice = invoices.invoice_from_packing_slips(session, hook, [second.id])
        assert [line.packing_slip_line_id for line in invoice.lines] == [second.lines[0].id]
