"""The sales module: parties, items, the five standard order types, orders and quotations."""

from pathlib import Path

from core import hookimpl
from plugins.sales import demo, items_views, orders_views, parties_views, quotations_views
from plugins.sales.ordertypes import STANDARD_TYPES

# Each area of the module brings its pages (blueprint()), API (api_blueprint()) and MENU.
AREAS = (parties_views, items_views, quotations_views, orders_views)


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_document_templates():
    return Path(__file__).parent / "documents"


@hookimpl
def comptoir_order_types():
    return STANDARD_TYPES


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
