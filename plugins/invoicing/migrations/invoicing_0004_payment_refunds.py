"""Refunds of money received: a refund may pay back a receipt's unapplied rest rather than a
credit note; it names that receipt.

Revision ID: invoicing_0004
Revises: invoicing_0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0004"
down_revision = "invoicing_0003"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place, but Alembic would add the
        # reference as a constraint of its own, which SQLite does only by copying the table
        # (a batch), which other tables' foreign keys refer to.
        op.execute("ALTER TABLE invoicing_payment ADD COLUMN refunded_payment_id INTEGER "
                   "REFERENCES invoicing_payment (id)")
    else:
        op.add_column("invoicing_payment", sa.Column(
            "refunded_payment_id", sa.Integer(), sa.ForeignKey("invoicing_payment.id"),
            nullable=True))
    op.create_index("ix_invoicing_payment_refunded_payment_id", "invoicing_payment",
                    ["refunded_payment_id"])


def downgrade():
    op.drop_index("ix_invoicing_payment_refunded_payment_id", "invoicing_payment")
    op.drop_column("invoicing_payment", "refunded_payment_id")
