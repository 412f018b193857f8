"""Pages and API of items."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The items pages."""
    return Blueprint("items", __name__, url_prefix="/items")


def api_blueprint():
    """The items API."""
    return ApiBlueprint("items_api", __name__, url_prefix="/api/v1/items")
