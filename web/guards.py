"""Checks every request passes before any view runs, whichever module serves it."""

from flask import request

from core.errors import ValidationError

NUL = "\x00"


def _json_paths_with_nul(value, path=""):
    """Yield the dotted path (``items.0.name``) of every JSON key or string holding a NUL."""
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ()
    )
    if isinstance(value, str) and NUL in value:
        yield path or "body"
    for key, item in children:
        child = f"{path}.{key}" if path else str(key)
        if NUL in str(key):
            yield child
        yield from _json_paths_with_nul(item, child)


def refuse_nul_characters():
    """Refuse (422, per field) text holding a NUL character, which PostgreSQL cannot store.

    Done once here for the kernel and every module, in form fields, query arguments and JSON
    bodies, so that no view ever hands such text to the database.
    """
    fields = {key for key, value in request.form.items(multi=True) if NUL in value + key}
    fields |= {key for key, value in request.args.items(multi=True) if NUL in value + key}
    if request.is_json:
        fields |= set(_json_paths_with_nul(request.get_json(silent=True)))
    if fields:
        raise ValidationError(
            "text must not contain a NUL character",
            fields={name: ["must not contain a NUL character"] for name in sorted(fields)},
        )
