"""E-mail goes through the outbox to a real SMTP server: nothing lost, nothing sent twice."""

import asyncio
import re
import smtplib
import threading
import time
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import update

from core import outbox
from core.errors import ValidationError
from core.models import OutboxMessage, Party
from core.testing import api_client, csrf_token
from tests.documents.conftest import mail_settings, pdf_text
from web.cli import main


def _queue(registry, count=1, attachment=b"%PDF-1.7 test", recipient="buyer@example.com"):
    with registry.session_factory() as session, session.begin():
        return [outbox.queue_message(session, recipient, f"Message {n}", "Hello",
                                     attachment=attachment, attachment_name="doc.pdf").id
                for n in range(count)]


def _button(client, path):
    """Press the outbox page's button posting to ``path``."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/outbox/")})


def _message(registry, message_id):
    with registry.session_factory() as session:
        return session.get(OutboxMessage, message_id)


def test_a_queued_message_is_sent_once_with_its_attachment(mail_app, mail_server):
    registry, config = mail_app.extensions["comptoir"], mail_app.config
    [queued] = _queue(registry)
    mail_server.start()

    report = outbox.send_queued(registry.session_factory, config)

    assert report.sent == (queued,) and report.failed == ()
    [received] = mail_server.messages
    stored = _message(registry, queued)
    assert received["Message-ID"] == stored.message_id
    assert received["To"] == "buyer@example.com" and received["From"] == "shop@example.com"
    [attachment] = received.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "doc.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"
    assert (stored.status, stored.attempts, stored.claimed_until) == ("sent", 1, None)
    assert stored.sent_at is not None

    again = outbox.send_queued(registry.session_factory, config, retry_waiting=True)
    assert again.sent == () and len(mail_server.messages) == 1, "nothing is sent twice"


def test_a_message_the_server_took_is_sent_whatever_it_answers_to_goodbye(mail_app,
                                                                          mail_server):
    registry, config = mail_app.extensions["comptoir"], mail_app.config
    [queued] = _queue(registry)
    mail_server.quit_reply = "421 4.3.2 Service shutting down"
    mail_server.start()

    report = outbox.send_queued(registry.session_factory, config)

    assert report.sent == (queued,) and len(mail_server.messages) == 1
    assert _message(registry, queued).status == "sent"
    again = outbox.send_queued(registry.session_factory, config, retry_waiting=True)
    assert again.sent == () and len(mail_server.messages) == 1, "nothing is sent twice"


def test_a_message_stays_queued_while_the_server_is_down(mail_app, mail_server, login):
    registry, config = mail_app.extensions["comptoir"], mail_app.config
    [queued] = _queue(registry)

    report = outbox.send_queued(registry.session_factory, config)  # nobody listens yet

    assert report.failed == (queued,)
    stored = _message(registry, queued)
    assert (stored.status, stored.attempts, stored.claimed_until) == ("queued", 1, None)
    assert re.fullmatch(r"The mail server 127\.0\.0\.1:\d+ could not be reached: "
                        r"Connection refused\.", stored.last_error)
    assert stored.next_attempt_at > stored.created_at - timedelta(days=1)
    admin = api_client(mail_app, "admin")
    [listed] = admin.get("/api/v1/outbox").get_json()
    assert (listed["id"], listed["status"], listed["attempts"]) == (queued, "queued", 1)
    assert "attachment" not in listed and listed["last_error"] == stored.last_error
    assert api_client(mail_app, "accounting").get("/api/v1/outbox").status_code == 200
    assert api_client(mail_app, "marketing").get("/api/v1/outbox").status_code == 403

    web = mail_app.test_client()
    login(web, "accounting")
    page = web.get("/outbox/").get_data(as_text=True)
    assert "Outbox" in page and stored.subject in page and stored.last_error in page
    assert 'href="/outbox/"' in page, "in the menu"
    marketing = mail_app.test_client()
    login(marketing, "marketing")
    assert marketing.get("/outbox/").status_code == 403

    accounting = api_client(mail_app, "accounting")
    [withdrawn, kept] = _queue(registry, 2)
    assert accounting.post(f"/api/v1/outbox/{withdrawn}/withdraw").json["status"] == "withdrawn"
    assert _button(web, f"/outbox/{kept}/withdraw").status_code == 302
    assert "Message withdrawn" in web.get("/outbox/").get_data(as_text=True)
    again = accounting.post(f"/api/v1/outbox/{kept}/withdraw")
    assert again.status_code == 409 and again.json["message"].endswith("is withdrawn already")
    assert accounting.post("/api/v1/outbox/999999/send").status_code == 404

    mail_server.start()
    waiting = outbox.send_queued(registry.session_factory, config)
    assert waiting.sent == () and mail_server.messages == [], "the next attempt is not due"

    assert _button(web, f"/outbox/{queued}/send").status_code == 302  # now, not when due
    assert len(mail_server.messages) == 1, "the withdrawn messages are not sent"
    stored = _message(registry, queued)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 2, "")
    assert outbox.send_queued(registry.session_factory, config, retry_waiting=True).sent == ()
    assert len(mail_server.messages) == 1
    assert "No e-mail is waiting." in web.get("/outbox/").get_data(as_text=True)
    everything = web.get("/outbox/?all=1").get_data(as_text=True)
    assert stored.subject in everything and "<td>sent " in everything


def test_two_senders_at_once_send_each_message_once(mail_app, mail_server):
    registry, config = mail_app.extensions["comptoir"], mail_app.config
    queued = _queue(registry, count=6)
    mail_server.start()
    reports, errors = [], []
    start = threading.Barrier(2)

    def send():
        try:
            start.wait()
            reports.append(outbox.send_queued(registry.session_factory, config))
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(reports[0].sent + reports[1].sent) == queued
    ids = [message["Message-ID"] for message in mail_server.messages]
    assert len(ids) == len(set(ids)) == 6


def test_a_message_claimed_by_another_sender_is_left_to_it(mail_app, mail_server):
    registry, config = mail_app.extensions["comptoir"], mail_app.config
    first, second = _queue(registry, count=2)
    mail_server.start()
    with registry.session_factory() as session, session.begin():  # another sender's live claim
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first)
                        .values(claimed_until=outbox.utcnow() + outbox.LEASE))

    assert outbox.send_queued(registry.session_factory, config).sent == (second,)
    sending = CliRunner().invoke(main, ["outbox", "send"],
                                 obj=ScriptInfo(create_app=lambda: mail_app))
    assert sending.exit_code == 0, "what another sender is sending is not left behind"
    assert "1 message(s) being sent by another sender" in sending.output

    with registry.session_factory() as session, session.begin():  # that sender died
        session.execute(update(OutboxMessage).where(OutboxMessage.id == first)
                        .values(claimed_until=outbox.utcnow() - timedelta(seconds=1)))
    assert outbox.send_queued(registry.session_factory, config).sent == (first,)
    assert len(mail_server.messages) == 2


def test_emailing_a_document_queues_its_pdf_sent_now_or_by_the_cli_later(
    docs_app, documents, mail_server, login
):
    api = api_client(docs_app)
    number = documents["confirmed_number"]

    def cli(*args):
        return CliRunner().invoke(main, ["outbox", *args],
                                  obj=ScriptInfo(create_app=lambda: docs_app))

    down = api.post(f"/api/v1/orders/{documents['confirmed']}/email",
                    json={"to": "buyer@example.com", "message": "Here it is."})
    assert down.status_code == 202 and down.get_json()["status"] == "queued", "server down"
    listed = cli("list")
    assert listed.exit_code == 0 and "buyer@example.com" in listed.output
    assert listed.output.split()[:6] == ["Id", "Status", "Try", "When", "To", "Subject"]
    assert "last error" in listed.output
    still_down = cli("send", "--retry-waiting")
    assert still_down.exit_code == 1 and "1 message(s) stay queued" in still_down.output

    mail_server.start()
    assert cli("send").exit_code == 1, "the next attempt is not due yet"
    retried = cli("send", "--retry-waiting")
    assert retried.exit_code == 0 and "Sent: 1" in retried.output, retried.output
    assert cli("list").output.strip() == "No message is queued."
    [received] = mail_server.messages
    assert received["To"] == "buyer@example.com"
    assert received["Subject"] == f"Order confirmation {number}"
    assert received.get_body(("plain",)).get_content().strip() == "Here it is."
    [attachment] = received.iter_attachments()
    assert attachment.get_filename() == f"order-confirmation-{number}.pdf"
    assert number in pdf_text(attachment.get_content())

    up = api.post(f"/api/v1/orders/{documents['confirmed']}/email", json={"to": "b@example.com"})
    assert up.status_code == 202 and up.get_json()["status"] == "sent", "sent at once"
    assert len(mail_server.messages) == 2

    no_address = api.post(f"/api/v1/quotations/{documents['quotation']}/email", json={})
    assert no_address.status_code == 422 and "to" in no_address.get_json()["errors"]["json"]
    draft = api.post(f"/api/v1/orders/{documents['draft']}/email", json={"to": "a@example.com"})
    assert draft.status_code == 409

    registry = docs_app.extensions["comptoir"]
    with registry.session_factory() as session, session.begin():
        session.get(Party, documents["acme"]).email = "acme@example.com"
    web = docs_app.test_client()
    login(web, "sales")
    page = f"/quotations/{documents['quotation']}"
    sent = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page)})
    assert sent.status_code == 302
    assert "e-mailed to acme@example.com." in web.get(sent.headers["Location"]).get_data(
        as_text=True)
    assert mail_server.messages[-1]["To"] == "acme@example.com", "the party's address"
    assert mail_server.messages[-1]["Subject"] == f"Quotation {documents['quotation_number']}"
    bad = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page), "to": "nope"})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    by_hand = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page),
                                              "subject": "Hi\r\nBcc: someone@example.com"})
    assert by_hand.status_code == 422
    assert '<span class="field-error">Must be one line.</span>' in by_hand.get_data(as_text=True)
    worded = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page),
                                             "subject": "Our offer", "message": "As promised."})
    assert worded.status_code == 302
    assert f"Quotation {documents['quotation_number']} e-mailed to" in web.get(
        worded.headers["Location"]).get_data(as_text=True), "named, whatever the subject"
    assert mail_server.messages[-1]["Subject"] == "Our offer"
    assert "As promised." in mail_server.messages[-1].get_body(("plain",)).get_content()
    assert len(mail_server.messages) == 4
    mail_server.stop()
    waits = web.post(f"{page}/email", data={"csrf_token": csrf_token(web, page)})
    told = web.get(waits.headers["Location"]).get_data(as_text=True)
    assert "could not be e-mailed to acme@example.com yet" in told
    assert "it waits in the outbox and is tried again" in told


def test_with_redis_configured_mail_goes_through_an_rq_job(make_app, mail_server):
    from redis import Redis
    from rq import Queue, SimpleWorker

    queue_name = f"comptoir-test-{uuid.uuid4().hex}"
    app = make_app(**mail_settings(mail_server), COMPTOIR_REDIS_URL="redis://127.0.0.1:6379/0",
                   COMPTOIR_REDIS_QUEUE=queue_name)
    registry = app.extensions["comptoir"]
    mail_server.start()
    redis = Redis.from_url("redis://127.0.0.1:6379/0")
    queue = Queue(queue_name, connection=redis)
    try:
        [queued] = _queue(registry)
        outbox.send_soon(registry.session_factory, app.config)

        assert queue.count == 1 and mail_server.messages == [], "enqueued, not sent inline"
        assert _message(registry, queued).status == "queued"

        SimpleWorker([queue], connection=redis).work(burst=True)

        assert queue.count == 0 and len(mail_server.messages) == 1
        assert _message(registry, queued).status == "sent"
    finally:
        queue.delete(delete_jobs=True)
        redis.close()


def test_a_subject_or_recipient_of_several_lines_is_refused(docs_app, documents):
    api = api_client(docs_app)
    refused = api.post(f"/api/v1/orders/{documents['confirmed']}/email", json={
        "to": "buyer@example.com", "subject": "Hi\r\nBcc: someone@example.com"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"] == {"subject": ["Must be one line."]}
    for breaking in ("\u2028", "\x85", "\x0b", "\n"):
        answer = api.post(f"/api/v1/orders/{documents['confirmed']}/email", json={
            "to": "buyer@example.com", "subject": f"Order{breaking}Bcc: someone@example.com"})
        assert answer.status_code == 422, repr(breaking)
    registry = docs_app.extensions["comptoir"]
    with registry.session_factory() as session:
        assert outbox.list_messages(session, everything=True) == []
        with pytest.raises(ValidationError) as raised:
            outbox.queue_message(session, "a@example.com\nBcc: b@example.com", "Hi\u2029",
                                 "Hello")
        assert set(raised.value.fields) == {"to", "subject"}


def test_the_sender_beside_the_server_retries_what_falls_due(mail_app, mail_server,
                                                            monkeypatch):
    """``comptoir outbox send --every N`` (what ``make run`` starts): each round sends what is
    due, a failed one included once its time comes, until it is stopped."""
    registry = mail_app.extensions["comptoir"]
    config = mail_app.config
    [waiting] = _queue(registry)
    outbox.send_queued(registry.session_factory, config)  # the server is down: it waits
    with registry.session_factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(next_attempt_at=None))  # its time came
    mail_server.start()
    rounds = []

    def sleep(seconds):  # the first pause ends as Ctrl-C would
        rounds.append(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr("web.cli.time.sleep", sleep)
    result = CliRunner().invoke(main, ["outbox", "send", "--every", "30"],
                                obj=ScriptInfo(create_app=lambda: mail_app))
    assert result.exit_code == 0, result.output
    assert "Sent: 1, failed: 0" in result.output and result.output.endswith("Stopped.\n")
    assert rounds == [30] and len(mail_server.messages) == 1
    with registry.session_factory() as session:
        assert session.get(OutboxMessage, waiting).status == "sent"


def test_a_slow_mail_server_does_not_hold_the_request(docs_app, documents, mail_server,
                                                      monkeypatch):
    """The request waits for its mail ``REQUEST_WAIT`` seconds at most (a web worker taking
    longer is killed); the sending thread goes on and records it sent once the server answers."""
    answer = threading.Event()
    accept = mail_server.handle_DATA

    async def answer_when_told(server, session, envelope):
        await asyncio.get_running_loop().run_in_executor(None, answer.wait)
        return await accept(server, session, envelope)

    monkeypatch.setattr(mail_server, "handle_DATA", answer_when_told)
    monkeypatch.setattr(outbox, "REQUEST_WAIT", 0.1)
    mail_server.start()
    registry = docs_app.extensions["comptoir"]

    queued = api_client(docs_app).post(f"/api/v1/orders/{documents['confirmed']}/email",
                                       json={"to": "buyer@example.com"})
    assert queued.status_code == 202 and queued.get_json()["status"] == "queued"
    answer.set()
    message_id = queued.get_json()["id"]
    for _ in range(1200):  # until the thread records what the server answered
        if _message(registry, message_id).status == "sent":
            break
        time.sleep(0.05)
    assert _message(registry, message_id).status == "sent"
    assert len(mail_server.messages) == 1


@pytest.mark.parametrize(("failure", "told"), [
    (smtplib.SMTPRecipientsRefused({"kim@example.com": (550, b"5.1.1 No such user")}),
     "The mail server mx:25 refused the recipient's address: kim@example.com: 550 5.1.1 No "
     "such user."),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 Not our domain", "shop@example.com"),
     "The mail server mx:25 refused the sender's address: 553 5.7.1 Not our domain."),
    (smtplib.SMTPConnectError(554, b"No service here"),
     "The mail server mx:25 refused the connection: 554 No service here."),
    (smtplib.SMTPDataError(552, b"Message too big"),
     "The mail server mx:25 refused the message: 552 Message too big."),
    (smtplib.SMTPHeloError(501, b"Say who you are"),
     "The mail server mx:25 refused the connection: 501 Say who you are."),
    (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server"),
     "The mail server mx:25 refused the message: SMTPUTF8 not supported by server."),
    (TimeoutError("timed out"), "The mail server mx:25 did not answer in time: timed out."),
])
def test_a_failed_send_is_told_in_a_sentence_with_the_servers_reply(failure, told):
    assert outbox._describe(failure, "mx", 25) == told
