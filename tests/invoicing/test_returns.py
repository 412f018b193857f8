"""A returned order is credited, not invoiced: its invoice is a credit note that owes the
customer what the goods sent back were worth."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import orders
from core.errors import Conflict, ValidationError
from core.models import Item, Order
from core.testing import api_client, csrf_token
from plugins.fulfilment.services import deliver
from plugins.invoicing.models import Invoice, InvoiceLine, PostingProfile
from plugins.invoicing.posting import invoice_to_post, post_invoice
from tests.invoicing.conftest import confirmed_order


def _delivered(registry, party_id, lines, order_type):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, party_id, lines, order_type=order_type)
        slip = deliver(session, registry.hook, order)
        session.commit()
        return order.id, slip.id


def test_a_returned_order_is_credited_with_a_credit_note(accounting_api, registry, catalogue):
    bolt = catalogue["bolt"]
    returned, _slip = _delivered(registry, bolt, [(catalogue["HAM"], 2)], "returned")
    charged = accounting_api.post("/api/v1/invoices", json={"order_id": returned,
                                                           "kind": "customer"})
    assert charged.status_code == 422
    assert charged.json["errors"]["json"] == {
        "kind": ["A returned order is credited with a credit note."]}

    created = accounting_api.post("/api/v1/invoices", json={"order_id": returned})
    assert created.status_code == 201, created.json
    assert (created.json["kind"], created.json["total"]) == ("credit_note", "30.00")
    assert created.json["due_date"] == created.json["invoice_date"]  # owed to the customer now
    posted = accounting_api.post(f"/api/v1/invoices/{created.json['id']}/post")
    assert posted.status_code == 200, posted.json
    assert posted.json["number"] == "CN-00001"
    entries = accounting_api.get("/api/v1/ledger/documents/CN-00001").json["entries"]
    assert sorted((e["account"], e["debit"], e["credit"]) for e in entries) == [
        ("411", "0.00", "30.00"), ("4457", "5.00", "0.00"), ("706", "25.00", "0.00")]
    assert accounting_api.get(f"/api/v1/parties/{bolt}/balance").json["balances"] == [
        {"currency": "EUR", "amount": "-30.00"}]
    with registry.session_factory() as session:
        assert session.get(Order, returned).status == "invoiced"
    assert accounting_api.post("/api/v1/invoices", json={"order_id": returned}
                               ).status_code == 409, "nothing left to credit"

    paying = accounting_api.post("/api/v1/payments", json={
        "party_id": bolt, "amount": "30", "currency": "EUR",
        "applications": [{"invoice_id": created.json["id"], "amount": "30"}]})
    assert paying.status_code == 422, "a payment is not applied to a credit note"
    refund = accounting_api.post(f"/api/v1/invoices/{created.json['id']}/refunds",
                                 json={"amount": "30"})
    assert refund.status_code == 201, refund.json
    assert accounting_api.get(f"/api/v1/parties/{bolt}/balance").json["balances"] == [
        {"currency": "EUR", "amount": "0.00"}]


def test_goods_sent_are_not_credited_nor_mixed_with_goods_returned(accounting_api, registry,
                                                                   catalogue):
    bolt = catalogue["bolt"]
    sold, sold_slip = _delivered(registry, bolt, [(catalogue["HAM"], 1)], "sales")
    _returned, returned_slip = _delivered(registry, bolt, [(catalogue["NAIL"], 1)], "returned")
    credited = accounting_api.post("/api/v1/invoices", json={"order_id": sold,
                                                            "kind": "credit_note"})
    assert credited.status_code == 422 and "kind" in credited.json["errors"]["json"]
    mixed = accounting_api.post("/api/v1/invoices", json={
        "packing_slip_ids": [sold_slip, returned_slip]})
    assert mixed.status_code == 422
    assert mixed.json["errors"]["json"] == {
        "packing_slip_ids": ["Goods returned and goods sent are not on one invoice."]}
    of_slip = accounting_api.post("/api/v1/invoices", json={"packing_slip_ids": [returned_slip]})
    assert of_slip.status_code == 201 and of_slip.json["kind"] == "credit_note"
    assert accounting_api.get("/api/v1/invoices").json["total"] == 1


@pytest.mark.parametrize(("order_type", "kind"), [("returned", "customer"),
                                                  ("sales", "credit_note")])
def test_posting_refuses_a_draft_of_the_other_direction(registry, catalogue, order_type, kind):
    """Drafts made around the services (a partner's, an import) are checked when posted."""
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 1)], order_type=order_type)
        [line] = order.lines
        profile = session.scalars(select(PostingProfile).where(PostingProfile.is_default)).one()
        draft = Invoice(kind=kind, party_id=order.party_id, currency="EUR", posting_profile=profile,
                        invoice_date=date.today(), due_date=date.today(), lines=[InvoiceLine(
                            position=1, order_line=line, item_id=line.item_id, quantity=1,
                            description="Hammer", unit_price=line.unit_price,
                            tax_rate=line.tax_rate, amount=line.amount,
                            tax_amount=line.tax_amount)])
        session.add(draft)
        session.commit()
        with pytest.raises(Conflict):
            post_invoice(session, registry.hook, invoice_to_post(session, draft.id))


def test_the_invoice_page_of_a_returned_order_makes_a_credit_note(invoicing_app, registry,
                                                                  catalogue, login):
    returned, _slip = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 2)],
                                 "returned")
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/new/order?order_id={returned}"
    page = client.get(path).get_data(as_text=True)
    select_kind = re.search(r'name="kind">(.*?)</select>', page).group(1)
    assert re.findall(r'<option value="(\w+)"', select_kind) == ["credit_note"]
    quantity = re.search(r'name="(quantity-\d+)"', page).group(1)
    created = client.post(path, data={"csrf_token": csrf_token(client, path),
                                      "kind": "credit_note", quantity: "2"})
    assert created.status_code == 302
    posted = client.post(f"{created.headers['Location']}/post",
                         data={"csrf_token": csrf_token(client, created.headers["Location"])})
    text = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "Credit note CN-00001" in text and "Refund" in text


def test_a_confirmed_order_keeps_the_direction_of_its_goods(invoicing_app, registry,
                                                              catalogue):
    sold, _slip = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 1)], "sales")
    returned, _slip = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 1)],
                                 "returned")
    # A Subscription whose first period is delivered and invoiced: its lines start again.
    with registry.session_factory() as session:
        subscription = confirmed_order(session, registry.hook, catalogue["bolt"],
                                       [(catalogue["HAM"], 1)], order_type="subscription")
        deliver(session, registry.hook, subscription)
        session.commit()
    accounting = api_client(invoicing_app, "accounting")
    period = accounting.post("/api/v1/invoices", json={"order_id": subscription.id}).json
    assert accounting.post(f"/api/v1/invoices/{period['id']}/post").status_code == 200
    sales = api_client(invoicing_app)
    for order_id, other, why in ((sold, "returned", "cannot become"),
                                 (returned, "sales", "cannot become"),
                                 (subscription.id, "returned", "can no longer change type")):
        refused = sales.post(f"/api/v1/orders/{order_id}/type", json={"type": other})
        assert refused.status_code == 409 and why in refused.json["message"]
    draft = sales.post("/api/v1/orders", json={
        "party_id": catalogue["bolt"], "type": "sales",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]}).json
    changed = sales.post(f"/api/v1/orders/{draft['id']}/type", json={"type": "returned"})
    assert changed.status_code == 200 and changed.json["rma_number"]


def test_packing_slips_of_returned_goods_are_credited_by_default_on_the_page(
        invoicing_app, registry, catalogue, login):
    _returned, slip = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 2)],
                                 "returned")
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/new/packing-slips?party_id={catalogue['bolt']}"
    created = client.post(path, data={"csrf_token": csrf_token(client, path),
                                      "packing_slip_ids": str(slip), "kind": ""})
    assert created.status_code == 302
    draft = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Credit note draft" in draft and 'id="add-line"' not in draft
    line = re.findall(r'/lines/(\d+)/remove"', draft)[0]
    invoice_path = created.headers["Location"]
    removed = client.post(f"{invoice_path}/lines/{line}/remove",
                          data={"csrf_token": csrf_token(client, invoice_path)})
    assert removed.status_code == 302
    empty = client.post(f"{invoice_path}/post",
                        data={"csrf_token": csrf_token(client, invoice_path)})
    assert empty.status_code == 409 and "The invoice has no lines" in empty.get_data(
        as_text=True)


def _ticked(page):
    return [int(slip) for slip in re.findall(
        r'name="packing_slip_ids" value="(\d+)" id="slip-\d+" checked', page)]


def test_the_slip_page_ticks_delivered_goods_first_then_returned_ones(
        invoicing_app, registry, catalogue, login):
    _sold, sent = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 3)], "sales")
    _returned, back = _delivered(registry, catalogue["bolt"], [(catalogue["HAM"], 1)],
                                 "returned")
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/new/packing-slips?party_id={catalogue['bolt']}"
    assert "are invoiced separately" in client.get(path).get_data(as_text=True)
    none = client.post(path, data={"csrf_token": csrf_token(client, path), "kind": ""})
    assert none.status_code == 422 and _ticked(none.get_data(as_text=True)) == [], \
        "what was unticked stays so"
    credited = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "packing_slip_ids": [sent], "kind": "credit_note"})
    assert credited.status_code == 422
    assert credited.get_data(as_text=True).count("Only a returned order is credited so") == 1
    for ticked, kind in (([sent], "Customer invoice draft"), ([back], "Credit note draft")):
        page = client.get(path).get_data(as_text=True)
        assert _ticked(page) == ticked
        # Pressing the button as the page stands makes the invoice of the slips ticked.
        created = client.post(path, data={"csrf_token": csrf_token(client, path),
                                          "packing_slip_ids": ticked, "kind": ""})
        assert created.status_code == 302
        assert kind in client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Every packing slip of this customer is invoiced." in client.get(path).get_data(
        as_text=True)


def test_stock_that_would_pass_what_is_stored_is_refused(accounting_api, registry, catalogue):
    with registry.session_factory() as session:
        session.get(Item, catalogue["NAIL"]).stock_on_hand = Decimal(10)
        order = orders.create_order(session, registry.hook, {
            "type": "returned", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["NAIL"], "quantity": Decimal(999_999_999_999),
                       "manual_price": Decimal(0)}]})
        orders.confirm_order(session, registry.hook, order)
        session.commit()
        with pytest.raises(ValidationError) as refused:
            deliver(session, registry.hook, order)
        assert refused.value.fields == {
            "lines": ["The stock of item NAIL would pass 12 digits before the point."]}
