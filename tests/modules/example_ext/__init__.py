"""Depends on ``example``; overrides its answer to a first-result hook."""

from core import hookimpl


@hookimpl
def comptoir_base_prices(lines, context):
    return {line: "ext" for line in lines}
