"""Depend on the kernel's revision, out of this branch's reach.

Revision ID: badrev_0001
"""

revision = "badrev_0001"
down_revision = None
branch_labels = ("bad_revision",)
depends_on = "core_0001"


def upgrade():
    pass


def downgrade():
    pass
