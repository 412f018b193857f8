"""The outbox page: the e-mail queued and sent, for those who e-mail documents to customers
(salespeople, accountants and admins), so that they see whether a message went out."""

from flask import Blueprint, render_template, request

from core import outbox
from web.auth import role_required
from web.database import db

SENDERS = ("sales", "accounting")
SHOWN = 100

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
bp.before_request(role_required(*SENDERS)(lambda: None))


@bp.route("/")
def message_list():
    """The newest messages still queued, or (``?all=1``) sent ones too."""
    everything = request.args.get("all") == "1"
    return render_template("outbox.html", everything=everything, shown=SHOWN,
                           messages=outbox.list_messages(db(), everything, SHOWN))
