"""Fail: insert into a table that does not exist.

Revision ID: bad_0002
"""

from alembic import op

revision = "bad_0002"
down_revision = "bad_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("INSERT INTO no_such_table (id) VALUES (1)")


def downgrade():
    pass
