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
    assert {o["status"] for o in found} == {"draft", "confirmed", "cancelled"}
    assert any(p["tags"] and p["addresses"] for p in parties)
    assert len([p for p in parties if p["name"].startswith("Contoso Retail")]) == 2
    assert all(o["total"] != "0.00" for o in found)
    returned = next(o for o in found if o["type"] == "returned")
    assert returned["rma_number"] == "RMA-00001"


def test_demo_quotations_are_in_every_status_and_priced_with_the_price_lists(make_app):
    api = api_client(make_app(["sales", "pricing"], demo=True))
    found = api.get("/api/v1/quotations?status=archived").get_json()["items"]
    assert [q["revision"] for q in found] == [1]
    shown = {q["status"] for status in ("draft", "sent", "accepted", "lost", "expired")
             for q in api.get(f"/api/v1/quotations?status={status}").get_json()["items"]}
    assert shown == {"draft", "sent", "accepted", "lost", "expired"}
    lists = api.get("/api/v1/price-lists").get_json()
    assert len(lists) == 2
    drafts = api.get("/api/v1/orders?status=draft&per_page=100").get_json()["items"]
    wholesale = next(o for o in drafts if o["party_name"] == "Fabrikam Wholesale")
    rules = {step["rule"] for line in api.get(f"/api/v1/orders/{wholesale['id']}").get_json()[
        "lines"] for step in line["explanation"] if step["outcome"] == "applied"}
    assert any(rule.startswith("price list Trade agreements 2026") for rule in rules)
