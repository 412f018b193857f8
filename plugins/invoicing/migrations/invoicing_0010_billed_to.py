"""A posted invoice keeps the customer it was issued to (name, invoice address, e-mail), which
its document prints whatever the party becomes.

Invoices posted before this revision are given their party as it is now: what they were issued
to was not kept.

Revision ID: invoicing_0010
Revises: invoicing_0009
Create Date: 2026-12-05
"""

from alembic import op

from core.migrate import keep_parties
from core.parties import billing_details

revision = "invoicing_0010"
down_revision = "invoicing_0009"
branch_labels = None
depends_on = None


def upgrade():
    keep_parties("invoicing_invoice", "billed_to", billing_details, only={"status": "posted"})


def downgrade():
    op.drop_column("invoicing_invoice", "billed_to")
