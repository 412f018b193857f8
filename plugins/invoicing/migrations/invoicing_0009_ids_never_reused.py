"""A deleted draft's id, or a removed line's, is never given again: a page left open on it, or
a link to it, must not act on another invoice (see ``core.migrate.ids_never_reused``).

Revision ID: invoicing_0009
Revises: invoicing_0008
Create Date: 2026-12-05
"""

from core.migrate import ids_never_reused

revision = "invoicing_0009"
down_revision = "invoicing_0008"
branch_labels = None
depends_on = None


def upgrade():
    ids_never_reused("invoicing_invoice", "invoicing_invoice_line")


def downgrade():
    pass  # the copies hold the same columns, indexes and rows
