"""A deleted draft's id, or a removed line's, is never given again: a page left open on it, or
a link to it, must not act on another invoice.  PostgreSQL never reuses them; SQLite gives the
largest id again once its row is deleted, unless the table says AUTOINCREMENT, which only a
copy of the table adds.

Revision ID: invoicing_0009
Revises: invoicing_0008
Create Date: 2026-12-05
"""

from alembic import op

revision = "invoicing_0009"
down_revision = "invoicing_0008"
branch_labels = None
depends_on = None

TABLES = ("invoicing_invoice", "invoicing_invoice_line")


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade():
    pass  # the copies hold the same columns, indexes and rows
