"""A blueprint named like the kernel's admin blueprint."""

from flask import Blueprint

from core import hookimpl


@hookimpl
def comptoir_blueprints():
    return [Blueprint("admin", __name__, url_prefix="/clash")]
