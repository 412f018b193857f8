"""Indexes for finding what credit notes credited of an invoice line and what a credit note
settled: an invoice's page and crediting it in part read them, and without them read every
invoice line or settlement.

Revision ID: invoicing_0005
Revises: invoicing_0004
Create Date: 2026-12-04
"""

from alembic import op

revision = "invoicing_0005"
down_revision = "invoicing_0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_invoicing_invoice_line_credited_line_id", "invoicing_invoice_line",
                    ["credited_line_id"])
    op.create_index("ix_invoicing_settlement_credit_note_id", "invoicing_settlement",
                    ["credit_note_id"])


def downgrade():
    op.drop_index("ix_invoicing_settlement_credit_note_id", "invoicing_settlement")
    op.drop_index("ix_invoicing_invoice_line_credited_line_id", "invoicing_invoice_line")
