"""Invoices, ledger accounts, posting profiles, ledger entries, payments and settlements, with
a default chart of accounts, a default posting profile and the number sequences.

Revision ID: invoicing_0001
"""

import sqlalchemy as sa
from alembic import op

from core.money import Amount

revision = "invoicing_0001"
down_revision = None
branch_labels = ("invoicing",)
depends_on = None

SEQUENCES = {"invoice": "INV-", "free_text_invoice": "FTI-", "credit_note": "CN-",
             "payment": "PAY-"}


def _fk(columns, target, name):
    return sa.ForeignKeyConstraint(columns, [target], name=op.f(name))


def upgrade():
    account = op.create_table(
        "invoicing_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_account")),
        sa.UniqueConstraint("code", name=op.f("uq_invoicing_account_code")),
    )
    profile = op.create_table(
        "invoicing_posting_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("summary_account_id", sa.Integer(), nullable=False),
        sa.Column("revenue_account_id", sa.Integer(), nullable=False),
        sa.Column("tax_account_id", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _fk(["summary_account_id"], "invoicing_account.id", "fk_invoicing_profile_summary"),
        _fk(["revenue_account_id"], "invoicing_account.id", "fk_invoicing_profile_revenue"),
        _fk(["tax_account_id"], "invoicing_account.id", "fk_invoicing_profile_tax"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_posting_profile")),
        sa.UniqueConstraint("code", name=op.f("uq_invoicing_posting_profile_code")),
    )
    op.create_table(
        "invoicing_invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("posting_profile_id", sa.Integer(), nullable=False),
        sa.Column("credited_invoice_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("untaxed", Amount(), nullable=False),
        sa.Column("tax", Amount(), nullable=False),
        sa.Column("total", Amount(), nullable=False),
        sa.Column("settled", Amount(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        _fk(["party_id"], "core_party.id", "fk_invoicing_invoice_party"),
        _fk(["posting_profile_id"], "invoicing_posting_profile.id",
            "fk_invoicing_invoice_profile"),
        _fk(["credited_invoice_id"], "invoicing_invoice.id", "fk_invoicing_invoice_credited"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_invoice")),
        sa.UniqueConstraint("number", name=op.f("uq_invoicing_invoice_number")),
    )
    op.create_index(op.f("ix_invoicing_invoice_party_id"), "invoicing_invoice", ["party_id"])
    op.create_index(op.f("ix_invoicing_invoice_credited_invoice_id"), "invoicing_invoice",
                    ["credited_invoice_id"])
    op.create_table(
        "invoicing_invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("packing_slip_line_id", sa.Integer(), nullable=True),
        sa.Column("credited_line_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("tax_category_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("quantity", Amount(), nullable=False),
        sa.Column("unit_price", Amount(), nullable=False),
        sa.Column("discount", Amount(), nullable=False),
        sa.Column("tax_rate", Amount(), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("tax_amount", Amount(), nullable=False),
        _fk(["invoice_id"], "invoicing_invoice.id", "fk_invoicing_invoice_line_invoice"),
        _fk(["order_line_id"], "core_order_line.id", "fk_invoicing_invoice_line_order_line"),
        _fk(["packing_slip_line_id"], "fulfilment_packing_slip_line.id",
            "fk_invoicing_invoice_line_slip_line"),
        _fk(["credited_line_id"], "invoicing_invoice_line.id",
            "fk_invoicing_invoice_line_credited"),
        _fk(["item_id"], "core_item.id", "fk_invoicing_invoice_line_item"),
        _fk(["account_id"], "invoicing_account.id", "fk_invoicing_invoice_line_account"),
        _fk(["tax_category_id"], "core_tax_category.id", "fk_invoicing_invoice_line_tax"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_invoice_line")),
    )
    for column in ("invoice_id", "order_line_id", "packing_slip_line_id"):
        op.create_index(op.f(f"ix_invoicing_invoice_line_{column}"), "invoicing_invoice_line",
                        [column])
    op.create_table(
        "invoicing_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("applied", Amount(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        _fk(["party_id"], "core_party.id", "fk_invoicing_payment_party"),
        _fk(["account_id"], "invoicing_account.id", "fk_invoicing_payment_account"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_payment")),
        sa.UniqueConstraint("number", name=op.f("uq_invoicing_payment_number")),
    )
    op.create_index(op.f("ix_invoicing_payment_party_id"), "invoicing_payment", ["party_id"])
    op.create_table(
        "invoicing_settlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("amount", Amount(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        _fk(["invoice_id"], "invoicing_invoice.id", "fk_invoicing_settlement_invoice"),
        _fk(["payment_id"], "invoicing_payment.id", "fk_invoicing_settlement_payment"),
        _fk(["credit_note_id"], "invoicing_invoice.id", "fk_invoicing_settlement_credit_note"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_settlement")),
    )
    op.create_index(op.f("ix_invoicing_settlement_invoice_id"), "invoicing_settlement",
                    ["invoice_id"])
    op.create_index(op.f("ix_invoicing_settlement_payment_id"), "invoicing_settlement",
                    ["payment_id"])
    op.create_table(
        "invoicing_ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("debit", Amount(), nullable=False),
        sa.Column("credit", Amount(), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        _fk(["invoice_id"], "invoicing_invoice.id", "fk_invoicing_ledger_entry_invoice"),
        _fk(["payment_id"], "invoicing_payment.id", "fk_invoicing_ledger_entry_payment"),
        _fk(["account_id"], "invoicing_account.id", "fk_invoicing_ledger_entry_account"),
        _fk(["party_id"], "core_party.id", "fk_invoicing_ledger_entry_party"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoicing_ledger_entry")),
    )
    for column in ("document", "invoice_id", "payment_id", "account_id", "party_id"):
        op.create_index(op.f(f"ix_invoicing_ledger_entry_{column}"), "invoicing_ledger_entry",
                        [column])
    op.bulk_insert(account, [
        {"code": "411", "name": "Customers", "kind": "receivable"},
        {"code": "706", "name": "Sales of goods and services", "kind": "revenue"},
        {"code": "4457", "name": "Sales tax collected", "kind": "tax"},
        {"code": "512", "name": "Bank", "kind": "bank"},
    ])
    accounts = {code: sa.select(account.c.id).where(account.c.code == code).scalar_subquery()
                for code in ("411", "706", "4457")}
    op.execute(profile.insert().values(
        code="GENERAL", name="General customers", summary_account_id=accounts["411"],
        revenue_account_id=accounts["706"], tax_account_id=accounts["4457"], is_default=True))
    op.execute("INSERT INTO core_sequence (code, prefix, padding, next_value) VALUES "
               + ", ".join(f"('{code}', '{prefix}', 5, 1)" for code, prefix in SEQUENCES.items()))


def downgrade():
    for table in ("invoicing_ledger_entry", "invoicing_settlement", "invoicing_payment",
                  "invoicing_invoice_line", "invoicing_invoice", "invoicing_posting_profile",
                  "invoicing_account"):
        op.drop_table(table)
    op.execute("DELETE FROM core_sequence WHERE code IN ("
               + ", ".join(f"'{code}'" for code in SEQUENCES) + ")")
