"""One place turning errors into responses: JSON under /api/, an HTML page elsewhere."""

import json

from flask import Response, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from core.errors import ComptoirError
from web.api import api_of
from web.auth import is_api_request
from web.database import db


def _page(status, title, message, fields=None):
    return render_template(
        "error.html", status=status, title=title, message=message, fields=fields or {}
    ), status


def handle_http_exception(error):
    """404, 403, 401, 405, CSRF failures and webargs' 422, each as JSON or as a page."""
    db().rollback()
    if is_api_request():
        payload, status, headers = api_of().handle_http_exception(error)  # flask-smorest's body
        payload.setdefault("message", error.description)
        return payload, status, headers
    return _page(error.code, error.name, error.description)


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


def handle_database_unreachable(error):
    """The database went away, or stayed locked (SQLite), during a request: 503."""
    current_app.logger.error("database unreachable: %s", error)
    return unavailable_response(request.environ)


def register(app):
    """Install the handlers on ``app`` (after flask-smorest, so that these take precedence)."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ComptoirError, handle_comptoir_error)
    app.register_error_handler(OperationalError, handle_database_unreachable)
