"""Create the nicknames table.

Revision ID: example_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0002"
down_revision = "example_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "example_nickname",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id"), primary_key=True),
        sa.Column("nickname", sa.String(40), nullable=False),
    )


def downgrade():
    op.drop_table("example_nickname")
