"""A posted invoice keeps the customer it was issued to: renaming the party, changing its
address or e-mail, or merging it away leaves the invoice's document as it was sent, while a
draft prints the party as it is."""

import re

from sqlalchemy import select, text

from core import modules
from core.testing import api_client
from plugins.invoicing.models import Invoice
from tests.documents.conftest import pdf_text
from tests.invoicing.conftest import confirmed_order
from tests.sales.conftest import change_party

FIRST_ADDRESS = {"kind": "invoice", "street": "1 Quay Street", "postcode": "75001",
                 "city": "Paris", "country": "FR"}
BILLED = {"name": "Bolt & Co", "email": "accounts@bolt.example",
          "address": {"street": "1 Quay Street", "postcode": "75001", "city": "Paris",
                      "country": "FR"}}


def _draft(registry, accounting_api, party_id, item_id):
    """A draft customer invoice of a new confirmed order of one ``item_id``, as the API shows
    it."""
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, party_id, [(item_id, 1)])
        session.commit()
        order_id = order.id
    draft = accounting_api.post("/api/v1/invoices", json={"kind": "customer",
                                                          "order_id": order_id})
    assert draft.status_code == 201, draft.get_json()
    assert draft.get_json()["billed_to"] is None
    return draft.get_json()


def _posted_invoice(registry, accounting_api, party_id, catalogue):
    invoice_id = _draft(registry, accounting_api, party_id, catalogue["HAM"])["id"]
    posted = accounting_api.post(f"/api/v1/invoices/{invoice_id}/post")
    assert posted.status_code == 200, posted.get_json()
    return posted.get_json()


def test_a_posted_invoice_prints_the_customer_as_it_was_billed(invoicing_app, registry,
                                                               accounting_api, catalogue):
    bolt = catalogue["bolt"]
    change_party(invoicing_app, bolt, email="accounts@bolt.example", addresses=[FIRST_ADDRESS])
    invoice = _posted_invoice(registry, accounting_api, bolt, catalogue)
    assert invoice["billed_to"] == BILLED
    change_party(invoicing_app, bolt, name="Bolt Holdings", email="ap@holdings.example",
            addresses=[{**FIRST_ADDRESS, "street": "9 New Road", "city": "Lyon",
                        "postcode": "69001"}])

    text_printed = pdf_text(accounting_api.get(f"/api/v1/invoices/{invoice['id']}/pdf").data)
    assert "Bolt & Co" in text_printed and "1 Quay Street" in text_printed
    assert "75001 Paris, FR" in text_printed and "accounts@bolt.example" in text_printed
    assert "Bolt Holdings" not in text_printed and "Lyon" not in text_printed
    shown = accounting_api.get(f"/api/v1/invoices/{invoice['id']}").get_json()
    assert shown["billed_to"] == BILLED and shown["party_name"] == "Bolt Holdings"
    found = accounting_api.get("/api/v1/invoices", query_string={"q": "bolt & co"}).get_json()
    assert [found_invoice["id"] for found_invoice in found["items"]] == [invoice["id"]]

    # A draft, and its pro forma, are the party as it is; posted, it keeps that.
    later = _posted_invoice(registry, accounting_api, bolt, catalogue)
    assert later["billed_to"]["name"] == "Bolt Holdings"
    assert later["billed_to"]["address"]["city"] == "Lyon"
    draft = _draft(registry, accounting_api, bolt, catalogue["NAIL"])
    pro_forma = pdf_text(accounting_api.get(f"/api/v1/invoices/{draft['id']}/pro-forma.pdf").data)
    assert "Bolt Holdings" in pro_forma and "9 New Road" in pro_forma

    # Its credit note is issued now: to the party as it is now.
    credit_note = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/cancel",
                                      json={"reason": "wrong price"})
    assert credit_note.status_code == 201, credit_note.get_json()
    assert credit_note.get_json()["credit_note"]["billed_to"]["name"] == "Bolt Holdings"


def test_a_merged_customers_invoices_keep_its_name(invoicing_app, registry, accounting_api,
                                                   catalogue, login):
    invoice = _posted_invoice(registry, accounting_api, catalogue["bolt"], catalogue)
    merged = api_client(invoicing_app, "sales").post(
        f"/api/v1/parties/{catalogue['acme']}/merge", json={"duplicate_id": catalogue["bolt"]})
    assert merged.status_code == 200, merged.get_json()

    shown = accounting_api.get(f"/api/v1/invoices/{invoice['id']}").get_json()
    assert shown["party_id"] == catalogue["acme"] and shown["billed_to"]["name"] == "Bolt & Co"
    printed = pdf_text(accounting_api.get(f"/api/v1/invoices/{invoice['id']}/pdf").data)
    assert "Bolt & Co" in printed and "Acme" not in printed
    web = invoicing_app.test_client()
    login(web, "accounting")
    page = web.get(f"/invoicing/invoices/{invoice['id']}").get_data(as_text=True)
    assert '<dd id="billed-to">Bolt &amp; Co</dd>' in page
    listed = web.get("/invoicing/invoices/?q=bolt").get_data(as_text=True)
    assert "<td>Acme (billed as Bolt &amp; Co)</td>" in listed


def test_the_upgrade_gives_invoices_posted_before_it_their_party_as_it_is(
        invoicing_app, registry, accounting_api, catalogue):
    bolt = catalogue["bolt"]
    change_party(invoicing_app, bolt, email="accounts@bolt.example", addresses=[FIRST_ADDRESS])
    posted = _posted_invoice(registry, accounting_api, bolt, catalogue)
    acme = _posted_invoice(registry, accounting_api, catalogue["acme"], catalogue)
    draft = _draft(registry, accounting_api, bolt, catalogue["NAIL"])
    with registry.engine.begin() as connection:  # as a database of the revision before it
        connection.execute(text("ALTER TABLE invoicing_invoice DROP COLUMN billed_to"))
        connection.execute(text("UPDATE alembic_version_invoicing "
                                "SET version_num = 'invoicing_0009'"))
    assert modules.upgrade(registry, ["invoicing"]) == ["invoicing"]

    with registry.session_factory() as session:
        billed = dict(session.execute(select(Invoice.id, Invoice.billed_to)).all())
    assert billed[posted["id"]] == BILLED
    assert billed[acme["id"]] == {"name": "Acme", "email": None, "address": None}
    assert billed[draft["id"]] is None


def test_a_drafts_page_says_whom_it_bills_and_warns_of_no_invoice_address(
        invoicing_app, registry, accounting_api, catalogue, login):
    bolt = catalogue["bolt"]
    draft = _draft(registry, accounting_api, bolt, catalogue["HAM"])
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/{draft['id']}").get_data(as_text=True)
    assert re.search(r'id="bills-to">Bolt &amp; Co\s*<br><strong id="no-invoice-address">', page)
    change_party(invoicing_app, bolt, addresses=[FIRST_ADDRESS])
    page = client.get(f"/invoicing/invoices/{draft['id']}").get_data(as_text=True)
    assert 'id="bills-to">Bolt &amp; Co, 1 Quay Street, 75001 Paris, FR</dd>' in page
    assert "no-invoice-address" not in page
    assert accounting_api.post(f"/api/v1/invoices/{draft['id']}/post").status_code == 200
    page = client.get(f"/invoicing/invoices/{draft['id']}").get_data(as_text=True)
    assert 'id="billed-to">Bolt &amp; Co, 1 Quay Street' in page and "bills-to" not in page
