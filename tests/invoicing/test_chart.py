"""Setting up the ledger: the accountant adds accounts and posting profiles, and invoices post
where they say; what the ledger's entries need stays as it is."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from threading import Event

from sqlalchemy import select, text, update

from core.testing import api_client, csrf_token
from plugins.invoicing import chart
from plugins.invoicing.models import Account, Payment
from plugins.invoicing.payments import register_payment
from tests.invoicing.conftest import confirmed_order
from tests.invoicing.test_credit_note_applications import migration

FEE = {"description": "Set-up fee", "amount": "100", "tax_category": "VAT20"}


def _form(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields})


def _entries(api, document):
    return {(entry["account"], entry["debit"], entry["credit"]) for entry in
            api.get(f"/api/v1/ledger/documents/{document}").get_json()["entries"]}


def test_an_account_added_takes_invoice_lines_and_then_keeps_its_kind(accounting_api,
                                                                      catalogue):
    added = accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "708", "name": "Services", "kind": "revenue"})
    assert added.status_code == 201
    assert added.get_json() == {"code": "708", "name": "Services", "kind": "revenue"}
    refused = accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "708", "name": "Again", "kind": "sales", "extra": 1})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]["json"]) == {"kind", "extra"}
    taken = accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "708", "name": "Again", "kind": "other"})
    assert taken.status_code == 422 and "code" in taken.get_json()["errors"]["json"]
    slashed = accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "70/8", "name": "Slash", "kind": "other"})
    assert slashed.status_code == 422 and "code" in slashed.get_json()["errors"]["json"]

    invoice = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"],
        "lines": [{**FEE, "account": "708"}]}).get_json()
    number = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/post").get_json()["number"]
    assert ("708", "0.00", "100.00") in _entries(accounting_api, number)

    renamed = accounting_api.patch("/api/v1/ledger/accounts/708", json={"name": "Services sold"})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Services sold"
    assert accounting_api.patch("/api/v1/ledger/accounts/708",
                                json={"kind": "bank"}).status_code == 409
    assert accounting_api.delete("/api/v1/ledger/accounts/708").status_code == 409
    account = accounting_api.get("/api/v1/ledger/accounts/708").get_json()
    assert (account["name"], account["kind"], account["total"]) == ("Services sold",
                                                                      "revenue", 1)


def test_an_unused_account_changes_kind_and_is_deleted(accounting_api):
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "5121", "name": "Second bank", "kind": "other"})
    changed = accounting_api.patch("/api/v1/ledger/accounts/5121", json={"kind": "bank"})
    assert changed.status_code == 200 and changed.get_json()["kind"] == "bank"
    assert accounting_api.delete("/api/v1/ledger/accounts/411").status_code == 409  # profile's
    assert accounting_api.delete("/api/v1/ledger/accounts/5121").status_code == 204
    assert accounting_api.get("/api/v1/ledger/accounts/5121").status_code == 404
    assert accounting_api.patch("/api/v1/ledger/accounts/5121",
                                json={"name": "x"}).status_code == 404


def test_a_new_default_profile_takes_the_invoices_naming_none(accounting_api, catalogue):
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "4111", "name": "Export customers", "kind": "receivable"})
    wrong = accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "EXPORT", "name": "Export", "summary_account": "706",
        "revenue_account": "4457", "tax_account": "999"})
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"]["json"] == {
        "summary_account": ["Account 706 is a revenue account: this takes a receivable "
                            "account."],
        "revenue_account": ["Account 4457 is a tax account: this takes a revenue or other "
                            "account."],
        "tax_account": ["Unknown ledger account 999."]}
    created = accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "EXPORT", "name": "Export", "summary_account": "4111",
        "revenue_account": "706", "tax_account": "4457", "is_default": True})
    assert created.status_code == 201
    profiles = {p["code"]: p for p in
                accounting_api.get("/api/v1/ledger/posting-profiles").get_json()}
    assert profiles["EXPORT"] == {"code": "EXPORT", "name": "Export",
                                  "summary_account": "4111", "revenue_account": "706",
                                  "tax_account": "4457", "is_default": True}
    assert profiles["GENERAL"]["is_default"] is False

    invoice = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"],
        "lines": [{**FEE, "account": "706"}]}).get_json()
    assert invoice["posting_profile"] == "EXPORT"
    number = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/post").get_json()["number"]
    assert _entries(accounting_api, number) == {("4111", "120.00", "0.00"),
                                                ("706", "0.00", "100.00"),
                                                ("4457", "0.00", "20.00")}
    balance = accounting_api.get(f"/api/v1/parties/{catalogue['acme']}/balance").get_json()
    assert balance["balances"] == [{"currency": "EUR", "amount": "120.00"}]

    path = "/api/v1/ledger/posting-profiles/EXPORT"
    assert accounting_api.patch(path, json={"is_default": False}).status_code == 422
    assert accounting_api.delete(path).status_code == 409  # the default
    moved = accounting_api.patch("/api/v1/ledger/posting-profiles/GENERAL",
                                 json={"is_default": True, "name": "Domestic"})
    assert moved.get_json()["is_default"] is True
    assert accounting_api.delete(path).status_code == 409  # an invoice names it
    assert accounting_api.get(path).get_json()["is_default"] is False
    assert _entries(accounting_api, number) >= {("4111", "120.00", "0.00")}  # entries stay


def test_an_unused_profile_is_deleted_and_others_keep_out(invoicing_app, accounting_api):
    accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "SPARE", "name": "Spare", "summary_account": "411",
        "revenue_account": "706", "tax_account": "4457"})
    changed = accounting_api.patch("/api/v1/ledger/posting-profiles/SPARE",
                                   json={"revenue_account": "411"})
    assert changed.status_code == 422 and "revenue_account" in changed.get_json()["errors"][
        "json"]
    assert accounting_api.delete("/api/v1/ledger/posting-profiles/SPARE").status_code == 204
    assert accounting_api.get("/api/v1/ledger/posting-profiles/SPARE").status_code == 404
    sales = api_client(invoicing_app, "sales")
    assert sales.get("/api/v1/ledger/posting-profiles").status_code == 403
    assert sales.post("/api/v1/ledger/accounts", json={
        "code": "1", "name": "x", "kind": "other"}).status_code == 403


def test_the_accountant_sets_up_the_ledger_through_the_pages(invoicing_app, registry, catalogue,
                                                             login):
    client = invoicing_app.test_client()
    login(client, "accounting")
    ledger = client.get("/invoicing/ledger/").get_data(as_text=True)
    assert 'href="/invoicing/ledger/new-account"' in ledger
    blank_form = client.get("/invoicing/ledger/new-account").get_data(as_text=True)
    assert '<option value="revenue" selected>' in blank_form  # what is added most
    refused = _form(client, "/invoicing/ledger/new-account", code="709", name=" ",
                    kind="revenue")
    assert refused.status_code == 422 and 'value="709"' in refused.get_data(as_text=True)
    added = _form(client, "/invoicing/ledger/new-account", code="709", name="Rentals",
                  kind="other")
    assert added.headers["Location"] == "/invoicing/ledger/accounts/709"
    page = client.get("/invoicing/ledger/accounts/709").get_data(as_text=True)
    assert "Account 709 Rentals" in page and "Delete account" in page and "No entries." in page
    past = client.get("/invoicing/ledger/accounts/709?page=9").get_data(as_text=True)
    assert "There is no page 9" in past and "No entries." not in past
    saved = _form(client, "/invoicing/ledger/accounts/709/edit", name="Rentals income",
                  kind="revenue")
    assert saved.status_code == 302
    page = client.get("/invoicing/ledger/accounts/709").get_data(as_text=True)
    assert "Account 709 Rentals income" in page and "kind: revenue" in page
    blank = _form(client, "/invoicing/ledger/accounts/709/edit", name="")
    assert blank.status_code == 422 and "Required." in blank.get_data(as_text=True)

    profile = _form(client, "/invoicing/ledger/posting-profiles/", code="RENT", name="Rent",
                    summary_account="411", revenue_account="4457", tax_account="4457")
    assert profile.status_code == 422
    assert "Account 4457 is a tax account" in profile.get_data(as_text=True)
    profile = _form(client, "/invoicing/ledger/posting-profiles/", code="RENT", name="Rent",
                    summary_account="411", revenue_account="709", tax_account="4457")
    assert profile.status_code == 302
    listed = client.get("/invoicing/ledger/posting-profiles/").get_data(as_text=True)
    assert 'href="/invoicing/ledger/posting-profiles/RENT">RENT</a>' in listed
    made_default = _form(client, "/invoicing/ledger/posting-profiles/RENT", name="Rent",
                         summary_account="411", revenue_account="709", tax_account="4457",
                         is_default="true")
    assert made_default.status_code == 302
    page = client.get("/invoicing/ledger/posting-profiles/RENT").get_data(as_text=True)
    assert "Posting profile RENT (default)" in page and "Delete profile" not in page

    _form(client, "/invoicing/ledger/posting-profiles/GENERAL", name="General",
          summary_account="411", revenue_account="706", tax_account="4457", is_default="true")
    with registry.session_factory() as session:  # an invoice names RENT
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 1)])
        session.commit()
    _form(client, f"/invoicing/invoices/new/order?order_id={order.id}",
          **{f"quantity-{order.lines[0].id}": "1", "posting_profile": "RENT"})
    kept = _form(client, "/invoicing/ledger/posting-profiles/RENT/delete")
    assert kept.status_code == 409
    shown = kept.get_data(as_text=True)
    assert "Invoices name this profile" in shown and 'value="Rent"' in shown
    assert "<dd>709 · Rentals income</dd>" in shown and "Delete profile" not in shown
    assert 'name="revenue_account"' not in shown  # its accounts stay

    in_use = client.get("/invoicing/ledger/accounts/709").get_data(as_text=True)
    assert "its kind stays" in in_use and "Delete account" not in in_use
    kept = _form(client, "/invoicing/ledger/accounts/709/delete")
    assert kept.status_code == 409
    assert "Account 709 is in use and cannot be deleted." in kept.get_data(as_text=True)


def test_codes_are_one_line_and_the_role_comes_before_the_body(invoicing_app, accounting_api):
    for code in ("708\n", " 708", "70 8"):
        refused = accounting_api.post("/api/v1/ledger/accounts", json={
            "code": code, "name": "x", "kind": "revenue"})
        assert refused.status_code == 422, code
    sales = api_client(invoicing_app, "sales")
    assert sales.post("/api/v1/ledger/accounts", json={"code": ""}).status_code == 403
    assert sales.patch("/api/v1/ledger/accounts/706", json={"kind": 1}).status_code == 403


def test_what_names_an_account_fixes_its_kind(registry, catalogue, accounting_api):
    for code, kind in (("7062", "revenue"), ("5122", "bank")):
        accounting_api.post("/api/v1/ledger/accounts", json={
            "code": code, "name": code, "kind": kind})
    draft = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": catalogue["acme"],
        "lines": [{**FEE, "account": "7062"}]})
    assert draft.status_code == 201  # a draft's line names it: nothing posted yet
    assert accounting_api.patch("/api/v1/ledger/accounts/7062",
                                json={"kind": "tax"}).status_code == 409
    payment = accounting_api.post("/api/v1/payments", json={
        "party_id": catalogue["acme"], "amount": "5", "account": "5122"})
    assert payment.status_code == 201
    assert accounting_api.delete("/api/v1/ledger/accounts/5122").status_code == 409


def test_a_profile_named_by_invoices_keeps_its_accounts(registry, accounting_api, catalogue):
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "7063", "name": "Hardware", "kind": "revenue"})
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "4112", "name": "Other customers", "kind": "receivable"})
    accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "HW", "name": "Hardware", "summary_account": "411", "revenue_account": "706",
        "tax_account": "4457"})
    moved = accounting_api.patch("/api/v1/ledger/posting-profiles/HW",
                                 json={"summary_account": "4112", "revenue_account": "7063"})
    assert moved.status_code == 200  # no invoice names it yet

    with registry.session_factory() as session:
        order_id = confirmed_order(session, registry.hook, catalogue["bolt"],
                                   [(catalogue["HAM"], 1)]).id
        session.commit()
    invoice = accounting_api.post("/api/v1/invoices", json={
        "order_id": order_id, "posting_profile": "HW"}).get_json()
    number = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/post").get_json()["number"]
    assert _entries(accounting_api, number) == {
        ("4112", "15.00", "0.00"), ("7063", "0.00", "12.50"), ("4457", "0.00", "2.50")}
    for change in ({"revenue_account": "706"}, {"summary_account": "411"},
                   {"tax_account": "4457", "revenue_account": "706"}):
        refused = accounting_api.patch("/api/v1/ledger/posting-profiles/HW", json=change)
        assert refused.status_code == 409, change
        assert "its accounts stay" in refused.get_json()["message"]
    same = accounting_api.patch("/api/v1/ledger/posting-profiles/HW",
                                json={"revenue_account": "7063", "name": "Tools"})
    assert same.status_code == 200 and same.get_json()["name"] == "Tools"

    cancelled = accounting_api.post(f"/api/v1/invoices/{invoice['id']}/cancel",
                                    json={"reason": "Wrong customer"}).get_json()
    assert _entries(accounting_api, cancelled["credit_note"]["number"]) == {
        ("4112", "0.00", "15.00"), ("7063", "12.50", "0.00"), ("4457", "2.50", "0.00")}


def test_a_payment_rest_stays_where_it_was_credited_when_the_default_moves(
        accounting_api, catalogue):
    acme = catalogue["acme"]
    invoice = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": acme, "lines": [{**FEE, "account": "706"}]}).get_json()
    accounting_api.post(f"/api/v1/invoices/{invoice['id']}/post")  # on GENERAL: 411
    payment = accounting_api.post("/api/v1/payments", json={
        "party_id": acme, "amount": "150"}).get_json()  # its rest on 411, the default's
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "4113", "name": "Export customers", "kind": "receivable"})
    accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "EXP", "name": "Export", "summary_account": "4113", "revenue_account": "706",
        "tax_account": "4457", "is_default": True})
    applied = accounting_api.post(f"/api/v1/payments/{payment['id']}/applications", json={
        "applications": [{"invoice_id": invoice["id"], "amount": "120"}]})
    assert applied.status_code == 201
    refund = accounting_api.post(f"/api/v1/payments/{payment['id']}/refunds", json={
        "amount": "30"})
    assert refund.status_code == 201
    assert ("411", "30.00", "0.00") in _entries(accounting_api, refund.get_json()["number"])
    balances = {(row["code"], row["currency"]): row["balance"]
                for row in accounting_api.get("/api/v1/ledger/accounts").get_json()}
    assert balances[("411", "EUR")] == "0.00" and ("4113", "EUR") not in balances


def test_two_profiles_made_default_at_once_leave_one_default(registry):
    first_made, second_done = Event(), Event()

    def make_default(code, before_commit):
        with registry.writing_session() as session:
            chart.create_profile(session, {
                "code": code, "name": code, "summary_account": "411",
                "revenue_account": "706", "tax_account": "4457", "is_default": True})
            before_commit()
            session.commit()

    def first():
        make_default("ONE", lambda: (first_made.set(), second_done.wait(2)))

    def second():
        first_made.wait()
        make_default("TWO", lambda: None)  # waits for ONE's locks, where they are taken
        second_done.set()

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(first), pool.submit(second)]:
            done.result()
    with registry.session_factory() as session:
        assert [profile.code for profile in chart.list_profiles(session)
                if profile.is_default] == ["TWO"]


def test_the_migration_gives_earlier_payments_the_default_summary_account(registry,
                                                                          catalogue):
    with registry.session_factory() as session:
        register_payment(session, catalogue["acme"], "10", "EUR", date.today())
        session.execute(update(Payment).values(summary_account_id=None))  # as before it
        session.commit()
    with registry.engine.begin() as connection:
        connection.execute(text(migration("invoicing_0008_payment_summary_account").FILL))
    with registry.session_factory() as session:
        assert session.scalars(select(Account.code).join(
            Payment, Payment.summary_account_id == Account.id)).all() == ["411"]


def test_an_account_a_payment_names_as_its_summary_stays(accounting_api, catalogue):
    acme = catalogue["acme"]
    accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "411Z", "name": "Spare customers", "kind": "receivable"})
    accounting_api.post("/api/v1/ledger/posting-profiles", json={
        "code": "ZP", "name": "Spare", "summary_account": "411Z", "revenue_account": "706",
        "tax_account": "4457", "is_default": True})
    invoice = accounting_api.post("/api/v1/invoices", json={
        "kind": "free_text", "party_id": acme, "posting_profile": "GENERAL",
        "lines": [{**FEE, "account": "706"}]}).get_json()
    accounting_api.post(f"/api/v1/invoices/{invoice['id']}/post")
    paid = accounting_api.post("/api/v1/payments", json={
        "party_id": acme, "amount": "120",
        "applications": [{"invoice_id": invoice["id"], "amount": "120"}]})
    assert paid.status_code == 201  # all applied: nothing written on 411Z
    accounting_api.patch("/api/v1/ledger/posting-profiles/GENERAL", json={"is_default": True})
    assert accounting_api.patch("/api/v1/ledger/posting-profiles/ZP",
                                json={"summary_account": "411"}).status_code == 200
    assert accounting_api.delete("/api/v1/ledger/accounts/411Z").status_code == 409
