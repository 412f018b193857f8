"""Shared business records: parties, items, tax categories, orders and number sequences.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "core_customer_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_customer_group")),
        sa.UniqueConstraint("code", name=op.f("uq_core_customer_group_code")),
    )
    op.create_table(
        "core_item_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_item_group")),
        sa.UniqueConstraint("code", name=op.f("uq_core_item_group_code")),
    )
    op.create_table(
        "core_sequence",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("padding", sa.Integer(), nullable=False),
        sa.Column("next_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_core_sequence")),
    )
    op.create_table(
        "core_tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_core_tag_name")),
    )
    op.create_table(
        "core_tax_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("rate", Amount(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_tax_category")),
        sa.UniqueConstraint("code", name=op.f("uq_core_tax_category_code")),
    )
    op.create_table(
        "core_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("list_price", Amount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_category_id", sa.Integer(), nullable=False),
        sa.Column("item_group_id", sa.Integer(), nullable=True),
        sa.Column("stock_on_hand", Amount(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_group_id"],
            ["core_item_group.id"],
            name=op.f("fk_core_item_item_group_id_core_item_group"),
        ),
        sa.ForeignKeyConstraint(
            ["tax_category_id"],
            ["core_tax_category.id"],
            name=op.f("fk_core_item_tax_category_id_core_tax_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_item")),
        sa.UniqueConstraint("number", name=op.f("uq_core_item_number")),
    )
    op.create_index(op.f("ix_core_item_name"), "core_item", ["name"], unique=False)
    op.create_table(
        "core_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("is_vendor", sa.Boolean(), nullable=False),
        sa.Column("customer_group_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_group_id"],
            ["core_customer_group.id"],
            name=op.f("fk_core_party_customer_group_id_core_customer_group"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["core_party.id"],
            name=op.f("fk_core_party_merged_into_id_core_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_party")),
    )
    op.create_index(op.f("ix_core_party_name"), "core_party", ["name"], unique=False)
    op.create_table(
        "core_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("street", sa.String(length=256), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["core_party.id"], name=op.f("fk_core_address_party_id_core_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_address")),
    )
    op.create_index(op.f("ix_core_address_party_id"), "core_address", ["party_id"], unique=False)
    op.create_table(
        "core_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("requested_ship_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("rma_number", sa.String(length=32), nullable=True),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("untaxed", Amount(), nullable=False),
        sa.Column("tax", Amount(), nullable=False),
        sa.Column("total", Amount(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["core_party.id"], name=op.f("fk_core_order_party_id_core_party")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_order")),
        sa.UniqueConstraint("number", name=op.f("uq_core_order_number")),
        sa.UniqueConstraint("rma_number", name=op.f("uq_core_order_rma_number")),
    )
    op.create_index(op.f("ix_core_order_party_id"), "core_order", ["party_id"], unique=False)
    op.create_table(
        "core_party_stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("old_stage", sa.String(length=16), nullable=True),
        sa.Column("new_stage", sa.String(length=16), nullable=False),
        sa.Column("cause", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["core_party.id"],
            name=op.f("fk_core_party_stage_change_party_id_core_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_party_stage_change")),
    )
    op.create_index(
        op.f("ix_core_party_stage_change_party_id"),
        "core_party_stage_change",
        ["party_id"],
        unique=False,
    )
    op.create_table(
        "core_party_tag",
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["core_party.id"], name=op.f("fk_core_party_tag_party_id_core_party")
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["core_tag.id"], name=op.f("fk_core_party_tag_tag_id_core_tag")
        ),
        sa.PrimaryKeyConstraint("party_id", "tag_id", name=op.f("pk_core_party_tag")),
    )
    op.create_table(
        "core_order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("quantity", Amount(), nullable=False),
        sa.Column("manual_price", Amount(), nullable=True),
        sa.Column("manual_discount", Amount(), nullable=True),
        sa.Column("price_source", sa.String(length=64), nullable=True),
        sa.Column("unit_price", Amount(), nullable=False),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("tax_rate", Amount(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("tax_amount", Amount(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["core_item.id"], name=op.f("fk_core_order_line_item_id_core_item")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["core_order.id"], name=op.f("fk_core_order_line_order_id_core_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_order_line")),
    )
    op.create_index(
        op.f("ix_core_order_line_order_id"), "core_order_line", ["order_id"], unique=False
    )

    op.execute(
        "INSERT INTO core_sequence (code, prefix, padding, next_value) "
        "VALUES ('order', 'SO-', 5, 1)"
    )


def downgrade():
    for table in ("core_order_line", "core_party_tag", "core_party_stage_change", "core_order",
                  "core_address", "core_party", "core_item", "core_tax_category", "core_tag",
                  "core_sequence", "core_item_group", "core_customer_group"):
        op.drop_table(table)
