"""Price lists and their rules.

Revision ID: pricing_0001
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "pricing_0001"
down_revision = None
branch_labels = ("pricing",)
depends_on = None


def upgrade():
    op.create_table(
        "pricing_price_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_price_list")),
    )
    op.create_table(
        "pricing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list_id", sa.Integer(), nullable=False),
        sa.Column("customer_group_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("item_group_id", sa.Integer(), nullable=True),
        sa.Column("min_quantity", Amount(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("price", Amount(), nullable=True),
        sa.Column("discount", Amount(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_group_id"],
            ["core_customer_group.id"],
            name=op.f("fk_pricing_rule_customer_group_id_core_customer_group"),
        ),
        sa.ForeignKeyConstraint(
            ["item_group_id"],
            ["core_item_group.id"],
            name=op.f("fk_pricing_rule_item_group_id_core_item_group"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["core_item.id"], name=op.f("fk_pricing_rule_item_id_core_item")
        ),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["pricing_price_list.id"],
            name=op.f("fk_pricing_rule_price_list_id_pricing_price_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_rule")),
    )
    op.create_index(op.f("ix_pricing_rule_item_id"), "pricing_rule", ["item_id"], unique=False)
    op.create_index(
        op.f("ix_pricing_rule_item_group_id"), "pricing_rule", ["item_group_id"], unique=False
    )
    op.create_index(
        op.f("ix_pricing_rule_price_list_id"), "pricing_rule", ["price_list_id"], unique=False
    )


def downgrade():
    op.drop_table("pricing_rule")
    op.drop_table("pricing_price_list")
