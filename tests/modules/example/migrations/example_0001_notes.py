"""Create the notes table.

Revision ID: example_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0001"
down_revision = None
branch_labels = ("example",)
depends_on = None


def upgrade():
    op.create_table(
        "example_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
    )


def downgrade():
    op.drop_table("example_note")
