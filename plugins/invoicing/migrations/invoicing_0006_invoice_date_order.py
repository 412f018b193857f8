"""An index for the latest date a kind's posted invoices took: posting refuses an invoice dated
before it, so that numbers follow dates.

Revision ID: invoicing_0006
Revises: invoicing_0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "invoicing_0006"
down_revision = "invoicing_0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_invoicing_invoice_kind_status_invoice_date", "invoicing_invoice",
                    ["kind", "status", "invoice_date"])


def downgrade():
    op.drop_index("ix_invoicing_invoice_kind_status_invoice_date", "invoicing_invoice")
