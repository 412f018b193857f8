"""Who is asking: session login for people, bearer tokens for API clients, roles per route."""

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_smorest import abort as smorest_abort
from flask_wtf.csrf import CSRFProtect

from core.models import User
from core.users import authenticate, user_for_token
from web.database import db, reads_only

login_manager = LoginManager()
csrf = CSRFProtect()
bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "health", "static", "api-docs.openapi_json"}


def is_api_request():
    """True for requests under ``/api/``: they answer JSON and authenticate by bearer token."""
    return request.path.startswith("/api/")


@login_manager.user_loader
def _load_user_from_session(user_id):
    if is_api_request():
        return None  # API calls authenticate by token only: no cookie-borne API writes
    user = db().get(User, int(user_id))
    return user if user is not None and user.active else None


@login_manager.request_loader
def _load_user_from_token(req):
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if not is_api_request() or scheme.lower() != "bearer":  # a scheme's name has no case
        return None
    return user_for_token(db(), token.strip())


@login_manager.unauthorized_handler
def _unauthorized():
    if is_api_request():  # the header tells a client which credentials to send
        smorest_abort(401, headers={"WWW-Authenticate": 'Bearer realm="comptoir"'})
    return redirect(url_for("auth.login", next=request.full_path))


def require_login_and_csrf():
    """Before every request: log in first (except public pages), and check CSRF on web forms."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_api_request():
        csrf.protect()  # only acts on POST, PUT, PATCH and DELETE
    return None


def role_required(*roles):
    """Decorate a view so that only users holding one of ``roles`` (or admins) reach it; others
    get 403."""
    if not roles:
        raise TypeError("role_required needs at least one role")

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                needed = " or ".join(f"the {role} role" for role in roles)
                abort(403, description=f"This needs {needed}; ask a user who has it, or an "
                                       "admin to give it to you.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def readers_and_writers(readers, writers, read_endpoints=None):
    """A ``before_request`` function for a blueprint read by more roles than change it: GET and
    HEAD requests (to ``read_endpoints`` only, when given) need one of ``readers``, every other
    request one of ``writers``."""
    def guard():
        reading = request.method in ("GET", "HEAD") and (
            read_endpoints is None or request.endpoint in read_endpoints)
        return role_required(*(readers if reading else writers))(lambda: None)()

    return guard


def _safe_next(target):
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/"):
        return url_for("home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@reads_only
def login():
    """The login form; on success go back where the user was heading."""
    if request.method == "POST":
        user = authenticate(db(), request.form.get("login", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown login or wrong password.", "error")
        return render_template("login.html"), 401
    return render_template("login.html")


@bp.route("/logout", methods=["POST"])
@reads_only
def logout():
    """End the session (a POST, so that a link elsewhere cannot log the user out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
