"""Settling invoices, pages and API: credit notes (cancel an unpaid invoice, credit part of
one), payments and their applications, customer balances and the aged list of open
invoices."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select

from core.errors import ComptoirError, Conflict, ValidationError
from core.formatting import amount_field
from core.invoicekinds import kind_signs
from core.models import Party
from core.money import check_currency
from core.parties import get_party
from core.schemas import PeriodSchema, decimal_field, page_of
from core.ui import MenuEntry
from plugins.invoicing import credit_notes, payments
from plugins.invoicing.invoice_schemas import InvoiceSchema
from plugins.invoicing.models import PAYMENT_KINDS, Account, Invoice
from plugins.invoicing.payment_schemas import (
    AgedArgsSchema,
    AgedSchema,
    ApplicationInputSchema,
    ApplicationsInputSchema,
    CancelResultSchema,
    CancelSchema,
    CreditNoteCreateSchema,
    CustomerBalanceSchema,
    PaymentCreateSchema,
    PaymentListArgsSchema,
    PaymentPageSchema,
    PaymentSchema,
    RefundCreateSchema,
)
from plugins.invoicing.posting import load_invoice
from plugins.sales.pages import (
    PER_PAGE,
    asked_party,
    filter_id,
    hook,
    live_party,
    page_count,
    page_number,
    read_form,
    record_ids,
)
from web.api import refusals
from web.auth import role_required
from web.database import db
from web.once import sent_once

ROLE = "accounting"
MENU = [MenuEntry("Payments", "payments.payment_list", role=ROLE, priority=41),
        MenuEntry("Balances", "payments.balance", role=ROLE, priority=42),
        MenuEntry("Aged invoices", "payments.aged", role=ROLE, priority=43)]
CREDITED_QUANTITY = decimal_field(above_minimum=True)
CHOICES_SHOWN = 500  # customers offered in the forms' lists


def blueprint():
    """The pages: payments, registering and applying one, a customer's balance, the aged list,
    and cancelling or crediting an invoice."""
    bp = Blueprint("payments", __name__, url_prefix="/invoicing", template_folder="templates")
    bp.before_request(role_required(ROLE)(lambda: None))

    @bp.route("/payments/")
    def payment_list():
        text = request.args.get("q", "")[:128]
        party_id = filter_id("party_id")
        kind = request.args.get("kind") or None
        page = page_number()
        period, errors = read_form(PeriodSchema(), request.args)
        found, total = [], 0  # a period that cannot be: no list, the mistakes beside its boxes
        if not errors:
            found, total = payments.search_payments(db(), text, page, PER_PAGE, party_id, kind,
                                                    **period)
        page = render_template("invoicing/payments.html", payments=found, total=total,
                               page=page, pages=page_count(total), q=text, party_id=party_id,
                               kind=kind, kinds=PAYMENT_KINDS, parties=_customers(),
                               period=request.args, errors=errors)
        return page, 422 if errors else 200

    @bp.route("/payments/new", methods=["GET", "POST"])
    @sent_once
    def payment_new():
        """Choose the customer (and currency) first; then the amount and its applications."""
        form = request.form if request.method == "POST" else request.args
        party = live_party(form.get("party_id"))
        currency = (form.get("currency") or "EUR").strip().upper()[:3]
        errors, status = {}, 422
        if party is None and form.get("party_id"):
            errors = {"party_id": ["Unknown customer."]}
        chosen = party  # stays chosen when the currency is refused
        try:  # asked before the amount and its invoices
            check_currency(currency)
        except ValidationError as error:
            errors, party = {**errors, **error.fields}, None
        if party is not None and request.method == "POST":
            data, errors = read_form(PaymentCreateSchema(exclude=("applications",)))
            applications, application_errors = _applications_from_form()
            errors = {**(errors or {}), **application_errors}
            if not errors:
                try:
                    payment = payments.register_payment(
                        db(), party.id, data["amount"], data["currency"], data["payment_date"],
                        data["reference"], applications, data["account"])
                except ComptoirError as error:
                    db().rollback()
                    errors, status = error.fields or {"_": [error.message]}, error.status
                    party = live_party(form.get("party_id"))
                else:
                    db().commit()
                    flash(f"Payment {payment.number} registered.", "info")
                    return redirect(url_for("payments.payment_page", payment_id=payment.id))
        offered = payments.open_invoices(db(), party.id, currency) if party else []
        if request.method == "GET":
            form = _paying_invoice(form, offered)
        page = render_template(
            "invoicing/payment_new.html", party=party, chosen=chosen, currency=currency,
            form=form, errors=errors, parties=_customers(), today=date.today(),
            banks=_banks(), invoices=offered)
        return page, status if errors else 200

    @bp.route("/payments/<id:payment_id>")
    def payment_page(payment_id, errors=None, status=200):
        payment = payments.load_payment(db(), payment_id)
        page = render_template(
            "invoicing/payment.html", payment=payment, errors=errors or {}, form=request.form,
            applications=payments.payment_applications(db(), payment),
            refunds=payments.payment_refunds(db(), payment), today=date.today(),
            banks=_banks(),
            entries=payments.payment_entries(db(), payment),
            invoices=(payments.open_invoices(db(), payment.party_id, payment.currency)
                      if payment.unapplied else []))
        return page, status

    @bp.route("/payments/<id:payment_id>/applications", methods=["POST"])
    @sent_once
    def payment_apply(payment_id):
        applications, errors = _applications_from_form()
        try:
            if errors:
                raise ValidationError("the payment cannot be applied so", fields=errors)
            payment = payments.load_payment(db(), payment_id, lock=True)
            payments.apply_payment(db(), payment, applications)
        except ComptoirError as error:
            db().rollback()
            return payment_page(payment_id, errors=error.fields or {"_": [error.message]},
                                status=error.status)
        db().commit()
        flash("Payment applied.", "info")
        return redirect(url_for("payments.payment_page", payment_id=payment_id))

    @bp.route("/payments/<id:payment_id>/refunds", methods=["POST"])
    @sent_once
    def payment_refund(payment_id):
        """Pay back part of a receipt's unapplied rest."""
        data, errors = read_form(RefundCreateSchema())
        try:
            if errors:
                raise ValidationError("the refund is not valid", fields=errors)
            refund = payments.refund_payment(
                db(), payments.load_payment(db(), payment_id, lock=True), data["amount"],
                data["payment_date"], data["reference"], data["account"])
        except ComptoirError as error:
            db().rollback()
            return payment_page(payment_id, errors=error.fields or {"_": [error.message]},
                                status=error.status)
        db().commit()
        flash(f"Refund {refund.number} registered.", "info")
        return redirect(url_for("payments.payment_page", payment_id=refund.id))

    @bp.route("/balances")
    def balance():
        party, errors = asked_party(request.args.get("party_id"))
        shown = _balance_of(party) if party else None
        signs = kind_signs(hook())
        page = render_template("invoicing/balance.html", party=party, shown=shown,
                               parties=_customers(), signs=signs, errors=errors)
        return page, 404 if errors else 200

    @bp.route("/aged")
    def aged():
        party, missing = asked_party(request.args.get("party_id"))
        customers, totals = [], []
        data, errors = read_form(AgedArgsSchema(only=("as_of",)), request.args)
        errors.update(missing)
        if errors:  # the list of a day that cannot be, or of a customer not there: none
            as_of = request.args.get("as_of") if "as_of" in errors else data["as_of"]
        else:
            as_of = data["as_of"]
            customers, totals = payments.aged_open_invoices(db(), hook(), as_of,
                                                            party.id if party else None)
        page = render_template("invoicing/aged.html", as_of=as_of, party=party,
                               customers=customers, totals=totals, buckets=payments.BUCKETS,
                               parties=_customers(), errors=errors)
        return page, 404 if missing and len(errors) == 1 else (422 if errors else 200)

    @bp.route("/invoices/<id:invoice_id>/cancel", methods=["GET", "POST"])
    @sent_once
    def cancel(invoice_id):
        errors, status = {}, 200
        if request.method == "POST":
            data, errors = read_form(CancelSchema())
            if not errors:
                try:
                    invoice = load_invoice(db(), invoice_id, lock=True)
                    credit_note, copy = credit_notes.cancel_invoice(
                        db(), hook(), invoice, data["reason"], data["copy"])
                except ComptoirError as error:
                    db().rollback()
                    errors, status = {"_": [error.message], **error.fields}, error.status
                else:
                    db().commit()
                    flash(f"Invoice {invoice.number} cancelled by credit note "
                          f"{credit_note.number}.", "info")
                    shown = copy or credit_note
                    return redirect(url_for("invoices.invoice_page", invoice_id=shown.id))
            else:
                status = 422
        invoice = load_invoice(db(), invoice_id)
        cancellable, errors, status = _allowed(credit_notes.require_cancellable, invoice,
                                               errors, status)
        page = render_template("invoicing/credit_note_cancel.html", invoice=invoice,
                               cancellable=cancellable, errors=errors, form=request.form)
        return page, status

    @bp.route("/invoices/<id:invoice_id>/credit", methods=["GET", "POST"])
    @sent_once
    def credit(invoice_id):
        errors, status = {}, 200
        if request.method == "POST":
            try:
                invoice = load_invoice(db(), invoice_id, lock=True)
                reason = request.form.get("reason", "").strip()[:200]
                credit_note = credit_notes.credit_in_part(
                    db(), hook(), invoice, _credit_quantities(invoice), reason,
                    not_delivered=request.form.get("not_delivered") == "1")
            except ComptoirError as error:
                db().rollback()
                errors, status = error.fields or {"_": [error.message]}, error.status
            else:
                db().commit()
                flash(f"Credit note {credit_note.number} posted.", "info")
                return redirect(url_for("invoices.invoice_page", invoice_id=credit_note.id))
        invoice = load_invoice(db(), invoice_id)
        creditable, errors, status = _allowed(credit_notes.require_creditable, invoice,
                                              errors, status)
        page = render_template("invoicing/credit_note_return.html", invoice=invoice,
                               creditable=creditable,
                               credited=credit_notes.credited_quantities(db(), invoice),
                               errors=errors, form=request.form)
        return page, status

    @bp.route("/invoices/<id:invoice_id>/refund", methods=["GET", "POST"])
    @sent_once
    def credit_note_refund(invoice_id):
        """Pay what a credit note owes the customer back."""
        errors, status = {}, 200
        if request.method == "POST":
            data, errors = read_form(RefundCreateSchema())
            if errors:
                status = 422
            else:
                try:
                    credit_note = load_invoice(db(), invoice_id, lock=True)
                    refund = credit_notes.refund_credit_note(
                        db(), hook(), credit_note, data["amount"], data["payment_date"],
                        data["reference"], data["account"])
                except ComptoirError as error:
                    db().rollback()
                    errors, status = error.fields or {"_": [error.message]}, error.status
                else:
                    db().commit()
                    flash(f"Refund {refund.number} registered.", "info")
                    return redirect(url_for("payments.payment_page", payment_id=refund.id))
        credit_note = load_invoice(db(), invoice_id)
        usable, errors, status = _credit_note_usable(credit_note, errors, status)
        page = render_template(
            "invoicing/credit_note_refund.html", invoice=credit_note, usable=usable,
            errors=errors, form=request.form, today=date.today(), banks=_banks())
        return page, status

    @bp.route("/invoices/<id:invoice_id>/apply", methods=["GET", "POST"])
    @sent_once
    def credit_note_apply(invoice_id):
        """Apply what is left of a credit note to the customer's open invoices."""
        errors, status = {}, 200
        if request.method == "POST":
            applications, errors = _applications_from_form()
            try:
                if errors:
                    raise ValidationError("the credit note cannot be applied so", fields=errors)
                credit_note = load_invoice(db(), invoice_id, lock=True)
                credit_notes.apply_credit_note(db(), hook(), credit_note, applications)
            except ComptoirError as error:
                db().rollback()
                errors, status = error.fields or {"_": [error.message]}, error.status
            else:
                db().commit()
                flash(f"Credit note {credit_note.number} applied.", "info")
                return redirect(url_for("invoices.invoice_page", invoice_id=invoice_id))
        credit_note = load_invoice(db(), invoice_id)
        usable, errors, status = _credit_note_usable(credit_note, errors, status)
        page = render_template(
            "invoicing/credit_note_apply.html", invoice=credit_note, usable=usable,
            errors=errors, form=request.form,
            invoices=payments.open_invoices(db(), credit_note.party_id, credit_note.currency))
        return page, status

    return bp


def _customers():
    return db().scalars(select(Party).where(Party.merged_into_id.is_(None))
                        .order_by(Party.name).limit(CHOICES_SHOWN)).all()


def _allowed(requirement, invoice, errors, status):
    """Whether ``invoice`` meets ``requirement`` (``credit_notes.require_creditable``, or
    ``require_cancellable``): ``(allowed, errors, status)``, a 409 saying why when it does not
    (a draft, a credit note, an invoice paid already)."""
    try:
        requirement(db(), hook(), invoice)
    except Conflict as error:
        return False, {"_": [error.message]}, 409
    return True, errors, status


def _credit_note_usable(document, errors, status):
    """Whether ``document`` is a posted credit note with something left to apply or refund:
    ``(usable, errors, status)``, a 409 naming what it is when it is no credit note at all."""
    if not credit_notes.is_posted_credit_note(hook(), document):
        return False, {"_": [f"{document.reference} is not a posted credit note."]}, 409
    return document.open_amount > 0, errors, status


def _banks():
    return db().scalars(select(Account).where(Account.kind == "bank")
                        .order_by(Account.code)).all()


def _paying_invoice(args, offered):
    """The new payment form's values from ``args``; when they name one of the ``offered``
    invoices (``invoice_id``, from its page), its open amount is the amount, applied to it."""
    signs = kind_signs(hook())  # a kind reversing an invoice (a credit note) is not paid
    invoice = next((invoice for invoice in offered
                    if str(invoice.id) == args.get("invoice_id")
                    and signs.get(invoice.kind, 1) > 0), None)
    if invoice is None:
        return args
    amount = amount_field(invoice.open_amount, invoice.currency)
    return {"amount": amount, f"apply-{invoice.id}": amount, **args.to_dict()}


def _applications_from_form():
    """The ``apply-<invoice id>`` amounts typed on a payment form: ``([(id, amount)],
    errors)``, each mistake named by its invoice's number."""
    applications, problems = [], {}
    for name, value in request.form.items():
        if not name.startswith("apply-") or not value.strip():
            continue
        key = name[len("apply-"):]
        data, errors = read_form(ApplicationInputSchema(), {"invoice_id": key, "amount": value})
        if errors:
            problems[key] = [message for messages in errors.values() for message in messages]
        else:
            applications.append((data["invoice_id"], data["amount"]))
    if not problems:
        return applications, {}
    numbers = {str(invoice_id): number for invoice_id, number in db().execute(
        select(Invoice.id, Invoice.number).where(Invoice.id.in_(
            record_ids(problems))))}
    return applications, {"applications": [
        f"{numbers.get(key) or key}: {message}"
        for key, messages in problems.items() for message in messages]}


def _credit_quantities(invoice):
    """The ``quantity-<line id>`` quantities typed on the credit form, checked as the API
    checks them."""
    quantities, problems = {}, []
    for line in invoice.lines:
        value = request.form.get(f"quantity-{line.id}", "").strip()
        if not value:
            continue
        try:
            quantities[line.id] = CREDITED_QUANTITY.deserialize(value)
        except MarshmallowError as error:
            problems.append(f"Line {line.position}: {' '.join(error.messages)}")
    if problems:
        raise ValidationError("the quantities are not valid", fields={"lines": problems})
    return quantities


def _balance_of(party):
    """What the balance page and API show of ``party``."""
    session = db()
    return {
        "party_id": party.id, "party_name": party.name,
        "balances": [{"currency": currency, "amount": amount} for currency, amount
                     in payments.customer_balance(session, party.id).items()],
        "open_invoices": payments.open_invoices(session, party.id),
        "unapplied_payments": payments.unapplied_payments(session, party.id),
    }


def api_blueprint():
    """The API: cancel or credit an invoice, payments and their applications, a customer's
    balance, the aged list."""
    blp = ApiBlueprint("payments_api", __name__, url_prefix="/api/v1",
                       description="Credit notes, payments, balances and the aged list")

    @blp.route("/invoices/<id:invoice_id>/cancel", methods=["POST"])
    @blp.arguments(CancelSchema)
    @blp.response(201, CancelResultSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def cancel(data, invoice_id):
        """Cancel an unpaid posted invoice with a credit note of all of it (409 once paid in
        part or credited); ``copy`` also makes a new draft invoice to correct and post."""
        credit_note, copy = credit_notes.cancel_invoice(
            db(), hook(), load_invoice(db(), invoice_id, lock=True), data["reason"],
            data["copy"])
        db().commit()
        return {"credit_note": credit_note, "copy": copy}

    @blp.route("/invoices/<id:invoice_id>/credit-notes", methods=["POST"])
    @blp.arguments(CreditNoteCreateSchema)
    @blp.response(201, InvoiceSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def credit(data, invoice_id):
        """Credit part of a posted invoice: quantities of its lines, goods returned (or, with
        ``not_delivered``, invoiced before delivery and not taken: they go back to the order,
        which can then close them), or part of a free text line (422 beyond what is left to
        credit).  Settles the invoice while it is open; the rest is owed to the customer."""
        quantities = {}
        for line in data["lines"]:
            quantities[line["invoice_line_id"]] = (quantities.get(line["invoice_line_id"], 0)
                                                   + line["quantity"])
        credit_note = credit_notes.credit_in_part(
            db(), hook(), load_invoice(db(), invoice_id, lock=True), quantities,
            data["reason"], not_delivered=data["not_delivered"])
        db().commit()
        return credit_note

    @blp.route("/payments")
    class Payments(MethodView):
        decorators = [role_required(ROLE)]

        @blp.arguments(PaymentListArgsSchema, location="query")
        @blp.response(200, PaymentPageSchema)
        def get(self, args):
            """Payments, newest first, searched by number, reference or customer name, of one
            customer (``party_id``), of one kind (a receipt, a refund), made from ``start`` to
            ``end``."""
            found, total = payments.search_payments(
                db(), args["q"], args["page"], args["per_page"], args.get("party_id"),
                args.get("kind"), args.get("start"), args.get("end"))
            return page_of(found, total, args)

        @blp.arguments(PaymentCreateSchema)
        @blp.response(201, PaymentSchema)
        @refusals(blp, 409)
        def post(self, data):
            """Register a payment and apply it to posted invoices of its customer and
            currency (422 beyond an invoice's open amount or the payment; 409 for a draft)."""
            payment = payments.register_payment(
                db(), data["party_id"], data["amount"], data["currency"], data["payment_date"],
                data["reference"], _pairs(data["applications"]), data["account"])
            db().commit()
            return payment

    @blp.route("/payments/<id:payment_id>")
    @blp.response(200, PaymentSchema)
    @refusals(blp, 404)
    @role_required(ROLE)
    def payment(payment_id):
        """A payment, what it was applied to and the ledger entries it wrote."""
        return payments.load_payment(db(), payment_id)

    @blp.route("/payments/<id:payment_id>/applications", methods=["POST"])
    @blp.arguments(ApplicationsInputSchema)
    @blp.response(201, PaymentSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def apply(data, payment_id):
        """Apply the payment's unapplied rest to posted invoices."""
        payment = payments.apply_payment(db(), payments.load_payment(db(), payment_id,
                                                                     lock=True),
                                         _pairs(data["applications"]))
        db().commit()
        return payment

    @blp.route("/payments/<id:payment_id>/refunds", methods=["POST"])
    @blp.arguments(RefundCreateSchema)
    @blp.response(201, PaymentSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def refund_payment(data, payment_id):
        """Pay back part of what a receipt left unapplied, from a bank account: a refund
        (RF-) naming the receipt."""
        refund = payments.refund_payment(
            db(), payments.load_payment(db(), payment_id, lock=True), data["amount"],
            data["payment_date"], data["reference"], data["account"])
        db().commit()
        return refund

    @blp.route("/invoices/<id:invoice_id>/applications", methods=["POST"])
    @blp.arguments(ApplicationsInputSchema)
    @blp.response(201, InvoiceSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def apply_credit_note(data, invoice_id):
        """Apply what is left of a posted credit note to posted invoices of its customer and
        currency, as a payment would be."""
        credit_note = credit_notes.apply_credit_note(
            db(), hook(), load_invoice(db(), invoice_id, lock=True),
            _pairs(data["applications"]))
        db().commit()
        return credit_note

    @blp.route("/invoices/<id:invoice_id>/refunds", methods=["POST"])
    @blp.arguments(RefundCreateSchema)
    @blp.response(201, PaymentSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def refund_credit_note(data, invoice_id):
        """Pay back what a posted credit note owes the customer, from a bank account: a
        refund (RF-) that settles the credit note."""
        refund = credit_notes.refund_credit_note(
            db(), hook(), load_invoice(db(), invoice_id, lock=True), data["amount"],
            data["payment_date"], data["reference"], data["account"])
        db().commit()
        return refund

    @blp.route("/parties/<id:party_id>/balance")
    @blp.response(200, CustomerBalanceSchema)
    @refusals(blp, 404, 409)
    @role_required(ROLE)
    def balance(party_id):
        """What the customer owes per currency (negative: owed to the customer), from the
        ledger; its open invoices and credit notes; its payments not wholly applied.  A party
        merged into another is refused (409, naming the survivor, which holds what it had)."""
        return _balance_of(get_party(db(), party_id))

    @blp.route("/invoicing/aged")
    @blp.arguments(AgedArgsSchema, location="query")
    @blp.response(200, AgedSchema)
    @role_required(ROLE)
    def aged(args):
        """Open invoices, credit notes and payments not applied per customer and currency, as
        they stood on ``as_of``, by days past due on that day: not due, 1–30, 31–60, 61–90 and
        over 90 days, with totals per currency (each customer's is its balance that day)."""
        customers, totals = payments.aged_open_invoices(db(), hook(), args["as_of"],
                                                        args.get("party_id"))
        return {"as_of": args["as_of"], "customers": customers, "totals": totals}

    return blp


def _pairs(applications):
    return [(application["invoice_id"], application["amount"]) for application in applications]
