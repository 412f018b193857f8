"""Serves the same URL as the example module."""

from flask import Blueprint

from core import hookimpl


@hookimpl
def comptoir_blueprints():
    bp = Blueprint("shadow", __name__, url_prefix="/example")

    @bp.route("/")
    def index():
        return "shadow answers"

    return [bp]
