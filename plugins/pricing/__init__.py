"""The pricing module: price lists (trade agreements) as a rule kind of the pricing chain,
their pages and API, and a price simulation that saves nothing."""

from pathlib import Path

from core import hookimpl
from plugins.pricing import api, demo, rules, views


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_price_rules(lines, context):
    return rules.price_list_rules(lines, context)


@hookimpl
def comptoir_demo_data(session, hook):
    demo.load(session, hook)


@hookimpl
def comptoir_blueprints():
    return [views.blueprint()]


@hookimpl
def comptoir_api_blueprints():
    return [api.price_lists_blueprint(), api.pricing_blueprint()]


@hookimpl
def comptoir_menu_entries():
    return views.MENU
