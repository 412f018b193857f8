"""The template filters of every page: ``money``, ``unit_price``, ``plain`` and ``amount``, from
``core.formatting`` (which printed documents use too), ``sentence`` and ``timestamp``."""

from core.formatting import amount_field, money, plain_number, unit_price


def sentence(message):
    """``message`` written as a sentence on a page: a capital first, a full stop last.  The
    services word their refusals for the API's ``message`` ("order O-00001 is cancelled")."""
    message = str(message).strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".!?" else f"{message}."


def timestamp(value):
    """A stored time (UTC, see ``core.clock``) to the minute, saying so: 2026-12-04 15:45 UTC."""
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else ""


def register(app):
    """Add the filters to ``app``'s templates."""
    app.add_template_filter(sentence, "sentence")
    app.add_template_filter(timestamp, "timestamp")
    app.add_template_filter(money, "money")
    app.add_template_filter(unit_price, "unit_price")
    app.add_template_filter(plain_number, "plain")
    app.add_template_filter(amount_field, "amount")
