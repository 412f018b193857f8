"""Pages and API setting up the ledger: adding, renaming and deleting accounts, and the posting
profiles saying where invoices post."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint

from core.errors import Conflict, ValidationError
from core.ui import MenuEntry
from plugins.invoicing import chart
from plugins.invoicing.ledger import get_account
from plugins.invoicing.ledger_schemas import (
    AccountCreateSchema,
    AccountSchema,
    AccountUpdateSchema,
    PostingProfileCreateSchema,
    PostingProfileSchema,
    PostingProfileUpdateSchema,
)
from plugins.invoicing.ledger_views import account_page
from plugins.invoicing.models import ACCOUNT_KINDS
from plugins.sales.pages import read_form
from plugins.sales.records import attempt, committed
from web.api import refusals
from web.auth import role_required
from web.database import db

MENU = [MenuEntry("Posting profiles", "chart.profiles", role="accounting", priority=46)]
ROLE = "accounting"


def blueprint():
    """The set-up pages, beside the ledger's."""
    bp = Blueprint("chart", __name__, url_prefix="/invoicing/ledger",
                   template_folder="templates")
    bp.before_request(role_required(ROLE)(lambda: None))
    bp.add_url_rule("/new-account", view_func=account_new, methods=["GET", "POST"])
    bp.add_url_rule("/accounts/<code>/edit", view_func=account_edit, methods=["POST"])
    bp.add_url_rule("/accounts/<code>/delete", view_func=account_delete, methods=["POST"])
    bp.add_url_rule("/posting-profiles/", view_func=profiles, methods=["GET", "POST"])
    bp.add_url_rule("/posting-profiles/<code>", view_func=profile, methods=["GET", "POST"])
    bp.add_url_rule("/posting-profiles/<code>/delete", view_func=profile_delete,
                    methods=["POST"])
    return bp


def account_new():
    """The form adding a ledger account; on success, the account's page."""
    errors = {}
    if request.method == "POST":
        data, errors = read_form(AccountCreateSchema())
        if not errors:
            account, errors = attempt(lambda: committed(chart.create_account(db(), data)))
        if not errors:
            flash(f"Account {account.code} {account.name} added.", "info")
            return redirect(url_for("ledger.account", code=account.code))
    return render_template("invoicing/account_new.html", errors=errors, form=request.form,
                           kinds=ACCOUNT_KINDS), 422 if errors else 200


def _act(action, done, back, page):
    """Run ``action()`` and commit, say ``done`` and go to ``back``; refused (a form's errors
    raised as a ValidationError, or a Conflict), roll back and answer ``page(errors, status)``."""
    try:
        action()
    except (ValidationError, Conflict) as error:
        db().rollback()
        return page(error.fields or {"_": [error.message]}, error.status)
    db().commit()
    flash(done, "info")
    return redirect(back)


def _form_data(schema):
    """What the form sent, loaded by ``schema`` (a name sent empty is refused); its errors
    raised as a ValidationError."""
    data, errors = read_form(schema, kept=("name",))
    if errors:
        raise ValidationError("the form is not valid", fields=errors)
    return data


def account_edit(code):
    """Rename an account, or change its kind while nothing names it."""
    account = get_account(db(), code, lock=True)
    return _act(lambda: chart.update_account(db(), account, _form_data(AccountUpdateSchema())),
                f"Account {code} saved.", url_for("ledger.account", code=code),
                lambda errors, status: _account_page(account, errors, status))


def account_delete(code):
    """Delete an account nothing names; the ledger's list of accounts follows."""
    account = get_account(db(), code, lock=True)
    return _act(lambda: chart.delete_account(db(), account), f"Account {code} deleted.",
                url_for("ledger.accounts"),
                lambda errors, status: _account_page(account, errors, status))


def _account_page(account, errors, status):
    """The account's ledger page again, with the set-up form's ``errors``."""
    page, _status = account_page(account.code, errors=errors, form=request.form)
    return page, status


def profiles():
    """Every posting profile, and the form adding one."""
    errors = {}
    if request.method == "POST":
        data, errors = read_form(PostingProfileCreateSchema())
        if not errors:
            created, errors = attempt(lambda: committed(chart.create_profile(db(), data)))
        if not errors:
            flash(f"Posting profile {created.code} added.", "info")
            return redirect(url_for("chart.profiles"))
    return render_template("invoicing/posting_profiles.html", profiles=chart.list_profiles(db()),
                           accounts=chart.list_accounts(db()), errors=errors,
                           form=request.form, profile_kinds=chart.PROFILE_ACCOUNTS), \
        422 if errors else 200


def profile(code):
    """One posting profile and the form changing it."""
    found = chart.get_profile(db(), code)
    if request.method == "GET":
        return _profile_page(found, {}, 200)
    return _act(
        lambda: chart.update_profile(db(), found, _form_data(PostingProfileUpdateSchema())),
        f"Posting profile {code} saved.", url_for("chart.profile", code=code),
        lambda errors, status: _profile_page(found, errors, status, sent=request.form))


def profile_delete(code):
    """Delete a posting profile no invoice names and that is not the default."""
    found = chart.get_profile(db(), code)
    return _act(lambda: chart.delete_profile(db(), found), f"Posting profile {code} deleted.",
                url_for("chart.profiles"),
                lambda errors, status: _profile_page(found, errors, status))


def _profile_page(found, errors, status, sent=None):
    """The profile's page; its form shows what was ``sent`` in it when refused, else the
    profile as it is."""
    values = sent if errors and sent else {
        "name": found.name, **{field: getattr(found, field).code
                               for field in chart.PROFILE_ACCOUNTS}}
    return render_template("invoicing/posting_profile.html", profile=found,
                           accounts=chart.list_accounts(db()), errors=errors, values=values,
                           profile_kinds=chart.PROFILE_ACCOUNTS,
                           in_use=chart.profile_in_use(db(), found)), status


def api_blueprint():
    """The set-up API: accounts and posting profiles, under the ledger's."""
    blp = ApiBlueprint("chart_api", __name__, url_prefix="/api/v1/ledger",
                       description="Setting up the ledger: accounts and posting profiles")

    @blp.route("/accounts", endpoint="account_create")
    class NewAccount(MethodView):
        decorators = [role_required(ROLE)]

        @blp.arguments(AccountCreateSchema)
        @blp.response(201, AccountSchema)
        def post(self, data):
            """Add a ledger account: a new code, a name and its kind (receivable, revenue,
            tax, bank or other)."""
            account = chart.create_account(db(), data)
            db().commit()
            return account

    @blp.route("/accounts/<code>", endpoint="account_change")
    class AccountChange(MethodView):
        decorators = [role_required(ROLE)]

        @blp.arguments(AccountUpdateSchema, required=False)  # nothing sent: no change
        @blp.response(200, AccountSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, code):
            """Rename an account, or change its kind while nothing names it (409 after)."""
            account = chart.update_account(db(), get_account(db(), code, lock=True), data)
            db().commit()
            return account

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, code):
            """Delete an account nothing names: no entry, profile, invoice line or payment
            (409 otherwise)."""
            chart.delete_account(db(), get_account(db(), code, lock=True))
            db().commit()

    @blp.route("/posting-profiles")
    class Profiles(MethodView):
        decorators = [role_required(ROLE)]

        @blp.response(200, PostingProfileSchema(many=True))
        def get(self):
            """Every posting profile, by code."""
            return chart.list_profiles(db())

        @blp.arguments(PostingProfileCreateSchema)
        @blp.response(201, PostingProfileSchema)
        def post(self, data):
            """Add a posting profile; ``is_default: true`` makes it the default."""
            created = chart.create_profile(db(), data)
            db().commit()
            return created

    @blp.route("/posting-profiles/<code>")
    class Profile(MethodView):
        decorators = [role_required(ROLE)]

        @blp.response(200, PostingProfileSchema)
        @refusals(blp, 404)
        def get(self, code):
            """One posting profile."""
            return chart.get_profile(db(), code)

        @blp.arguments(PostingProfileUpdateSchema, required=False)  # nothing sent: no change
        @blp.response(200, PostingProfileSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, code):
            """Change a profile's name, its accounts while no invoice names it (409 after),
            or make it the default."""
            found = chart.update_profile(db(), chart.get_profile(db(), code), data)
            db().commit()
            return found

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, code):
            """Delete a profile no invoice names and that is not the default (409
            otherwise)."""
            chart.delete_profile(db(), chart.get_profile(db(), code))
            db().commit()

    return blp
