"""The fulfilment module: packing slips, stock moves and what is left to deliver."""

from pathlib import Path

from core import hookimpl
from plugins.fulfilment import demo, views


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_document_templates():
    return Path(__file__).parent / "documents"


@hookimpl
def comptoir_demo_data(session, hook):
    demo.load(session, hook)


@hookimpl
def comptoir_blueprints():
    return [views.blueprint()]


@hookimpl
def comptoir_api_blueprints():
    return [views.api_blueprint()]


@hookimpl
def comptoir_menu_entries():
    return views.MENU
