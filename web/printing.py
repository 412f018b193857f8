"""Printing and e-mailing documents from a module's pages and API.

A module serving a document (see :mod:`core.printing`) answers its PDF with
:func:`pdf_response` and e-mails it with :func:`email_document`; its API takes
:class:`EmailDocumentSchema` and answers :class:`OutboxMessageSchema` with status 202::

    @blp.route("/slips/<id:slip_id>/email", methods=["POST"])
    @blp.arguments(EmailDocumentSchema, required=False)  # every field has a default
    @blp.response(202, OutboxMessageSchema)
    def email(data, slip_id):
        slip = load_slip(db(), slip_id)
        return email_document("packing_slip.html", data, party=slip.party,
                              subject=f"Packing slip {slip.number}",
                              filename=f"packing-slip-{slip.number}.pdf", document=slip)
"""

from flask import Response, current_app
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from core import outbox, printing
from core.errors import ValidationError
from core.models.outbox import OUTBOX_STATUSES
from core.schemas import Timestamp
from web.database import db
from web.outbox import send_due

PDF_RESPONSE = {
    "description": "The document as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


def _one_line(text):
    if not outbox.is_one_line(text):
        raise MarshmallowError("Must be one line.")


class EmailDocumentSchema(Schema):
    """To whom a document is e-mailed (default: its party's address), with which subject and
    message (defaults chosen by the document)."""

    to = fields.Email(validate=validate.Length(max=254))
    subject = fields.String(validate=[validate.Length(min=1, max=256), _one_line])
    message = fields.String(validate=validate.Length(max=10_000))


class OutboxMessageSchema(Schema):
    """An e-mail in the outbox, without its attachment's bytes."""

    id = fields.Integer()
    recipient = fields.String()
    subject = fields.String()
    attachment_name = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(OUTBOX_STATUSES)})
    attempts = fields.Integer()
    last_error = fields.String()
    next_attempt_at = Timestamp(allow_none=True)
    created_at = Timestamp(allow_none=True)
    sent_at = Timestamp(allow_none=True)
    message_id = fields.String()


def company():
    """The company issuing documents, from the application's configuration."""
    return printing.Company.from_config(current_app.config)


def _hook():
    return current_app.loaded.manager.hook


def pdf_response(template_name, filename, **context):
    """Render ``template_name`` with ``context`` and answer it as the PDF ``filename``."""
    pdf = printing.render_pdf(_hook(), template_name, company=company(), **context)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def email_document(template_name, data, *, party, subject, filename, body="", **context):
    """Queue ``template_name`` rendered to PDF for e-mailing, commit, and start sending it.

    ``data`` is what :class:`EmailDocumentSchema` loaded; its ``to`` defaults to ``party``'s
    e-mail address (422 when there is neither), its ``subject`` and ``message`` to ``subject``
    and ``body``.  Returns the queued :class:`core.models.OutboxMessage`; a mail server that is
    down leaves it queued, never fails the request.
    """
    recipient = data.get("to") or party.email
    if not recipient:
        raise ValidationError("there is no address to send the document to", fields={
            "to": [f"{party.name} has no e-mail address: give one."]})
    message = printing.send_document(
        db(), _hook(), template_name, to=recipient, subject=data.get("subject") or subject,
        body=data.get("message") or body, filename=filename, company=company(), **context)
    db().commit()
    send_due()
    db().refresh(message)  # sent now, unless the server is down or slow, or a worker sends it
    db().commit()
    return message
