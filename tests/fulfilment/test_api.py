"""The fulfilment API: posting packing slips, listing them, remainders and stock."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from core.clock import local_date
from core.models import Item
from core.testing import api_client, count_queries
from plugins.fulfilment.models import StockMove
from plugins.fulfilment.schemas import StockMoveSchema
from tests.fulfilment.conftest import confirmed_order


def test_posting_and_reading_packing_slips(registry, catalogue, fulfilment_app):
    app = fulfilment_app
    sales, accounting = api_client(app), api_client(app, "accounting")
    confirmed = datetime(2026, 3, 1, 12)  # UTC: 1 or 2 March where the tests run
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 3), (catalogue["NAIL"], 1)],
                               confirmed_at=confirmed)
    early = sales.post(f"/api/v1/orders/{order_id}/packing-slips",
                       json={"delivery_date": "2026-02-28"})
    assert early.status_code == 422 and early.json["errors"]["json"] == {
        "delivery_date": [f"Not before the order was confirmed ({local_date(confirmed)})."]}
    ham, nail = (line["order_line_id"] for line in
                 sales.get(f"/api/v1/orders/{order_id}/remainders").json["lines"])
    posted = sales.post(f"/api/v1/orders/{order_id}/packing-slips", json={
        "lines": [{"order_line_id": ham, "quantity": "1.5"}], "delivery_date": "2026-03-02"})
    assert posted.status_code == 201, posted.json
    assert posted.json["number"] == "PS-00001" and posted.json["delivery_date"] == "2026-03-02"
    assert [(line["item_number"], line["quantity"]) for line in posted.json["lines"]] == [
        ("HAM", "1.5")]
    remainders = accounting.get(f"/api/v1/orders/{order_id}/remainders").json
    assert remainders["status"] == "confirmed"
    assert [{key: line[key] for key in ("order_line_id", "quantity", "delivered",
                                        "deliver_remainder", "invoiced", "invoice_remainder")}
            for line in remainders["lines"]] == [
        {"order_line_id": ham, "quantity": "3", "delivered": "1.5", "deliver_remainder": "1.5",
         "invoiced": "0", "invoice_remainder": "3"},
        {"order_line_id": nail, "quantity": "1", "delivered": "0", "deliver_remainder": "1",
         "invoiced": "0", "invoice_remainder": "1"}]
    rest = sales.post(f"/api/v1/orders/{order_id}/packing-slips", json={})
    assert rest.status_code == 201 and len(rest.json["lines"]) == 2
    listed = accounting.get("/api/v1/packing-slips", query_string={"q": "bolt", "per_page": 1})
    assert listed.json["total"] == 2 and listed.json["pages"] == 2
    assert listed.json["items"][0]["number"] == "PS-00002"
    assert accounting.get(f"/api/v1/packing-slips?order_id={order_id}").json["total"] == 2
    one = accounting.get(f"/api/v1/packing-slips/{posted.json['id']}").json
    assert one["order_id"] == order_id and one["party_name"] == "Bolt & Co"
    stock = {row["item_number"]: row
             for row in accounting.get("/api/v1/stock?per_page=100").json["items"]}
    assert (stock["HAM"]["on_hand"], stock["HAM"]["short"]) == ("-3", "3")  # none counted
    halves = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], "2.5")])
    assert sales.post(f"/api/v1/orders/{halves}/packing-slips", json={}).status_code == 201
    [done] = accounting.get(f"/api/v1/orders/{halves}/remainders").json["lines"]
    assert (done["delivered"], done["deliver_remainder"]) == ("2.5", "0"), "not 2.5 - 2.5 = 0.0"


def test_api_refusals(registry, catalogue, fulfilment_app):
    app = fulfilment_app
    sales = api_client(app)
    order_id = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], 2)])
    (line,) = sales.get(f"/api/v1/orders/{order_id}/remainders").json["lines"]
    url = f"/api/v1/orders/{order_id}/packing-slips"
    over = sales.post(url, json={"lines": [{"order_line_id": line["order_line_id"],
                                            "quantity": "3"}]})
    assert over.status_code == 422
    assert over.json["errors"]["json"] == {
        "lines": {str(line["order_line_id"]): ["Only 2 left to deliver."]}}
    twice = sales.post(url, json={"lines": [{"order_line_id": line["order_line_id"],
                                             "quantity": "1"}] * 2})
    assert twice.status_code == 422 and "lines" in twice.json["errors"]["json"]
    assert sales.post(url, json={"lines": [{"order_line_id": 1, "quantity": "0"}]}
                      ).status_code == 422
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    ahead = sales.post(url, json={"delivery_date": tomorrow})
    assert ahead.json["errors"]["json"] == {
        "delivery_date": ["A delivery is recorded once made: not after today."]}
    empty = sales.post(url, json={"lines": []})  # not "every remainder": a list left empty
    assert empty.status_code == 422 and "lines" in empty.json["errors"]["json"]
    assert sales.post("/api/v1/orders/999999/packing-slips", json={}).status_code == 404
    assert sales.get("/api/v1/packing-slips/999999").status_code == 404
    assert sales.post(f"/api/v1/orders/{order_id}/cancel").status_code == 200
    assert sales.post(url, json={}).status_code == 409
    assert api_client(app, "accounting").post(url, json={}).status_code == 403
    assert api_client(app, "marketing").get("/api/v1/packing-slips").status_code == 403
    assert sales.get("/api/v1/packing-slips").json["total"] == 0


def test_stock_comes_a_page_at_a_time_whatever_the_open_orders(registry, catalogue,
                                                               fulfilment_app):
    api = api_client(fulfilment_app)
    confirmed_order(registry, catalogue["acme"], [(catalogue["NAIL"], 4)])
    first = api.get("/api/v1/stock?per_page=2").json
    assert (first["total"], first["pages"]) == (3, 2)
    assert [row["item_number"] for row in first["items"]] == ["BOOK", "HAM"]
    (nails,) = api.get("/api/v1/stock?per_page=2&page=2").json["items"]
    assert (nails["item_number"], nails["backordered"], nails["short"]) == ("NAIL", "4", "4")
    found = api.get("/api/v1/stock", query_string={"q": "box of"}).json
    assert [row["item_number"] for row in found["items"]] == ["NAIL"]
    engine = registry.engine
    with count_queries(engine) as few:
        assert api.get("/api/v1/stock?q=nail").status_code == 200
    for _ in range(3):
        confirmed_order(registry, catalogue["bolt"], [(catalogue["NAIL"], 1),
                                                      (catalogue["HAM"], 1)])
    with count_queries(engine) as more:
        nails = api.get("/api/v1/stock?q=nail").json["items"][0]
    assert nails["backordered"] == "7" and len(more) == len(few)
    assert api.get("/api/v1/stock?per_page=0").status_code == 422


def test_backorders_come_a_page_at_a_time_by_item_or_customer(registry, catalogue,
                                                               fulfilment_app):
    api = api_client(fulfilment_app, "accounting")
    first = confirmed_order(registry, catalogue["acme"], [(catalogue["NAIL"], 4),
                                                          (catalogue["HAM"], 2)])
    second = confirmed_order(registry, catalogue["bolt"], [(catalogue["NAIL"], 3)])
    sales = api_client(fulfilment_app)
    [nail, _ham] = [line["order_line_id"] for line in
                    sales.get(f"/api/v1/orders/{first}/remainders").json["lines"]]
    assert sales.post(f"/api/v1/orders/{first}/packing-slips", json={
        "lines": [{"order_line_id": nail, "quantity": "1"}]}).status_code == 201
    listed = api.get("/api/v1/backorders").json
    assert listed["total"] == 3
    assert [(row["order_id"], row["item_number"], row["delivered"], row["deliver_remainder"])
            for row in listed["items"]] == [(first, "NAIL", "1", "3"), (first, "HAM", "0", "2"),
                                            (second, "NAIL", "0", "3")]
    assert listed["items"][2]["party_name"] == "Bolt & Co"
    nails = api.get("/api/v1/backorders", query_string={"item_id": catalogue["NAIL"]}).json
    assert [row["order_id"] for row in nails["items"]] == [first, second]
    bolts = api.get("/api/v1/backorders", query_string={"party_id": catalogue["bolt"]}).json
    assert (bolts["total"], bolts["items"][0]["order_number"]) == (1, listed["items"][2][
        "order_number"])
    paged = api.get("/api/v1/backorders", query_string={"per_page": 2, "page": 2}).json
    assert (paged["pages"], [row["order_id"] for row in paged["items"]]) == (2, [second])
    assert api.get("/api/v1/backorders?item_id=1.5").status_code == 422


def test_stock_moves_are_listed_newest_first_by_item_or_slip(registry, catalogue,
                                                             fulfilment_app):
    sales, accounting = api_client(fulfilment_app), api_client(fulfilment_app, "accounting")
    out = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], 3),
                                                        (catalogue["NAIL"], 2)])
    back = confirmed_order(registry, catalogue["acme"], [(catalogue["HAM"], 1)],
                           order_type="returned")
    first = sales.post(f"/api/v1/orders/{out}/packing-slips", json={}).json
    second = sales.post(f"/api/v1/orders/{back}/packing-slips", json={}).json
    moves = accounting.get("/api/v1/stock-moves").json
    assert moves["total"] == 3
    assert [(move["item_number"], move["quantity"], move["packing_slip_number"])
            for move in moves["items"]] == [
        ("HAM", "1", second["number"]), ("NAIL", "-2", first["number"]),
        ("HAM", "-3", first["number"])]
    assert moves["items"][0]["move_date"] == date.today().isoformat()
    hams = accounting.get(f"/api/v1/stock-moves?item_id={catalogue['HAM']}").json["items"]
    assert [move["quantity"] for move in hams] == ["1", "-3"]
    of_slip = accounting.get(f"/api/v1/stock-moves?packing_slip_id={first['id']}").json
    assert [move["packing_slip_id"] for move in of_slip["items"]] == [first["id"]] * 2
    nails = accounting.get("/api/v1/stock-moves", query_string={"q": "box of"}).json
    assert [move["item_number"] for move in nails["items"]] == ["NAIL"]
    paged = accounting.get("/api/v1/stock-moves?per_page=2&page=2").json
    assert (paged["pages"], [move["item_number"] for move in paged["items"]]) == (2, ["HAM"])
    assert accounting.get("/api/v1/stock-moves?item_id=0").status_code == 422
    assert api_client(fulfilment_app, "marketing").get("/api/v1/stock-moves").status_code == 403


def test_a_stock_move_of_no_packing_slip_names_none():
    move = StockMove(id=1, move_date=date(2026, 3, 2), item_id=1, item=Item(number="X"),
                     quantity=Decimal(4), packing_slip_line=None)
    shown = StockMoveSchema().dump(move)
    assert (shown["packing_slip_id"], shown["packing_slip_number"]) == (None, None)
