"""One index on a rule's item group and item, in place of the item group's alone.

Pricing reads the rules on an order's item groups (item null) and those on every item (both
null); with the item group alone indexed, the second read walked every rule on an item.

Revision ID: pricing_0002
Revises: pricing_0001
Create Date: 2026-12-03
"""

from alembic import op

revision = "pricing_0002"
down_revision = "pricing_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_pricing_rule_item_group_id", table_name="pricing_rule")
    op.create_index("ix_pricing_rule_item_group_id_item_id", "pricing_rule",
                    ["item_group_id", "item_id"])


def downgrade():
    op.drop_index("ix_pricing_rule_item_group_id_item_id", table_name="pricing_rule")
    op.create_index("ix_pricing_rule_item_group_id", "pricing_rule", ["item_group_id"])
