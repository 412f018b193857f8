"""Pages and API of quotations."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The quotations pages."""
    return Blueprint("quotations", __name__, url_prefix="/quotations")


def api_blueprint():
    """The quotations API."""
    return ApiBlueprint("quotations_api", __name__, url_prefix="/api/v1/quotations")
