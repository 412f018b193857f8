"""What was still to deliver of each order line once a packing slip had delivered it, as the
slip is printed again later.

Existing slip lines get it from the slips of their order line up to theirs, at least zero (a
Subscription's lines start again each period, all delivered before).

Revision ID: fulfilment_0002
Revises: fulfilment_0001
Create Date: 2026-12-04
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "fulfilment_0002"
down_revision = "fulfilment_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("fulfilment_packing_slip_line",
                  sa.Column("remainder_after", Amount(), nullable=True))
    slip_line = sa.table("fulfilment_packing_slip_line", sa.column("id"),
                         sa.column("order_line_id"), sa.column("quantity", Amount()),
                         sa.column("remainder_after", Amount()))
    order_line = sa.table("core_order_line", sa.column("id"), sa.column("quantity", Amount()))
    rows = op.get_bind().execute(
        sa.select(slip_line.c.id, slip_line.c.order_line_id, slip_line.c.quantity,
                  order_line.c.quantity)
        .join(order_line, order_line.c.id == slip_line.c.order_line_id)
        .order_by(slip_line.c.id))
    delivered, remainders = defaultdict(Decimal), []
    for line_id, order_line_id, quantity, ordered in rows:  # summed here: amounts are text
        delivered[order_line_id] += quantity                # on SQLite
        remainders.append({"row_id": line_id,
                           "remainder": max(ordered - delivered[order_line_id], Decimal(0))})
    if remainders:
        op.get_bind().execute(
            slip_line.update().where(slip_line.c.id == sa.bindparam("row_id"))
            .values(remainder_after=sa.bindparam("remainder")), remainders)


def downgrade():
    # Not in a batch: SQLite (3.35 and later) drops a plain column in place, where a batch
    # would copy the table, which other tables' foreign keys refer to.
    op.drop_column("fulfilment_packing_slip_line", "remainder_after")
