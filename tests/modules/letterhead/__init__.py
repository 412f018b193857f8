"""A module overriding a document template of a module it depends on: the quotation."""

from pathlib import Path

from core import hookimpl


@hookimpl
def comptoir_document_templates():
    return Path(__file__).parent / "documents"
