"""Invoice pages and API: invoice kinds, invoices from an order, from packing slips or as free
text, pro forma invoices, changing and posting drafts."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort
from sqlalchemy import select

from core import orders
from core.errors import ComptoirError, NotFound, ValidationError
from core.invoicekinds import crediting_kinds, invoice_kinds
from core.models import Order, Party, TaxCategory
from core.money import check_currency
from core.numbering import written_number
from core.ordertypes import brings_goods_back, order_types
from core.parties import billing_details
from core.schemas import PeriodSchema, page_of
from core.ui import MenuEntry
from plugins.fulfilment.models import PackingSlip
from plugins.invoicing import invoices
from plugins.invoicing.chart import list_profiles
from plugins.invoicing.credit_notes import credited_quantities
from plugins.invoicing.documents_views import printed_kind
from plugins.invoicing.invoice_schemas import (
    FreeTextLineInputSchema,
    HeaderSchema,
    InvoiceChangeSchema,
    InvoiceCreateSchema,
    InvoiceKindSchema,
    InvoiceLineChangeSchema,
    InvoiceLineSchema,
    InvoiceLinesInputSchema,
    InvoiceListArgsSchema,
    InvoicePageSchema,
    InvoiceSchema,
)
from plugins.invoicing.kinds import CREDIT_NOTE
from plugins.invoicing.ledger import invoice_entries
from plugins.invoicing.models import Invoice
from plugins.invoicing.payments import invoice_settlements
from plugins.invoicing.posting import invoice_to_post, load_invoice, post_invoice
from plugins.sales.pages import (
    PER_PAGE,
    asked_party,
    filter_id,
    hook,
    page_count,
    page_number,
    read_form,
    record_id,
    record_ids,
)
from web.api import refusals
from web.auth import role_required
from web.database import db
from web.once import sent_once

MENU = [MenuEntry("Invoices", "invoices.invoice_list", role="accounting", priority=40)]
ROLE = "accounting"
LINE_ROWS = 5  # empty free text lines offered by the form
# What a draft's line form changes: each box the line's form shows, sent empty, is refused.
LINE_CHANGES = ("account", "description", "quantity", "unit_price", "tax_category")
CHOICES_SHOWN = 500  # customers offered in the forms' lists


def blueprint():
    """The invoice pages: list, the three ways of creating one, the invoice and its actions."""
    bp = Blueprint("invoices", __name__, url_prefix="/invoicing/invoices",
                   template_folder="templates")
    bp.before_request(role_required(ROLE)(lambda: None))

    @bp.route("/")
    def invoice_list():
        text = request.args.get("q", "")[:128]
        kind = request.args.get("kind") or None
        status = request.args.get("status") or None
        payment = request.args.get("payment") or None
        party_id, order_id = filter_id("party_id"), filter_id("order_id")
        slip_id = filter_id("packing_slip_id")
        page = page_number()
        period, errors = read_form(PeriodSchema(), request.args)
        found, total = [], 0  # a period that cannot be: no list, the mistakes beside its boxes
        if not errors:
            found, total = invoices.search_invoices(
                db(), text, kind, status, party_id, page, PER_PAGE, order_id, slip_id, payment,
                crediting_kinds(hook()), **period)
        page = render_template("invoicing/invoices.html", invoices=found, total=total,
                               page=page, pages=page_count(total), q=text, kind=kind,
                               status=status, payment=payment, payments=invoices.PAYMENTS,
                               party_id=party_id, order_id=order_id,
                               order_number=order_id and db().scalar(
                                   select(Order.number).where(Order.id == order_id)),
                               packing_slip_id=slip_id, slip_number=slip_id and db().scalar(
                                   select(PackingSlip.number).where(PackingSlip.id == slip_id)),
                               kinds=invoice_kinds(hook()), parties=_customers(),
                               period=request.args, errors=errors)
        return page, 422 if errors else 200

    @bp.route("/new/order", methods=["GET", "POST"])
    def new_from_order():
        """Choose an order (by number or id) and the quantities of its lines to invoice."""
        order, errors, form = _order_asked(lock=request.method == "POST"), {}, request.form
        if order is not None and request.method == "POST":
            try:
                quantities = _quantities_from_form(order)
                header, errors = read_form(HeaderSchema())
                if errors:
                    raise ValidationError("the invoice is not valid", fields=errors)
                invoice = invoices.invoice_from_order(db(), hook(), order, quantities,
                                                      form.get("kind") or None, header)
            except ComptoirError as error:
                db().rollback()
                errors = error.fields or {"_": [error.message]}  # each field shows its own
                order = _order_asked()
            else:
                db().commit()
                return redirect(url_for("invoices.invoice_page", invoice_id=invoice.id))
        left = invoices.open_quantities(db(), hook(), order) if order else {}
        awaiting = [] if order else invoices.awaiting_invoice(db())
        drafts = invoices.drafts_holding(db(), hook(), [order.id] if order else
                                         [candidate.id for candidate in awaiting])
        page = render_template("invoicing/invoice_new_order.html", order=order, left=left,
                               errors=errors, form=form, profiles=_profiles(),
                               kinds=_kinds_taking("items", _returned(order)),
                               awaiting=awaiting, drafts=drafts)
        return page, 422 if errors else (404 if _order_missing(order) else 200)

    @bp.route("/new/packing-slips", methods=["GET", "POST"])
    def new_from_slips():
        """Choose a customer, then some of its packing slips not invoiced yet."""
        party, missing = asked_party(request.values.get("party_id"))
        party_id = party.id if party else None  # not every slip of nobody invoiced
        errors, form = dict(missing), request.form
        if not missing and request.method == "POST":
            ids = record_ids(form.getlist("packing_slip_ids"))
            header, errors = read_form(HeaderSchema())
            if not errors:
                try:
                    invoice = invoices.invoice_from_packing_slips(
                        db(), hook(), ids, form.get("kind") or None, header, party_id)
                except ComptoirError as error:
                    db().rollback()
                    errors = error.fields or {"_": [error.message]}
                else:
                    db().commit()
                    return redirect(url_for("invoices.invoice_page", invoice_id=invoice.id))
        slips = invoices.uninvoiced_slips(db(), hook(), party_id) if party_id else {}
        types = order_types(hook())
        returned = {slip.id for slip in slips if brings_goods_back(types, slip.order.type)}
        # A slip's page asks for it alone ("Invoice this slip"): it may have nothing left.
        asked = set(record_ids(request.args.getlist("packing_slip_ids")))
        page = render_template("invoicing/invoice_new_slips.html", party_id=party_id,
                               slips=slips, returned=returned,
                               done=asked - {slip.id for slip in slips},
                               ticked=_slips_ticked(slips, returned, form, asked),
                               errors=errors, form=form, parties=_customers(),
                               profiles=_profiles(), kinds=_kinds_taking("items", None),
                               by_goods=True)
        return page, 404 if missing else (422 if errors else 200)

    @bp.route("/new/free-text", methods=["GET", "POST"])
    @sent_once  # two drafts of one form would both be posted: the customer charged twice
    def new_free_text():
        """A free text invoice (or a kind taking the same lines): header and lines."""
        errors, form = {}, request.form
        if request.method == "POST":
            rows = []
            try:
                data, rows = _free_text_from_form()
                invoice = invoices.free_text_invoice(db(), hook(), data)
            except ComptoirError as error:
                db().rollback()
                errors = {"_": [error.message], **_on_rows(error.fields, rows)}
            else:
                db().commit()
                return redirect(url_for("invoices.invoice_page", invoice_id=invoice.id))
        page = render_template("invoicing/invoice_new_free_text.html", errors=errors,
                               form=form, rows=range(LINE_ROWS), parties=_customers(),
                               profiles=_profiles(), kinds=_kinds_taking("accounts"),
                               accounts=invoices.line_accounts(db()),
                               taxes=db().scalars(select(TaxCategory)
                                                  .order_by(TaxCategory.code)).all())
        return page, 422 if errors else 200

    @bp.route("/<id:invoice_id>")
    def invoice_page(invoice_id, errors=None, status=200):
        invoice = load_invoice(db(), invoice_id)
        kinds = invoice_kinds(hook())
        takes_text = (invoice.status == "draft" and invoice.kind in kinds
                      and invoices.takes_free_text(hook(), invoice))
        # A draft bills the customer as it is when posted: what that would be now.
        bills_to = billing_details(invoice.party) if invoice.status == "draft" else None
        page = render_template("invoicing/invoice.html", invoice=invoice, bills_to=bills_to,
                               kinds=kinds, printed_kind=printed_kind(invoice),
                               errors=errors or {}, takes_text=takes_text,
                               accounts=invoices.line_accounts(db()) if takes_text else [],
                               taxes=db().scalars(select(TaxCategory).order_by(TaxCategory.code))
                               .all() if takes_text else [],
                               returnable=_returnable(invoice, kinds.get(invoice.kind)),
                               form=request.form, profiles=_profiles(),
                               entries=invoice_entries(db(), invoice.id),
                               settlements=invoice_settlements(db(), invoice))
        return page, status

    def act(invoice_id, action, done):
        """Run ``action(invoice)`` and commit; on refusal show why on the invoice's page."""
        invoice = load_invoice(db(), invoice_id, lock=True)
        try:
            result = action(invoice)
        except ComptoirError as error:
            db().rollback()
            return invoice_page(invoice_id, errors=error.fields or {"_": [error.message]},
                                status=error.status)
        db().commit()
        flash(done, "info")
        if isinstance(result, Invoice):
            return redirect(url_for("invoices.invoice_page", invoice_id=result.id))
        return redirect(url_for("invoices.invoice_list"))

    @bp.route("/<id:invoice_id>/post", methods=["POST"])
    def post(invoice_id):
        return act(invoice_id, lambda invoice: post_invoice(db(), hook(), invoice),
                   "Invoice posted.")

    @bp.route("/<id:invoice_id>/pro-forma", methods=["POST"])
    def pro_forma(invoice_id):
        return act(invoice_id, lambda invoice: invoices.pro_forma_of(db(), hook(), invoice),
                   "Pro forma invoice made.")

    @bp.route("/<id:invoice_id>/delete", methods=["POST"])
    def delete(invoice_id):
        return act(invoice_id, lambda invoice: invoices.delete_invoice(db(), invoice),
                   "Draft invoice deleted.")

    @bp.route("/<id:invoice_id>/header", methods=["POST"])
    def header_change(invoice_id):
        def change(invoice):
            data, errors = read_form(InvoiceChangeSchema(),
                                     kept=("invoice_date", "posting_profile"))
            if errors:
                raise ValidationError("the invoice cannot be changed", fields=errors)
            if "note" in request.form and "note" not in data:  # emptied
                data["note"] = ""
            if "due_date" in request.form and "due_date" not in data:  # emptied: the default
                data["due_date"] = None
            return invoices.update_invoice(db(), hook(), invoice, data)

        return act(invoice_id, change, "Invoice updated.")

    @bp.route("/<id:invoice_id>/lines", methods=["POST"])
    def line_add(invoice_id):
        """Add a free text line to a draft that takes them."""
        def add(invoice):
            data, errors = read_form(FreeTextLineInputSchema())
            if errors:
                [errors] = _with_lines_mistakes([errors], [request.form], invoice.currency,
                                                invoice.kind)
                raise ValidationError("the line is not valid", fields=errors)
            try:
                invoices.add_lines(db(), hook(), invoice, [data])
            except ValidationError as error:
                problems = error.fields.get("lines")
                if isinstance(problems, dict) and len(problems) == 1:  # the line's, by field
                    raise ValidationError(error.message,
                                          fields=next(iter(problems.values()))) from None
                raise
            return invoice

        return act(invoice_id, add, "Line added.")

    @bp.route("/<id:invoice_id>/lines/<id:line_id>", methods=["POST"])
    def line_change(invoice_id, line_id):
        """Change a draft's line: the quantity and description of an order line's part, or a
        free text line's account, description, quantity, unit price and tax category."""
        def change(invoice):
            data, errors = read_form(InvoiceLineChangeSchema(only=LINE_CHANGES),
                                     kept=LINE_CHANGES)
            if errors:
                raise ValidationError("the line cannot be changed", fields=errors)
            invoices.update_line(db(), hook(), invoice, line_id, data)
            return invoice

        return act(invoice_id, change, "Line changed.")

    @bp.route("/<id:invoice_id>/lines/<id:line_id>/remove", methods=["POST"])
    def line_remove(invoice_id, line_id):
        return act(invoice_id,
                   lambda invoice: invoices.remove_line(db(), hook(), invoice, line_id),
                   "Line removed.")

    return bp


def _order_asked(lock=False):
    """The order the form names by ``order_id`` or by ``order`` number, with its lines;
    ``lock`` takes its row lock (see ``_order_named``)."""
    order_id = request.values.get("order_id", type=record_id)
    number = request.values.get("order", "").strip()[:32]
    if order_id is None and number:
        # Equalities rather than upper() on the column: the number's index finds them.
        order_id = db().scalar(select(Order.id).where(Order.number.in_(
            {number, written_number(db(), "order", number)})))
    if order_id is None:
        return None
    try:
        return orders.load_order(db(), order_id, lock=lock, explained=False)
    except ComptoirError:
        return None


def _order_missing(order):
    return order is None and bool(request.values.get("order_id") or request.values.get("order"))


def _quantities_from_form(order):
    """``{order line id: quantity}`` typed on the form (``quantity-<line id>``)."""
    quantities, errors = {}, {}
    schema = FreeTextLineInputSchema(only=("quantity",))
    for line in order.lines:
        raw = request.form.get(f"quantity-{line.id}", "").strip()
        if raw and raw != "0":
            data, problems = read_form(schema, _Form({"quantity": raw}))
            if problems:
                errors[f"quantity-{line.id}"] = problems["quantity"]
            else:
                quantities[line.id] = data["quantity"]
    if errors:
        raise ValidationError("the quantities are not valid", fields=errors)
    if not quantities:
        raise ValidationError("nothing to invoice", fields={"quantities": ["Type a quantity."]})
    return quantities


def _free_text_from_form():
    """The free text invoice typed on the form and the form's row of each of its lines;
    mistakes of every field and every row are reported at once, keyed by row."""
    header_fields = ("invoice_date", "due_date", "posting_profile", "note")
    header, errors = read_form(HeaderSchema(only=header_fields))
    errors = dict(errors or {})
    party_id = request.form.get("party_id", type=record_id)
    if not party_id:
        errors["party_id"] = ["Choose a customer."]
    lines, rows, line_errors = [], [], {}
    schema = FreeTextLineInputSchema()
    for row in range(LINE_ROWS):
        typed = {name: request.form.get(f"{name}-{row}", "") for name in schema.fields}
        if not any(value.strip() for value in typed.values()):
            continue
        data, problems = read_form(schema, _Form(typed))
        if problems:
            line_errors[row] = problems
        lines.append(data)
        rows.append(row)
    currency, kind = request.form.get("currency") or "EUR", request.form.get("kind")
    try:
        check_currency(currency)
    except ValidationError as error:
        errors.update(error.fields)
    errors.update(asked_party(request.form.get("party_id"))[1])
    if errors or line_errors:  # the lines' own checks told now, not once these are mended
        told = _with_lines_mistakes([line_errors.get(row, {}) for row in rows],
                                    [_Form({name: request.form.get(f"{name}-{row}", "")
                                            for name in schema.fields}) for row in rows],
                                    "EUR" if "currency" in errors else currency,
                                    kind or "free_text")
        told = {row: mistakes for row, mistakes in zip(rows, told, strict=True) if mistakes}
        if told:
            errors["lines"] = told
    if errors:
        raise ValidationError("the invoice is not valid", fields=errors)
    data = {**(header or {}), "party_id": party_id, "kind": kind, "currency": currency,
            "lines": lines}
    return data, rows


# A line's figures: one that cannot be read leaves the others' checks nothing to say.
FIGURES = {"quantity", "unit_price", "amount"}


def _with_lines_mistakes(mistakes, forms, currency, kind_code):
    """The ``mistakes`` of free text lines typed on ``forms`` (each line's, what its fields
    could not read) with what the lines' own checks (``invoices.free_text_lines`` and the
    invoice kind ``kind_code``'s) say of them as far as they could be read: every mistake at
    once, not the numbers' first.  A line's own checks are not told on a field it could not
    read, nor on its figures when one of them could not be read."""
    kind = invoice_kinds(hook()).get(kind_code)
    schema = FreeTextLineInputSchema()
    readable = [read_form(schema, _Form({name: value for name, value in form.items()
                                         if name not in faulted}))[0] or {}
                for form, faulted in zip(forms, mistakes, strict=True)]
    try:
        rows = invoices.free_text_lines(db(), readable, currency, kind)
        said = invoices.kinds_refusals(kind, currency, rows, {})
    except ValidationError as refusal:
        said = refusal.fields.get("lines")
    if not isinstance(said, dict):
        return mistakes
    told = []
    for index, faulted in enumerate(mistakes):
        checked = {field: messages for field, messages in said.get(index, {}).items()
                   if not (faulted.keys() & FIGURES and field in FIGURES)}
        told.append({**checked, **faulted})
    return told


def _on_rows(errors, rows):
    """``errors`` with the messages of line ``i`` moved to the form's row ``rows[i]``."""
    if rows and isinstance(errors.get("lines"), dict):
        return {**errors, "lines": {rows[index]: messages
                                    for index, messages in errors["lines"].items()}}
    return errors


class _Form(dict):
    """A plain dict read like a request form."""

    def getlist(self, name):
        return [self[name]] if name in self else []


def _customers():
    return db().scalars(select(Party).where(Party.merged_into_id.is_(None))
                        .order_by(Party.name).limit(CHOICES_SHOWN)).all()


def _returnable(invoice, kind):
    """Whether a posted invoice still has a line that a credit note could credit."""
    if invoice.status != "posted" or kind is None or not kind.posts or kind.sign < 0:
        return False
    credited = credited_quantities(db(), invoice)
    return any(line.quantity > credited.get(line.id, 0) for line in invoice.lines)


def _profiles():
    return list_profiles(db())


def _kinds_taking(lines, returned=False):
    """The kinds a new invoice of ``lines`` may be, the usual one first: those charging the
    customer, or with ``returned`` those crediting a returned order; both with ``returned``
    None (packing slips, which may be of either).  Other credit notes are made from the
    invoice they credit."""
    usual = {"accounts": "free_text", "items": CREDIT_NOTE if returned else "customer"}[lines]
    kinds = [kind for kind in invoice_kinds(hook()).values()
             if kind.lines in (lines, "any") and (returned is None or (kind.sign < 0) == returned)]
    return sorted(kinds, key=lambda kind: kind.code != usual)


def _slips_ticked(slips, returned, form, asked):
    """The ids of the slips ticked on the packing-slip invoice page: those chosen (none, if
    none was), those a link names (``asked``: a slip's page, "Invoice this slip"), or by
    default every slip of delivered goods (every returned one when there are only returns),
    since one invoice does not both charge and credit."""
    if request.method == "POST":
        return set(record_ids(form.getlist("packing_slip_ids")))
    if "packing_slip_ids" in request.args:
        return asked
    delivered = {slip.id for slip in slips} - returned
    return delivered or returned


def _returned(order):
    """Whether ``order`` brings goods back (a Returned order): a credit note credits it."""
    return invoices.invoice_kind_for(hook(), [order]) == CREDIT_NOTE if order else False


def api_blueprint():
    """The invoice API: invoice kinds, invoices, their lines, posting and pro forma."""
    blp = ApiBlueprint("invoices_api", __name__, url_prefix="/api/v1",
                       description="Invoice kinds and invoices")

    @blp.route("/invoice-kinds")
    @blp.response(200, InvoiceKindSchema(many=True))
    @role_required(ROLE)
    def kinds():
        """Every invoice kind the enabled modules contribute, with its rules."""
        return list(invoice_kinds(hook()).values())

    @blp.route("/invoices")
    class Invoices(MethodView):
        decorators = [role_required(ROLE)]

        @blp.arguments(InvoiceListArgsSchema, location="query")
        @blp.response(200, InvoicePageSchema)
        def get(self, args):
            """Invoices, drafts first then newest first, searched by number or customer name
            (``q``), of a kind (an unknown one is refused), a status, a customer, with lines of
            an order or of a packing slip, with something left to settle, overdue or settled,
            dated from ``start`` to ``end``."""
            if args.get("kind") and not invoices.known_kind(db(), hook(), args["kind"]):
                abort(422, message="unknown invoice kind",
                      errors={"query": {"kind": [f"Unknown kind {args['kind']}."]}})
            found, total = invoices.search_invoices(
                db(), args["q"], args.get("kind"), args.get("status"), args.get("party_id"),
                args["page"], args["per_page"], args.get("order_id"),
                args.get("packing_slip_id"), args.get("payment"), crediting_kinds(hook()),
                args.get("start"), args.get("end"))
            return page_of(found, total, args)

        @blp.arguments(InvoiceCreateSchema)
        @blp.response(201, InvoiceSchema)
        @refusals(blp, 409)
        def post(self, data):
            """Create a draft invoice of ``kind``: from an order (``order_id``, and
            ``quantities``, by default all that is left to invoice), from ``packing_slip_ids``
            (of one customer, possibly of several orders), or of free text ``lines``."""
            header = {name: data[name] for name in invoices.HEADER_FIELDS if name in data}
            if "order_id" in data:
                order = _order_named(data["order_id"])
                quantities = None
                if "quantities" in data:
                    quantities = {}
                    for wanted in data["quantities"]:
                        quantities[wanted["order_line_id"]] = (
                            quantities.get(wanted["order_line_id"], 0) + wanted["quantity"])
                invoice = invoices.invoice_from_order(db(), hook(), order, quantities,
                                                      data.get("kind"), header,
                                                      data.get("party_id"), data.get("currency"))
            elif "packing_slip_ids" in data:
                invoice = invoices.invoice_from_packing_slips(
                    db(), hook(), data["packing_slip_ids"], data.get("kind"), header,
                    data.get("party_id"), data.get("currency"))
            else:
                invoice = invoices.free_text_invoice(db(), hook(), data)
            db().commit()
            return load_invoice(db(), invoice.id)

    @blp.route("/invoices/<id:invoice_id>")
    class OneInvoice(MethodView):
        decorators = [role_required(ROLE)]

        @blp.response(200, InvoiceSchema)
        @refusals(blp, 404)
        def get(self, invoice_id):
            """The invoice with its lines and totals."""
            return load_invoice(db(), invoice_id)

        @blp.arguments(InvoiceChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, InvoiceSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, invoice_id):
            """Change a draft invoice's dates, posting profile or note (409 once posted)."""
            return _commit(invoices.update_invoice(db(), hook(), _locked(invoice_id), data))

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, invoice_id):
            """Delete a draft invoice (409 once posted: a credit note corrects it)."""
            _commit(invoices.delete_invoice(db(), _locked(invoice_id)))

    @blp.route("/invoices/<id:invoice_id>/lines", methods=["POST"])
    @blp.arguments(InvoiceLinesInputSchema)
    @blp.response(201, InvoiceLineSchema(many=True))
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def lines_add(data, invoice_id):
        """Append free text lines to a draft invoice of a kind that takes them."""
        return _commit(invoices.add_lines(db(), hook(), _locked(invoice_id), data["lines"]))

    @blp.route("/invoices/<id:invoice_id>/lines/<id:line_id>")
    class OneLine(MethodView):
        decorators = [role_required(ROLE)]

        @blp.arguments(InvoiceLineChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, InvoiceLineSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, invoice_id, line_id):
            """Change a line of a draft invoice: the quantity (its amounts follow) and the
            description of an order line's part, or any field of a free text line."""
            return _commit(invoices.update_line(db(), hook(), _locked(invoice_id), line_id,
                                                data))

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, invoice_id, line_id):
            """Remove a line of a draft invoice."""
            _commit(invoices.remove_line(db(), hook(), _locked(invoice_id), line_id))

    @blp.route("/invoices/<id:invoice_id>/post", methods=["POST"])
    @blp.response(200, InvoiceSchema)
    @refusals(blp, 404, 409, 422)
    @role_required(ROLE)
    def post(invoice_id):
        """Post a draft invoice: it takes the next number of its kind's sequence and writes its
        ledger entries.  409 once posted, for a pro forma, beyond what is left to invoice, for
        a date after today or before the latest invoice its sequence numbered (numbers follow
        dates), and when no enabled module brings its kind any more; 422 when its kind's
        validation refuses it (per line, under ``lines``)."""
        invoice = post_invoice(db(), hook(), invoice_to_post(db(), invoice_id))
        db().commit()
        return load_invoice(db(), invoice.id)

    @blp.route("/invoices/<id:invoice_id>/pro-forma", methods=["POST"])
    @blp.response(201, InvoiceSchema)
    @refusals(blp, 404, 409, 422)
    @role_required(ROLE)
    def pro_forma(invoice_id):
        """Make a pro forma invoice of a draft customer or free text invoice; 409 when no
        enabled module brings the draft's kind any more."""
        return _commit(invoices.pro_forma_of(db(), hook(), _locked(invoice_id)))

    return blp


def _order_named(order_id):
    """The order a request body names, under its row lock (two invoices of it made at once
    would each take all that is left); an unknown one is refused (422) on ``order_id``, as an
    unknown party or packing slip is."""
    try:
        return orders.load_order(db(), order_id, lock=True, explained=False)
    except NotFound as error:
        raise ValidationError(error.message,
                              fields={"order_id": [f"Order {order_id} does not exist."]}) from None


def _locked(invoice_id):
    return load_invoice(db(), invoice_id, lock=True)


def _commit(result):
    db().commit()
    return result

