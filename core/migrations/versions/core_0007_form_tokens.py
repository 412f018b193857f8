"""The tokens of forms already sent: a form posting what cannot be taken back (a payment, a
credit note, a packing slip) is refused when sent a second time.

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0007"
down_revision = "core_0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "core_form_token",
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_core_form_token")),
    )
    op.create_index("ix_core_form_token_used_at", "core_form_token", ["used_at"])


def downgrade():
    op.drop_index("ix_core_form_token_used_at", "core_form_token")
    op.drop_table("core_form_token")
