"""The fulfilment pages: deliver an order from its own page, packing slips, backorders, stock;
salespeople deliver, accountants look."""

import re
from datetime import datetime

from core import orders
from core.testing import csrf_token
from tests.fulfilment.conftest import confirmed_order


def test_delivering_from_the_page(registry, catalogue, fulfilment_app, login):
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 3), (catalogue["NAIL"], 2)],
                               confirmed_at=datetime(2026, 3, 1, 12))
    client = fulfilment_app.test_client()
    login(client, "sales")
    url = f"/fulfilment/orders/{order_id}/deliver"
    assert f'href="{url}"' in client.get(f"/orders/{order_id}").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert f'href="/orders/{order_id}"' in page, "back to the order"
    (ham, three), (nail, two) = re.findall(r'name="quantity_(\d+)"\s+value="([^"]*)"', page)
    assert (three, two) == ("3", "2")  # prefilled with the remainders
    token = csrf_token(client, url)
    negative = client.post(url, data={f"quantity_{ham}": "1", f"quantity_{nail}": "-1",
                                      "csrf_token": token})
    assert negative.status_code == 422  # 0 means not this time: below it is the mistake
    assert "Must be at least 0." in negative.get_data(as_text=True)
    over = client.post(url, data={f"quantity_{ham}": "4", f"quantity_{nail}": "0.00",
                                  "csrf_token": token})
    assert over.status_code == 422 and "Only 3 left to deliver." in over.get_data(as_text=True)
    partial = client.post(url, data={f"quantity_{ham}": "1", f"quantity_{nail}": "",
                                     "delivery_date": "2026-03-02", "csrf_token": token})
    assert partial.status_code == 302
    slip = client.get(partial.location).get_data(as_text=True)
    assert "PS-00001" in slip and "2026-03-02" in slip and "Bolt &amp; Co" in slip
    rest = client.post(url, data={"all": "1", f"quantity_{ham}": "1", "csrf_token": token})
    assert rest.status_code == 302
    done = client.get(url).get_data(as_text=True)
    assert '<dd id="status">delivered</dd>' in done and "Everything is delivered." in done
    assert "PS-00002" in client.get("/fulfilment/packing-slips/?q=ps-").get_data(as_text=True)


def test_lists_for_sales_and_accounting(registry, catalogue, fulfilment_app, login):
    confirmed_order(registry, catalogue["acme"], [(catalogue["BOOK"], 5)])
    for role in ("sales", "accounting"):
        client = fulfilment_app.test_client()
        login(client, role)
        by_item = client.get("/fulfilment/backorders").get_data(as_text=True)
        assert "BOOK DIY handbook" in by_item and "Acme" in by_item
        by_customer = client.get("/fulfilment/backorders?by=customer").get_data(as_text=True)
        assert "<h2>Acme</h2>" in by_customer
        past = client.get("/fulfilment/backorders?page=9").get_data(as_text=True)  # old link
        assert "There is no page 9" in past and "Nothing is waiting" not in past
        stock = client.get("/fulfilment/stock").get_data(as_text=True)
        assert "No stock moves yet." in stock
        assert client.get("/fulfilment/packing-slips/").status_code == 200
    url = "/fulfilment/orders/1/deliver"
    page = client.get(url)
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    order_page = client.get("/orders/1")
    assert 'href="/orders/1"' in shown and order_page.status_code == 200, \
        "accounting reads the order"
    assert "<h2>Actions</h2>" not in order_page.get_data(as_text=True), "none is theirs here"
    assert "Users with the sales role deliver orders: ask one to post the packing slip." in shown
    with registry.session_factory() as session:
        draft_id = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["acme"], "currency": "EUR",
            "lines": [{"item_id": catalogue["BOOK"], "quantity": 1}]}).id
        session.commit()
    draft = client.get(f"/fulfilment/orders/{draft_id}/deliver").get_data(as_text=True)
    assert "This order is draft: it cannot be delivered." in draft
    assert client.post(url, data={"all": "1", "csrf_token": csrf_token(client, url)}
                       ).status_code == 403
    marketing = fulfilment_app.test_client()
    login(marketing, "marketing")
    assert marketing.get("/fulfilment/stock").status_code == 403


def test_the_packing_slips_and_orders_are_in_the_menu_of_sales_and_accounting_once(
        fulfilment_app, login):
    for role, times in (("sales", 1), ("accounting", 1), ("admin", 1), ("marketing", 0)):
        client = fulfilment_app.test_client()
        login(client, role)
        nav = client.get("/").get_data(as_text=True).split("</nav>")[0]
        assert nav.count('href="/fulfilment/packing-slips/"') == times, role
        assert nav.count('href="/orders/"') == times, role
