"""Forms sent once.  A form whose sending posts what cannot be taken back (a payment, a credit
note, a packing slip) carries a one-time token in its hidden ``once`` field; the view claims it
in the transaction doing the work, and the same token sent again is refused (409).  A double
click, or the browser's Back and resend, then posts nothing a second time.

A refused form's transaction rolls back with the token in it: corrected, the same page is sent
again.  Tokens are kept for ``KEPT``; a form sent again after that is not recognised.
"""

import re
import secrets
from datetime import timedelta

from flask import request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.errors import Conflict
from core.models.forms import FormToken

FIELD = "once"
KEPT = timedelta(days=30)
TOKEN = re.compile(r"[0-9a-f]{32}\Z")
MESSAGE = ("this form was sent already and did what it asked: it is not done a second time "
           "(open the page again for a new form)")


class AlreadySent(Conflict):
    """The form's token was claimed before: its work is done."""


def once_token():
    """A new token for a form's hidden ``once`` field (a template global)."""
    return secrets.token_hex(16)


def claim_once(session):
    """Record the request's form token in ``session``'s transaction, or raise AlreadySent.

    A request without a token (a script's, not a page's form) is not checked; a token that is
    not one of ours is refused as sent already, which it cannot have been honestly.
    """
    token = request.form.get(FIELD, "")
    if not token:
        return
    if not TOKEN.match(token) or session.get(FormToken, token) is not None:
        raise AlreadySent(MESSAGE)
    session.execute(delete(FormToken).where(FormToken.used_at < utcnow() - KEPT))
    session.add(FormToken(token=token))
    try:
        session.flush()
    except IntegrityError:  # the same form sent twice at once: the other one got it
        raise AlreadySent(MESSAGE) from None
