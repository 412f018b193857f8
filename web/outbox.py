"""The outbox page: the e-mail queued and sent, for those who e-mail documents to customers
(salespeople, accountants and admins), so that they see whether a message went out, send one
waiting after a failure at once, or withdraw one (to a wrong address)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from core import outbox
from core.errors import ComptoirError
from web.auth import role_required
from web.database import db, registry

SENDERS = ("sales", "accounting")
SHOWN = 100

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
bp.before_request(role_required(*SENDERS)(lambda: None))


@bp.route("/")
def message_list():
    """The newest messages still queued, or (``?all=1``) sent and withdrawn ones too."""
    everything = request.args.get("all") == "1"
    return render_template("outbox.html", everything=everything, shown=SHOWN,
                           messages=outbox.list_messages(db(), everything, SHOWN))


@bp.route("/<id:message_id>/send", methods=["POST"])
def send_now(message_id):
    """Send a message waiting for its next attempt now."""
    if _done(outbox.due_now, message_id):
        send_due()
        flash("Sending tried again: see its status below.", "info")
    return redirect(url_for("outbox.message_list"))


@bp.route("/<id:message_id>/withdraw", methods=["POST"])
def withdraw(message_id):
    """Withdraw a queued message: it is never sent."""
    if _done(outbox.withdraw, message_id):
        flash("Message withdrawn: it will not be sent.", "info")
    return redirect(url_for("outbox.message_list"))


def _done(change, message_id):
    """Run ``change(session, message_id)`` and commit; flash why not when refused."""
    try:
        change(db(), message_id)
    except ComptoirError as error:
        db().rollback()
        flash(error.message, "error")
        return False
    db().commit()
    return True


def send_due():
    """Start sending what is due, as after queuing a message (see ``core.outbox.send_soon``)."""
    outbox.send_soon(registry().session_factory, current_app.config)
