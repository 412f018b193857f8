"""Admin pages: modules (preview, enable, disable, upgrade), users and API tokens."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError as MarshmallowError

from core import modules, users
from core.errors import ComptoirError
from core.forms import extra_fields, save_extra, validate_extra
from core.models import ROLES
from core.schemas import TokenCreateSchema
from web.auth import role_required
from web.database import db, registry, release_request_transaction
from web.errors import form_messages

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page here is for admins."""


@bp.route("/modules")
def module_list():
    """Installed modules with their state, and the actions each allows."""
    return render_template("admin/modules.html", modules=modules.list_modules(registry(), db()),
                           kernel_behind=modules.kernel_pending(db()))


@bp.route("/modules/<name>/preview")
def module_preview(name):
    """What enabling ``name`` will do, with a button to go ahead."""
    return render_template("admin/preview.html", preview=modules.preview(registry(), name))


def _module_action(action, done):
    """Run ``action()``; on success flash ``done(result)`` and go back to the list, on refusal
    show the list with the reason.

    A refusal is answered with the list page itself and the error's status (a redirect with an
    error status is not followed by browsers).
    """
    release_request_transaction()
    try:
        result = action()
    except ComptoirError as error:
        db().rollback()
        flash(error.message, "error")
        return module_list(), error.status
    flash(done(result), "info")
    return redirect(url_for("admin.module_list"))


@bp.route("/modules/<name>/enable", methods=["POST"])
def module_enable(name):
    """Enable ``name`` and what it depends on."""
    return _module_action(
        lambda: modules.enable(registry(), name),
        lambda newly: (f"Enabled: {', '.join(newly)}." if newly
                       else f"Module {name} was already enabled."),
    )


@bp.route("/modules/<name>/disable", methods=["POST"])
def module_disable(name):
    """Disable ``name``; its data stays."""
    return _module_action(
        lambda: modules.disable(registry(), name),
        lambda _: f"Disabled: {name}. Its data is kept; enabling it again brings it back.",
    )


@bp.route("/modules/<name>/upgrade", methods=["POST"])
def module_upgrade(name):
    """Run ``name``'s pending migrations."""
    return _module_action(
        lambda: modules.upgrade(registry(), [name]),
        lambda done: f"Upgraded: {', '.join(done)}." if done else f"Module {name} was up to date.",
    )


USER_FORM = "core.user"


def _form_roles():
    return [role for role in ROLES if request.form.get(f"role_{role}")]


def _save_user_form(save, fields):
    """Save the user form in one transaction: ``save()`` writes the user, modules their fields.

    Returns ``(user, errors, status)``; with errors nothing is saved and they cover every field,
    the kernel's and the modules', at once.  A refusal not tied to a field (the last admin) is
    flashed with its own status.
    """
    values, errors = validate_extra(fields, request.form)
    try:
        user = save()
    except ComptoirError as error:
        db().rollback()
        if not error.fields:
            flash(error.message, "error")
        return None, {**error.fields, **errors}, error.status
    if errors:
        db().rollback()
        return None, errors, 422
    save_extra(registry().hook, USER_FORM, user, values, db())
    db().commit()
    return user, {}, 200


@bp.route("/users", methods=["GET", "POST"])
def user_list():
    """Users, and the form creating one (with the fields enabled modules add to it)."""
    fields, errors, status = extra_fields(registry().hook, USER_FORM), {}, 200
    if request.method == "POST":
        user, errors, status = _save_user_form(lambda: users.create_user(
            db(), request.form.get("login", ""), request.form.get("name", ""),
            request.form.get("password", ""), _form_roles(),
        ), fields)
        if user is not None:
            flash(f"User {user.login} created.", "info")
            return redirect(url_for("admin.user_list"))
    return render_template(
        "admin/users.html", users=users.list_users(db()), roles=ROLES, errors=errors,
        form=request.form, extra=fields,
    ), status


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Change a user's name, roles, active flag, password and the modules' extra fields."""
    user = users.get_user(db(), user_id)
    fields, errors, status = extra_fields(registry().hook, USER_FORM), {}, 200
    if request.method == "POST":
        saved, errors, status = _save_user_form(lambda: users.update_user(
            db(), user, name=request.form.get("name", ""), roles=_form_roles(),
            active=bool(request.form.get("active")),
            password=request.form.get("password") or None,
        ), fields)
        if saved is not None:
            flash(f"User {user.login} saved.", "info")
            return redirect(url_for("admin.user_list"))
    return render_template(
        "admin/user_edit.html", user=user, roles=ROLES, errors=errors,
        form=request.form if errors else None, extra=fields,
    ), status


@bp.route("/tokens", methods=["GET", "POST"])
def token_list():
    """API tokens; creating one shows its secret once."""
    secret, errors = None, {}
    if request.method == "POST":
        try:
            data = TokenCreateSchema().load(  # an empty field is one not given: "Required."
                {"user_id": request.form.get("user_id") or None,
                 "name": request.form.get("name", "").strip() or None})
            user = users.get_user(db(), data["user_id"])
            token, secret = users.create_token(db(), user, data["name"])
            db().commit()
            flash(f"Token {token.name} created for {user.login}. Copy it now: it is not shown "
                  "again.", "info")
        except MarshmallowError as error:
            errors = form_messages(error.messages)
        except ComptoirError as error:
            db().rollback()
            errors = error.fields or {"user_id": [error.message]}
    return render_template(
        "admin/tokens.html", tokens=users.list_tokens(db()), users=users.list_users(db()),
        secret=secret, errors=errors,
    ), 422 if errors else 200


@bp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
def token_revoke(token_id):
    """Revoke a token."""
    users.revoke_token(db(), token_id)
    db().commit()
    flash("Token revoked.", "info")
    return redirect(url_for("admin.token_list"))
