"""The demo data delivers a sales order in full and item requirements in part."""

from core.testing import api_client


def test_demo_deliveries(make_app):
    api = api_client(make_app(["sales", "fulfilment"], demo=True))
    slips = api.get("/api/v1/packing-slips").get_json()
    assert slips["total"] == 2
    statuses = {o["type"]: o["status"] for o in api.get(
        "/api/v1/orders?status=delivered").get_json()["items"]}
    assert statuses == {"sales": "delivered"}
    stock = {row["item_number"]: row
             for row in api.get("/api/v1/stock?per_page=100").get_json()["items"]}
    assert (stock["DESK-100"]["on_hand"], stock["DESK-100"]["backordered"]) == ("7", "3")
    assert stock["CHAIR-200"]["on_hand"] == "36"
