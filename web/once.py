"""Forms sent once.  A form whose sending posts what cannot be taken back (a payment, a credit
note, a packing slip, an e-mail) carries a one-time token in its hidden ``once`` field; its
view (decorated :func:`sent_once`) claims it in the transaction doing the work, and the same
token sent again is refused (409, a page without the form).  A double click, or the browser
resending a page it kept, then posts nothing a second time.

A refused form's transaction rolls back with the token in it, and the form shown again keeps
it: corrected, it is sent once.  Tokens are kept for ``KEPT``; a form sent again after that is
not recognised.  Each page shown anew holds a new form: opened twice, in two tabs or by going
back to a page the browser loads again, it is sent twice.

An API request changing something may carry an ``Idempotency-Key`` header (any text of 1 to
255 printable ASCII characters), as a client retrying after a timeout would.  The key is
claimed for its user in the request's transaction (:func:`claim_request_key`), and the answer
kept once the request is answered (:func:`keep_answer`): sent again, the request gets that
answer (header ``Idempotent-Replayed: true``) and does nothing; the key sent with another
request is refused (422).  A request refused before it committed anything rolls back with its
claim: sent again, it runs; one whose work was committed keeps its answer, a refusal too.  An
action ending the request's transaction itself (``release_request_transaction``: enabling a
module) lets its claim go.  Keys are kept for ``KEPT`` too.
"""

import functools
import hashlib
import json
import re
import secrets
from datetime import timedelta

from flask import Response, abort, current_app, g, request
from flask_login import current_user
from flask_smorest import abort as smorest_abort
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.clock import utcnow
from core.errors import Conflict
from core.models.forms import FormToken, RequestKey
from web.auth import is_api_request
from web.database import db, request_may_write

FIELD = "once"
KEPT = timedelta(days=30)
TOKEN = re.compile(r"[0-9a-f]{32}\Z")
MESSAGE = ("this form was sent already and did what it asked: nothing was done a second time "
           "(the page it came from shows what was done)")


class AlreadySent(Conflict):
    """The form's token was claimed before: its work is done."""


def once_token(endpoint):
    """The token of the hidden ``once`` field of a form posting to ``endpoint`` (a template
    global): the one sent, when that form is shown again after a refusal, else a new one."""
    sent = request.form.get(FIELD, "") if request.endpoint == endpoint else ""
    return sent if TOKEN.match(sent) else secrets.token_hex(16)


def sent_once(view):
    """Decorate a view whose POST posts what cannot be taken back: the form's token is claimed
    (:func:`claim_once`) before the view runs, in the request's transaction."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            claim_once(db())
        return view(*args, **kwargs)

    return wrapped


def claim_once(session):
    """Record the request's form token in ``session``'s transaction, or raise AlreadySent.

    A request without a token (a script's, not a page's form) is not checked; one that is not
    ours is a bad request (400).
    """
    token = request.form.get(FIELD, "")
    if not token:
        return
    if not TOKEN.match(token):
        abort(400, "This form's one-time token is not valid: open the page again.")
    if session.get(FormToken, token) is not None:
        raise AlreadySent(MESSAGE)
    # The same form sent twice at once: the other one got it.
    _claim(session, FormToken(token=token), AlreadySent(MESSAGE))


def _claim(session, record, taken):
    """Add ``record`` (a FormToken or a RequestKey) in ``session``'s transaction, the records
    of its table older than ``KEPT`` deleted; raise ``taken`` when another transaction added
    the same one meanwhile."""
    kind = type(record)
    session.execute(delete(kind).where(kind.used_at < utcnow() - KEPT))
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        raise taken from None


HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")
# Sent while the first request with its key is being answered, or after its answer was lost
# (its process stopped between doing the work and keeping the answer).
UNKEPT = ("a request with this Idempotency-Key took effect and its answer is not kept yet: send "
          "it again in a moment to get it; if it still is not, it was lost: look for what the "
          "request made before sending it with another key")


def claim_request_key():
    """Before an API request changing something that carries an ``Idempotency-Key``: answer it
    as the first request with that key was answered, or refuse it (422) when that one was
    another request; else claim the key in the request's transaction."""
    key = request.headers.get(HEADER)
    if key is None or not is_api_request() or not request_may_write():
        return None
    if not current_user.is_authenticated:
        return None  # refused (401) anyway
    if not KEY.match(key):
        smorest_abort(422, message="the Idempotency-Key is not valid", errors={"headers": {
            HEADER: ["Give 1 to 255 printable ASCII characters, no space."]}})
    session, fingerprint = db(), _fingerprint()
    held = session.get(RequestKey, (current_user.id, key))
    if held is not None and held.used_at < utcnow() - KEPT:  # expired: not recognised
        session.delete(held)
        held = None
    if held is not None:
        if held.fingerprint != fingerprint:
            smorest_abort(422, message="this Idempotency-Key was sent with another request",
                          errors={"headers": {HEADER: ["Used for another request."]}})
        if held.status is None:
            raise Conflict(UNKEPT)
        # The answer this user was given, replayed whatever their roles have become since.
        replayed = Response(held.body, held.status, headers={"Idempotent-Replayed": "true"},
                            mimetype="application/json")
        if not held.body:
            del replayed.headers["Content-Type"]
        return replayed
    # Sent twice at once: the other one is doing the work.
    _claim(session, RequestKey(user_id=current_user.id, key=key, fingerprint=fingerprint),
           Conflict(UNKEPT))
    g.request_key = key
    return None


def keep_answer(response):
    """After a request whose key was claimed: keep its answer with the key (when the request's
    transaction rolled back, the claim went with it and nothing is kept)."""
    key = g.pop("request_key", None)
    if key is None or response.status_code >= 500:
        return response
    body = response.get_data(as_text=True) if response.is_json else ""
    session = db()
    session.rollback()  # what the view left uncommitted goes, as it would at the request's end
    try:
        session.execute(update(RequestKey)
                        .where(RequestKey.user_id == current_user.id, RequestKey.key == key)
                        .values(status=response.status_code, body=body))
        session.commit()
    except SQLAlchemyError as error:  # the work is done: its answer goes out, unkept (409)
        session.rollback()
        current_app.logger.warning("the answer to Idempotency-Key %r was not kept: %s", key,
                                   error)
    return response


def _fingerprint():
    """A digest of what the request asks: method, path, query arguments and body, whatever the
    order of the arguments or of a JSON body's keys."""
    query = sorted(request.args.items(multi=True))
    digest = hashlib.sha256(f"{request.method} {request.path} {query}\n".encode())
    body = request.get_json(silent=True) if request.is_json else None
    digest.update(json.dumps(body, sort_keys=True).encode() if body is not None
                  else request.get_data())
    return digest.hexdigest()
