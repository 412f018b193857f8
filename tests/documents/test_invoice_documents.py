"""Invoices of every kind print to PDF from one template; a draft prints only as a pro forma,
which creates nothing and takes no number; an invoice is e-mailed with its PDF attached."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.testing import api_client, csrf_token
from plugins.invoicing import invoices
from plugins.invoicing.credit_notes import cancel_invoice
from plugins.invoicing.models import Invoice
from plugins.invoicing.posting import load_invoice, post_invoice
from tests.documents.conftest import mail_settings, pdf_text
from tests.invoicing.conftest import confirmed_order
from tests.sales.conftest import add_catalogue


@pytest.fixture
def app(make_app):
    """Sales, fulfilment and invoicing (the set-up of the invoicing tests)."""
    return make_app(["sales", "fulfilment", "invoicing"])


@pytest.fixture
def ids(app):
    """The test catalogue's ids."""
    return add_catalogue(app.extensions["comptoir"])


def draft_invoice(registry, party_id, lines):
    """A draft customer invoice of a new confirmed order of ``lines``; its id."""
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, party_id, lines)
        invoice = invoices.invoice_from_order(session, registry.hook, order)
        session.commit()
        return invoice.id


def test_a_posted_invoice_and_its_credit_note_print_with_their_numbers(app, ids, login):
    registry = app.extensions["comptoir"]
    invoice_id = draft_invoice(registry, ids["bolt"], [(ids["HAM"], 2), (ids["BOOK"], 1)])
    with registry.session_factory() as session:
        post_invoice(session, registry.hook, load_invoice(session, invoice_id))
        credit_note, _copy = cancel_invoice(session, registry.hook,
                                            load_invoice(session, invoice_id, lock=True),
                                            "Wrong prices")
        session.commit()
        credit_note_id = credit_note.id
    api = api_client(app, "accounting")

    response = api.get(f"/api/v1/invoices/{invoice_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="invoice-INV-00001.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Invoice INV-00001" in text and "Bolt & Co" in text
    assert "HAM" in text and "BOOK" in text and "51.10" in text, "lines and total"
    assert "PRO FORMA" not in text and "Draft" not in text
    assert "5.5 %" in text and "1.10" in text, "the tax summary"
    assert "cancelled by a credit note: nothing is to be paid" in text

    text = pdf_text(api.get(f"/api/v1/invoices/{credit_note_id}/pdf").data)
    assert "Credit note CN-00001" in text and "Credits invoice INV-00001" in text
    assert "Due date" not in text

    web = app.test_client()
    login(web, "accounting")
    page = web.get(f"/invoicing/invoices/{invoice_id}").get_data(as_text=True)
    assert f"/invoicing/invoices/{invoice_id}/pdf" in page and "pro-forma.pdf" not in page
    assert api.get(f"/api/v1/invoices/{invoice_id}/pro-forma.pdf").status_code == 409
    assert api.get(f"/api/v1/invoices/{credit_note_id}/pro-forma.pdf").status_code == 409
    assert api_client(app, "sales").get(f"/api/v1/invoices/{invoice_id}/pdf").status_code \
        == 403


def test_an_invoice_prints_what_is_left_to_pay(app, ids):
    registry = app.extensions["comptoir"]
    invoice_id = draft_invoice(registry, ids["bolt"], [(ids["HAM"], 2), (ids["BOOK"], 1)])
    with registry.session_factory() as session:
        post_invoice(session, registry.hook, load_invoice(session, invoice_id))
        session.commit()
    api = api_client(app, "accounting")

    def printed():
        return " ".join(pdf_text(api.get(f"/api/v1/invoices/{invoice_id}/pdf").data).split())

    assert "Please pay €51.10 by" in printed()
    for amount, told in (("20", "Already paid or credited: €20.00. Please pay the €31.10 left"),
                         ("31.10", "This invoice is paid.")):
        assert api.post("/api/v1/payments", json={
            "party_id": ids["bolt"], "amount": amount, "applications": [
                {"invoice_id": invoice_id, "amount": amount}]}).status_code == 201
        assert told in printed() and "Please pay €51.10" not in printed()


def test_a_draft_prints_only_as_a_pro_forma_that_takes_no_number(app, ids, login):
    registry = app.extensions["comptoir"]
    draft_id = draft_invoice(registry, ids["acme"], [(ids["HAM"], 1)])
    with registry.session_factory() as session:
        pro_forma_kind = invoices.free_text_invoice(session, registry.hook, {
            "kind": "pro_forma", "party_id": ids["acme"], "lines": [
                {"account": "706", "description": "Estimate", "amount": Decimal(5),
                 "tax_category": "VAT20"}]})
        session.commit()
        pro_forma_id = pro_forma_kind.id
        count = session.scalar(select(func.count(Invoice.id)))
    api = api_client(app, "accounting")

    refused = api.get(f"/api/v1/invoices/{draft_id}/pdf")
    assert refused.status_code == 409
    assert "post it first, or print a pro forma" in refused.get_data(as_text=True)
    not_mailed = api.post(f"/api/v1/invoices/{draft_id}/email", json={"to": "a@example.com"})
    assert not_mailed.status_code == 409
    assert "or make a pro forma of it and e-mail that" in not_mailed.get_json()["message"]
    web = app.test_client()
    login(web, "accounting")
    assert web.get(f"/invoicing/invoices/{draft_id}/pdf").status_code == 409
    page = web.get(f"/invoicing/invoices/{draft_id}").get_data(as_text=True)
    assert f"/invoicing/invoices/{draft_id}/pro-forma.pdf" in page

    response = web.get(f"/invoicing/invoices/{draft_id}/pro-forma.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "PRO FORMA" in text and "Pro forma invoice" in text and "Hammer" in text
    assert "INV-" not in text and "Draft" not in text
    assert "Item Description" in " ".join(text.split()), "its lines name their items"

    text = pdf_text(api.get(f"/api/v1/invoices/{pro_forma_id}/pdf").data)
    assert "PRO FORMA" in text and "Pro forma invoice" in text and "Estimate" in text
    assert "INV-" not in text and "FTI-" not in text
    assert "Item" not in text, "free text lines have no item: no empty Item column"

    with registry.session_factory() as session:
        assert session.scalar(select(func.count(Invoice.id))) == count, "nothing created"
        posted = post_invoice(session, registry.hook, load_invoice(session, draft_id))
        assert posted.number == "INV-00001", "the pro forma took no number"
        session.commit()


def test_the_tax_summary_prints_its_base_and_its_tax_apart(app, ids):
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session:
        pro_forma = invoices.free_text_invoice(session, registry.hook, {
            "kind": "pro_forma", "party_id": ids["acme"], "lines": [
                {"account": "706", "description": "Estimate", "amount": Decimal("100.50"),
                 "tax_category": "VAT20"}]})
        session.commit()
        pro_forma_id = pro_forma.id
    pdf = api_client(app, "accounting").get(f"/api/v1/invoices/{pro_forma_id}/pdf").data
    assert "20 % €100.50 €20.10" in pdf_text(pdf)


def test_an_invoice_is_emailed_with_its_pdf_attached(app, ids, mail_server, login):
    app.config.update(mail_settings(mail_server))
    mail_server.start()
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session:
        invoice = invoices.free_text_invoice(session, registry.hook, {
            "party_id": ids["acme"], "currency": "EUR", "lines": [
                {"account": "706", "description": "Audit", "amount": Decimal(300),
                 "tax_category": "VAT20"}]})
        post_invoice(session, registry.hook, invoice)
        session.commit()
        invoice_id = invoice.id
    api = api_client(app, "accounting")

    assert api.post(f"/api/v1/invoices/{invoice_id}/email", json={}).status_code == 422, \
        "Acme has no e-mail address"
    response = api.post(f"/api/v1/invoices/{invoice_id}/email",
                        json={"to": "accounts@acme.example"})
    assert response.status_code == 202
    assert response.json["status"] == "sent"
    assert response.json["attachment_name"] == "invoice-FTI-00001.pdf"
    [received] = mail_server.messages
    assert received["To"] == "accounts@acme.example"
    assert received["Subject"] == "Free text invoice FTI-00001"
    [attachment] = list(received.iter_attachments())
    assert attachment.get_filename() == "invoice-FTI-00001.pdf"
    text = pdf_text(attachment.get_content())
    assert "Free text invoice FTI-00001" in text and "360.00" in text
    assert "706" not in text and "Sales of goods" not in text  # the seller's bookkeeping

    with registry.session_factory() as session:
        pro_forma = invoices.free_text_invoice(session, registry.hook, {
            "kind": "pro_forma", "party_id": ids["acme"], "currency": "EUR",
            "invoice_date": date(2031, 5, 2), "lines": [
                {"account": "706", "description": "Audit", "amount": Decimal(300),
                 "tax_category": "VAT20"}]})
        session.commit()
        pro_forma_id = pro_forma.id
    assert api.post(f"/api/v1/invoices/{pro_forma_id}/email",
                    json={"to": "accounts@acme.example"}).status_code == 202
    assert mail_server.messages[-1]["Subject"] == "Pro forma invoice of 2031-05-02"
    web = app.test_client()
    login(web, "accounting")
    page = f"/invoicing/invoices/{pro_forma_id}"
    sent = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page),
                                           "to": "accounts@acme.example", "subject": "Estimate"})
    assert mail_server.messages[-1]["Subject"] == "Estimate"
    assert ("Pro forma invoice of 2031-05-02 e-mailed to accounts@acme.example."
            in web.get(sent.headers["Location"]).get_data(as_text=True))
    too_long = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page),
                                               "to": "accounts@acme.example", "subject": "x" * 300})
    assert too_long.status_code == 422
    assert too_long.get_data(as_text=True).count("Length must be between 1 and 256.") == 1


def test_a_module_overrides_the_invoice_document_and_extends_it_for_one_kind(app, ids,
                                                                            make_app):
    api = api_client(make_app(["down_payment", "invoice_letterhead"]), "accounting")
    printed = {}
    for kind, line in (("free_text", {"account": "706"}), ("down_payment", {})):
        created = api.post("/api/v1/invoices", json={
            "kind": kind, "party_id": ids["acme"], "lines": [
                {"description": "30 % down payment", "amount": "300", "tax_category": "VAT20",
                 **line}]})
        invoice_id = created.get_json()["id"]
        number = api.post(f"/api/v1/invoices/{invoice_id}/post").get_json()["number"]
        printed[kind] = number, pdf_text(api.get(f"/api/v1/invoices/{invoice_id}/pdf").data)
    number, text = printed["free_text"]  # the module's invoice.html, for every kind
    assert f"Free text invoice {number}, our way" in text
    assert "Amount due: €360.00" in text and "Total excluding tax" not in text
    number, text = printed["down_payment"]  # invoice_down_payment.html extends invoicing's
    assert f"Down-payment invoice {number}" in text and "our way" not in text
    assert "Total excluding tax" in text and "Deducted from the final invoice." in text
