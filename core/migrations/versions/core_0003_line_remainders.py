"""Delivered and invoiced quantities of order lines, from which their remainders follow.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("core_order_line") as table:
        table.add_column(sa.Column("delivered_quantity", Amount(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("invoiced_quantity", Amount(), nullable=False,
                                   server_default="0"))


def downgrade():
    with op.batch_alter_table("core_order_line") as table:
        table.drop_column("invoiced_quantity")
        table.drop_column("delivered_quantity")
