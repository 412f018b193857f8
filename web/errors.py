"""One place turning errors into responses: JSON under /api/, an HTML page elsewhere."""

import json
from urllib.parse import urlsplit, urlunsplit

from flask import Response, current_app, jsonify, render_template, request
from marshmallow import fields
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from core.errors import ComptoirError, Conflict
from web.api import api_of
from web.auth import is_api_request
from web.database import db

# deadlock detected, could not serialize access, lock not available
CONTENDED = {"40P01", "40001", "55P03"}
CONTENDED_MESSAGE = ("Another change of the same records was being made at the same moment; "
                     "nothing was changed: try again.")

# What marshmallow says of a field left out or empty, which a form says "Required." of.
LEFT_EMPTY = {fields.Field.default_error_messages["required"],
              fields.Field.default_error_messages["null"]}


def form_messages(messages):
    """Marshmallow's ``messages`` (a ValidationError's, nested per field) as a page's form
    words them: a field left empty is "Required.", as the forms' own checks say."""
    if isinstance(messages, dict):
        return {name: form_messages(value) for name, value in messages.items()}
    if isinstance(messages, list):
        return [form_messages(message) for message in messages]
    return "Required." if messages in LEFT_EMPTY else messages


def _page(status, title, message, fields=None):
    return render_template(
        "error.html", status=status, title=title, message=message, fields=fields or {},
        back=_page_came_from()
    ), status


def _page_came_from():
    """The address of this site's page the request came from (for a button sent twice, the
    record's page, which shows what the first sending did), or None: none from elsewhere, and
    none for a form sent to its own page, which would only offer it anew."""
    came_from = urlsplit(request.referrer or "")
    path = came_from.path
    # "//elsewhere/x" would be another site's address
    if (came_from.netloc != request.host or path == request.path or not path.startswith("/")
            or path.startswith(("//", "/\\"))):
        return None
    return urlunsplit(("", "", path, came_from.query, ""))


def handle_http_exception(error):
    """404, 403, 401, 405, CSRF failures and webargs' 422, each as JSON or as a page."""
    db().rollback()
    # werkzeug's own headers (a 405's Allow), but not its body's type: ours is JSON or a page.
    kept = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    if is_api_request():
        payload, status, headers = api_of().handle_http_exception(error)  # flask-smorest's body
        payload.setdefault("message", error.description)
        return payload, status, {**kept, **(headers or {})}
    return (*_page(error.code, error.name, error.description), kept)


def handle_comptoir_error(error):
    """A named error from a service: its status, its message and its per-field messages."""
    db().rollback()
    if is_api_request():
        payload = {"code": error.status, "status": _status_name(error.status),
                   "message": error.message}
        if error.fields:
            payload["errors"] = {"json": error.fields}
        return jsonify(payload), error.status
    return _page(error.status, _status_name(error.status), error.message, error.fields)


def _status_name(status):
    return HTTP_STATUS_CODES.get(status, "Error")


UNAVAILABLE = "The database cannot be reached right now; try again in a moment."


def unavailable_response(environ):
    """The 503 answer when the database cannot be reached, so a load balancer tries another host.

    Built without the layout, which would itself ask the database who is logged in.
    """
    if environ.get("PATH_INFO", "").startswith(("/api/", "/health")):
        body = {"code": 503, "status": "Service Unavailable", "message": UNAVAILABLE}
        return Response(json.dumps(body), 503, mimetype="application/json")
    page = f"<!doctype html><title>503</title><h1>503 Service Unavailable</h1><p>{UNAVAILABLE}"
    return Response(page, 503, mimetype="text/html")


SCHEMA_BEHIND = ("The database lacks tables or columns this version of Comptoir uses: an "
                 "administrator runs `comptoir upgrade`.")
# PostgreSQL's codes for an undefined table and an undefined column.
UNDEFINED = ("42P01", "42703")


class SchemaBehind(ComptoirError):
    """The database's schema is older than the code: an upgrade is pending (HTTP 500)."""

    status = 500


def handle_database_error(error):
    """A database error during a request.  A table or column missing (the code is newer than
    the database's schema: an upgrade is pending) is a 500 saying so; two requests each
    waiting for what the other locked (PostgreSQL gives up one of them), or a row another
    request changed or keeps locked, is a 409 to try again; the database gone away, or staying
    locked (SQLite), is a 503; anything else is left to the 500 of any error."""
    if _schema_behind(error):
        current_app.logger.error("database schema behind the code: %s", error)
        return handle_comptoir_error(SchemaBehind(SCHEMA_BEHIND))
    if getattr(error.orig, "sqlstate", None) in CONTENDED:
        current_app.logger.warning("request given up for another at the same moment: %s", error)
        return handle_comptoir_error(Conflict(CONTENDED_MESSAGE))
    if isinstance(error, OperationalError):
        current_app.logger.error("database unreachable: %s", error)
        return unavailable_response(request.environ)
    raise error


def _schema_behind(error):
    message = str(error.orig)
    return (getattr(error.orig, "sqlstate", None) in UNDEFINED
            # SQLite's words, reading then writing
            or message.startswith(("no such table", "no such column"))
            or (message.startswith("table ") and " has no column named " in message))


def register(app):
    """Install the handlers on ``app`` (after flask-smorest, so that these take precedence)."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ComptoirError, handle_comptoir_error)
    app.register_error_handler(DBAPIError, handle_database_error)
