"""Quotations and their lines; the quotation and RMA number sequences.

Revision ID: sales_0001
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "sales_0001"
down_revision = None
branch_labels = ("sales",)
depends_on = None


def upgrade():
    op.create_table(
        "sales_quotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lost_reason", sa.String(length=256), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("untaxed", Amount(), nullable=False),
        sa.Column("tax", Amount(), nullable=False),
        sa.Column("total", Amount(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["core_order.id"], name=op.f("fk_sales_quotation_order_id_core_order")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["core_party.id"], name=op.f("fk_sales_quotation_party_id_core_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_quotation")),
        sa.UniqueConstraint("number", "revision", name=op.f("uq_sales_quotation_number")),
    )
    op.create_index(op.f("ix_sales_quotation_number"), "sales_quotation", ["number"], unique=False)
    op.create_index(
        op.f("ix_sales_quotation_party_id"), "sales_quotation", ["party_id"], unique=False
    )
    op.create_table(
        "sales_quotation_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quotation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("quantity", Amount(), nullable=False),
        sa.Column("manual_price", Amount(), nullable=True),
        sa.Column("manual_discount", Amount(), nullable=True),
        sa.Column("unit_price", Amount(), nullable=False),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("tax_rate", Amount(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("tax_amount", Amount(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["core_item.id"], name=op.f("fk_sales_quotation_line_item_id_core_item")
        ),
        sa.ForeignKeyConstraint(
            ["quotation_id"],
            ["sales_quotation.id"],
            name=op.f("fk_sales_quotation_line_quotation_id_sales_quotation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_quotation_line")),
    )
    op.create_index(
        op.f("ix_sales_quotation_line_quotation_id"),
        "sales_quotation_line",
        ["quotation_id"],
        unique=False,
    )
    op.execute(
        "INSERT INTO core_sequence (code, prefix, padding, next_value) "
        "VALUES ('quotation', 'QT-', 5, 1), ('rma', 'RMA-', 5, 1)"
    )


def downgrade():
    op.drop_table("sales_quotation_line")
    op.drop_table("sales_quotation")
    op.execute("DELETE FROM core_sequence WHERE code IN ('quotation', 'rma')")
