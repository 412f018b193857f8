"""The five order types' rules, and a sixth one contributed by a module."""

from core import orders
from core.testing import api_client
from plugins.sales.ordertypes import STANDARD_TYPES


def new_order(api, catalogue, type_code="sales"):
    response = api.post("/api/v1/orders", json={
        "party_id": catalogue["acme"], "type": type_code,
        "lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_journal_stays_a_draft_until_its_type_changes(sales_api, catalogue):
    journal = new_order(sales_api, catalogue, "journal")
    refused = sales_api.post(f"/api/v1/orders/{journal['id']}/confirm")
    assert refused.status_code == 409
    assert "Journal" in refused.get_json()["message"]
    changed = sales_api.post(f"/api/v1/orders/{journal['id']}/type", json={"type": "sales"})
    assert changed.status_code == 200 and changed.get_json()["type"] == "sales"
    assert sales_api.post(f"/api/v1/orders/{journal['id']}/confirm").status_code == 200
    # a confirmed order cannot go back to being a Journal, which is only ever a draft
    back = sales_api.post(f"/api/v1/orders/{journal['id']}/type", json={"type": "journal"})
    assert back.status_code == 409


def test_returned_orders_get_rma_numbers_from_their_own_sequence(sales_api, catalogue):
    first = new_order(sales_api, catalogue, "returned")
    second = new_order(sales_api, catalogue, "returned")
    plain = new_order(sales_api, catalogue, "sales")
    assert (first["rma_number"], second["rma_number"]) == ("RMA-00001", "RMA-00002")
    assert plain["rma_number"] is None
    assert [first["number"], second["number"], plain["number"]] == [
        "SO-00001", "SO-00002", "SO-00003"]
    changed = sales_api.post(f"/api/v1/orders/{plain['id']}/type", json={"type": "returned"})
    assert changed.get_json()["rma_number"] == "RMA-00003"


def test_item_requirements_keep_their_type_once_delivered(sales_app, sales_api, catalogue):
    requirement = new_order(sales_api, catalogue, "item_requirements")
    other = new_order(sales_api, catalogue, "sales")
    for order in (requirement, other):
        assert sales_api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    # Delivery comes from packing slips; here the orders are marked delivered directly.
    registry = sales_app.extensions["comptoir"]
    with registry.session_factory() as session:
        for order in (requirement, other):
            orders.load_order(session, order["id"]).status = "delivered"
        session.commit()
    refused = sales_api.post(f"/api/v1/orders/{requirement['id']}/type",
                             json={"type": "sales"})
    assert refused.status_code == 409
    assert "Item requirements" in refused.get_json()["message"]
    assert sales_api.get(f"/api/v1/orders/{requirement['id']}").get_json()["type"] == (
        "item_requirements")
    allowed = sales_api.post(f"/api/v1/orders/{other['id']}/type",
                             json={"type": "subscription"})
    assert allowed.status_code == 200


def test_a_subscription_keeps_its_type_once_confirmed_and_an_invoiced_order_never_takes_it(
        sales_app, sales_api, catalogue):
    subscription = new_order(sales_api, catalogue, "subscription")
    draft_change = sales_api.post(f"/api/v1/orders/{subscription['id']}/type",
                                  json={"type": "sales"})
    assert draft_change.status_code == 200, "a draft changes freely"
    assert sales_api.post(f"/api/v1/orders/{subscription['id']}/type",
                          json={"type": "subscription"}).status_code == 200
    assert sales_api.post(f"/api/v1/orders/{subscription['id']}/confirm").status_code == 200
    refused = sales_api.post(f"/api/v1/orders/{subscription['id']}/type",
                             json={"type": "sales"})
    assert refused.status_code == 409 and "Subscription" in refused.get_json()["message"]

    invoiced = new_order(sales_api, catalogue, "sales")
    assert sales_api.post(f"/api/v1/orders/{invoiced['id']}/confirm").status_code == 200
    registry = sales_app.extensions["comptoir"]
    with registry.session_factory() as session:  # as after its last invoice posted
        orders.load_order(session, invoiced["id"]).status = "invoiced"
        session.commit()
    stuck = sales_api.post(f"/api/v1/orders/{invoiced['id']}/type",
                           json={"type": "subscription"})
    assert stuck.status_code == 409 and "never start a next period" in stuck.get_json()[
        "message"]


def test_a_module_adds_a_sixth_type_to_the_api_and_the_form(make_app, login, catalogue):
    app = make_app(["consignment"])  # a second build on the same database, with the module
    api_types = {t["code"] for t in api_client(app).get("/api/v1/order-types").get_json()}
    assert api_types == {t.code for t in STANDARD_TYPES} | {"consignment"}
    client = app.test_client()
    login(client, "sales")
    assert '<option value="consignment"' in client.get("/orders/new").get_data(as_text=True)
    created = api_client(app).post("/api/v1/orders", json={
        "party_id": catalogue["acme"], "type": "consignment",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "3"}]})
    assert created.status_code == 201 and created.get_json()["total"] == "45.00"


def test_without_the_module_the_sixth_type_is_unknown(sales_api, catalogue):
    response = sales_api.post("/api/v1/orders", json={
        "party_id": catalogue["acme"], "type": "consignment", "lines": []})
    assert response.status_code == 422
    assert "consignment" not in {t["code"] for t in sales_api.get("/api/v1/order-types")
                                 .get_json()}



def test_an_order_of_a_disabled_modules_type_can_still_change_type(make_app, catalogue):
    from core.modules import disable

    app = make_app(["consignment"])
    api = api_client(app)
    order = api.post("/api/v1/orders", json={
        "party_id": catalogue["acme"], "type": "consignment",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]}).get_json()
    disable(app.extensions["comptoir"], "consignment")
    refused = api.post(f"/api/v1/orders/{order['id']}/confirm")
    assert refused.status_code == 422
    assert "no enabled module provides" in refused.get_json()["message"]
    changed = api.post(f"/api/v1/orders/{order['id']}/type", json={"type": "sales"})
    assert changed.status_code == 200
    assert api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200


def test_a_cancelled_order_keeps_its_type(sales_api, catalogue):
    order = new_order(sales_api, catalogue)
    assert sales_api.post(f"/api/v1/orders/{order['id']}/cancel").status_code == 200
    refused = sales_api.post(f"/api/v1/orders/{order['id']}/type", json={"type": "returned"})
    assert refused.status_code == 409


def test_a_type_naming_a_missing_sequence_fails_clearly_and_saves_nothing(make_app, catalogue):
    api = api_client(make_app(["loan_orders"]))
    failed = api.post("/api/v1/orders", json={
        "party_id": catalogue["acme"], "type": "loan",
        "lines": [{"item_id": catalogue["HAM"], "quantity": "1"}]})
    assert failed.status_code == 500
    assert "order type 'loan'" in failed.get_json()["message"]
    assert "no number sequence 'loan'" in failed.get_json()["message"]
    assert api.get("/api/v1/orders").get_json()["total"] == 0
