"""The pricing module: price lists (trade agreements) as a rule kind of the pricing chain,
their pages and API, and a price simulation that saves nothing."""

from pathlib import Path

from core import hookimpl
from plugins.pricing import rules


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_price_rules(lines, context):
    return rules.price_list_rules(lines, context)
