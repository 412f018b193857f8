"""Marshmallow schemas of the ledger as the API shows it."""

from marshmallow import Schema, fields, validate

from core.money import round_money


def _amount(attribute):
    """An amount of a ledger row as a string rounded to the row's currency (``"0"`` on an
    account without entries, which has none)."""
    def dump(row):
        value = getattr(row, attribute)
        if value is None:
            return None
        return str(round_money(value, row.currency)) if row.currency else str(value)

    return fields.Function(dump, allow_none=True, metadata={"type": "string",
                                                            "format": "decimal"})


class AccountBalanceSchema(Schema):
    """An account's totals in one currency: debits, credits and the balance (debits less
    credits)."""

    code = fields.String()
    name = fields.String()
    kind = fields.String()
    currency = fields.String(allow_none=True)
    debit = _amount("debit")
    credit = _amount("credit")
    balance = _amount("balance")


class LedgerEntrySchema(Schema):
    """A ledger entry; on an account's ledger, with the running balance after it."""

    id = fields.Integer()
    entry_date = fields.Date()
    document = fields.String()
    invoice_id = fields.Integer(allow_none=True)
    payment_id = fields.Integer(allow_none=True)
    account = fields.String()
    party_id = fields.Integer(allow_none=True)
    currency = fields.String()
    debit = _amount("debit")
    credit = _amount("credit")
    description = fields.String()
    balance = _amount("balance")


class AccountLedgerSchema(Schema):
    """One page of an account's entries, oldest first, with the account's totals."""

    code = fields.String()
    name = fields.String()
    kind = fields.String()
    totals = fields.List(fields.Nested(AccountBalanceSchema))
    entries = fields.List(fields.Nested(LedgerEntrySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class DocumentLedgerSchema(Schema):
    """The entries one document wrote, with their totals (equal when balanced)."""

    document = fields.String()
    entries = fields.List(fields.Nested(LedgerEntrySchema))
    debit = fields.String(metadata={"format": "decimal"})
    credit = fields.String(metadata={"format": "decimal"})


class LedgerArgsSchema(Schema):
    """The page of an account's entries to show."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
