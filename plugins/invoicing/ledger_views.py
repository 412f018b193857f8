"""Ledger pages and API."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The ledger pages."""
    return Blueprint("ledger", __name__, url_prefix="/ledger", template_folder="templates")


def api_blueprint():
    """The ledger API."""
    return ApiBlueprint("ledger_api", __name__, url_prefix="/api/v1", description="Ledger")
