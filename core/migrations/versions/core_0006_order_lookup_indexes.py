"""Indexes for finding orders by status and order lines by item: the stock page, backorders
and the lists of orders waiting for delivery or invoicing read them, and without them read
every order or order line.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_core_order_status", "core_order", ["status"])
    op.create_index("ix_core_order_line_item_id", "core_order_line", ["item_id"])


def downgrade():
    op.drop_index("ix_core_order_line_item_id", "core_order_line")
    op.drop_index("ix_core_order_status", "core_order")
