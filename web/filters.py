"""The template filters of every page: ``money``, ``unit_price`` and ``plain``, from
``core.formatting`` (which printed documents use too)."""

from core.formatting import money, plain_number, unit_price


def register(app):
    """Add the filters to ``app``'s templates."""
    app.add_template_filter(money, "money")
    app.add_template_filter(unit_price, "unit_price")
    app.add_template_filter(plain_number, "plain")
