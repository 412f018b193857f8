"""Forms posting what cannot be taken back are done once: sent again (a double click, Back and
resend) they are refused and nothing is posted a second time."""

import re
from concurrent.futures import ThreadPoolExecutor
from threading import Event

import pytest
from sqlalchemy import func, select

from core.models import Order, OutboxMessage
from plugins.fulfilment.models import PackingSlip
from plugins.invoicing.models import Invoice, Payment
from tests.invoicing.conftest import confirmed_order
from tests.invoicing.test_credit_notes import posted_invoice
from web.once import AlreadySent, claim_once


def _form_fields(client, path):
    """The hidden fields of the form on ``path``: its CSRF token and its one-time token."""
    page = client.get(path).get_data(as_text=True)
    return dict(re.findall(r'name="(csrf_token|once)" value="([^"]+)"', page))


def _count(registry, model, *where):
    with registry.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def accountant(invoicing_app, login):
    client = invoicing_app.test_client()
    login(client, "accounting")
    return client


def test_a_payment_sent_twice_is_registered_once(registry, catalogue, accountant):
    bolt = catalogue["bolt"]
    path = f"/invoicing/payments/new?party_id={bolt}"
    sent = {**_form_fields(accountant, path), "party_id": bolt, "currency": "EUR",
            "amount": "20", "account": "512"}
    assert accountant.post("/invoicing/payments/new", data=sent).status_code == 302
    again = accountant.post("/invoicing/payments/new", data=sent)
    assert again.status_code == 409
    shown = again.get_data(as_text=True)
    assert "this form was sent already" in shown
    assert 'name="once"' not in shown  # no form to send a third time
    assert _count(registry, Payment) == 1
    fresh = {**sent, **_form_fields(accountant, path)}  # the page opened again: a new payment
    assert accountant.post("/invoicing/payments/new", data=fresh).status_code == 302
    assert _count(registry, Payment) == 2


def test_a_free_text_invoice_sent_twice_is_drafted_once(registry, catalogue, accountant):
    path = "/invoicing/invoices/new/free-text"
    sent = {**_form_fields(accountant, path), "party_id": catalogue["acme"], "currency": "EUR",
            "account-0": "706", "description-0": "Set-up", "unit_price-0": "100",
            "tax_category-0": "VAT20"}
    refused = accountant.post(path, data={**sent, "tax_category-0": ""})
    assert refused.status_code == 422  # corrected, the same form is sent once
    assert accountant.post(path, data=sent).status_code == 302
    assert accountant.post(path, data=sent).status_code == 409
    assert _count(registry, Invoice) == 1


def test_a_refused_form_corrected_is_sent_with_its_token(registry, catalogue, accountant):
    path = f"/invoicing/payments/new?party_id={catalogue['bolt']}"
    sent = {**_form_fields(accountant, path), "party_id": catalogue["bolt"],
            "currency": "EUR", "account": "512"}
    refused = accountant.post("/invoicing/payments/new", data={**sent, "amount": "0.001"})
    assert refused.status_code == 422
    assert f'name="once" value="{sent["once"]}"' in refused.get_data(as_text=True)  # kept
    assert accountant.post("/invoicing/payments/new",
                           data={**sent, "amount": "5"}).status_code == 302
    assert _count(registry, Payment) == 1
    forged = accountant.post("/invoicing/payments/new",
                             data={**sent, "amount": "5", "once": "not-ours"})
    assert forged.status_code == 400 and _count(registry, Payment) == 1


def test_a_credit_note_sent_twice_is_posted_once(registry, catalogue, accountant):
    with registry.session_factory() as session:
        invoice = posted_invoice(session, registry.hook, catalogue["bolt"],
                                 [(catalogue["HAM"], 2)])
        invoice_id, line_id = invoice.id, invoice.lines[0].id
    path = f"/invoicing/invoices/{invoice_id}/credit"
    sent = {**_form_fields(accountant, path), f"quantity-{line_id}": "1", "reason": "Back"}
    assert accountant.post(path, data=sent).status_code == 302
    assert accountant.post(path, data=sent).status_code == 409
    assert _count(registry, Invoice, Invoice.credited_invoice_id == invoice_id) == 1


def test_a_delivery_sent_twice_posts_one_packing_slip(invoicing_app, registry, catalogue,
                                                      login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 4)])
        session.commit()
        order_id, line_id = order.id, order.lines[0].id
    client = invoicing_app.test_client()
    login(client, "sales")
    sent = {**_form_fields(client, f"/fulfilment/orders/{order_id}/deliver"),
            f"quantity_{line_id}": "1"}
    assert client.post(f"/fulfilment/orders/{order_id}/deliver", data=sent).status_code == 302
    assert client.post(f"/fulfilment/orders/{order_id}/deliver", data=sent).status_code == 409
    assert _count(registry, PackingSlip, PackingSlip.order_id == order_id) == 1
    with registry.session_factory() as session:
        assert session.get(Order, order_id).lines[0].delivered_quantity == 1


def test_a_token_sent_twice_at_once_is_claimed_once(invoicing_app, registry):
    token = "0123456789abcdef" * 2
    claimed = Event()

    def claim(first):
        with invoicing_app.test_request_context(method="POST", data={"once": token}):
            with registry.writing_session() as session:
                if not first:
                    claimed.wait()
                try:
                    claim_once(session)  # the second waits for the first's row, on PostgreSQL
                except AlreadySent:
                    return "refused"
                if first:
                    claimed.set()
                    Event().wait(0.5)  # the second reaches its own claim meanwhile
                session.commit()
                return "claimed"

    with ThreadPoolExecutor(2) as pool:
        results = [pool.submit(claim, first) for first in (True, False)]
        assert [result.result() for result in results] == ["claimed", "refused"]


def test_a_document_e_mailed_twice_is_queued_once(invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        invoice_id = posted_invoice(session, registry.hook, catalogue["bolt"],
                                    [(catalogue["HAM"], 1)]).id
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = f"/invoicing/invoices/{invoice_id}"
    fields = dict(re.findall(r'name="(csrf_token|once)" value="([^"]+)"',
                             client.get(page).get_data(as_text=True)))
    sent = {**fields, "to": "accounts@bolt.example"}
    assert client.post(f"{page}/email", data=sent).status_code == 302
    assert client.post(f"{page}/email", data=sent).status_code == 409
    assert _count(registry, OutboxMessage) == 1
