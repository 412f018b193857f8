"""A draft quotation is priced a last time before it leaves: sent or accepted as a draft."""

from datetime import date, timedelta
from decimal import Decimal

from plugins.pricing.models import PriceList, PriceRuleRow


def test_sending_stops_when_prices_moved_and_a_sent_offer_is_accepted_as_sent(
        sales_app, sales_api, catalogue):
    body = {"party_id": catalogue["acme"], "currency": "EUR",
            "valid_until": str(date.today() + timedelta(days=30)),
            "lines": [{"item_id": catalogue["HAM"], "quantity": "2"}]}
    quotation = sales_api.post("/api/v1/quotations", json=body).get_json()
    assert quotation["untaxed"] == "25.00"
    registry = sales_app.extensions["comptoir"]
    with registry.session_factory() as session:
        price_list = PriceList(name="Deal", currency="EUR", rules=[
            PriceRuleRow(item_id=catalogue["HAM"], price=Decimal("10"))])
        session.add(price_list)
        session.commit()
        price_list_id = price_list.id
    path = f"/api/v1/quotations/{quotation['id']}"
    moved = sales_api.post(f"{path}/send")
    assert moved.status_code == 409 and "changed since it was last priced" in moved.get_json()[
        "message"]
    assert sales_api.get(path).get_json()["status"] == "draft"
    assert sales_api.get(path).get_json()["untaxed"] == "20.00"
    assert sales_api.post(f"{path}/send").status_code == 200
    with registry.session_factory() as session:  # the deal ends after the offer was sent
        session.delete(session.get(PriceList, price_list_id))
        session.commit()
    accepted = sales_api.post(f"{path}/accept")
    assert accepted.status_code == 200
    order = sales_api.get(f"/api/v1/orders/{accepted.get_json()['order_id']}").get_json()
    assert order["untaxed"] == "20.00"  # the offer the customer accepted
