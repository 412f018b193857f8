"""Invoice documents, pages and API: the PDF of an invoice of any kind, the pro forma of a draft,
and e-mailing an invoice.

A posted invoice prints with its number; a draft of a kind that posts has no number yet, so it
prints only as a pro forma (stamped PRO FORMA, never numbered, nothing created); an invoice of a
kind that never posts prints as it is, stamped with its kind's watermark.
"""

from flask import Blueprint, current_app, url_for
from flask_smorest import Blueprint as ApiBlueprint
from sqlalchemy import func, select

from core.errors import Conflict
from core.invoicekinds import InvoiceKind, invoice_kinds, kind_of
from plugins.invoicing.models import LedgerEntry
from plugins.invoicing.posting import load_invoice
from plugins.sales.pages import email_from_form, hook
from web.api import refusals
from web.auth import role_required
from web.database import db
from web.printing import (
    PDF_RESPONSE,
    EmailDocumentSchema,
    OutboxMessageSchema,
    email_document,
    pdf_response,
)

MENU = []
ROLE = "accounting"
PRO_FORMA = "PRO FORMA"
# What a kind's document is called when it is not its kind's title.
DOCUMENT_TITLES = {"customer": "Invoice"}


def blueprint():
    """The invoice document pages: the PDF, the pro forma PDF of a draft, e-mailing."""
    bp = Blueprint("invoice_documents", __name__, url_prefix="/invoicing")
    bp.before_request(role_required(ROLE)(lambda: None))

    @bp.route("/invoices/<id:invoice_id>/pdf")
    def invoice_pdf(invoice_id):
        return _pdf(_printable(invoice_id))

    @bp.route("/invoices/<id:invoice_id>/pro-forma.pdf")
    def pro_forma_pdf(invoice_id):
        return _pdf(_pro_forma(invoice_id))

    @bp.route("/invoices/<id:invoice_id>/email", methods=["POST"])
    def email(invoice_id):
        # The invoice's own page shows what is wrong with the form.
        invoice_page = current_app.view_functions["invoices.invoice_page"]
        def send(data):
            printed = _emailable(invoice_id)
            return _email(printed, data), _document_name(printed)

        return email_from_form(send,
                               lambda errors, status: invoice_page(invoice_id, errors, status),
                               url_for("invoices.invoice_page", invoice_id=invoice_id))

    return bp


def api_blueprint():
    """The invoice document API: the PDF, the pro forma PDF of a draft, e-mailing."""
    blp = ApiBlueprint("invoice_documents_api", __name__, url_prefix="/api/v1",
                       description="Invoice PDFs and e-mail")

    @blp.route("/invoices/<id:invoice_id>/pdf")
    @blp.doc(responses={"200": PDF_RESPONSE})
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def invoice_pdf(invoice_id):
        """The invoice as a PDF: a posted invoice with its number, an invoice of a kind that
        never posts (a pro forma) stamped with its kind's watermark; 409 for a draft of a kind
        that posts (post it first, or print its pro forma) and for a draft of a kind no
        enabled module brings any more."""
        return _pdf(_printable(invoice_id))

    @blp.route("/invoices/<id:invoice_id>/pro-forma.pdf")
    @blp.doc(responses={"200": PDF_RESPONSE})
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def pro_forma_pdf(invoice_id):
        """A draft customer or free text invoice printed as a pro forma invoice, stamped
        PRO FORMA: nothing is created and no number is taken.  409 once posted, for a credit
        note, for a draft with no lines and when no enabled module brings its kind any more."""
        return _pdf(_pro_forma(invoice_id))

    @blp.route("/invoices/<id:invoice_id>/email", methods=["POST"])
    @blp.arguments(EmailDocumentSchema, required=False)  # every field has a default
    @blp.response(202, OutboxMessageSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def email(data, invoice_id):
        """E-mail the invoice's PDF (the one ``/pdf`` answers): to ``to``, or the customer's
        address (422 with neither); 409 for a draft of a kind that posts, and for one of a
        kind no enabled module brings any more.

        Answers the outbox message: ``sent`` once the mail server took it, else ``queued`` and
        retried later.
        """
        return _email(_emailable(invoice_id), data)

    return blp


def _printable(invoice_id, instead="print a pro forma"):
    """What the invoice's PDF shows: ``(invoice, kind, pro forma?)``; 409 for a draft of a kind
    that posts, which has no number yet, saying what to do ``instead``."""
    invoice = load_invoice(db(), invoice_id)
    kind = printed_kind(invoice) or kind_of(hook(), invoice)
    if invoice.status == "draft" and kind.posts:
        raise Conflict(f"invoice {invoice.reference} is a draft: post it first, or {instead}")
    return invoice, kind, bool(kind.watermark)


def printed_kind(invoice):
    """The kind ``invoice`` prints as: its own; for a posted invoice of a kind no enabled
    module brings (its module disabled), an invoice or a credit note as its entry on the
    customer's account tells, in the invoicing module's layout; else None."""
    kind = invoice_kinds(hook()).get(invoice.kind)
    if kind is not None or invoice.status != "posted":
        return kind
    owed_back = db().scalar(select(func.sum(LedgerEntry.credit - LedgerEntry.debit)).where(
        LedgerEntry.invoice_id == invoice.id, LedgerEntry.party_id.is_not(None)))
    if owed_back and owed_back > 0:
        return InvoiceKind(invoice.kind, "Credit note", sign=-1)
    return InvoiceKind(invoice.kind, "Invoice")


def _pro_forma(invoice_id):
    """A draft invoice to print as a pro forma: ``(invoice, kind, True)``; 409 once posted,
    for a kind that reverses an invoice (a credit note) and for a draft with no lines."""
    invoice = load_invoice(db(), invoice_id)
    kind = kind_of(hook(), invoice)
    if invoice.status != "draft":
        raise Conflict(f"invoice {invoice.reference} is {invoice.status}: print the invoice "
                       "itself")
    if kind.sign < 0:
        raise Conflict(f"a pro forma is printed of an invoice charging the customer, not of a "
                       f"{kind.title.lower()}")
    if not invoice.lines:
        raise Conflict(f"invoice {invoice.reference} has no lines: add some before printing a "
                       "pro forma of it")
    return invoice, kind, True


def _context(invoice, kind, pro_forma):
    """What the invoice template receives (see the template's header)."""
    title = "Pro forma invoice" if pro_forma else DOCUMENT_TITLES.get(kind.code, kind.title)
    return {"document": invoice, "kind": kind, "title": title, "pro_forma": pro_forma,
            "watermark": kind.watermark or (PRO_FORMA if pro_forma else None)}


def _filename(invoice, kind, pro_forma):
    if pro_forma or not invoice.number:
        return f"{'pro-forma' if pro_forma else 'invoice-draft'}-{invoice.id}.pdf"
    return f"{'credit-note' if kind.sign < 0 else 'invoice'}-{invoice.number}.pdf"


def _templates(kind):
    """The templates an invoice of ``kind`` prints with: its kind's own if a module brings one
    (``invoice_down_payment.html``), else ``invoice.html``."""
    return [f"invoice_{kind.code}.html", "invoice.html"]


def _pdf(printed):
    return pdf_response(_templates(printed[1]), _filename(*printed), **_context(*printed))


def _document_name(printed):
    """What an e-mail calls the printed invoice: its title and number; a pro forma has no
    number, so its date tells the customer which one it is."""
    invoice, _kind, pro_forma = printed
    title = _context(*printed)["title"]
    return (f"{title} {invoice.number}" if invoice.number and not pro_forma
            else f"{title} of {invoice.invoice_date.isoformat()}")


def _emailable(invoice_id):
    return _printable(invoice_id, "make a pro forma of it and e-mail that")


def _email(printed, data):
    subject = _document_name(printed)
    return email_document(
        _templates(printed[1]), data, party=printed[0].party, subject=subject,
        filename=_filename(*printed),
        body=f"Please find attached {subject[0].lower()}{subject[1:]}.", **_context(*printed))
