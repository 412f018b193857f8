"""The keys of API requests already answered: a request sent again with the same
``Idempotency-Key`` gets the first one's answer instead of doing its work twice.

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0009"
down_revision = "core_0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "core_request_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["core_user.id"],
                                name=op.f("fk_core_request_key_user_id_core_user")),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_core_request_key")),
    )
    op.create_index("ix_core_request_key_used_at", "core_request_key", ["used_at"])


def downgrade():
    op.drop_index("ix_core_request_key_used_at", "core_request_key")
    op.drop_table("core_request_key")
