"""An API request sent again with its Idempotency-Key (a client retrying after a timeout) gets
the first one's answer and does nothing twice: a payment is booked once."""

import threading
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from core.models import RequestKey
from core.testing import api_client
from plugins.invoicing.models import Payment
from web.once import KEPT


def _payments(registry):
    with registry.session_factory() as session:
        return session.scalar(select(func.count(Payment.id)))


def _payment(catalogue, amount="12.34"):
    return {"party_id": catalogue["bolt"], "amount": amount, "currency": "EUR",
            "payment_date": date.today().isoformat(), "reference": "Transfer"}


def test_a_payment_sent_again_with_its_key_is_booked_once(accounting_api, registry, catalogue):
    key = {"Idempotency-Key": "shop-order-77/payment"}
    first = accounting_api.post("/api/v1/payments", json=_payment(catalogue), headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    again = accounting_api.post("/api/v1/payments", json=_payment(catalogue), headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and _payments(registry) == 1
    other = accounting_api.post("/api/v1/payments", json=_payment(catalogue, "99"),
                                headers=key)
    assert other.status_code == 422
    assert other.get_json()["errors"]["headers"] == {
        "Idempotency-Key": ["Used for another request."]}
    unkeyed = [accounting_api.post("/api/v1/payments", json=_payment(catalogue))
               for _ in range(2)]
    assert [answer.status_code for answer in unkeyed] == [201, 201]
    assert _payments(registry) == 3, "without a key, each request is one"


def test_a_refused_request_leaves_its_key_free_and_keys_are_each_users(
        invoicing_app, accounting_api, registry, catalogue):
    key = {"Idempotency-Key": "retry-1"}
    refused = accounting_api.post("/api/v1/payments", json=_payment(catalogue, "-5"),
                                  headers=key)
    assert refused.status_code == 422
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RequestKey)) == 0
    corrected = accounting_api.post("/api/v1/payments", json=_payment(catalogue), headers=key)
    assert corrected.status_code == 201 and _payments(registry) == 1
    sales = api_client(invoicing_app)  # another user's key of the same text is its own
    party = sales.post("/api/v1/parties", json={"name": "Kept apart"}, headers=key)
    assert party.status_code == 201 and party.get_json()["name"] == "Kept apart"
    for wrong in ("", "with space", "x" * 256, "é"):
        answer = accounting_api.post("/api/v1/payments", json=_payment(catalogue),
                                     headers={"Idempotency-Key": wrong})
        assert answer.status_code == 422, wrong
    assert _payments(registry) == 1


def test_a_key_whose_answer_was_not_kept_is_refused_rather_than_done_twice(
        accounting_api, registry, catalogue):
    # What a process stopped between the request's commit and keeping its answer leaves.
    first = accounting_api.post("/api/v1/payments", json=_payment(catalogue),
                                headers={"Idempotency-Key": "lost"})
    assert first.status_code == 201
    with registry.session_factory() as session:
        session.execute(RequestKey.__table__.update().values(status=None, body=None))
        session.commit()
    again = accounting_api.post("/api/v1/payments", json=_payment(catalogue),
                                headers={"Idempotency-Key": "lost"})
    assert again.status_code == 409 and "answer is not kept yet" in again.get_json()["message"]
    assert _payments(registry) == 1


def test_a_key_on_a_read_is_not_claimed(accounting_api, registry):
    key = {"Idempotency-Key": "read"}
    for _ in range(2):
        assert accounting_api.get("/api/v1/payments", headers=key).status_code == 200
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(RequestKey)) == 0


def test_two_workers_sending_one_key_at_once_book_one_payment(make_app, catalogue):
    apps = [make_app(["invoicing"]) for _ in range(2)]
    client = api_client(apps[0], "accounting")
    secret = client.environ_base["HTTP_AUTHORIZATION"]
    clients = [client, apps[1].test_client()]
    clients[1].environ_base["HTTP_AUTHORIZATION"] = secret  # one user, two workers
    answers, start = [], threading.Barrier(2)

    def send(worker):
        start.wait()
        answers.append(worker.post("/api/v1/payments", json=_payment(catalogue),
                                   headers={"Idempotency-Key": "at-once"}))

    threads = [threading.Thread(target=send, args=(worker,)) for worker in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) in ([201, 201], [201, 409])
    assert _payments(apps[0].extensions["comptoir"]) == 1


def test_a_key_is_matched_whatever_the_order_of_the_body_and_forgotten_once_expired(
        accounting_api, registry, catalogue):
    key = {"Idempotency-Key": "reordered"}
    sent = _payment(catalogue)
    assert accounting_api.post("/api/v1/payments", json=sent, headers=key).status_code == 201
    reordered = dict(reversed(list(sent.items())))
    again = accounting_api.post("/api/v1/payments", json=reordered, headers=key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert _payments(registry) == 1
    with registry.session_factory() as session:
        session.execute(RequestKey.__table__.update().values(
            used_at=datetime.now() - KEPT - timedelta(days=1)))
        session.commit()
    anew = accounting_api.post("/api/v1/payments", json=sent, headers=key)
    assert anew.status_code == 201 and "Idempotent-Replayed" not in anew.headers
    assert _payments(registry) == 2
