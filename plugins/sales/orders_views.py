"""Pages and API of orders."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The orders pages."""
    return Blueprint("orders", __name__, url_prefix="/orders")


def api_blueprint():
    """The orders API."""
    return ApiBlueprint("orders_api", __name__, url_prefix="/api/v1/orders")
