"""Forms sent once.  A form whose sending posts what cannot be taken back (a payment, a credit
note, a packing slip, an e-mail) carries a one-time token in its hidden ``once`` field; its
view (decorated :func:`sent_once`) claims it in the transaction doing the work, and the same
token sent again is refused (409, a page without the form).  A double click, or the browser
resending a page it kept, then posts nothing a second time.

A refused form's transaction rolls back with the token in it, and the form shown again keeps
it: corrected, it is sent once.  Tokens are kept for ``KEPT``; a form sent again after that is
not recognised.  Each page shown anew holds a new form: opened twice, in two tabs or by going
back to a page the browser loads again, it is sent twice.
"""

import functools
import re
import secrets
from datetime import timedelta

from flask import abort, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.errors import Conflict
from core.models.forms import FormToken
from web.database import db

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
    session.execute(delete(FormToken).where(FormToken.used_at < utcnow() - KEPT))
    session.add(FormToken(token=token))
    try:
        session.flush()
    except IntegrityError:  # the same form sent twice at once: the other one got it
        raise AlreadySent(MESSAGE) from None
