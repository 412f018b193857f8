"""The customer prepayments account and the down-payment invoices' number sequence.

Revision ID: down_payment_0001
"""

from alembic import op
from sqlalchemy.orm import Session

from core.numbering import ensure_sequence

revision = "down_payment_0001"
down_revision = None
branch_labels = ("down_payment",)
depends_on = None


def upgrade():
    # The accountant may have added the account already (codes are unique): keep theirs.
    op.execute("INSERT INTO invoicing_account (code, name, kind) "
               "SELECT '4191', 'Customer prepayments', 'other' "
               "WHERE NOT EXISTS (SELECT 1 FROM invoicing_account WHERE code = '4191')")
    # The session joins the migration's transaction, which stays the kernel's to commit.
    with Session(bind=op.get_bind()) as session:
        ensure_sequence(session, "down_payment", "DP-")


def downgrade():
    # The account stays: the accountant may have added it, and entries may name it.
    op.execute("DELETE FROM core_sequence WHERE code = 'down_payment'")
