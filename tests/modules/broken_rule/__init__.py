"""A rule kind that always fails: pricing must stop with an error naming this module."""

from core import hookimpl


@hookimpl
def comptoir_price_rules(lines, context):
    raise RuntimeError("the rate table is unreachable")
