"""Pages and API of parties."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The parties pages."""
    return Blueprint("parties", __name__, url_prefix="/parties")


def api_blueprint():
    """The parties API."""
    return ApiBlueprint("parties_api", __name__, url_prefix="/api/v1/parties")
