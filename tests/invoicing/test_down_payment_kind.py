"""A partner module adds a down-payment invoice kind with its own sequence, account, entries
and validation, touching nothing outside itself."""

import re

from core import modules
from core.testing import api_client
from tests.documents.conftest import pdf_text

DOWN_PAYMENT = {"description": "30 % down payment", "amount": "300", "tax_category": "VAT20"}


def test_a_module_adds_a_down_payment_kind(make_app, catalogue):
    api = api_client(make_app(["down_payment"]), "accounting")  # a second build, with it
    kinds = {kind["code"]: kind for kind in api.get("/api/v1/invoice-kinds").get_json()}
    assert kinds["down_payment"]["sequence"] == "down_payment"
    refused = api.post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"],
        "lines": [{**DOWN_PAYMENT, "amount": "0"}]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["lines"]["0"]["amount"]
    numbers = []
    for _ in range(2):
        created = api.post("/api/v1/invoices", json={
            "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
        assert created.status_code == 201, created.get_json()
        posted = api.post(f"/api/v1/invoices/{created.get_json()['id']}/post").get_json()
        numbers.append(posted["number"])
    assert numbers == ["DP-00001", "DP-00002"]
    draft = api.post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    # Its lines name no account: a pro forma of them holds them to its kind's rules, not to
    # the free text invoice's.
    copy = api.post(f"/api/v1/invoices/{draft.get_json()['id']}/pro-forma")
    assert copy.status_code == 201, copy.get_json()
    assert (copy.get_json()["kind"], copy.get_json()["total"]) == ("pro_forma", "360.00")
    noted = api.patch(f"/api/v1/invoices/{copy.get_json()['id']}", json={"note": "By May"})
    assert noted.status_code == 200 and noted.get_json()["note"] == "By May"
    entries = api.get("/api/v1/ledger/documents/DP-00001").get_json()["entries"]
    assert {(e["account"], e["debit"], e["credit"]) for e in entries} == {
        ("411", "360.00", "0.00"), ("4191", "0.00", "300.00"), ("4457", "0.00", "60.00")}
    assert api.get("/api/v1/ledger/accounts/4191").get_json()["totals"][0]["balance"] == (
        "-600.00")

    # Its credit notes reverse its own entries: the prepayment, not the revenue account.
    cancelled = api.post(f"/api/v1/invoices/{created.get_json()['id']}/cancel",
                         json={"reason": "asked twice"})
    assert cancelled.status_code == 201, cancelled.get_json()
    entries = api.get("/api/v1/ledger/documents/CN-00001").get_json()["entries"]
    assert {(e["account"], e["debit"], e["credit"]) for e in entries} == {
        ("411", "0.00", "360.00"), ("4191", "300.00", "0.00"), ("4457", "60.00", "0.00")}
    first = api.get("/api/v1/invoices?q=DP-00001").get_json()["items"][0]
    line = api.get(f"/api/v1/invoices/{first['id']}").get_json()["lines"][0]
    credited = api.post(f"/api/v1/invoices/{first['id']}/credit-notes", json={
        "reason": "smaller order", "lines": [{"invoice_line_id": line["id"], "quantity": "0.5"}]})
    assert credited.status_code == 201, credited.get_json()
    entries = api.get("/api/v1/ledger/documents/CN-00002").get_json()["entries"]
    assert {(e["account"], e["debit"], e["credit"]) for e in entries} == {
        ("411", "0.00", "180.00"), ("4191", "150.00", "0.00"), ("4457", "30.00", "0.00")}
    assert api.get("/api/v1/ledger/accounts/4191").get_json()["totals"][0]["balance"] == (
        "-150.00")
    assert api.get("/api/v1/ledger/accounts/706").get_json()["totals"] == []


def test_a_down_payment_draft_line_is_not_given_an_account_by_its_page(make_app, catalogue,
                                                                       login):
    app = make_app(["down_payment"])
    draft = api_client(app, "accounting").post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    client = app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/{draft.get_json()['id']}").get_data(as_text=True)
    line = draft.get_json()["lines"][0]["id"]
    assert f'name="description" form="line-{line}"' in page
    assert f'name="account" form="line-{line}"' not in page  # it names none: none is chosen
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post(f"/invoicing/invoices/{draft.get_json()['id']}/lines/{line}", data={
        "csrf_token": token, "description": "Deposit", "quantity": "1", "unit_price": "0",
        "tax_category": "VAT20"})
    assert refused.status_code == 422  # the kind's refusal, shown
    assert "A down payment asks a positive amount." in refused.get_data(as_text=True)


def test_a_line_naming_no_account_is_added_to_a_down_payment_from_its_page(make_app, catalogue,
                                                                          login):
    app = make_app(["down_payment"])
    draft = api_client(app, "accounting").post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    page_url = f"/invoicing/invoices/{draft.get_json()['id']}"
    client = app.test_client()
    login(client, "accounting")
    page = client.get(page_url).get_data(as_text=True)
    assert '<select name="account">' in page  # the kind asks none: the browser does not either
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    added = client.post(f"{page_url}/lines", data={
        "csrf_token": token, "account": "", "description": "Second instalment",
        "quantity": "1", "unit_price": "200", "tax_category": "VAT20"})
    assert added.status_code == 302
    lines = api_client(app, "accounting").get(f"/api/v1/invoices/{draft.get_json()['id']}")\
        .get_json()["lines"]
    assert [(line["description"], line["amount"]) for line in lines] == [
        ("30 % down payment", "300.00"), ("Second instalment", "200.00")]


def test_a_down_payment_lines_mistakes_and_the_kinds_are_told_at_once(make_app, catalogue):
    refused = api_client(make_app(["down_payment"]), "accounting").post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [{"amount": "300"}]})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["lines"] == {"0": {
        "tax_category": ["Tax information is required: give a tax category."],
        "description": ["Say what the down payment is for."]}}


def test_a_down_payment_line_whose_price_cannot_be_read_is_told_only_that(make_app, catalogue,
                                                                          login):
    app = make_app(["down_payment"])
    client = app.test_client()
    login(client, "accounting")
    path = "/invoicing/invoices/new/free-text"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(
        as_text=True)).group(1)
    shown = client.post(path, data={
        "csrf_token": token, "party_id": catalogue["acme"], "kind": "down_payment",
        "description-0": "", "unit_price-0": "x", "tax_category-0": "VAT20"}).get_data(
        as_text=True)
    assert "Not a valid number." in shown and "Say what the down payment is for." in shown
    assert "A down payment asks a positive amount." not in shown  # it was not read


def test_a_draft_of_a_kind_no_longer_enabled_says_why_it_cannot_change(make_app, catalogue,
                                                                        login):
    app = make_app(["down_payment"])
    draft = api_client(app, "accounting").post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    modules.disable(app.extensions["comptoir"], "down_payment")
    client = app.test_client()
    login(client, "accounting")
    page_url = f"/invoicing/invoices/{draft.get_json()['id']}"
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(page_url).get_data(as_text=True)).group(1)
    refused = client.post(f"{page_url}/header", data={"csrf_token": token, "note": "By May"})
    assert refused.status_code == 409
    assert ("is of the invoice kind &#39;down_payment&#39;, which no enabled module brings: "
            "enable its module again to change it") in refused.get_data(as_text=True)


def test_a_posted_invoice_of_a_kind_no_longer_enabled_still_prints(make_app, catalogue, login):
    app = make_app(["down_payment"])
    api = api_client(app, "accounting")
    draft = api.post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    posted = api.post(f"/api/v1/invoices/{draft.get_json()['id']}/post").get_json()
    unposted = api.post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"], "lines": [DOWN_PAYMENT]})
    modules.disable(app.extensions["comptoir"], "down_payment")
    printed = api.get(f"/api/v1/invoices/{posted['id']}/pdf")
    assert printed.status_code == 200
    assert printed.headers["Content-Disposition"] == (
        f'inline; filename="invoice-{posted["number"]}.pdf"')
    text = pdf_text(printed.data)
    assert f"Invoice {posted['number']}" in text and "€360.00" in text
    refused = api.get(f"/api/v1/invoices/{unposted.get_json()['id']}/pro-forma.pdf")
    assert refused.status_code == 409, "a draft of it waits for its module"
    assert "which no enabled module brings" in refused.get_json()["message"]
    held = api.get("/api/v1/invoices", query_string={"kind": "down_payment"}).get_json()
    assert held["total"] == 2, "its invoices are still listed by their kind"
    unknown = api.get("/api/v1/invoices", query_string={"kind": "barter"})
    assert unknown.status_code == 422 and "kind" in unknown.get_json()["errors"]["query"]
    cancelled = api.post(f"/api/v1/invoices/{posted['id']}/cancel", json={"reason": "twice"})
    assert cancelled.status_code == 409, "crediting it waits for its module too"
    assert cancelled.get_json()["message"] == (
        f"{posted['number']} is of the invoice kind 'down_payment', which no enabled module "
        "brings: enable its module again to change it")
    client = app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/{posted['id']}").get_data(as_text=True)
    assert f'/invoicing/invoices/{posted["id"]}/pdf">Invoice (PDF)</a>' in page
    assert 'name="to"' in page, "and e-mailed from its page"
