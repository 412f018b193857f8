"""Entering an order through the web pages, as a salesperson would."""

import re

from core.testing import csrf_token


def test_enter_an_order_line_by_line_and_confirm_it(sales_client, catalogue):
    token = csrf_token(sales_client, "/orders/new")
    created = sales_client.post("/orders/new", data={
        "csrf_token": token, "party_id": str(catalogue["acme"]), "type": "sales",
        "currency": "EUR"})
    assert created.status_code == 302
    order_url = created.headers["Location"]
    totals = []
    for item, quantity in [("HAM", "2"), ("NAIL", "10"), ("BOOK", "1")]:
        added = sales_client.post(f"{order_url}/lines", data={
            "csrf_token": token, "item": item, "quantity": quantity})
        assert added.status_code == 302
        page = sales_client.get(order_url).get_data(as_text=True)
        totals.append(re.search(r'id="total">([^<]+)<', page).group(1))
    # 2 × 12.50 × 1.2 = 30.00; + 10 × 3.20 × 1.2 = 38.40; + 20 × 1.055 = 21.10
    assert totals == ["€30.00", "€68.40", "€89.50"]
    assert "list price of item HAM" in page
    confirmed = sales_client.post(f"{order_url}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 302
    page = sales_client.get(order_url).get_data(as_text=True)
    assert 'id="status">confirmed<' in page
    assert "Add a line" not in page
    assert "Acme (customer)" in page  # the prospect became a customer


def test_bad_lines_are_refused_on_the_order_page(sales_client, catalogue):
    token = csrf_token(sales_client, "/orders/new")
    order_url = sales_client.post("/orders/new", data={
        "csrf_token": token, "party_id": str(catalogue["acme"]), "type": "sales",
        "currency": "EUR"}).headers["Location"]
    unknown = sales_client.post(f"{order_url}/lines", data={
        "csrf_token": token, "item": "NOPE", "quantity": "1"})
    assert unknown.status_code == 422
    assert "Unknown item number." in unknown.get_data(as_text=True)
    negative = sales_client.post(f"{order_url}/lines", data={
        "csrf_token": token, "item": "HAM", "quantity": "-3"})
    assert negative.status_code == 422
    assert 'id="total">€0.00<' in negative.get_data(as_text=True)


def test_a_journal_cannot_be_confirmed_from_its_page(sales_client, catalogue):
    token = csrf_token(sales_client, "/orders/new")
    order_url = sales_client.post("/orders/new", data={
        "csrf_token": token, "party_id": str(catalogue["acme"]), "type": "journal",
        "currency": "EUR"}).headers["Location"]
    sales_client.post(f"{order_url}/lines", data={"csrf_token": token, "item": "HAM",
                                                  "quantity": "1"})
    refused = sales_client.post(f"{order_url}/confirm", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "change its type to confirm it" in refused.get_data(as_text=True)
    assert 'id="status">draft<' in refused.get_data(as_text=True)


def test_the_order_list_searches_by_customer(sales_client, catalogue):
    token = csrf_token(sales_client, "/orders/new")
    for party in ("acme", "bolt"):
        sales_client.post("/orders/new", data={"csrf_token": token, "type": "sales",
                                               "party_id": str(catalogue[party]),
                                               "currency": "EUR"})
    page = sales_client.get("/orders/?q=bolt").get_data(as_text=True)
    assert "1 order." in page and "Bolt &amp; Co" in page and "Acme" not in page
