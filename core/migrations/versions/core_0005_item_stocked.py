"""Whether an item is goods whose stock is kept, or a service (installation, a care plan) that
moves no stock.  Existing items are goods, as they were treated so far.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("core_item", sa.Column("stocked", sa.Boolean(), nullable=False,
                                         server_default=sa.true()))


def downgrade():
    # Not in a batch: SQLite (3.35 and later) drops a plain column in place, where a batch
    # would copy the table, which other tables' foreign keys refer to.
    op.drop_column("core_item", "stocked")
