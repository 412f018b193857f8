"""Create a table (rolled back when the next revision fails).

Revision ID: badhook_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "badhook_0001"
down_revision = None
branch_labels = ("bad_hook",)
depends_on = None


def upgrade():
    op.create_table("bad_hook_thing", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO bad_hook_thing (id) VALUES (1)")


def downgrade():
    op.drop_table("bad_hook_thing")
