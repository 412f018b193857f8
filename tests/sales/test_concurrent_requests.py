"""Requests of two workers at once: writers wait for each other, none fails; readers do not wait.

On SQLite a transaction that has read and then writes cannot do so once another connection
has committed since its read; a request that changes something therefore takes the write
lock when it begins, and another such request waits for it.
"""

import threading

from sqlalchemy import select, update

from core.models import Order
from core.testing import api_client, csrf_token

WORKERS, EACH = 2, 15


def test_two_workers_creating_orders_at_once_all_succeed(make_app, catalogue):
    apps = [make_app(["sales", "pricing"]) for _ in range(WORKERS)]
    clients = [api_client(app) for app in apps]
    statuses, start = [], threading.Barrier(WORKERS)

    def create_orders(client):
        start.wait()
        for _ in range(EACH):
            response = client.post("/api/v1/orders", json={
                "party_id": catalogue["bolt"], "type": "sales",
                "lines": [{"item_id": catalogue["HAM"], "quantity": "2"}]})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=create_orders, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [201] * WORKERS * EACH
    with apps[0].extensions["comptoir"].session_factory() as session:
        numbers = sorted(session.scalars(select(Order.number)))
    assert numbers == [f"SO-{n:05d}" for n in range(1, WORKERS * EACH + 1)]


def test_reading_requests_go_on_while_another_worker_writes(sales_app, sales_api, catalogue):
    registry = sales_app.extensions["comptoir"]
    with registry.writing_session() as writer:
        writer.execute(update(Order).values(requested_ship_date=None))  # holds the write lock
        assert sales_api.get("/api/v1/orders").status_code == 200
        assert sales_api.get(f"/api/v1/parties/{catalogue['bolt']}").status_code == 200


def test_posts_that_only_read_go_on_while_another_worker_writes(sales_app, sales_api,
                                                                catalogue):
    """Logging in or out and simulating a price change nothing: they do not wait for the lock
    (on SQLite they would otherwise hold it, through a password check, from their first read)."""
    registry = sales_app.extensions["comptoir"]
    browser = sales_app.test_client()
    with registry.writing_session() as writer:
        writer.execute(update(Order).values(requested_ship_date=None))  # holds the write lock
        logged_in = browser.post("/login", data={
            "login": "sales", "password": "salessales", "csrf_token": csrf_token(browser)})
        assert logged_in.status_code == 302
        simulated = browser.post("/pricing/simulate", data={
            "csrf_token": csrf_token(browser, "/pricing/simulate"), "currency": "EUR",
            "item_id_0": str(catalogue["HAM"]), "quantity_0": "3"})
        assert simulated.status_code == 200
        answer = sales_api.post("/api/v1/pricing/simulate", json={
            "currency": "EUR", "lines": [{"item_id": catalogue["HAM"], "quantity": "3"}]})
        assert answer.status_code == 200
        assert answer.json["total"] in simulated.get_data(as_text=True)
        logged_out = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
        assert logged_out.status_code == 302
