"""A removed order line's id is never given again: a page left open on it must not change
another line (see ``core.migrate.ids_never_reused``).

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-12-05
"""

from core.migrate import ids_never_reused

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None


def upgrade():
    ids_never_reused("core_order_line")


def downgrade():
    pass  # the copy holds the same columns, indexes and rows
