"""The demo data shows parties at every stage and orders of each type."""

from core.testing import api_client


def test_demo_data_covers_every_stage_and_order_type(make_app):
    api = api_client(make_app(["sales", "pricing"], demo=True))
    parties = api.get("/api/v1/parties?per_page=100").get_json()["items"]
    assert {p["stage"] for p in parties} == {"prospect", "lead", "opportunity", "customer"}
    assert any(p["is_vendor"] for p in parties)
    found = api.get("/api/v1/orders?per_page=100").get_json()["items"]
    assert {o["type"] for o in found} == {"journal", "subscription", "sales", "returned",
                                          "item_requirements"}
    assert {o["status"] for o in found} == {"draft", "confirmed"}
    assert all(o["total"] != "0.00" for o in found)
    returned = next(o for o in found if o["type"] == "returned")
    assert returned["rma_number"] == "RMA-00001"
