"""The invoice and ledger API: kinds, creating each kind of invoice, posting, the ledger, and
the refusals."""

from datetime import date, timedelta
from decimal import Decimal

from core import modules, orders
from core.models import Order
from core.orders import load_order
from core.testing import api_client, csrf_token
from plugins.fulfilment.services import deliver
from plugins.invoicing.models import Invoice
from tests.invoicing.conftest import confirmed_order, packing_slip

FEE = {"account": "706", "description": "Set-up fee", "amount": "100", "tax_category": "VAT20"}


def _order_and_slip(registry, catalogue, party="bolt"):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue[party],
                                [(catalogue["HAM"], 2), (catalogue["BOOK"], 1)])
        slip = packing_slip(session, registry.hook, order)
        session.commit()
        return order.id, [line.id for line in order.lines], slip.id


def test_kinds_and_an_invoice_from_an_order_posted(accounting_api, registry, catalogue):
    kinds = {kind["code"]: kind for kind in
             accounting_api.get("/api/v1/invoice-kinds").get_json()}
    assert set(kinds) == {"customer", "free_text", "pro_forma", "credit_note"}
    assert kinds["pro_forma"]["posts"] is False and kinds["customer"]["sequence"] == "invoice"
    order_id, (ham, _book), _slip = _order_and_slip(registry, catalogue)
    created = accounting_api.post("/api/v1/invoices", json={
        "order_id": order_id, "quantities": [{"order_line_id": ham, "quantity": "1"}],
        "invoice_date": "2024-03-01"})
    assert created.status_code == 201, created.get_json()
    invoice = created.get_json()
    assert (invoice["total"], invoice["due_date"], invoice["number"]) == (
        "15.00", "2024-03-31", None)
    assert invoice["lines"][0]["order_number"].startswith("SO-")
    path = f"/api/v1/invoices/{invoice['id']}"
    assert accounting_api.patch(path, json={"due_date": "2024-02-01"}).status_code == 422
    assert accounting_api.patch(path, json={"note": "March"}).get_json()["note"] == "March"
    part = f"{path}/lines/{invoice['lines'][0]['id']}"
    unnamed = accounting_api.patch(part, json={"description": " "})
    assert unnamed.status_code == 422
    assert unnamed.get_json()["errors"]["json"] == {
        "description": ["A description is required."]}
    priced = accounting_api.patch(part, json={"unit_price": "1"})
    assert priced.status_code == 422 and priced.get_json()["errors"]["json"] == {
        "unit_price": ["Only the quantity and the description of an order line's part change."]}
    renamed = accounting_api.patch(part, json={"description": "Claw hammer"})
    assert renamed.get_json()["description"] == "Claw hammer"
    posted = accounting_api.post(f"{path}/post")
    assert posted.status_code == 200
    assert posted.get_json()["number"] == "INV-00001"
    assert posted.get_json()["payment_status"] == "open"
    assert accounting_api.post(f"{path}/post").status_code == 409
    assert accounting_api.patch(path, json={"note": "x"}).status_code == 409
    assert accounting_api.delete(path).status_code == 409
    line = invoice["lines"][0]["id"]
    assert accounting_api.delete(f"{path}/lines/{line}").status_code == 409
    document = accounting_api.get("/api/v1/ledger/documents/INV-00001").get_json()
    assert (document["debit"], document["credit"]) == ("15.00", "15.00")
    account = accounting_api.get("/api/v1/ledger/accounts/411").get_json()
    assert account["entries"][0]["balance"] == "15.00" and account["total"] == 1
    balances = {row["code"]: row for row in
                accounting_api.get("/api/v1/ledger/accounts").get_json()}
    assert balances["706"]["balance"] == "-12.50" and balances["512"]["currency"] is None
    assert accounting_api.get("/api/v1/ledger/accounts/999").status_code == 404
    assert accounting_api.get("/api/v1/ledger/documents/INV-09999").status_code == 404
    listed = accounting_api.get("/api/v1/invoices?status=posted&q=inv-0000").get_json()
    assert [row["number"] for row in listed["items"]] == ["INV-00001"]
    of_order = accounting_api.get(f"/api/v1/invoices?order_id={order_id}").get_json()
    assert [row["number"] for row in of_order["items"]] == ["INV-00001"]
    assert accounting_api.get(f"/api/v1/invoices?order_id={order_id + 1}").get_json()[
        "total"] == 0


def test_invoices_from_packing_slips_and_their_refusals(accounting_api, registry, catalogue):
    _order, _lines, slip = _order_and_slip(registry, catalogue)
    other, _lines, foreign = _order_and_slip(registry, catalogue, "acme")
    mixed = accounting_api.post("/api/v1/invoices", json={"packing_slip_ids": [slip, foreign]})
    assert mixed.status_code == 422 and "packing_slip_ids" in mixed.get_json()["errors"]["json"]
    assert accounting_api.post("/api/v1/invoices", json={
        "packing_slip_ids": [slip], "order_id": 1}).status_code == 422
    for source, of in (({"packing_slip_ids": [slip]}, "The packing slips are"),
                       ({"order_id": other}, "The order is")):
        other_customer = accounting_api.post("/api/v1/invoices", json={
            **source, "party_id": catalogue["bolt" if "order_id" in source else "acme"]})
        assert other_customer.status_code == 422
        assert other_customer.get_json()["errors"]["json"] == {
            "party_id": [f"{of} of another customer."]}
        other_currency = accounting_api.post("/api/v1/invoices", json={
            **source, "currency": "USD"})
        assert other_currency.get_json()["errors"]["json"] == {"currency": [f"{of} in EUR."]}
    for unknown in ({"order_id": other + 100}, {"packing_slip_ids": [foreign + 100]}):
        refused = accounting_api.post("/api/v1/invoices", json=unknown)
        assert refused.status_code == 422  # the body is wrong, not the address
        assert set(refused.get_json()["errors"]["json"]) == set(unknown)
    no_quantities = accounting_api.post("/api/v1/invoices", json={"order_id": other,
                                                                  "quantities": []})
    assert "quantities" in no_quantities.get_json()["errors"]["json"]
    created = accounting_api.post("/api/v1/invoices", json={"packing_slip_ids": [slip],
                                                             "party_id": catalogue["bolt"],
                                                             "currency": "EUR"})
    assert created.status_code == 201
    assert created.get_json()["lines"][0]["packing_slip_number"].startswith("PS-")
    of_slip = accounting_api.get(f"/api/v1/invoices?packing_slip_id={slip}").get_json()
    assert [found["id"] for found in of_slip["items"]] == [created.get_json()["id"]]
    assert accounting_api.get(f"/api/v1/invoices?packing_slip_id={foreign}").get_json()[
        "items"] == []
    again = accounting_api.post("/api/v1/invoices", json={"packing_slip_ids": [slip]})
    assert again.status_code == 409
    assert "packing slip PS-00001 is already on an invoice, draft or posted" in again.get_json()[
        "message"]
    with registry.session_factory() as session:
        draft = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(1)}]}).id
        session.commit()
    for kind in ("bogus", "free_text", "credit_note"):  # the request's mistake told first
        for source in ({"packing_slip_ids": [slip]}, {"order_id": draft}):
            refused = accounting_api.post("/api/v1/invoices", json={**source, "kind": kind})
            assert refused.status_code == 422, (source, kind)
            assert "kind" in refused.get_json()["errors"]["json"]


def test_free_text_refusals_are_per_line_field(accounting_api, catalogue):
    refused = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"],
        "lines": [FEE, {**FEE, "item": "HAM"}, {**FEE, "tax_category": "VAT99"},
                  {"account": "706", "description": "Fee", "amount": "1"},
                  {**FEE, "item_id": catalogue["HAM"]}, {"quantity": "2"},
                  {**FEE, "item_number": "HAM"}]})
    assert refused.status_code == 422
    lines = refused.get_json()["errors"]["json"]["lines"]
    assert set(lines) == {"1", "2", "3", "4", "5", "6"}
    assert lines["6"] == {"item_number": ["Item numbers are not allowed on a free text line."]}
    assert lines["1"] == {"item": ["Item numbers are not allowed on a free text line."]}
    assert lines["4"] == {"item_id": ["Item numbers are not allowed on a free text line."]}
    assert lines["2"] == {"tax_category": ["Unknown tax category VAT99."]}
    assert lines["3"] == {"tax_category": ["Tax information is required: give a tax category."]}
    assert lines["5"] == {  # all at once: the input's mistakes and the kind's
        "account": ["A ledger account is required."],
        "description": ["A description is required."],
        "unit_price": ["Give a unit price (or an amount)."],
        "tax_category": ["Tax information is required: give a tax category."]}
    wrong_kind = accounting_api.post("/api/v1/invoices", json={
        "kind": "customer", "party_id": catalogue["acme"], "lines": [FEE]})
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.get_json()["errors"]["json"]


def test_free_text_and_pro_forma_through_the_api(accounting_api, catalogue):
    in_dollars = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"], "currency": "usd", "lines": [FEE]})
    assert in_dollars.status_code == 201 and in_dollars.get_json()["currency"] == "USD"
    created = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"], "lines": [FEE]}).get_json()
    path = f"/api/v1/invoices/{created['id']}"
    added = accounting_api.post(f"{path}/lines", json={"lines": [
        {"account": "706", "description": "Travel", "quantity": "2", "unit_price": "25",
         "tax_category": "VAT20"}]})
    assert added.status_code == 201
    changed = accounting_api.patch(f"{path}/lines/{added.get_json()[0]['id']}",
                                   json={"quantity": "3"})
    assert changed.get_json()["amount"] == "75.00"
    assert accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "708", "name": "Ancillary income", "kind": "revenue"}).status_code == 201
    moved = accounting_api.patch(f"{path}/lines/{added.get_json()[0]['id']}",
                                 json={"account": "708", "tax_category": "VAT5"})
    shown = {field: moved.get_json()[field] for field in ("account", "tax_category", "tax_rate")}
    assert shown == {"account": "708", "tax_category": "VAT5", "tax_rate": "5.5"}
    assert accounting_api.patch(f"{path}/lines/{added.get_json()[0]['id']}", json={
        "account": "706", "tax_category": "VAT20"}).get_json()["account"] == "706"
    pro_forma = accounting_api.post(f"{path}/pro-forma")
    assert pro_forma.status_code == 201 and pro_forma.get_json()["total"] == "210.00"
    assert (pro_forma.get_json()["open_amount"], pro_forma.get_json()["payment_status"]) == (
        None, None), "nobody owes a pro forma"
    assert accounting_api.get(path).get_json()["open_amount"] is None, "nor a draft"
    refused = accounting_api.post(f"/api/v1/invoices/{pro_forma.get_json()['id']}/post")
    assert refused.status_code == 409
    assert accounting_api.post(f"{path}/post").get_json()["number"] == "FTI-00001"
    listed = accounting_api.get("/api/v1/invoices?kind=pro_forma").get_json()
    assert listed["total"] == 1 and listed["items"][0]["number"] is None
    estimate = {"description": "Estimate", "amount": "80", "tax_category": "VAT20"}
    typed = accounting_api.post("/api/v1/invoices", json={  # never posted: no account needed
        "kind": "pro_forma", "party_id": catalogue["acme"], "lines": [estimate]})
    assert typed.status_code == 201 and typed.get_json()["total"] == "96.00"
    blank = accounting_api.post("/api/v1/invoices", json={
        "kind": "pro_forma", "party_id": catalogue["acme"],
        "lines": [{**estimate, "description": " "}]})
    assert blank.status_code == 422
    assert blank.get_json()["errors"]["json"]["lines"] == {
        "0": {"description": ["A description is required."]}}

    emptied = accounting_api.post("/api/v1/invoices", json={
        "party_id": catalogue["acme"], "lines": [FEE]}).get_json()
    path = f"/api/v1/invoices/{emptied['id']}"
    assert accounting_api.delete(f"{path}/lines/{emptied['lines'][0]['id']}").status_code == 204
    nothing = accounting_api.post(f"{path}/pro-forma")
    assert nothing.status_code == 409 and "no lines" in nothing.get_json()["message"]
    assert accounting_api.get(f"{path}/pro-forma.pdf").status_code == 409


def test_the_api_is_for_accounting(invoicing_app):
    marketing = api_client(invoicing_app, "marketing")
    for path in ("/api/v1/invoice-kinds", "/api/v1/invoices", "/api/v1/ledger/accounts"):
        assert marketing.get(path).status_code == 403


def test_cancelling_an_order_deletes_its_draft_invoices(accounting_api, invoicing_app, registry,
                                                        catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        other = confirmed_order(session, registry.hook, catalogue["bolt"], [(catalogue["HAM"], 1)])
        session.commit()
    draft = accounting_api.post("/api/v1/invoices", json={"order_id": order.id}).get_json()
    held = accounting_api.post("/api/v1/invoices", json={"order_id": order.id})
    assert held.status_code == 409
    assert held.get_json()["message"] == (f"nothing of order {order.number} is left to "
                                          f"invoice: it is on draft {draft['id']}, not posted yet")
    pro_forma = accounting_api.post(f"/api/v1/invoices/{draft['id']}/pro-forma").get_json()
    kept = accounting_api.post("/api/v1/invoices", json={"order_id": other.id}).get_json()
    sales = api_client(invoicing_app)
    cancelled = sales.post(f"/api/v1/orders/{order.id}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["notices"] == [
        f"Deleted with the order: draft invoice {draft['id']}, pro forma {pro_forma['id']}."]
    for gone in (draft, pro_forma):
        assert accounting_api.get(f"/api/v1/invoices/{gone['id']}").status_code == 404
    assert accounting_api.get(f"/api/v1/invoices/{kept['id']}").status_code == 200
    lines = sales.get(f"/api/v1/orders/{order.id}/remainders").get_json()["lines"]
    assert lines[0]["invoiced"] == "0"


def test_the_draft_of_an_order_cancelled_without_invoicing_is_not_posted(
        accounting_api, invoicing_app, registry, catalogue):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        session.commit()
    draft = accounting_api.post("/api/v1/invoices", json={"order_id": order.id}).get_json()
    modules.disable(registry, "invoicing")  # its drafts stay, as a disabled module's data does
    with registry.session_factory() as session:
        orders.cancel_order(session, registry.hook, load_order(session, order.id, lock=True))
        session.commit()
    modules.enable(registry, "invoicing")
    refused = accounting_api.post(f"/api/v1/invoices/{draft['id']}/post")
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (f"order {order.number} was cancelled after this "
                                             "invoice was drafted: delete the draft")
    assert accounting_api.get(f"/api/v1/invoices/{draft['id']}").get_json()["number"] is None
    copy = accounting_api.post(f"/api/v1/invoices/{draft['id']}/pro-forma")
    assert copy.status_code == 409
    line = f"/api/v1/invoices/{draft['id']}/lines/{draft['lines'][0]['id']}"
    assert accounting_api.patch(line, json={"quantity": "1"}).status_code == 409
    assert copy.get_json()["message"] == (f"order {order.number} is cancelled: this draft is "
                                          "of no use now; delete it")


def test_totals_too_large_to_store_are_refused(accounting_api, invoicing_app, registry,
                                               catalogue):
    huge = {**FEE, "amount": "999999999999.99"}
    refused = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["bolt"], "currency": "EUR", "lines": [huge]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["lines"] == [
        "The total is too large: at most 12 digits before the point."]
    halves = {**FEE, "amount": "600000000000", "tax_category": "VAT5"}
    assert accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["bolt"], "currency": "EUR",
        "lines": [halves, halves]}).status_code == 422
    sales = api_client(invoicing_app)
    order = sales.post("/api/v1/orders", json={
        "party_id": catalogue["bolt"], "type": "sales",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "999999999",
                   "unit_price": "999999"}]})
    assert order.status_code == 422
    assert "too large" in order.get_json()["errors"]["json"]["lines"][0]
    assert sales.get("/api/v1/orders").get_json()["total"] == 0


def test_dates_off_the_calendar_of_business_are_refused(accounting_api, invoicing_app,
                                                        catalogue, login):
    bolt = catalogue["bolt"]
    for late in ("9999-12-31", "3000-01-01"):
        refused = accounting_api.post("/api/v1/invoices", json={
            "kind": "free_text", "party_id": bolt, "invoice_date": late, "lines": [FEE]})
        assert refused.status_code == 422
        assert refused.get_json()["errors"]["json"] == {
            "invoice_date": ["Must be a date between 1900-01-01 and 2999-12-31."]}
    assert accounting_api.post("/api/v1/payments", json={
        "party_id": bolt, "amount": "1", "payment_date": "0001-01-01"}).status_code == 422
    assert accounting_api.get("/api/v1/invoices").get_json()["total"] == 0
    last = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": bolt, "invoice_date": "2999-12-31", "lines": [FEE]})
    assert last.status_code == 201 and last.get_json()["due_date"] == "3000-01-30"

    order = api_client(invoicing_app).post("/api/v1/orders", json={
        "party_id": bolt, "type": "sales", "lines": [{"item_id": catalogue["HAM"],
                                                      "quantity": "1"}]}).get_json()
    assert api_client(invoicing_app).post(f"/api/v1/orders/{order['id']}/confirm"
                                          ).status_code == 200
    web = invoicing_app.test_client()
    login(web, "sales")
    path = f"/fulfilment/orders/{order['id']}/deliver"
    refused = web.post(path, data={"csrf_token": csrf_token(web, path), "all": "1",
                                   "delivery_date": "9999-12-31"})
    assert refused.status_code == 422
    assert "Must be a date between 1900-01-01 and 2999-12-31." in refused.get_data(as_text=True)


def test_an_order_closed_after_a_part_was_delivered_is_invoiced_for_that_part(
        accounting_api, invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 4), (catalogue["BOOK"], 2)])
        deliver(session, registry.hook, order, {order.lines[0].id: Decimal(1)})
        session.commit()
    book = order.lines[1].id
    early = accounting_api.post("/api/v1/invoices", json={
        "order_id": order.id, "quantities": [{"order_line_id": book, "quantity": "1"}]})
    assert accounting_api.post(f"/api/v1/invoices/{early.get_json()['id']}/post"
                               ).status_code == 200, "a book invoiced before it is delivered"
    sales = api_client(invoicing_app)
    closed = sales.post(f"/api/v1/orders/{order.id}/close").get_json()
    assert [line["quantity"] for line in closed["lines"]] == ["1", "1"]
    web = invoicing_app.test_client()
    login(web, "sales")
    page = web.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Close the rest" not in page, "the book invoiced is kept: nothing is left to close"
    assert "credit it on its invoice as not delivered" in page, "the page says what to do"
    assert closed["status"] == "confirmed", "the book invoiced is still to deliver"
    rest = accounting_api.post("/api/v1/invoices", json={"order_id": order.id}).get_json()
    assert [(line["quantity"], line["amount"]) for line in rest["lines"]] == [("1", "12.50")]
    accounting_api.post(f"/api/v1/invoices/{rest['id']}/post")
    with registry.session_factory() as session:
        deliver(session, registry.hook, load_order(session, order.id, lock=True))
        session.commit()
        assert session.get(Order, order.id).status == "invoiced"


def test_a_credit_note_is_not_made_of_free_text_lines(accounting_api, catalogue):
    refused = accounting_api.post("/api/v1/invoices", json={
        "kind": "credit_note", "party_id": catalogue["bolt"], "lines": [FEE]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"] == {"kind": [
        "A credit note is made from the invoice it credits (cancel it, or credit it in part) "
        "or from a returned order."]}


def test_numbers_follow_the_dates(accounting_api, registry, catalogue):
    def draft(day):
        return accounting_api.post("/api/v1/invoices", json={
            "party_id": catalogue["acme"], "lines": [FEE], "invoice_date": day}).get_json()

    today = date.today()
    ahead = draft((today + timedelta(days=1)).isoformat())
    refused = accounting_api.post(f"/api/v1/invoices/{ahead['id']}/post")
    assert refused.status_code == 409 and "post it on that day or later" in refused.json[
        "message"]
    later, earlier = draft("2026-03-02"), draft("2026-03-01")
    assert accounting_api.post(f"/api/v1/invoices/{later['id']}/post").json[
        "number"] == "FTI-00001"
    refused = accounting_api.post(f"/api/v1/invoices/{earlier['id']}/post")
    assert refused.status_code == 409
    assert refused.json["message"] == (
        "a free text invoice posted before is dated 2026-03-02: this one, dated 2026-03-01, "
        "would take a number out of date order; date it 2026-03-02 or later")
    assert accounting_api.patch(f"/api/v1/invoices/{earlier['id']}",
                                json={"invoice_date": "2026-03-02"}).status_code == 200
    # The refusal took no number: the sequence goes on without a gap.
    assert accounting_api.post(f"/api/v1/invoices/{earlier['id']}/post").json[
        "number"] == "FTI-00002"
    # Customer invoices have their own sequence, and their own order of dates.
    order, _lines, _slip = _order_and_slip(registry, catalogue)
    customer = accounting_api.post("/api/v1/invoices", json={
        "order_id": order, "invoice_date": "2026-01-01"}).get_json()
    assert accounting_api.post(f"/api/v1/invoices/{customer['id']}/post").json[
        "number"] == "INV-00001"
    # One posted dated ahead by earlier code does not hold the sequence back until its day.
    with registry.session_factory() as session, session.begin():
        session.get(Invoice, customer["id"]).invoice_date = today + timedelta(days=5)
    order, _lines, _slip = _order_and_slip(registry, catalogue)
    now = accounting_api.post("/api/v1/invoices", json={"order_id": order}).get_json()
    assert accounting_api.post(f"/api/v1/invoices/{now['id']}/post").json[
        "number"] == "INV-00002"


def test_the_accountant_reads_the_tax_categories_and_items_it_names(accounting_api, catalogue):
    codes = [tax["code"] for tax in accounting_api.get("/api/v1/tax-categories").get_json()]
    assert "VAT20" in codes  # what a free text line's tax_category takes
    assert accounting_api.get("/api/v1/items").get_json()["total"] >= 3
    assert accounting_api.post("/api/v1/tax-categories", json={
        "code": "VAT0", "name": "Zero", "rate": "0"}).status_code == 403


def test_a_free_text_amount_is_money_in_its_currency(accounting_api, catalogue):
    for currency, amount, step in (("EUR", "100.001", "0.01"), ("EUR", "0.004", "0.01"),
                                   ("JPY", "1000.5", "1")):
        refused = accounting_api.post("/api/v1/invoices", json={
            "kind": "free_text", "party_id": catalogue["acme"], "currency": currency,
            "lines": [{**FEE, "amount": amount}]})
        assert refused.status_code == 422, (currency, amount)
        assert refused.get_json()["errors"]["json"]["lines"]["0"]["amount"] == [
            f"An amount in {currency} is in steps of {step}."]
    finer = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"],
        "lines": [{"account": "706", "description": "Screws", "tax_category": "VAT20",
                   "unit_price": "0.125", "quantity": "8"}]})
    assert finer.status_code == 201 and finer.get_json()["untaxed"] == "1.00"


def test_a_due_date_left_by_default_follows_the_invoice_date(accounting_api, catalogue):
    created = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"], "invoice_date": "2026-12-01",
        "lines": [FEE]}).get_json()
    path = f"/api/v1/invoices/{created['id']}"
    assert created["due_date"] == "2026-12-31"
    assert accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "708", "name": "Ancillary income", "kind": "revenue"}).status_code == 201
    moved = accounting_api.patch(path, json={"invoice_date": "2026-12-05"}).get_json()
    assert moved["due_date"] == "2027-01-04"
    kept = accounting_api.patch(path, json={"invoice_date": "2026-12-05",
                                            "due_date": "2027-02-01"}).get_json()
    assert kept["due_date"] == "2027-02-01"
    chosen = accounting_api.patch(path, json={"invoice_date": "2026-12-01"}).get_json()
    assert chosen["due_date"] == "2027-02-01"  # typed by someone: it stays


def test_the_openapi_document_states_each_operations_refusals(accounting_api):
    paths = accounting_api.get("/api/v1/openapi.json").get_json()["paths"]
    conflict = {"$ref": "#/components/responses/CONFLICT"}
    posting = paths["/api/v1/invoices/{invoice_id}/post"]["post"]["responses"]
    assert posting["409"] == conflict
    refused = {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"}
    assert posting["422"] == refused, "a kind's validation refuses a draft, per line"
    assert paths["/api/v1/invoices/{invoice_id}/pro-forma"]["post"]["responses"]["422"] == \
        refused, "the pro forma kind's validation"
    for path in ("/api/v1/invoices/{invoice_id}/pdf",
                 "/api/v1/invoices/{invoice_id}/pro-forma.pdf"):
        responses = paths[path]["get"]["responses"]
        assert responses["409"] == conflict and "422" not in responses, path
    assert posting["404"] == {"$ref": "#/components/responses/NOT_FOUND"}
    assert "409" not in paths["/api/v1/invoices/{invoice_id}"]["get"]["responses"]
    assert paths["/api/v1/payments"]["post"]["responses"]["409"] == conflict
    assert paths["/api/v1/invoices/{invoice_id}/email"]["post"]["requestBody"]["required"] is \
        False, "every field has a default"
    documents = {path: operations for path, operations in paths.items()
                 if path.endswith(("pdf", "/email")) or path.startswith("/api/v1/outbox/")}
    assert len(documents) == 11 and all(
        "404" in operation["responses"] for operations in documents.values()
        for method, operation in operations.items() if method != "parameters"
    ), "every document names what it prints"
    for path in ("/api/v1/outbox/{message_id}/send", "/api/v1/outbox/{message_id}/withdraw",
                 "/api/v1/quotations/{quotation_id}/email", "/api/v1/orders/{order_id}/email",
                 "/api/v1/orders/{order_id}/confirmation.pdf"):
        [operation] = (operation for method, operation in paths[path].items()
                       if method != "parameters")
        assert operation["responses"]["409"] == conflict, path


def test_a_nul_in_an_address_names_nothing(accounting_api):
    for path in ("/api/v1/ledger/accounts/70%006", "/api/v1/ledger/documents/INV%0001",
                 "/api/v1/ledger/posting-profiles/G%00"):
        assert accounting_api.get(path).status_code == 404, path


def test_a_nul_in_a_lines_text_is_refused_where_the_lines_other_mistakes_are(accounting_api,
                                                                            catalogue):
    nul = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"], "lines": [
            {"account": "706", "description": "Set-up", "unit_price": "1",
             "tax_category": "VAT20"},
            {"account": "706", "description": "a\x00b", "unit_price": "1",
             "tax_category": "VAT20"}]})
    assert nul.status_code == 422
    assert nul.get_json()["errors"]["json"] == {"lines": {"1": {"description": [
        "Must not contain a NUL character."]}}}


def _bulbs(registry, catalogue, quantity=3, price="3.7037", amount="10.00"):
    """A confirmed order of 3 hammers at a typed 3.7037 less 10 %: 10.00, tax 2.00 (or of
    ``quantity`` at ``price``, less 10 %, coming to ``amount``)."""
    with registry.session_factory() as session:
        order = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["acme"], "currency": "EUR", "lines": [
                {"item_id": catalogue["HAM"], "quantity": Decimal(quantity),
                 "manual_price": Decimal(price), "manual_discount": Decimal(10)}]})
        orders.confirm_order(session, registry.hook, order)
        session.commit()
        [line] = order.lines
        assert line.amount == Decimal(amount)
        return order.id, line.id


def _parts_posted(accounting_api, bodies):
    """Draft and post an invoice of each body; their lines' (amount, tax)."""
    parts = []
    for body in bodies:
        draft = accounting_api.post("/api/v1/invoices", json=body)
        assert draft.status_code == 201, draft.get_json()
        posted = accounting_api.post(f"/api/v1/invoices/{draft.get_json()['id']}/post")
        assert posted.status_code == 200, posted.get_json()
        parts += [(Decimal(line["amount"]), Decimal(line["tax_amount"]))
                  for line in posted.get_json()["lines"]]
    return parts


def test_an_order_line_invoiced_in_parts_is_invoiced_its_amount(accounting_api, registry,
                                                                catalogue):
    order_id, line_id = _bulbs(registry, catalogue)
    parts = _parts_posted(accounting_api, [
        {"order_id": order_id, "quantities": [{"order_line_id": line_id, "quantity": "1"}]}
        for _third in range(3)])
    # Each rounded on its own, three thirds of 10.00 came to 9.99.
    assert [amount for amount, _tax in parts] == [Decimal("3.33"), Decimal("3.34"),
                                                  Decimal("3.33")]
    assert all(tax == round(amount * Decimal("0.2"), 2) for amount, tax in parts)
    [line] = accounting_api.get(f"/api/v1/orders/{order_id}/remainders").get_json()["lines"]
    assert (line["invoiced"], line["invoice_remainder"]) == ("3", "0")


def test_an_order_line_delivered_and_invoiced_in_parts_is_invoiced_its_amount(
        accounting_api, registry, catalogue):
    order_id, line_id = _bulbs(registry, catalogue)
    slips = []
    for _third in range(3):
        with registry.session_factory() as session:
            order = load_order(session, order_id, lock=True)
            slips.append(deliver(session, registry.hook, order, {line_id: Decimal(1)}).id)
            session.commit()
    parts = _parts_posted(accounting_api, [{"packing_slip_ids": [slip]} for slip in slips])
    assert sum(amount for amount, _tax in parts) == Decimal("10.00")
    assert all(tax == round(amount * Decimal("0.2"), 2) for amount, tax in parts)
    remainders = accounting_api.get(f"/api/v1/orders/{order_id}/remainders").get_json()
    assert remainders["status"] == "invoiced"


def test_an_order_lines_parts_add_up_to_it_when_one_is_deleted_or_cancelled(
        accounting_api, registry, catalogue):
    order_id, line_id = _bulbs(registry, catalogue)
    third = {"order_id": order_id, "quantities": [{"order_line_id": line_id, "quantity": "1"}]}
    first = accounting_api.post("/api/v1/invoices", json=third).get_json()
    second = accounting_api.post("/api/v1/invoices", json=third).get_json()
    assert [first["total"], second["total"]] == ["4.00", "4.01"]  # 3.33 and 3.34, taxed
    assert accounting_api.delete(f"/api/v1/invoices/{first['id']}").status_code == 204
    posted = accounting_api.post(f"/api/v1/invoices/{second['id']}/post").get_json()
    parts = [Decimal(posted["untaxed"])]
    parts += [amount for amount, _tax in _parts_posted(accounting_api, [third, third])]
    assert sum(parts) == Decimal("10.00"), parts
    cancelled = accounting_api.post(f"/api/v1/invoices/{posted['id']}/cancel",
                                    json={"reason": "wrong date"})
    assert cancelled.status_code == 201
    parts.remove(Decimal(posted["untaxed"]))
    parts += [amount for amount, _tax in _parts_posted(accounting_api, [third])]
    assert sum(parts) == Decimal("10.00"), parts


def test_a_part_never_comes_to_less_than_nothing(accounting_api, registry, catalogue):
    order_id, line_id = _bulbs(registry, catalogue, quantity=9, price="0.0037", amount="0.03")
    one = {"order_id": order_id, "quantities": [{"order_line_id": line_id, "quantity": "1"}]}
    drafts = [accounting_api.post("/api/v1/invoices", json=one).get_json() for _ in range(8)]
    assert [draft["untaxed"] for draft in drafts] == ["0.00", "0.01", "0.00", "0.00", "0.01",
                                                     "0.00", "0.00", "0.01"]
    for draft in drafts:
        if draft["untaxed"] == "0.00":  # the standing ones come to more than their share
            accounting_api.delete(f"/api/v1/invoices/{draft['id']}")
    assert accounting_api.post("/api/v1/invoices", json=one).get_json()["untaxed"] == "0.00"


def test_every_operation_naming_a_record_by_id_documents_its_404(make_app):
    app = make_app(["sales", "pricing", "fulfilment", "invoicing"])
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    naming = [(method.upper(), path, operation) for path, operations in paths.items()
              if "_id}" in path or path.endswith(("{code}", "{document}"))
              for method, operation in operations.items() if method != "parameters"]
    assert len(naming) > 60
    assert [(method, path) for method, path, operation in naming
            if "404" not in operation["responses"]] == []
    conflict = {"$ref": "#/components/responses/CONFLICT"}
    for path in ("/api/v1/orders/{order_id}/confirm", "/api/v1/orders/{order_id}/cancel",
                 "/api/v1/orders/{order_id}/lines", "/api/v1/parties/{party_id}/merge",
                 "/api/v1/quotations/{quotation_id}/accept"):
        assert paths[path]["post"]["responses"]["409"] == conflict, path
    assert paths["/api/v1/orders/{order_id}"]["patch"]["responses"]["409"] == conflict
    assert "404" in paths["/api/v1/price-lists/{list_id}"]["get"]["responses"]
    assert "404" in paths["/api/v1/tokens"]["post"]["responses"], "the user its body names"
    assert "422" in paths["/api/v1/orders/{order_id}/confirm"]["post"]["responses"]


def test_a_nullable_enumeration_lists_null(accounting_api):
    # OpenAPI 3.0: a value outside "enum" is invalid, null included, whatever "nullable" says.
    schemas = accounting_api.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    enumerations = {f"{name}.{field}": described for name, schema in schemas.items()
                    for field, described in schema.get("properties", {}).items()
                    if "enum" in described}
    assert "Invoice.payment_status" in enumerations
    assert [field for field, described in enumerations.items()
            if described.get("nullable") and None not in described["enum"]] == []
