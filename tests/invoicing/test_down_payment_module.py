"""The down-payment module's migration and entries on a ledger an accountant already set up."""

from decimal import Decimal

from core.models import TaxCategory
from core.testing import api_client


def test_enabling_keeps_the_account_the_accountant_added_and_exempt_posts_no_tax(
    registry, accounting_api, catalogue, make_app
):
    added = accounting_api.post("/api/v1/ledger/accounts", json={
        "code": "4191", "name": "Advances from customers", "kind": "other"})
    assert added.status_code == 201, added.get_json()
    with registry.session_factory() as session, session.begin():
        session.add(TaxCategory(code="EXEMPT", name="Exempt", rate=Decimal(0)))

    api = api_client(make_app(["down_payment"]), "accounting")  # enables it on that ledger

    account = api.get("/api/v1/ledger/accounts/4191").get_json()
    assert (account["name"], account["kind"]) == ("Advances from customers", "other")
    created = api.post("/api/v1/invoices", json={
        "kind": "down_payment", "party_id": catalogue["acme"],
        "lines": [{"description": "Down payment", "amount": "250", "tax_category": "EXEMPT"}]})
    assert created.status_code == 201, created.get_json()
    posted = api.post(f"/api/v1/invoices/{created.get_json()['id']}/post").get_json()
    assert posted["number"] == "DP-00001", "the sequence the migration created"
    entries = api.get("/api/v1/ledger/documents/DP-00001").get_json()["entries"]
    assert {(e["account"], e["debit"], e["credit"]) for e in entries} == {
        ("411", "250.00", "0.00"), ("4191", "0.00", "250.00")}, "no 0.00 tax entry"
