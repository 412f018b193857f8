"""Refunds: money paid back to a customer against a credit note, numbered RF-.

A payment is now of a kind: ``receipt`` (money received, as every payment so far) or
``refund``.

Revision ID: invoicing_0003
Revises: invoicing_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0003"
down_revision = "invoicing_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invoicing_payment",
                  sa.Column("kind", sa.String(16), nullable=False, server_default="receipt"))
    op.execute("INSERT INTO core_sequence (code, prefix, padding, next_value) "
               "VALUES ('refund', 'RF-', 5, 1)")


def downgrade():
    op.execute("DELETE FROM core_sequence WHERE code = 'refund'")
    # Not in a batch: SQLite (3.35 and later) drops a plain column in place, where a batch
    # would copy the table, which other tables' foreign keys refer to.
    op.drop_column("invoicing_payment", "kind")
