"""The demo data invoices the delivered sales order, half paid, and a free text invoice."""

from decimal import Decimal

from core.testing import api_client


def test_demo_invoices_and_payment(make_app):
    api = api_client(make_app(["invoicing"], demo=True), "accounting")
    invoices = {i["number"]: i for i in api.get("/api/v1/invoices?status=posted")
                .get_json()["items"]}
    assert set(invoices) == {"INV-00001", "FTI-00001"}
    assert invoices["INV-00001"]["payment_status"] == "partially_paid"
    [payment] = api.get("/api/v1/payments").get_json()["items"]
    assert payment["number"] == "PAY-00001"
    party = invoices["INV-00001"]["party_id"]
    unpaid = sum(Decimal(i["total"]) for i in invoices.values() if i["party_id"] == party)
    unpaid -= Decimal(payment["amount"])
    balance = api.get(f"/api/v1/parties/{party}/balance").get_json()
    assert balance["balances"] == [{"currency": "EUR", "amount": f"{unpaid:.2f}"}]
    orders = api_client(api.application, "sales").get("/api/v1/orders?status=invoiced")
    assert orders.get_json()["total"] == 1
