"""The invoicing module: invoice kinds, posting to the ledger, credit notes and payments."""

from pathlib import Path

from core import hookimpl
from plugins.invoicing.kinds import KINDS


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_invoice_kinds():
    return KINDS
