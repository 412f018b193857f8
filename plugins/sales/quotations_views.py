"""Pages and API of quotations: list, create, edit lines, revise, send, accept, lose."""

from datetime import date, timedelta
from operator import attrgetter

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core.errors import ComptoirError
from core.models import Item, Party
from core.orders import PricesChanged
from core.schemas import (
    ListArgsSchema,
    Timestamp,
    date_field,
    decimal_field,
    id_field,
    money_field,
    page_of,
    page_schema,
    percent_field,
    price_field,
)
from core.ui import MenuEntry
from plugins.sales import quotations
from plugins.sales.order_schemas import (
    LineChangeSchema,
    LineInputSchema,
    LinesInputSchema,
    OrderLineSchema,
)
from plugins.sales.pages import (
    PER_PAGE,
    email_from_form,
    hook,
    page_count,
    page_number,
    read_form,
)
from web.api import refusals
from web.auth import readers_and_writers
from web.database import db
from web.printing import (
    PDF_RESPONSE,
    EmailDocumentSchema,
    OutboxMessageSchema,
    email_document,
    pdf_response,
)

MENU = [MenuEntry("Quotations", "quotations.quotation_list", role="sales", priority=25),
        MenuEntry("Quotations", "quotations.quotation_list", role="accounting", priority=25)]
# Who may read quotations and print them: accounting too, which reads the orders they became.
VIEWERS = ("sales", "accounting")
READ_PAGES = ("quotations.quotation_list", "quotations.quotation_page",
              "quotations.quotation_pdf")

# How long a new quotation is valid unless the form says otherwise.
DEFAULT_VALIDITY = timedelta(days=30)


# Schemas -------------------------------------------------------------------------------------

class QuotationHeaderSchema(Schema):
    """A quotation's header: for whom, in which currency, until when, with which discount."""

    party_id = id_field(required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    valid_until = date_field(required=True)
    discount = percent_field(allow_none=True)


class QuotationChangeSchema(QuotationHeaderSchema):
    """What changing a quotation's header takes: any of its fields."""

    def __init__(self, **kwargs):
        super().__init__(partial=True, **kwargs)


class QuotationCreateSchema(QuotationHeaderSchema):
    """What creating a quotation takes: its header and its lines, given as an order's are."""

    lines = fields.List(fields.Nested(LineInputSchema), load_default=list,
                        validate=validate.Length(max=10_000))


class QuotationLoseSchema(Schema):
    """Why the customer declined."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=256))


class QuotationListArgsSchema(ListArgsSchema):
    """Filters of the quotation list: text in the number or party name, a shown status."""

    status = fields.String(validate=validate.OneOf(quotations.SHOWN_STATUSES))


class QuotationLineSchema(OrderLineSchema):
    """A priced quotation line, shown with an order line's keys; a quotation line has no
    ``price_source`` (its prices come from the price rules or are typed on it)."""

    unit_price = price_field("unit_price", attrgetter("quotation.currency"))
    amount = money_field("amount", attrgetter("quotation.currency"))
    tax_amount = money_field("tax_amount", attrgetter("quotation.currency"))

    class Meta:
        exclude = ("price_source",)


class QuotationSummarySchema(Schema):
    """A quotation revision without its lines; ``status`` is the one shown (maybe expired)."""

    id = fields.Integer()
    number = fields.String()
    revision = fields.Integer()
    status = fields.Function(lambda quotation: quotation.shown_status(),
                             metadata={"type": "string", "enum": list(quotations.SHOWN_STATUSES)})
    party_id = fields.Integer()
    party_name = fields.String(attribute="party.name")
    currency = fields.String()
    valid_until = fields.Date()
    discount = decimal_field()
    untaxed = money_field("untaxed", attrgetter("currency"))
    tax = money_field("tax", attrgetter("currency"))
    total = money_field("total", attrgetter("currency"))
    lost_reason = fields.String()
    order_id = fields.Integer(allow_none=True)
    order_number = fields.Function(
        lambda quotation: quotation.order.number if quotation.order_id else None,
        metadata={"type": "string", "nullable": True})
    created_at = Timestamp()


class QuotationSchema(QuotationSummarySchema):
    """A quotation revision with its priced lines."""

    lines = fields.List(fields.Nested(QuotationLineSchema))


# Pages ---------------------------------------------------------------------------------------

def blueprint():
    """The quotations pages."""
    bp = Blueprint("quotations", __name__, url_prefix="/quotations", template_folder="templates")
    bp.before_request(readers_and_writers(VIEWERS, ("sales",), READ_PAGES))
    bp.add_url_rule("/", view_func=quotation_list)
    bp.add_url_rule("/new", view_func=quotation_new, methods=["GET", "POST"])
    bp.add_url_rule("/<id:quotation_id>", view_func=quotation_page)
    bp.add_url_rule("/<id:quotation_id>/edit", view_func=quotation_edit, methods=["GET", "POST"])
    bp.add_url_rule("/<id:quotation_id>/lines", view_func=line_add, methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/lines/<id:line_id>/remove", view_func=line_remove,
                    methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/revise", view_func=quotation_revise, methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/send", view_func=quotation_send, methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/accept", view_func=quotation_accept, methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/lose", view_func=quotation_lose, methods=["POST"])
    bp.add_url_rule("/<id:quotation_id>/pdf", view_func=quotation_pdf)
    bp.add_url_rule("/<id:quotation_id>/email", view_func=quotation_email, methods=["POST"])
    return bp


def quotation_list():
    """Quotations, searchable by number or party name and filtered by the status shown."""
    text = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    status = status if status in quotations.SHOWN_STATUSES else ""
    page = page_number()
    found, total = quotations.search_quotations(db(), text, status, page, PER_PAGE)
    return render_template("sales/quotation_list.html", quotations=found, total=total,
                           page=page, pages=page_count(total), q=text, status=status,
                           statuses=quotations.SHOWN_STATUSES)


def quotation_new():
    """The form creating a quotation (its lines are added on its page)."""
    form = request.form if request.method == "POST" else {
        "currency": "EUR", "valid_until": (date.today() + DEFAULT_VALIDITY).isoformat(),
    }
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = read_form(QuotationHeaderSchema())
        status = 422 if errors else 200
        if not errors:
            try:
                quotation = quotations.create_quotation(db(), hook(), data)
            except ComptoirError as error:
                errors, status = _refusal_shown(error), error.status
            else:
                db().commit()
                flash(f"Quotation {quotation.number} created.", "info")
                return redirect(url_for("quotations.quotation_page", quotation_id=quotation.id))
    return _header_form(None, form, errors, status)


def quotation_edit(quotation_id):
    """The form changing a draft's header: party, currency, validity date, discount.

    A revision that is no longer a draft is shown instead, with why it cannot change (409).
    """
    quotation = quotations.load_quotation(db(), quotation_id, lock=request.method == "POST")
    try:
        quotations.require_draft(quotation)
    except ComptoirError as error:
        db().rollback()
        flash(error.message, "error")
        return _page(quotation_id, status=error.status)
    form = request.form if request.method == "POST" else {
        "party_id": quotation.party_id, "currency": quotation.currency,
        "valid_until": quotation.valid_until.isoformat(),
        "discount": f"{quotation.discount:f}" if quotation.discount else "",
    }
    errors, status = {}, 200
    if request.method == "POST":
        data, errors = read_form(QuotationHeaderSchema())
        status = 422 if errors else 200
        if not errors:
            try:
                # An emptied discount box means no discount.
                quotations.update_quotation(db(), hook(), quotation,
                                            {"discount": None, **data})
            except ComptoirError as error:
                errors, status = _refusal_shown(error), error.status
                quotation = quotations.load_quotation(db(), quotation_id)
            else:
                db().commit()
                flash(f"Quotation {quotation.number} saved.", "info")
                return redirect(url_for("quotations.quotation_page", quotation_id=quotation.id))
    return _header_form(quotation, form, errors, status)


def _refusal_shown(error):
    """Undo the refused change; answer its per-field messages, or flash its message when it
    names no field (such as a currency change while prices are typed in the old one)."""
    db().rollback()
    if not error.fields:
        flash(error.message, "error")
    return error.fields


def _header_form(quotation, form, errors, status=200):
    parties = db().execute(select(Party.id, Party.name).where(Party.merged_into_id.is_(None))
                           .order_by(Party.name, Party.id)).all()
    return render_template("sales/quotation_form.html", quotation=quotation, form=form,
                           errors=errors, parties=parties), status


def quotation_page(quotation_id):
    """A quotation: its lines and their explanations, totals, revisions and actions."""
    return _page(quotation_id)


def _page(quotation_id, errors=None, status=200):
    quotation = quotations.load_quotation(db(), quotation_id)
    items = db().execute(select(Item.id, Item.number, Item.name).order_by(Item.number)).all()
    return render_template(
        "sales/quotation.html", quotation=quotation, shown=quotation.shown_status(),
        revisions=quotations.revisions(db(), quotation), items=items,
        form=request.form if errors else {}, errors=errors or {},
    ), status


def _keeping_new_prices(action):
    """Run ``action``; if it found the prices moved, commit them before answering 409."""
    try:
        return action()
    except PricesChanged:
        db().commit()
        raise


def _act(quotation_id, action, done):
    """Run ``action`` on the locked quotation and commit; then flash ``done(result)`` and show
    the quotation ``action`` returns.  A refusal shows the page with the reason and its status."""
    quotation = quotations.load_quotation(db(), quotation_id, lock=True)
    try:
        shown = action(quotation)
    except PricesChanged as error:
        db().commit()  # keep the new prices: the page shows them
        flash(error.message, "error")
        return _page(quotation_id, error.fields, error.status)
    except ComptoirError as error:
        db().rollback()
        flash(error.message, "error")
        return _page(quotation_id, error.fields, error.status)
    db().commit()
    flash(done(shown), "info")
    return redirect(url_for("quotations.quotation_page", quotation_id=shown.id))


def line_add(quotation_id):
    """Add a line (item, quantity, optional typed price and discount) to a draft."""
    data, errors = read_form(LineInputSchema())
    if errors:
        return _page(quotation_id, errors, 422)

    def add(quotation):
        quotations.add_lines(db(), hook(), quotation, [data])
        return quotation

    return _act(quotation_id, add, lambda q: "Line added.")


def line_remove(quotation_id, line_id):
    """Remove a line from a draft."""

    def remove(quotation):
        quotations.remove_line(db(), hook(), quotation, line_id)
        return quotation

    return _act(quotation_id, remove, lambda q: "Line removed.")


def quotation_revise(quotation_id):
    """Archive this revision and open the next one as a draft."""
    return _act(quotation_id, lambda q: quotations.revise_quotation(db(), hook(), q),
                lambda q: f"Revision {q.revision} of quotation {q.number} created.")


def quotation_send(quotation_id):
    """Mark a draft as sent."""
    return _act(quotation_id, lambda q: quotations.send_quotation(db(), hook(), q),
                lambda q: f"Quotation {q.number} marked as sent.")


def quotation_accept(quotation_id):
    """The customer accepted: convert the quotation into a sales order."""

    def accept(quotation):
        quotations.accept_quotation(db(), hook(), quotation)
        return quotation

    return _act(quotation_id, accept,
                lambda q: f"Quotation {q.number} accepted: order {q.order.number} created.")


def quotation_lose(quotation_id):
    """Mark the quotation as lost, with the reason given."""
    reason = request.form.get("reason", "")
    return _act(quotation_id, lambda q: quotations.lose_quotation(db(), q, reason),
                lambda q: f"Quotation {q.number} marked as lost.")


def quotation_pdf(quotation_id):
    """The quotation revision as a PDF."""
    return _pdf(quotations.load_quotation(db(), quotation_id))


def quotation_email(quotation_id):
    """E-mail the quotation's PDF (to the address typed, or the party's)."""
    quotation = quotations.load_quotation(db(), quotation_id)
    return email_from_form(lambda data: (_email(quotation, data), _name(quotation)),
                           lambda errors, status: _page(quotation_id, errors, status),
                           url_for("quotations.quotation_page", quotation_id=quotation_id))


def _pdf(quotation):
    return pdf_response("quotation.html", _filename(quotation), document=quotation)


def _filename(quotation):
    return f"quotation-{quotation.number}-{quotation.revision}.pdf"


def _name(quotation):
    return f"Quotation {quotation.number}"


def _email(quotation, data):
    quotations.require_valid(quotation, "e-mailed")  # its PDF would offer what no longer holds
    return email_document(
        "quotation.html", data, party=quotation.party, document=quotation,
        subject=_name(quotation), filename=_filename(quotation),
        body=f"Please find attached our quotation {quotation.number}, valid until "
             f"{quotation.valid_until.isoformat()}.")


# API -----------------------------------------------------------------------------------------

def api_blueprint():
    """The quotations API."""
    blp = ApiBlueprint("quotations_api", __name__, url_prefix="/api/v1/quotations",
                       description="Quotations: revisions, sending, acceptance into orders")
    blp.before_request(readers_and_writers(VIEWERS, ("sales",)))

    def done(quotation):
        """Commit the change and answer ``quotation`` (it stays loaded after the commit)."""
        db().commit()
        return quotation

    @blp.route("")
    class QuotationList(MethodView):
        @blp.arguments(QuotationListArgsSchema, location="query")
        @blp.response(200, page_schema(QuotationSummarySchema, "QuotationPage"))
        def get(self, args):
            """Quotations, newest first, a page at a time (archived revisions only on request)."""
            found, total = quotations.search_quotations(
                db(), args["q"], args.get("status"), args["page"], args["per_page"])
            return page_of(found, total, args)

        @blp.arguments(QuotationCreateSchema)
        @blp.response(201, QuotationSchema)
        def post(self, data):
            """Create a draft quotation with its lines, priced."""
            return done(quotations.create_quotation(db(), hook(), data))

    @blp.route("/<id:quotation_id>")
    class QuotationItem(MethodView):
        @blp.response(200, QuotationSchema)
        @refusals(blp, 404)
        def get(self, quotation_id):
            """One quotation revision with its priced lines."""
            return quotations.load_quotation(db(), quotation_id)

        @blp.arguments(QuotationChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, QuotationSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, quotation_id):
            """Change a draft's party, currency, validity date or discount; reprices it.

            The currency cannot change (409) while a line has a typed unit price.
            """
            quotation = quotations.load_quotation(db(), quotation_id, lock=True)
            return done(quotations.update_quotation(db(), hook(), quotation, data))

    @blp.route("/<id:quotation_id>/lines", methods=["POST"])
    @blp.arguments(LinesInputSchema)
    @blp.response(201, QuotationLineSchema(many=True))
    @refusals(blp, 404, 409)
    def lines_add(data, quotation_id):
        """Append lines to a draft; the quotation is repriced.  Answers the new lines."""
        quotation = quotations.load_quotation(db(), quotation_id, lock=True)
        added = quotations.add_lines(db(), hook(), quotation, data["lines"])
        db().commit()
        return added

    @blp.route("/<id:quotation_id>/lines/<id:line_id>")
    class QuotationLineItem(MethodView):
        @blp.arguments(LineChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, QuotationLineSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, quotation_id, line_id):
            """Change a line of a draft; the quotation is repriced.  Answers the line."""
            quotation = quotations.load_quotation(db(), quotation_id, lock=True)
            line = quotations.update_line(db(), hook(), quotation, line_id, data)
            db().commit()
            return line

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, quotation_id, line_id):
            """Remove a line of a draft; the quotation is repriced."""
            quotation = quotations.load_quotation(db(), quotation_id, lock=True)
            quotations.remove_line(db(), hook(), quotation, line_id)
            db().commit()

    @blp.route("/<id:quotation_id>/revisions")
    @blp.response(200, QuotationSummarySchema(many=True))
    @refusals(blp, 404)
    def revision_list(quotation_id):
        """Every revision of the quotation's number, the first one first."""
        return quotations.revisions(db(), quotations.load_quotation(db(), quotation_id))

    @blp.route("/<id:quotation_id>/revise", methods=["POST"])
    @blp.response(201, QuotationSchema)
    @refusals(blp, 404, 409, 422)
    def revise(quotation_id):
        """Archive this revision and answer the next one, a draft copy with the same number."""
        quotation = quotations.load_quotation(db(), quotation_id, lock=True)
        return done(quotations.revise_quotation(db(), hook(), quotation))

    @blp.route("/<id:quotation_id>/send", methods=["POST"])
    @blp.response(200, QuotationSchema)
    @refusals(blp, 404, 409, 422)
    def send(quotation_id):
        """Mark a draft as sent (409 once expired, or when its prices moved since it was priced:
        it then stays a draft showing the new prices)."""
        quotation = quotations.load_quotation(db(), quotation_id, lock=True)
        return done(_keeping_new_prices(lambda: quotations.send_quotation(db(), hook(),
                                                                          quotation)))

    @blp.route("/<id:quotation_id>/accept", methods=["POST"])
    @blp.response(200, QuotationSchema)
    @refusals(blp, 404, 409, 422)
    def accept(quotation_id):
        """Convert a draft or sent quotation into a sales order; answers its id and number.

        Refused (409) once the quotation expired, or when a draft's prices moved since it was
        priced (it then stays a draft showing the new prices).
        """
        quotation = quotations.load_quotation(db(), quotation_id, lock=True)
        _keeping_new_prices(lambda: quotations.accept_quotation(db(), hook(), quotation))
        return done(quotation)

    @blp.route("/<id:quotation_id>/lose", methods=["POST"])
    @blp.arguments(QuotationLoseSchema)
    @blp.response(200, QuotationSchema)
    @refusals(blp, 404, 409)
    def lose(data, quotation_id):
        """Mark a draft or sent quotation as lost, with the customer's reason."""
        quotation = quotations.load_quotation(db(), quotation_id, lock=True)
        return done(quotations.lose_quotation(db(), quotation, data["reason"]))

    @blp.route("/<id:quotation_id>/pdf")
    @blp.doc(responses={"200": PDF_RESPONSE})
    @refusals(blp, 404)
    def pdf(quotation_id):
        """The quotation revision as a PDF."""
        return _pdf(quotations.load_quotation(db(), quotation_id))

    @blp.route("/<id:quotation_id>/email", methods=["POST"])
    @blp.arguments(EmailDocumentSchema, required=False)  # every field has a default
    @blp.response(202, OutboxMessageSchema)
    @refusals(blp, 404, 409)
    def email(data, quotation_id):
        """E-mail the quotation's PDF: to ``to``, or the party's address (422 with neither);
        409 once it expired.

        Answers the outbox message: ``sent`` once the mail server took it, else ``queued`` and
        retried later.
        """
        return _email(quotations.load_quotation(db(), quotation_id), data)

    return blp
