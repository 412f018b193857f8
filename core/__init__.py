"""Comptoir's kernel: hook specifications, module registry, database and shared models.

Module authors need only what this package re-exports.
"""

from core.errors import ComptoirError, Conflict, Forbidden, NotFound, ValidationError
from core.hookspecs import hookimpl

__all__ = ["ComptoirError", "Conflict", "Forbidden", "NotFound", "ValidationError", "hookimpl"]
