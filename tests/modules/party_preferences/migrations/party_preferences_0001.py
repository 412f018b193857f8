"""The preference table: one row per party.

Revision ID: party_preferences_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "party_preferences_0001"
down_revision = None
branch_labels = ("party_preferences",)
depends_on = None


def upgrade():
    op.create_table("party_preferences_preference",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("party_id", sa.Integer(), sa.ForeignKey("core_party.id"),
                              nullable=False, unique=True),
                    sa.Column("note", sa.String(64), nullable=False))


def downgrade():
    op.drop_table("party_preferences_preference")
