"""Packing slips, their lines and stock moves; the packing-slip number sequence.

Revision ID: fulfilment_0001
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "fulfilment_0001"
down_revision = None
branch_labels = ("fulfilment",)
depends_on = None


def upgrade():
    op.create_table(
        "fulfilment_packing_slip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["core_order.id"],
                                name=op.f("fk_fulfilment_packing_slip_order_id_core_order")),
        sa.ForeignKeyConstraint(["party_id"], ["core_party.id"],
                                name=op.f("fk_fulfilment_packing_slip_party_id_core_party")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_packing_slip")),
        sa.UniqueConstraint("number", name=op.f("uq_fulfilment_packing_slip_number")),
    )
    op.create_index(op.f("ix_fulfilment_packing_slip_order_id"), "fulfilment_packing_slip",
                    ["order_id"])
    op.create_index(op.f("ix_fulfilment_packing_slip_party_id"), "fulfilment_packing_slip",
                    ["party_id"])
    op.create_table(
        "fulfilment_packing_slip_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packing_slip_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", Amount(), nullable=False),
        sa.ForeignKeyConstraint(
            ["packing_slip_id"], ["fulfilment_packing_slip.id"],
            name=op.f("fk_fulfilment_packing_slip_line_slip")),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["core_order_line.id"],
            name=op.f("fk_fulfilment_packing_slip_line_order_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_packing_slip_line")),
    )
    op.create_index(op.f("ix_fulfilment_packing_slip_line_packing_slip_id"),
                    "fulfilment_packing_slip_line", ["packing_slip_id"])
    op.create_index(op.f("ix_fulfilment_packing_slip_line_order_line_id"),
                    "fulfilment_packing_slip_line", ["order_line_id"])
    op.create_table(
        "fulfilment_stock_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", Amount(), nullable=False),
        sa.Column("packing_slip_line_id", sa.Integer(), nullable=True),
        sa.Column("move_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["core_item.id"],
                                name=op.f("fk_fulfilment_stock_move_item_id_core_item")),
        sa.ForeignKeyConstraint(
            ["packing_slip_line_id"], ["fulfilment_packing_slip_line.id"],
            name=op.f("fk_fulfilment_stock_move_slip_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilment_stock_move")),
    )
    op.create_index(op.f("ix_fulfilment_stock_move_item_id"), "fulfilment_stock_move",
                    ["item_id"])
    op.create_index(op.f("ix_fulfilment_stock_move_packing_slip_line_id"),
                    "fulfilment_stock_move", ["packing_slip_line_id"])
    op.execute("INSERT INTO core_sequence (code, prefix, padding, next_value) "
               "VALUES ('packing_slip', 'PS-', 5, 1)")


def downgrade():
    op.drop_table("fulfilment_stock_move")
    op.drop_table("fulfilment_packing_slip_line")
    op.drop_table("fulfilment_packing_slip")
    op.execute("DELETE FROM core_sequence WHERE code = 'packing_slip'")
