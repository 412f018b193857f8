"""A module overriding the invoice document of the module it depends on."""

from pathlib import Path

from core import hookimpl


@hookimpl
def comptoir_document_templates():
    return Path(__file__).parent / "documents"
