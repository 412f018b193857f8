"""Invoices pages and API."""

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

MENU = []


def blueprint():
    """The invoices pages."""
    return Blueprint("invoices", __name__, url_prefix="/invoices", template_folder="templates")


def api_blueprint():
    """The invoices API."""
    return ApiBlueprint("invoices_api", __name__, url_prefix="/api/v1", description="Invoices")
