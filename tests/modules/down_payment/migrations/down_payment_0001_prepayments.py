"""The customer prepayments account and the down-payment invoices' number sequence.

Revision ID: down_payment_0001
"""

from alembic import op

revision = "down_payment_0001"
down_revision = None
branch_labels = ("down_payment",)
depends_on = None


def upgrade():
    op.execute("INSERT INTO invoicing_account (code, name, kind) "
               "VALUES ('4191', 'Customer prepayments', 'other')")
    op.execute("INSERT INTO core_sequence (code, prefix, padding, next_value) "
               "VALUES ('down_payment', 'DP-', 5, 1)")


def downgrade():
    op.execute("DELETE FROM core_sequence WHERE code = 'down_payment'")
    op.execute("DELETE FROM invoicing_account WHERE code = '4191'")
