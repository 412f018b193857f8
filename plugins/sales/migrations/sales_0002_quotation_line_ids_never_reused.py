"""A removed quotation line's id is never given again: a page left open on it must not change
another line (see ``core.migrate.ids_never_reused``).

Revision ID: sales_0002
Revises: sales_0001
Create Date: 2026-12-05
"""

from core.migrate import ids_never_reused

revision = "sales_0002"
down_revision = "sales_0001"
branch_labels = None
depends_on = None


def upgrade():
    ids_never_reused("sales_quotation_line")


def downgrade():
    pass  # the copy holds the same columns, indexes and rows
