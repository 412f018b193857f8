"""Checks every request passes before any view runs, whichever module serves it."""

from flask import request

from core.errors import ValidationError

NUL = "\x00"


def _json_paths_with_nul(value, path=""):
    if isinstance(value, str):
        return {path or "body"} if NUL in value else set()
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            key = str(key)
            found |= {path + key} if NUL in key else set()
            found |= _json_paths_with_nul(item, f"{path}{key}.")
        return {p.rstrip(".") for p in found}
    if isinstance(value, list):
        found = set()
        for index, item in enumerate(value):
            found |= _json_paths_with_nul(item, f"{path}{index}.")
        return {p.rstrip(".") for p in found}
    return set()


def refuse_nul_characters():
    """Refuse (422, per field) text holding a NUL character, which PostgreSQL cannot store.

    Done once here for the kernel and every module, in form fields, query arguments and JSON
    bodies, so that no view ever hands such text to the database.
    """
    fields = {key for key, value in request.form.items(multi=True) if NUL in value + key}
    fields |= {key for key, value in request.args.items(multi=True) if NUL in value + key}
    if request.is_json:
        fields |= _json_paths_with_nul(request.get_json(silent=True))
    if fields:
        raise ValidationError(
            "text must not contain a NUL character",
            fields={name: ["must not contain a NUL character"] for name in sorted(fields)},
        )
