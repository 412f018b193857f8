"""Helpers shared by the sales module's pages and API: form reading, paging, the hook relay,
documents' e-mail forms."""

from flask import current_app, flash, redirect, request
from marshmallow import ValidationError as MarshmallowError

from core.db import MAX_ID
from core.errors import ComptoirError
from core.models import Party
from web.database import db
from web.errors import form_messages
from web.once import claim_once
from web.printing import EmailDocumentSchema

PER_PAGE = 25


def hook():
    """The hooks of the modules enabled in the current build."""
    return current_app.loaded.manager.hook


def read_form(schema, form=None, lists=(), kept=()):
    """Load ``form`` (default: the request's form) with ``schema``: ``(data, errors)``.

    Empty text boxes count as not given; ``lists`` names fields sent as several values.
    ``kept`` names the fields of a form changing a record that show its current value: sent
    empty, they are refused ("Required.") rather than read as unchanged.
    """
    form = request.form if form is None else form
    raw, blank = {}, {}
    for name in schema.fields:
        if name in lists:
            values = [v for v in form.getlist(name) if v.strip()]
            if values:
                raw[name] = values
        elif form.get(name, "").strip():
            raw[name] = form[name].strip()
        elif name in kept and name in form:
            blank[name] = ["Required."]
    try:
        data = schema.load(raw)
    except MarshmallowError as error:
        return None, {**blank, **form_messages(error.messages)}
    return (None, blank) if blank else (data, {})


def page_number():
    """The ``page`` query argument as a positive number (1 when absent or invalid)."""
    page = request.args.get("page", "1")
    return int(page) if _digits(page, 5) and 0 < int(page) else 1


def record_id(value):
    """The record id the text ``value`` (a query argument, a form field) names, or None when
    it names none: the id a form or link sends is not trusted to be a number, nor one that
    fits an id column (``request.args.get("party_id", type=record_id)``)."""
    value = value.lstrip("0") if isinstance(value, str) else value
    return int(value) if _digits(value, len(str(MAX_ID))) and 0 < int(value) <= MAX_ID else None


def live_party(value):
    """The live party (not merged into another) whose id is the text ``value``, or None."""
    party = _party_named(value)
    return party if party is not None and party.merged_into_id is None else None


def _party_named(value):
    """The party, merged or not, whose id is the text ``value``, or None."""
    party_id = record_id(value)
    return db().get(Party, party_id) if party_id else None


def asked_party(value):
    """``(party, errors)`` of a page asked for the party whose id is the text ``value`` (its
    ``party_id`` argument): the live party, or None with ``{"party_id": ["There is no customer
    N."]}`` when ``value`` names none (or a message naming the customer it was merged into),
    shown rather than every customer's figures; ``(None, {})`` when it is empty."""
    value = (value or "").strip()
    if not value:
        return None, {}
    party = _party_named(value)
    if party is None:
        shown = value if len(value) <= 20 else f"{value[:20]}…"
        return None, {"party_id": [f"There is no customer {shown}."]}
    if party.merged_into_id is not None:  # what it had is the survivor's now: say whose
        return None, {"party_id": [f"{party.name} was merged into customer "
                                   f"{party.merged_into_id}: see that one."]}
    return party, {}


def record_ids(values):
    """The record ids among the texts ``values`` (ticked boxes, field names), in their order;
    those naming no record left out (see :func:`record_id`)."""
    return [number for number in map(record_id, values) if number]


def filter_id(name):
    """The record id a list's filter, the query argument ``name``, asks for: None when it is
    absent or empty (no filter), 0 when it names no record, so that the filter matches nothing
    (ids start at 1) rather than being dropped."""
    value = request.args.get(name, "")
    return (record_id(value) or 0) if value else None


def _digits(value, most):
    # ASCII only: "²" is a digit to str.isdigit() but not to int().
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= most


def page_count(total, per_page=PER_PAGE):
    """How many pages ``total`` rows fill."""
    return max(1, -(-total // per_page))


def email_from_form(send, page, back):
    """Handle a document's e-mail form: ``send(data)`` queues the document for the address typed
    (``web.printing.EmailDocumentSchema``) and returns the outbox message and the document's
    name, which the page's message says ("Packing slip PS-00001": the e-mail's subject, which
    the user may have typed, is not its name); a mistake shows the document's page again
    through ``page(errors, status)``; otherwise say so and go to ``back``."""
    claim_once(db())  # a message sent cannot be taken back
    data, errors = read_form(EmailDocumentSchema())
    if errors:
        return page(errors, 422)
    try:
        message, what = send(data)
    except ComptoirError as error:
        db().rollback()
        return page(error.fields or {"_": [error.message]}, error.status)
    if message.status == "sent":
        flash(f"{what} e-mailed to {message.recipient}.", "info")
    elif message.last_error:
        flash(f"{what} could not be e-mailed to {message.recipient} yet "
              f"({message.last_error}): it waits in the outbox and is tried again.", "error")
    else:  # an RQ worker sends it, or the sending thread still waits for a slow server
        flash(f"{what} queued for e-mailing to {message.recipient}.", "info")
    return redirect(back)
