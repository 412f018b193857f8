"""What an invoice's own credit notes settled of it, apart from what payments settled.

An invoice that its credit notes settled in full (a cancelled one) is then shown as credited,
not paid.  Existing settlements by credit notes of the invoice they settle are summed into the
new column.

Revision ID: invoicing_0002
Revises: invoicing_0001
Create Date: 2026-12-03
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "invoicing_0002"
down_revision = "invoicing_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invoicing_invoice",
                  sa.Column("credited", Amount(), nullable=False, server_default="0"))
    settlement = sa.table("invoicing_settlement", sa.column("invoice_id"),
                          sa.column("credit_note_id"), sa.column("amount", Amount()))
    invoice = sa.table("invoicing_invoice", sa.column("id"), sa.column("credited_invoice_id"),
                       sa.column("credited", Amount()))
    credited = defaultdict(Decimal)
    rows = op.get_bind().execute(
        sa.select(settlement.c.invoice_id, settlement.c.amount)
        .join(invoice, invoice.c.id == settlement.c.credit_note_id)
        .where(invoice.c.credited_invoice_id == settlement.c.invoice_id))
    for invoice_id, amount in rows:  # summed here: SQLite would sum the exact text as floats
        credited[invoice_id] += amount
    if credited:
        op.get_bind().execute(
            invoice.update().where(invoice.c.id == sa.bindparam("row_id"))
            .values(credited=sa.bindparam("amount")),
            [{"row_id": invoice_id, "amount": amount} for invoice_id, amount in credited.items()])


def downgrade():
    # Not in a batch: SQLite (3.35 and later) drops a plain column in place, where a batch
    # would copy the table, which other tables' foreign keys refer to.
    op.drop_column("invoicing_invoice", "credited")
