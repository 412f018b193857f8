"""Each payment names the summary account its unapplied rest stands on: the default posting
profile's when it was registered, which may no longer be the default when the rest is applied
or paid back.

Revision ID: invoicing_0008
Revises: invoicing_0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "invoicing_0008"
down_revision = "invoicing_0007"
branch_labels = None
depends_on = None

# Until now only the default profile's summary account held the rests, and only a change made
# outside Comptoir could have moved the default.
FILL = ("UPDATE invoicing_payment SET summary_account_id = (SELECT summary_account_id "
        "FROM invoicing_posting_profile WHERE is_default ORDER BY id LIMIT 1)")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # As in invoicing_0004: the reference in place, not a table copy.
        op.execute("ALTER TABLE invoicing_payment ADD COLUMN summary_account_id INTEGER "
                   "REFERENCES invoicing_account (id)")
    else:
        op.add_column("invoicing_payment", sa.Column(
            "summary_account_id", sa.Integer(), sa.ForeignKey("invoicing_account.id"),
            nullable=True))
    op.execute(FILL)


def downgrade():
    op.drop_column("invoicing_payment", "summary_account_id")
