"""The invoices, payments and ledger entries of parties merged before merging moved them now
follow to the survivor (along a chain of merges), so that the survivor owes, and may pay,
what its duplicates were invoiced.

Revision ID: invoicing_0007
Revises: invoicing_0006
Create Date: 2026-12-04
"""

from alembic import op
from sqlalchemy import text

revision = "invoicing_0007"
down_revision = "invoicing_0006"
branch_labels = None
depends_on = None

TABLES = ("invoicing_invoice", "invoicing_payment", "invoicing_ledger_entry")


def upgrade():
    connection = op.get_bind()
    moved = True
    while moved:  # one step along each chain of merges per round
        moved = False
        for table in TABLES:
            moved |= connection.execute(text(
                f"UPDATE {table} SET party_id = (SELECT merged_into_id FROM core_party "
                f"WHERE core_party.id = {table}.party_id) "
                "WHERE party_id IN (SELECT id FROM core_party WHERE merged_into_id IS NOT NULL)"
            )).rowcount > 0


def downgrade():
    """Nothing to undo: the records stay with the survivors."""
