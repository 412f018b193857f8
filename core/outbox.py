"""The mail outbox: e-mail is queued in the database with the work that produced it, then sent.

``queue_message`` adds a message in the caller's transaction, so a rolled-back request sends
nothing and a committed one loses nothing.  ``send_queued`` is the job that sends what is
queued; it runs

- in a thread of the web process, started right after the request that queued mail commits
  (``send_soon``, which waits a few seconds for it, so that the request can say "sent"), or
- on an RQ worker when ``COMPTOIR_REDIS_URL`` is set (``send_soon`` enqueues ``run_job``, which
  calls ``send_queued``), and
- from the command line, ``comptoir outbox send`` (a cron job catching up with failures).

A failed attempt (server down, refused) keeps the message queued with its error, and the next
attempt waits longer each time (1, 2, 4... minutes, at most an hour).  ``due_now`` makes a
waiting message due at once; ``withdraw`` takes a queued one out for good (a wrong address).

What is guaranteed.  Each message is claimed before it is sent: one UPDATE sets a lease
(``claimed_until``) only if the message is still queued and nobody holds a live lease, and is
committed before the SMTP conversation starts; the message is marked sent, in a second commit,
once the server accepted it.  So two senders (threads, workers, a cron job and a request) never
send one message at the same time, and a message is sent **exactly once** -- unless the sender
dies (or loses its database) after the server accepted the message and before recording it.
Then the lease expires, the message is still queued, and it is sent again: **at least once** in
that window, each copy carrying the same Message-ID header, chosen when the message was queued,
so mail clients and servers recognise the copies as one message.  A lease lasts longer than
an SMTP conversation may take (each step times out well before it ends), so a slow sender does
not lose its claim to another one.  Times are the senders' clocks in UTC; keep them in sync.
"""

import logging
import mimetypes
import smtplib
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

from sqlalchemy import and_, func, or_, select, update

from core.clock import utcnow
from core.db import make_engine, make_session_factory
from core.errors import Conflict, NotFound, ValidationError
from core.models import OutboxMessage

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 60  # seconds for each step of the SMTP conversation, far below the lease
# Seconds a request that queued mail waits for it to be sent, well below a web worker's
# timeout (gunicorn's is 30 s): a slow mail server is left to the sending thread.
REQUEST_WAIT = 10
LONGEST_WAIT = timedelta(hours=1)
DEFAULT_SERVER = "localhost:25"
DEFAULT_SENDER = "comptoir@localhost"
DEFAULT_QUEUE = "comptoir"

# The settings the job needs, handed to an RQ worker with the job.
JOB_SETTINGS = ("COMPTOIR_DATABASE_URL", "COMPTOIR_DATABASE_SCHEMA", "COMPTOIR_MAIL_SERVER",
                "COMPTOIR_MAIL_SENDER")


@dataclass(frozen=True)
class SendReport:
    """What one run of :func:`send_queued` did: ids of the messages sent and of those that
    failed (and stay queued)."""

    sent: tuple = ()
    failed: tuple = ()


def queue_message(session, recipient, subject, body, attachment=None, attachment_name=None):
    """Queue an e-mail to ``recipient`` in the caller's transaction; returns the
    :class:`OutboxMessage` (flushed: it has its id).

    ``attachment`` is the ``bytes`` of one file named ``attachment_name``, whose extension
    gives its content type (``quotation-Q-00012.pdf`` is sent as ``application/pdf``).
    A recipient or subject of more than one line is refused (422): no mail could carry it.
    """
    broken = {name: ["Must be one line."] for name, value in
              (("to", recipient), ("subject", subject)) if not is_one_line(value)}
    if broken:
        raise ValidationError("an e-mail's recipient and subject are one line each",
                              fields=broken)
    message = OutboxMessage(
        recipient=recipient, subject=subject, body=body or "", attachment=attachment,
        attachment_name=attachment_name if attachment is not None else None, status="queued",
        attempts=0, last_error="", message_id=f"<{uuid.uuid4().hex}@comptoir>",
    )
    session.add(message)
    session.flush()
    return message


def is_one_line(text):
    """Whether ``text`` holds no line break of any kind: e-mail headers also break lines at
    a vertical tab, a form feed or U+2028, as at a newline."""
    return "".join(text.splitlines()) == text


def list_messages(session, everything=False, limit=50):
    """The newest ``limit`` messages of the outbox: the queued ones, or ``everything``."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if not everything:
        query = query.where(OutboxMessage.status == "queued")
    return session.scalars(query).all()


def due_now(session, message_id):
    """Make the queued message ``message_id``, waiting for its next attempt after a failure, due
    at once (the caller commits, then starts sending with :func:`send_soon`).  Refused (409)
    unless it is queued."""
    _change_queued(session, message_id, "sent now", next_attempt_at=None)


def withdraw(session, message_id):
    """Withdraw the queued message ``message_id`` (to a wrong address, say): it stays on record,
    ``withdrawn``, and is never sent.  Refused (409) once sent or withdrawn, and while a
    sender is sending it."""
    _change_queued(session, message_id, "withdrawn", status="withdrawn", next_attempt_at=None)


def _change_queued(session, message_id, what, **values):
    """Set ``values`` on the message ``message_id`` if queued and held by no sender, in one
    statement; otherwise NotFound or Conflict saying why it cannot be ``what``."""
    changed = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, *_waiting(utcnow()))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if changed == 1:
        return
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"outbox message {message_id} does not exist")
    state = "being sent" if message.status == "queued" else message.status
    if state == what:
        raise Conflict(f"the message to {message.recipient} is {state} already")
    raise Conflict(f"the message to {message.recipient} is {state}: it cannot be {what}")


def queued_count(session):
    """``(left, being sent)``: how many queued messages no sender holds, and how many one
    holds (another process sending them now)."""
    queued, left = session.execute(
        select(func.count(), func.count().filter(and_(*_waiting(utcnow()))))
        .where(OutboxMessage.status == "queued")).one()
    return left, queued - left


def _waiting(now):
    """The queued messages nobody holds a live claim on."""
    return [OutboxMessage.status == "queued",
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)]


def _due(now):
    return or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)


def send_queued(session_factory, config, *, retry_waiting=False):
    """Send the queued messages that are due, one at a time; returns a :class:`SendReport`.

    This is the outbox's job function (see the module's description for what it guarantees).
    ``session_factory`` makes sessions on the database, each message being claimed, sent and
    recorded in transactions of their own; ``config`` gives the SMTP server
    (``COMPTOIR_MAIL_SERVER``, ``host:port``) and the From address (``COMPTOIR_MAIL_SENDER``).
    ``retry_waiting`` also sends the messages waiting for their next attempt after a failure.
    A failure is recorded on its message and never raised; a database error is.
    """
    host, port = mail_server(config)
    sender = config.get("COMPTOIR_MAIL_SENDER") or DEFAULT_SENDER
    with session_factory() as session:
        now = utcnow()
        query = select(OutboxMessage.id).where(*_waiting(now)).order_by(OutboxMessage.id)
        ids = session.scalars(query if retry_waiting else query.where(_due(now))).all()
    sent, failed = [], []
    for message_id in ids:
        outcome = _send_one(session_factory, message_id, host, port, sender, retry_waiting)
        if outcome is not None:
            (sent if outcome else failed).append(message_id)
    return SendReport(tuple(sent), tuple(failed))


def _send_one(session_factory, message_id, host, port, sender, retry_waiting):
    """Claim, send and record one message: True sent, False failed, None claimed elsewhere."""
    with session_factory() as session:
        now = utcnow()
        claim = (update(OutboxMessage)
                 .where(OutboxMessage.id == message_id, *_waiting(now))
                 .values(claimed_until=now + LEASE)
                 .execution_options(synchronize_session=False))
        if not retry_waiting:
            claim = claim.where(_due(now))
        if session.execute(claim).rowcount != 1:
            session.rollback()
            return None
        message = session.get(OutboxMessage, message_id)
        # No transaction stays open during the SMTP conversation.
        session.commit()
        try:
            deliver(message, host, port, sender)
        except Exception as exc:  # any failure leaves the message queued for a later attempt
            logger.warning("mail %s to %s not sent: %s", message.id, message.recipient, exc)
            attempts = message.attempts + 1
            wait = min(timedelta(minutes=2 ** min(attempts - 1, 10)), LONGEST_WAIT)
            _record(session, message_id, attempts=attempts,
                    last_error=_describe(exc, host, port),
                    next_attempt_at=utcnow() + wait)
            return False
        _record(session, message_id, attempts=message.attempts + 1, status="sent",
                sent_at=utcnow(), last_error="", next_attempt_at=None)
        return True


def _record(session, message_id, **values):
    """Write the outcome of an attempt and release the claim, in a transaction of its own."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                    .values(claimed_until=None, **values)
                    .execution_options(synchronize_session=False))
    session.commit()


def _describe(exc, host, port):
    """Why a message was not sent, for the people reading the outbox: a sentence, then what
    the mail server answered (its code and text) or what the system said."""
    server = f"The mail server {host}:{port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        said = f"{server} refused the recipient's address"
        detail = "; ".join(f"{address}: {_reply(*reply)}"
                           for address, reply in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        said, detail = f"{server} refused the sender's address", _reply(exc.smtp_code,
                                                                        exc.smtp_error)
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        said, detail = f"{server} refused Comptoir's login", _reply(exc.smtp_code,
                                                                    exc.smtp_error)
    elif isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        said, detail = f"{server} refused the connection", _reply(exc.smtp_code,
                                                                  exc.smtp_error)
    elif isinstance(exc, smtplib.SMTPResponseException):
        said, detail = f"{server} refused the message", _reply(exc.smtp_code, exc.smtp_error)
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        said, detail = f"{server} closed the connection", str(exc)
    elif isinstance(exc, smtplib.SMTPException):  # an OSError too: before those below
        said, detail = f"{server} refused the message", str(exc)
    elif isinstance(exc, TimeoutError):
        said, detail = f"{server} did not answer in time", str(exc)
    elif isinstance(exc, OSError):
        said, detail = f"{server} could not be reached", exc.strerror or str(exc)
    else:
        said, detail = "The message could not be sent", f"{type(exc).__name__}: {exc}"
    return (f"{said}: {detail}." if detail else f"{said}.")[:2000]


def _reply(code, text):
    """A mail server's reply as it wrote it: ``550 5.1.1 No such user``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def mail_server(config):
    """``(host, port)`` of the SMTP server named by ``COMPTOIR_MAIL_SERVER`` (``host:port``)."""
    text = config.get("COMPTOIR_MAIL_SERVER") or DEFAULT_SERVER
    host, _sep, port = text.rpartition(":")
    if not host or not port.isdigit():
        host, port = text, "25"
    return host, int(port)


def build_email(message, sender):
    """The :class:`email.message.EmailMessage` of an outbox message, attachment included."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(localtime=True)
    email.set_content(message.body)
    if message.attachment is not None:
        name = message.attachment_name or "attachment"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        email.add_attachment(message.attachment, maintype=maintype, subtype=subtype,
                             filename=name)
    return email


def deliver(message, host, port, sender):
    """Hand ``message`` to the SMTP server at ``host:port``; raises when it is not accepted.
    Once the server took it, a goodbye it answers otherwise than "221" is no failure: the
    message is sent, and sending it again would send it twice."""
    smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        smtp.send_message(build_email(message, sender))
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def send_soon(session_factory, config):
    """Start sending what is queued, after the transaction that queued it committed.

    With ``COMPTOIR_REDIS_URL`` set, enqueue the job on RQ; otherwise send in a thread of this
    process, and wait for it at most ``REQUEST_WAIT`` seconds: a mail server that is slow to
    answer never holds the request longer, and the thread sends on after it.  Never raises:
    what cannot be sent or enqueued stays queued, for the next run or ``comptoir outbox send``.
    """
    if config.get("COMPTOIR_REDIS_URL"):
        _never_raising(enqueue, config)
        return
    # Not a daemon: a worker stopping gracefully finishes the conversation and records it,
    # rather than leaving a message the server took to be sent again after its lease.
    sender = threading.Thread(target=_never_raising,
                              args=(send_queued, session_factory, config),
                              name="comptoir-outbox")
    sender.start()
    sender.join(REQUEST_WAIT)


def _never_raising(start_sending, *args):
    try:
        start_sending(*args)
    except Exception:  # the request that queued the mail succeeded; the mail stays queued
        logger.exception("queued mail was not sent now; it stays queued")


def enqueue(config):
    """Enqueue :func:`run_job` on the RQ queue ``COMPTOIR_REDIS_QUEUE`` (default
    ``comptoir``) of the Redis at ``COMPTOIR_REDIS_URL``; returns the RQ job.

    The job carries the settings it needs, the database URL included: keep Redis as private
    as the database.
    """
    from redis import Redis
    from rq import Queue

    queue = Queue(config.get("COMPTOIR_REDIS_QUEUE") or DEFAULT_QUEUE,
                  connection=Redis.from_url(config["COMPTOIR_REDIS_URL"]))
    return queue.enqueue(run_job, {name: config.get(name) for name in JOB_SETTINGS})


def run_job(settings):
    """The RQ job: :func:`send_queued` on the database named by ``settings``."""
    engine = make_engine(settings["COMPTOIR_DATABASE_URL"],
                         settings.get("COMPTOIR_DATABASE_SCHEMA"))
    try:
        return send_queued(make_session_factory(engine), settings)
    finally:
        engine.dispose()
