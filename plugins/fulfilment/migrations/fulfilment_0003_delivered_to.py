"""A packing slip keeps the customer it delivered to (name, delivery address), which it prints
whatever the party becomes.

Slips posted before this revision are given their party as it is now: what they were delivered
to was not kept.

Revision ID: fulfilment_0003
Revises: fulfilment_0002
Create Date: 2026-12-05
"""

from alembic import op

from core.migrate import keep_parties
from core.parties import delivery_details

revision = "fulfilment_0003"
down_revision = "fulfilment_0002"
branch_labels = None
depends_on = None


def upgrade():
    keep_parties("fulfilment_packing_slip", "delivered_to", delivery_details)


def downgrade():
    op.drop_column("fulfilment_packing_slip", "delivered_to")
