"""The invoicing module: invoice kinds, posting to the ledger, credit notes and payments."""

from pathlib import Path

from core import hookimpl
from plugins.invoicing import (
    chart_views,
    demo,
    documents_views,
    invoices,
    invoices_views,
    ledger_views,
    payments_views,
)
from plugins.invoicing.kinds import KINDS

# Each area of the module brings its pages (blueprint()), API (api_blueprint()) and MENU.
AREAS = (invoices_views, ledger_views, chart_views, payments_views, documents_views)


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_document_templates():
    return Path(__file__).parent / "documents"


@hookimpl
def comptoir_invoice_kinds():
    return KINDS


@hookimpl
def comptoir_order_cancelled(order, session):
    return invoices.delete_drafts_of_order(session, order)


@hookimpl
def comptoir_demo_data(session, hook):
    demo.load(session, hook)


@hookimpl
def comptoir_blueprints():
    return [area.blueprint() for area in AREAS]


@hookimpl
def comptoir_api_blueprints():
    return [area.api_blueprint() for area in AREAS]


@hookimpl
def comptoir_menu_entries():
    return [entry for area in AREAS for entry in area.MENU]
