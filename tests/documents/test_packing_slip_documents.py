"""A packing slip prints to PDF (what was delivered and what is left, no prices) and is
e-mailed from its page and the API."""

import re
from decimal import Decimal

from core import orders
from core.models import Address
from core.testing import api_client, csrf_token
from plugins.fulfilment import services
from tests.documents.conftest import pdf_text
from tests.invoicing.conftest import confirmed_order
from tests.sales.conftest import add_catalogue


def test_a_packing_slip_prints_what_was_delivered_and_what_is_left(make_app, login):
    app = make_app(["sales", "fulfilment"], COMPTOIR_COMPANY_NAME="Quincaillerie Dupont")
    registry = app.extensions["comptoir"]
    ids = add_catalogue(registry)
    with registry.session_factory() as session:
        session.add(Address(party_id=ids["acme"], kind="delivery", street="9 quai des Docks",
                            postcode="13002", city="Marseille"))
        order = confirmed_order(session, registry.hook, ids["acme"],
                                [(ids["HAM"], 5), (ids["BOOK"], 1)])
        order = orders.load_order(session, order.id, lock=True)
        hammers = order.lines[0]
        slip = services.deliver(session, registry.hook, order, {hammers.id: Decimal(2)})
        session.commit()
        slip_id, slip_number, order_number = slip.id, slip.number, order.number

    response = api_client(app).get(f"/api/v1/packing-slips/{slip_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert f"Packing slip {slip_number}" in text and order_number in text
    assert "Quincaillerie Dupont" in text and "Acme" in text and "Marseille" in text
    assert "HAM" in text and "Hammer" in text
    assert "BOOK" not in text, "only what this slip delivered"
    assert "12.50" not in text and "Total" not in text, "a packing slip shows no prices"
    hammer_row = next(row for row in text.splitlines() if row.startswith("HAM"))
    assert hammer_row.split()[-2:] == ["2", "3"], "delivered, still to deliver"

    with registry.session_factory() as session:  # the rest is delivered later
        services.deliver(session, registry.hook, orders.load_order(session, order.id,
                                                                   lock=True))
        session.commit()
    again = pdf_text(api_client(app).get(f"/api/v1/packing-slips/{slip_id}/pdf").data)
    hammer_row = next(row for row in again.splitlines() if row.startswith("HAM"))
    assert hammer_row.split()[-2:] == ["2", "3"], "as it was when this slip delivered"
    [line] = api_client(app).get(f"/api/v1/packing-slips/{slip_id}").json["lines"]
    assert (line["quantity"], line["remainder_after"]) == ("2", "3")

    web = app.test_client()
    login(web, "sales")
    page = web.get(f"/fulfilment/packing-slips/{slip_id}").get_data(as_text=True)
    assert f"/fulfilment/packing-slips/{slip_id}/pdf" in page
    refused = web.post(f"/fulfilment/packing-slips/{slip_id}/email",
                       data={"csrf_token": csrf_token(web), "to": "not an address"})
    assert refused.status_code == 422 and "Not a valid email address." in refused.get_data(
        as_text=True)
    refused = web.post(f"/fulfilment/packing-slips/{slip_id}/email",
                       data={"csrf_token": csrf_token(web)})
    assert refused.status_code == 422 and "Acme has no e-mail address" in refused.get_data(
        as_text=True)
    sent = web.post(f"/fulfilment/packing-slips/{slip_id}/email",
                    data={"csrf_token": csrf_token(web), "to": "acme@example.com",
                          "subject": "Your goods"})
    told = web.get(sent.headers["Location"]).get_data(as_text=True)
    assert re.search(f"Packing slip {slip_number} (could not be |queued for )?e-mail", told), \
        "the message names the slip"
    paths = api_client(app).get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/packing-slips/{slip_id}/pdf",
            "/api/v1/packing-slips/{slip_id}/email"} <= paths.keys()


def test_a_returned_orders_slip_receives_the_goods_and_names_its_authorisation(make_app,
                                                                               login):
    app = make_app(["sales", "fulfilment", "invoicing"])
    registry = app.extensions["comptoir"]
    ids = add_catalogue(registry)
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, ids["acme"], [(ids["HAM"], 2)],
                                order_type="returned")
        order = orders.load_order(session, order.id, lock=True)
        slip = services.deliver(session, registry.hook, order)
        session.commit()
        slip_id, order_id, rma = slip.id, order.id, order.rma_number
    text = pdf_text(api_client(app).get(f"/api/v1/packing-slips/{slip_id}/pdf").data)
    assert "RECEIVED FROM" in text and "DELIVER TO" not in text
    assert f"Return authorisation {rma}" in text and "received back" in text

    web = app.test_client()
    login(web, "sales")
    page = web.get(f"/fulfilment/orders/{order_id}/deliver").get_data(as_text=True)
    assert "Receive the goods of order" in page and rma in page
    accounting = api_client(app, "accounting")
    credit_note = accounting.post("/api/v1/invoices", json={"order_id": order_id}).json
    assert accounting.post(f"/api/v1/invoices/{credit_note['id']}/post").status_code == 200
    printed = pdf_text(accounting.get(f"/api/v1/invoices/{credit_note['id']}/pdf").data)
    assert f"Return authorisation {rma}" in printed
