"""Extra form fields contributed by modules: collecting, validating and saving them."""

import re
from decimal import Decimal

from core.schemas import PLAIN_NUMBER


def extra_fields(hook, form):
    """The extra fields every enabled module adds to ``form``, in the order modules answer."""
    return [field for answer in hook.comptoir_form_fields(form=form) for field in answer]


def validate_extra(fields, submitted):
    """Check the submitted text of each extra field; return ``(values, errors by field)``.

    ``submitted`` maps field names to the raw submitted text.  Numbers, written in plain
    digits (``core.schemas.PLAIN_NUMBER``), become ``Decimal``;
    a select's value must be one of its choices; text longer than the field's ``max_length`` is
    refused; an empty optional field gives ``None``.
    """
    values, errors = {}, {}
    for field in fields:
        raw = (submitted.get(field.name) or "").strip()
        if not raw:
            if field.required:
                errors[field.name] = ["Required."]
            values[field.name] = None
        elif len(raw) > field.max_length:
            errors[field.name] = [f"At most {field.max_length} characters."]
        elif field.kind == "number":
            if re.fullmatch(PLAIN_NUMBER, raw):
                values[field.name] = Decimal(raw)
            else:
                errors[field.name] = ["Must be a number."]
        elif field.kind == "select" and raw not in {str(value) for value, _ in field.choices}:
            errors[field.name] = ["Not one of the choices."]
        else:
            values[field.name] = raw
    return values, errors


def save_extra(hook, form, record, values, session):
    """Hand the validated extra values to the modules, inside the saving transaction."""
    if values:
        hook.comptoir_form_submitted(form=form, record=record, values=values, session=session)
