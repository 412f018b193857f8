"""Credit notes: cancelling an unpaid invoice (and correcting it), crediting returned goods."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import orders
from core.errors import Conflict, ValidationError
from core.models import Order
from core.orders import close_remainder, load_order
from core.testing import api_client, count_queries, csrf_token
from plugins.fulfilment.services import deliver
from plugins.invoicing.credit_notes import cancel_invoice, credit_in_part
from plugins.invoicing.invoices import invoice_from_packing_slips, search_invoices
from plugins.invoicing.models import Account, Invoice, LedgerEntry
from plugins.invoicing.payments import (
    customer_balance,
    invoice_settlements,
    register_payment,
)
from plugins.invoicing.posting import load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip
from tests.invoicing.test_posting import _draft_of


def posted_invoice(session, hook, party_id, lines, delivered=False, on=None):
    """A posted customer invoice of a new order of ``lines``, delivered first if asked, dated
    ``on`` (default: today)."""
    order = confirmed_order(session, hook, party_id, lines)
    if delivered:
        for line in order.lines:
            line.delivered_quantity = line.quantity
    draft = _draft_of(session, order)
    if on is not None:
        draft.invoice_date = draft.due_date = on
    invoice = post_invoice(session, hook, draft)
    session.commit()
    return invoice


def entries_of(session, invoice):
    """``{account code: (debits, credits, party id)}`` of the invoice's ledger entries (the tax
    of each rate is an entry of its own)."""
    found = {}
    for code, debit, credit, party in session.execute(
            select(Account.code, LedgerEntry.debit, LedgerEntry.credit, LedgerEntry.party_id)
            .join(LedgerEntry.account).where(LedgerEntry.invoice_id == invoice.id)):
        debits, credits, _party = found.get(code, (0, 0, None))
        found[code] = (debits + debit, credits + credit, party)
    return found


def test_cancelling_an_unpaid_invoice_reverses_it_and_reopens_the_order(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2),
                                                       (catalogue["BOOK"], 1)], delivered=True)
        order_id = invoice.lines[0].order_line.order_id
        assert session.get(Order, order_id).status == "invoiced"
        invoice = load_invoice(session, invoice.id, lock=True)
        credit_note, copy = cancel_invoice(session, hook, invoice, "Wrong prices", copy=True)
        session.commit()

        assert credit_note.number == "CN-00001" and credit_note.kind == "credit_note"
        assert credit_note.credited_invoice_id == invoice.id
        assert [line.credited_line_id for line in credit_note.lines] == \
            [line.id for line in invoice.lines]
        assert entries_of(session, credit_note) == {
            "411": (Decimal(0), Decimal("51.10"), bolt),
            "706": (Decimal("45.00"), Decimal(0), None),
            "4457": (Decimal("6.10"), Decimal(0), None),
        }
        assert customer_balance(session, bolt) == {"EUR": Decimal("0.00")}
        assert (invoice.payment_status, credit_note.payment_status) == ("credited", "paid")
        assert [(s.document, s.amount) for s in invoice_settlements(session, invoice)] == [
            ("CN-00001", Decimal("51.10"))]
        assert [(s.document, s.invoice_id) for s in invoice_settlements(session, credit_note)] \
            == [("INV-00001", invoice.id)]
        order = session.get(Order, order_id)
        assert order.status == "delivered"
        assert [line.invoice_remainder for line in order.lines] == [2, 1]

        assert copy.status == "draft" and copy.number is None and copy.kind == "customer"
        assert copy.total == invoice.total
        assert [line.order_line_id for line in copy.lines] == \
            [line.order_line_id for line in invoice.lines]
        post_invoice(session, hook, copy)  # the correction invoices the order again
        assert copy.number == "INV-00002"

        with pytest.raises(Conflict, match="already credited"):
            cancel_invoice(session, hook, load_invoice(session, invoice.id, lock=True), "Again")
        with pytest.raises(Conflict):
            cancel_invoice(session, hook, credit_note, "A credit note")


def test_a_credit_note_is_never_dated_before_the_invoice_it_credits(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    today = date.today()
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2),
                                                       (catalogue["NAIL"], 1)])
        with pytest.raises(Conflict, match="not dated before it"):
            credit_in_part(session, hook, invoice, {invoice.lines[1].id: Decimal(1)}, "Nail",
                           on=today - timedelta(days=1))
        part = credit_in_part(session, hook, invoice, {invoice.lines[1].id: Decimal(1)}, "Nail")
        assert (part.invoice_date, part.due_date) == (today, today)  # owed to the customer now
        cancelled = _draft_of(session, confirmed_order(session, hook, bolt,
                                                       [(catalogue["BOOK"], 1)]))
        cancelled.due_date = today + timedelta(days=10)
        post_invoice(session, hook, cancelled)
        credit_note, copy = cancel_invoice(session, hook, cancelled, "Wrong", copy=True)
        assert credit_note.invoice_date == today
        assert (copy.invoice_date, copy.due_date) == (today, today + timedelta(days=10))


def test_a_paid_or_partly_paid_invoice_is_not_cancelled(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])
        register_payment(session, bolt, Decimal(10), "EUR", date.today(), "",
                         [(invoice.id, Decimal(10))])
        with pytest.raises(Conflict, match="partially paid"):
            cancel_invoice(session, hook, invoice, "Too late")
        with pytest.raises(ValidationError):
            cancel_invoice(session, hook, posted_invoice(session, hook, bolt,
                                                         [(catalogue["NAIL"], 1)]), "  ")


def test_crediting_returned_goods_of_a_paid_invoice(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 3),
                                                       (catalogue["BOOK"], 1)], delivered=True)
        register_payment(session, bolt, invoice.total, "EUR", date.today(), "",
                         [(invoice.id, invoice.total)])
        ham, book = invoice.lines
        credit_note = credit_in_part(session, hook, invoice, {ham.id: Decimal(1)},
                                     "Returned")
        session.commit()
        assert credit_note.number == "CN-00001"
        assert [(line.credited_line_id, line.item_id, line.order_line_id, line.quantity)
                for line in credit_note.lines] == [(ham.id, catalogue["HAM"], None, 1)]
        assert credit_note.total == Decimal("15.00")  # 12.50 + 20 %
        assert customer_balance(session, bolt) == {"EUR": Decimal("-15.00")}
        assert credit_note.open_amount == Decimal("15.00")  # owed to the customer
        assert ham.order_line.invoiced_quantity == 3  # returns do not reopen the order
        of_order, count = search_invoices(session, order_id=ham.order_line.order_id)
        assert (count, [found.id for found in of_order]) == (2, [credit_note.id, invoice.id])

        with pytest.raises(ValidationError) as refused:
            credit_in_part(session, hook, invoice, {ham.id: Decimal(3),
                                                    book.id: Decimal(-1),
                                                    999_999: Decimal(1)}, "Too many")
        assert len(refused.value.fields["lines"]) == 3
        session.rollback()
        last = credit_in_part(session, hook, invoice, {ham.id: Decimal(2)}, "The rest")
        assert last.total == Decimal("30.00")


def test_crediting_goods_invoiced_but_never_delivered_lets_the_order_close(
        registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 3)])  # 3 x 12.50
        register_payment(session, bolt, invoice.total, "EUR", date.today(), "",
                         [(invoice.id, invoice.total)])
        order = load_order(session, invoice.lines[0].order_line.order_id, lock=True)
        deliver(session, hook, order, {order.lines[0].id: Decimal(1)})
        session.commit()
        with pytest.raises(Conflict) as owed:  # the two hammers paid for are still owed
            close_remainder(session, hook, order)
        assert "credit it on its invoice as not delivered and close it then" in (
            owed.value.message)
        session.rollback()
        with pytest.raises(ValidationError) as too_many:
            credit_in_part(session, hook, invoice, {invoice.lines[0].id: Decimal(3)},
                           "Will not take them", not_delivered=True)
        assert too_many.value.fields == {"lines": [
            "Line 1 (Hammer): 3 is more than the 2 invoiced and not delivered."]}
        session.rollback()

        credit_note = credit_in_part(session, hook, invoice, {invoice.lines[0].id: Decimal(2)},
                                     "Will not take the rest", not_delivered=True)
        session.commit()
        assert [(line.order_line_id, line.quantity, line.amount)
                for line in credit_note.lines] == [(order.lines[0].id, 2, Decimal("25.00"))]
        assert credit_note.total == Decimal("30.00")  # owed to the customer: the invoice is paid
        order = load_order(session, order.id, lock=True)
        line = order.lines[0]
        assert (line.delivered_quantity, line.invoiced_quantity) == (1, 1)
        close_remainder(session, hook, order)
        session.commit()
        assert (order.status, line.quantity, order.total) == ("invoiced", 1, Decimal("15.00"))
        assert customer_balance(session, bolt) == {"EUR": Decimal("-30.00")}


def _three_hammers_of_a_slip_and_ahead(session, hook, catalogue, delivered, posting_slip):
    """An order of three hammers: ``delivered`` of them by a packing slip and invoiced from it
    (the invoice posted if ``posting_slip``, else left a draft), the others invoiced (posted)
    from the order before delivery; returns ``(order, invoice of the slip, of the order)``."""
    order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3)])
    slip = packing_slip(session, hook, order, {1: delivered})
    of_slip = invoice_from_packing_slips(session, hook, [slip.id])
    if posting_slip:
        post_invoice(session, hook, of_slip)
    ahead = post_invoice(session, hook, _draft_of(session, order, quantities={
        order.lines[0].id: Decimal(3 - delivered)}))
    session.commit()
    return order, of_slip, ahead


def test_goods_returned_or_of_a_packing_slip_are_not_credited_as_not_delivered(
        registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order, of_slip, ahead = _three_hammers_of_a_slip_and_ahead(session, hook, catalogue, 2,
                                                                   posting_slip=True)
        with pytest.raises(ValidationError) as delivered:
            credit_in_part(session, hook, of_slip, {of_slip.lines[0].id: Decimal(1)},
                           "Returned", not_delivered=True)
        assert delivered.value.fields == {"lines": [
            "Line 1 (Hammer) invoices goods a packing slip delivered: credit them as goods "
            "returned."]}
        session.rollback()
        returned = credit_in_part(session, hook, of_slip, {of_slip.lines[0].id: Decimal(1)},
                                  "Returned")
        session.commit()
        assert [line.order_line_id for line in returned.lines] == [None]
        order = load_order(session, order.id)
        assert (order.lines[0].invoiced_quantity, order.status) == (3, "confirmed")
        with pytest.raises(Conflict):  # the third hammer is invoiced: still owed
            invoice_from_packing_slips(session, hook, [packing_slip(session, hook, order).id])
        assert ahead.number == "INV-00002"


def test_crediting_goods_of_an_open_invoice_settles_it(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["NAIL"], 3)])  # 3 x 3.84
        credit_note = credit_in_part(session, hook, invoice,
                                     {invoice.lines[0].id: Decimal(1)}, "Broken box")
        assert credit_note.total == Decimal("3.84")
        assert (invoice.payment_status, invoice.open_amount) == ("partially_paid",
                                                                 Decimal("7.68"))
        assert credit_note.payment_status == "paid"
        assert customer_balance(session, bolt) == {"EUR": Decimal("7.68")}


def test_goods_a_draft_of_their_packing_slip_holds_are_not_counted_undelivered(
        registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        order, of_slip, ahead = _three_hammers_of_a_slip_and_ahead(session, hook, catalogue, 1,
                                                                   posting_slip=False)
        credit_in_part(session, hook, ahead, {ahead.lines[0].id: Decimal(2)},
                       "Will not take them", not_delivered=True)
        post_invoice(session, hook, load_invoice(session, of_slip.id, lock=True))
        order = load_order(session, order.id, lock=True)
        close_remainder(session, hook, order)
        session.commit()
        assert (order.lines[0].quantity, order.lines[0].invoiced_quantity, order.status) == (
            1, 1, "invoiced")
        assert customer_balance(session, bolt) == {"EUR": Decimal("15.00")}


def test_goods_not_delivered_are_credited_through_the_api_and_the_page(
        invoicing_app, registry, catalogue, accounting_api, login):
    with registry.session_factory() as session:
        invoice = posted_invoice(session, registry.hook, catalogue["bolt"],
                                 [(catalogue["HAM"], 3)])
        order_id = invoice.lines[0].order_line.order_id
        order = load_order(session, order_id, lock=True)
        deliver(session, registry.hook, order, {order.lines[0].id: Decimal(1)})
        session.commit()
        line_id = invoice.lines[0].id
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/{invoice.id}/credit"
    assert 'name="not_delivered"' in client.get(path).get_data(as_text=True)
    refused = client.post(path, data={"csrf_token": csrf_token(client, path),
                                      f"quantity-{line_id}": "3", "reason": "Not taken",
                                      "not_delivered": "1"})
    assert refused.status_code == 422
    assert "3 is more than the 2 invoiced and not delivered." in refused.get_data(as_text=True)
    credited = accounting_api.post(f"/api/v1/invoices/{invoice.id}/credit-notes", json={
        "reason": "Not taken", "not_delivered": True,
        "lines": [{"invoice_line_id": line_id, "quantity": "2"}]})
    assert credited.status_code == 201 and credited.json["total"] == "30.00"
    closed = api_client(invoicing_app).post(f"/api/v1/orders/{order_id}/close")
    assert closed.status_code == 200 and closed.json["status"] == "invoiced"


def test_a_partly_paid_free_text_invoice_is_credited_in_part(
        invoicing_app, registry, catalogue, accounting_api, login):
    acme = catalogue["acme"]
    draft = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": acme, "currency": "EUR", "lines": [
            {"account": "706", "description": "Consulting, 4 days", "quantity": "4",
             "unit_price": "500", "tax_category": "VAT20"}]}).json
    invoice = accounting_api.post(f"/api/v1/invoices/{draft['id']}/post").json
    assert invoice["total"] == "2400.00"
    assert accounting_api.post("/api/v1/payments", json={
        "party_id": acme, "amount": "1000", "applications": [
            {"invoice_id": invoice["id"], "amount": "1000"}]}).status_code == 201
    assert accounting_api.post(f"/api/v1/invoices/{invoice['id']}/cancel",
                               json={"reason": "x"}).status_code == 409, "partly paid"

    [line] = invoice["lines"]
    for quantity, told in (("0.000001", "too little to credit a cent"), ("NaN", "")):
        refused = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={
            "reason": "x", "lines": [{"invoice_line_id": line["id"], "quantity": quantity}]})
        assert refused.status_code == 422 and told in str(refused.get_json()["errors"])
    credited = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={
        "reason": "One day not worked", "lines": [{"invoice_line_id": line["id"],
                                                   "quantity": "1"}]})
    assert credited.status_code == 201, credited.json
    assert credited.json["total"] == "600.00"
    after = accounting_api.get(f"/api/v1/invoices/{invoice['id']}").json
    assert (after["open_amount"], after["payment_status"]) == ("800.00", "partially_paid")
    with registry.session_factory() as session:
        assert customer_balance(session, acme) == {"EUR": Decimal(800)}
        assert entries_of(session, session.get(Invoice, credited.json["id"])) == {
            "411": (0, 600, acme), "706": (500, 0, None), "4457": (100, 0, None)}

    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/{invoice['id']}/credit"
    page = client.get(path).get_data(as_text=True)
    assert "Consulting, 4 days" in page and f'name="quantity-{line["id"]}"' in page
    assert 'name="not_delivered"' not in page  # no goods on a free text invoice
    for typed in ("NaN", "0.0000001"):
        refused = client.post(path, data={"csrf_token": csrf_token(client, path),
                                          f"quantity-{line['id']}": typed, "reason": "x"})
        assert refused.status_code == 422, typed
    done = client.post(path, data={"csrf_token": csrf_token(client, path),
                                   f"quantity-{line['id']}": "0.5", "reason": "Half a day"})
    assert done.status_code == 302
    assert accounting_api.get(f"/api/v1/invoices/{invoice['id']}").json["open_amount"] == \
        "500.00"


def test_credits_of_a_line_in_small_parts_never_come_to_more_than_the_line(accounting_api,
                                                                          catalogue):
    draft = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"], "currency": "EUR", "lines": [
            {"account": "706", "description": "Labels, 200", "quantity": "200",
             "unit_price": "0.005", "tax_category": "VAT20"}]}).json
    invoice = accounting_api.post(f"/api/v1/invoices/{draft['id']}/post").json
    [line] = invoice["lines"]
    assert (line["amount"], line["tax_amount"]) == ("1.00", "0.20")
    def credit(quantity):
        return accounting_api.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={
            "reason": "returned", "lines": [{"invoice_line_id": line["id"],
                                             "quantity": quantity}]})

    amounts, taxes = [], []
    for quantity in ["3"] * 66 + ["2"]:  # each rounded on its own, 3 labels would take 0.02
        credited = credit(quantity)
        assert credited.status_code == 201, credited.json
        assert Decimal(credited.json["total"]) > 0
        [credit_line] = credited.json["lines"]
        amounts.append(Decimal(credit_line["amount"]))
        taxes.append(Decimal(credit_line["tax_amount"]))
        if len(amounts) == 1:  # 4 labels come to 0.02, which the first 3 took
            refused = credit("1")
            assert refused.status_code == 422
            assert "too little to credit a cent: credit more of it at once" in str(
                refused.json["errors"])
    assert (sum(amounts), sum(taxes)) == (Decimal("1.00"), Decimal("0.20"))
    after = accounting_api.get(f"/api/v1/invoices/{invoice['id']}").json
    assert (after["open_amount"], after["payment_status"]) == ("0.00", "credited")


def test_credit_note_api_and_pages(invoicing_app, registry, catalogue, accounting_api, login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        first = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])
        second = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 2)])
        third = posted_invoice(session, hook, bolt, [(catalogue["NAIL"], 1)])
        first_id, second_id, third_id = first.id, second.id, third.id
        book_line = second.lines[0].id

    answer = accounting_api.post(f"/api/v1/invoices/{first_id}/cancel",
                                 json={"reason": "Wrong customer", "copy": True})
    assert answer.status_code == 201, answer.json
    assert answer.json["credit_note"]["number"] == "CN-00001"
    assert answer.json["credit_note"]["total"] == "30.00"
    assert answer.json["copy"]["status"] == "draft"
    assert accounting_api.post(f"/api/v1/invoices/{first_id}/cancel",
                               json={"reason": "Again"}).status_code == 409
    answer = accounting_api.post(f"/api/v1/invoices/{second_id}/credit-notes", json={
        "reason": "Returned", "lines": [{"invoice_line_id": book_line, "quantity": "3"}]})
    assert answer.status_code == 422 and "lines" in answer.json["errors"]["json"]
    answer = accounting_api.post(f"/api/v1/invoices/{second_id}/credit-notes", json={
        "reason": "Returned", "lines": [{"invoice_line_id": book_line, "quantity": "1"}]})
    assert answer.status_code == 201 and answer.json["total"] == "21.10"
    credited = accounting_api.get(f"/api/v1/invoices/{second_id}").json["credit_notes"]
    assert credited == [{"id": answer.json["id"], "number": "CN-00002", "total": "21.10"}]

    client = invoicing_app.test_client()
    login(client, "sales")
    assert client.get(f"/invoicing/invoices/{third_id}/cancel").status_code == 403
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/{third_id}/credit")
    assert page.status_code == 200 and "Box of nails" in page.get_data(as_text=True)
    token = csrf_token(client, f"/invoicing/invoices/{third_id}/cancel")
    refused = client.post(f"/invoicing/invoices/{third_id}/cancel",
                          data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422
    assert '<span class="field-error">Required.</span>' in refused.get_data(as_text=True)
    done = client.post(f"/invoicing/invoices/{third_id}/cancel",
                       data={"csrf_token": token, "reason": "Ordered twice"})
    assert done.status_code == 302
    with registry.session_factory() as session:
        assert session.get(Invoice, third_id).payment_status == "credited"
    cancelled = client.get(f"/invoicing/invoices/{third_id}").get_data(as_text=True)
    assert 'id="settlements"' in cancelled and "CN-00003" in cancelled
    assert "Cancel with credit note" not in cancelled  # settled: nothing left to cancel
    again = client.get(f"/invoicing/invoices/{third_id}/cancel")
    told = again.get_data(as_text=True)  # before a reason is typed, not once it is sent
    assert again.status_code == 409 and 'name="reason"' not in told
    assert "is already credited by CN-00003: only an invoice nothing credited" in told
    credited = client.get(f"/invoicing/invoices/{second_id}").get_data(as_text=True)
    assert "Credit in part" in credited and "Register a payment" in credited
    assert re.search(r'id="credit-notes"><a href="[^"]+">CN-00002</a> \(€21.10\)', credited)


def test_the_cancel_page_of_a_paid_invoice_says_so_before_any_reason_is_typed(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        invoice = posted_invoice(session, registry.hook, catalogue["bolt"],
                                 [(catalogue["HAM"], 1)])
        register_payment(session, catalogue["bolt"], invoice.total, "EUR", date.today(),
                         "Transfer", [(invoice.id, invoice.total)])
        session.commit()
        path = f"/invoicing/invoices/{invoice.id}/cancel"
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(path)
    told = page.get_data(as_text=True)
    assert page.status_code == 409 and 'name="reason"' not in told
    assert "is already paid: only an unpaid invoice is cancelled" in told
    assert f'href="/invoicing/invoices/{invoice.id}/credit">credit it in part' in told


def test_crediting_takes_as_many_statements_for_many_lines_as_for_few(registry, catalogue):
    hook, bolt, nail = registry.hook, catalogue["bolt"], catalogue["NAIL"]
    counts = []
    for size in (2, 12):
        with registry.session_factory() as session:
            cancelled = posted_invoice(session, hook, bolt, [(nail, 1)] * size).id
            returned = posted_invoice(session, hook, bolt, [(nail, 2)] * size).id
        with registry.session_factory() as session, count_queries(registry.engine) as done:
            cancel_invoice(session, hook, load_invoice(session, cancelled, lock=True), "Wrong",
                           copy=True)
            invoice = load_invoice(session, returned, lock=True)
            credit_in_part(session, hook, invoice,
                           {line.id: Decimal(1) for line in invoice.lines}, "Returned")
            credit_in_part(session, hook, invoice, {line.id: Decimal(1) for line in
                                                    invoice.lines}, "Not taken",
                           not_delivered=True)  # nothing was delivered
            session.commit()
        counts.append(len(done))
    assert counts[0] == counts[1]


def test_a_subscription_invoiced_for_its_period_starts_the_next(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, bolt, [(catalogue["HAM"], 2)],
                                order_type="subscription")
        for _period in range(2):
            packing_slip(session, hook, order)
            assert order.status == "delivered"
            post_invoice(session, hook, _draft_of(session, order))
            assert order.status == "confirmed"  # back for its next period
            assert [(line.delivered_quantity, line.invoiced_quantity)
                    for line in order.lines] == [(0, 0)]
        session.commit()
        assert customer_balance(session, bolt) == {"EUR": Decimal("60.00")}


def test_cancelling_a_subscriptions_last_invoice_reopens_its_period(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, bolt, [(catalogue["HAM"], 2),
                                                      (catalogue["NAIL"], 1)],
                                order_type="subscription")
        packing_slip(session, hook, order)
        invoice = post_invoice(session, hook, _draft_of(session, order))
        session.commit()
        order_id, invoice_id = order.id, invoice.id

    with registry.session_factory() as session:
        credit_note, copy = cancel_invoice(session, hook,
                                           load_invoice(session, invoice_id, lock=True),
                                           "Wrong month", copy=True)
        session.commit()
        order = session.get(Order, order_id)
        assert order.status == "delivered"  # its period delivered, waiting for an invoice
        assert [(line.delivered_quantity, line.invoiced_quantity) for line in order.lines] \
            == [(2, 0), (1, 0)]
        assert customer_balance(session, bolt) == {"EUR": Decimal("0.00")}
        post_invoice(session, hook, load_invoice(session, copy.id, lock=True))
        session.commit()
        assert order.status == "confirmed"  # the corrected invoice closed the period again
        assert customer_balance(session, bolt) == {"EUR": Decimal("33.84")}
        copy_id = copy.id

    with registry.session_factory() as session:  # the next period has started: refused
        packing_slip(session, hook, orders.load_order(session, order_id, lock=True), {1: 1})
        session.commit()
        with pytest.raises(Conflict, match="next period"):
            cancel_invoice(session, hook, load_invoice(session, copy_id, lock=True), "Late")
        session.rollback()
        assert session.get(Invoice, copy_id).payment_status == "open"


def test_only_a_subscriptions_latest_invoice_is_taken_back(invoicing_app, registry, catalogue,
                                                           login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, bolt, [(catalogue["HAM"], 2)],
                                order_type="subscription")
        first = post_invoice(session, hook, _draft_of(session, order))  # billed in advance
        packing_slip(session, hook, order)  # the first period closes
        second = post_invoice(session, hook, _draft_of(session, order))  # the next, in advance
        session.commit()
        ids = order.id, first.id, second.id

    def cancel(invoice_id):
        with registry.session_factory() as session:
            cancel_invoice(session, hook, load_invoice(session, invoice_id, lock=True), "Wrong")
            session.commit()
            order = session.get(Order, ids[0])
            return order.status, [(line.delivered_quantity, line.invoiced_quantity)
                                  for line in order.lines]

    with pytest.raises(Conflict, match="take back INV-00002 first"):
        cancel(ids[1])  # it would take the next period's invoicing back
    client = invoicing_app.test_client()
    login(client, "accounting")
    token = csrf_token(client, f"/invoicing/invoices/{ids[1]}/cancel")
    refused = client.post(f"/invoicing/invoices/{ids[1]}/cancel",
                          data={"csrf_token": token, "reason": "Wrong"})
    assert refused.status_code == 409 and "take back INV-00002 first" in refused.get_data(
        as_text=True)
    assert cancel(ids[2]) == ("confirmed", [(0, 0)])
    assert cancel(ids[1]) == ("delivered", [(2, 0)])  # its period reopened
    with registry.session_factory() as session:
        assert customer_balance(session, bolt) == {"EUR": Decimal("0.00")}


def test_a_credit_note_of_part_of_a_slips_invoice_is_among_the_slips_invoices(
        registry, catalogue):
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 3)])
        slip = packing_slip(session, hook, order)
        invoice = post_invoice(session, hook,
                               invoice_from_packing_slips(session, hook, [slip.id]))
        credit_note = credit_in_part(session, hook, invoice, {invoice.lines[0].id: Decimal(1)},
                                     "Returned")
        session.commit()
        of_slip, count = search_invoices(session, packing_slip_id=slip.id)
        assert (count, [found.id for found in of_slip]) == (2, [credit_note.id, invoice.id])
        assert search_invoices(session, packing_slip_id=slip.id + 1) == ([], 0)
