"""Ledger pages and API: the accounts with their balances, an account's entries with a running
balance, the entries of one document."""

from flask import Blueprint, render_template, request
from flask_smorest import Blueprint as ApiBlueprint

from core.money import round_money
from core.schemas import PeriodSchema
from core.ui import MenuEntry
from plugins.invoicing import chart, ledger
from plugins.invoicing.ledger_schemas import (
    AccountBalanceSchema,
    AccountLedgerSchema,
    DocumentLedgerSchema,
    LedgerArgsSchema,
)
from plugins.invoicing.models import ACCOUNT_KINDS
from plugins.sales.pages import page_count, page_number, read_form
from web.api import refusals
from web.auth import role_required
from web.database import db

MENU = [MenuEntry("Ledger", "ledger.accounts", role="accounting", priority=45)]
ROLE = "accounting"
PER_PAGE = 50
DOCUMENT = "<path:document>"  # a document number, as printed (INV-00001)


def blueprint():
    """The ledger pages."""
    bp = Blueprint("ledger", __name__, url_prefix="/invoicing/ledger", template_folder="templates")
    bp.before_request(role_required(ROLE)(lambda: None))

    @bp.route("/")
    def accounts():
        return render_template("invoicing/ledger_accounts.html",
                               balances=ledger.account_balances(db()))

    bp.add_url_rule("/accounts/<code>", "account", account_page)

    @bp.route(f"/documents/{DOCUMENT}")
    def document(document):
        entries = ledger.document_entries(db(), document[:32])
        return render_template("invoicing/ledger_document.html", document=document,
                               entries=entries, debit=sum(e.debit for e in entries),
                               credit=sum(e.credit for e in entries))

    return bp


def account_page(code, errors=None, form=None):
    """An account's page: a page of its entries of the period asked (the query arguments
    ``start`` and ``end``) with its opening and closing balances and its totals, and the
    forms renaming or deleting it (with ``errors`` and the ``form`` sent, when refused).  A
    period that cannot be shows its mistakes and no entry: ``(page, 422)``, else ``(page,
    200)``."""
    page = page_number()
    period, period_errors = read_form(PeriodSchema(), request.args)
    if period_errors:
        shown = ledger.AccountLedger(ledger.get_account(db(), code), [], [], [], 0)
    else:
        shown = ledger.account_ledger(db(), code, page, PER_PAGE, **period)
    html = render_template(
        "invoicing/ledger_account.html", account=shown.account, entries=shown.entries,
        opening=shown.opening, totals=shown.totals, closing=shown.closing, page=page,
        pages=page_count(shown.count, PER_PAGE), period=request.args,
        in_use=chart.account_in_use(db(), shown.account), kinds=ACCOUNT_KINDS,
        errors={**(errors or {}), **period_errors}, form=form or {})
    return html, 422 if period_errors else 200


def api_blueprint():
    """The ledger API."""
    blp = ApiBlueprint("ledger_api", __name__, url_prefix="/api/v1/ledger",
                       description="The ledger: accounts, their entries, each document's")

    @blp.route("/accounts")
    @blp.response(200, AccountBalanceSchema(many=True))
    @role_required(ROLE)
    def accounts():
        """Every ledger account with its debits, credits and balance, per currency."""
        return ledger.account_balances(db())

    @blp.route("/accounts/<code>")
    @blp.arguments(LedgerArgsSchema, location="query")
    @blp.response(200, AccountLedgerSchema)
    @refusals(blp, 404)
    @role_required(ROLE)
    def account(args, code):
        """One page of the account's entries from ``start`` to ``end`` (both included; the
        whole ledger when not given), oldest first, each with the running balance of its
        currency; per currency, the balance the period opens with, its totals and the balance
        it closes with."""
        start, end = args.get("start"), args.get("end")
        shown = ledger.account_ledger(db(), code, args["page"], args["per_page"], start, end)
        found, count = shown.account, shown.count
        return {"code": found.code, "name": found.name, "kind": found.kind,
                "start": start, "end": end, "totals": shown.totals,
                "opening": shown.opening, "closing": shown.closing,
                "entries": shown.entries, "total": count, "page": args["page"],
                "per_page": args["per_page"], "pages": page_count(count, args["per_page"])}

    @blp.route(f"/documents/{DOCUMENT}")
    @blp.response(200, DocumentLedgerSchema)
    @refusals(blp, 404)
    @role_required(ROLE)
    def document(document):
        """The entries the document (an invoice, a credit note, a payment) wrote."""
        entries = ledger.document_entries(db(), document[:32])
        currency = entries[0].currency
        return {"document": document, "entries": entries,
                "debit": str(round_money(sum(entry.debit for entry in entries), currency)),
                "credit": str(round_money(sum(entry.credit for entry in entries), currency))}

    return blp
