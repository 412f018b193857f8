"""Create a table referring to parties and write a row naming a party that does not exist.

Revision ID: dangling_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "dangling_0001"
down_revision = None
branch_labels = ("dangling_reference",)
depends_on = None


def upgrade():
    op.create_table("dangling_reference_note",
                    sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("party_id", sa.Integer(), sa.ForeignKey("core_party.id")))
    op.execute("INSERT INTO dangling_reference_note (id, party_id) VALUES (1, 999999)")


def downgrade():
    op.drop_table("dangling_reference_note")
