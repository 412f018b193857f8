"""Marshmallow schemas of the ledger as the API shows it."""

from marshmallow import Schema, fields, validate

from core.money import round_money
from core.schemas import PeriodSchema
from plugins.invoicing.models import ACCOUNT_KINDS
from plugins.sales.records import not_blank


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


class HeldSchema(Schema):
    """What an account held in one currency at the start or the end of a period."""

    currency = fields.String()
    balance = _amount("balance")


class AccountLedgerSchema(Schema):
    """One page of an account's entries of a period (``start`` to ``end``, the whole ledger
    when not given), oldest first; per currency, the balance it opens with (``opening``), its
    debits, credits and their difference (``totals``), and the balance it closes with
    (``closing``)."""

    code = fields.String()
    name = fields.String()
    kind = fields.String()
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    opening = fields.List(fields.Nested(HeldSchema))
    totals = fields.List(fields.Nested(AccountBalanceSchema))
    closing = fields.List(fields.Nested(HeldSchema))
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


class LedgerArgsSchema(PeriodSchema):
    """The period and page of an account's entries to show."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


# Codes name accounts and profiles in addresses (/ledger/accounts/706): no blanks, no slashes.
# The pattern is in OpenAPI too, where regular expressions are JavaScript's: no \Z there, and
# "$(?!\n)" is the end in both (Python's "$" alone also matches before a final newline).
SETUP_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$(?!\n)",
                             error="1 to 32 letters, digits, dots, dashes or underscores, "
                                   "starting with a letter or digit.")
NAME = validate.Length(min=1, max=128)


class AccountSchema(Schema):
    """A ledger account of the chart of accounts."""

    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)


class AccountUpdateSchema(Schema):
    """What changing an account takes: its name, and its kind while nothing names it."""

    name = fields.String(validate=[NAME, not_blank])
    kind = fields.String(validate=validate.OneOf(ACCOUNT_KINDS))


class AccountCreateSchema(Schema):
    """What adding an account takes: a new code, a name and a kind."""

    code = fields.String(required=True, validate=SETUP_CODE)
    name = fields.String(required=True, validate=[NAME, not_blank])
    kind = fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))


class PostingProfileSchema(Schema):
    """A posting profile: where an invoice naming it posts (account codes)."""

    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    summary_account = fields.Function(lambda profile: profile.summary_account.code,
                                      metadata={"type": "string"})
    revenue_account = fields.Function(lambda profile: profile.revenue_account.code,
                                      metadata={"type": "string"})
    tax_account = fields.Function(lambda profile: profile.tax_account.code,
                                  metadata={"type": "string"})
    is_default = fields.Boolean(dump_only=True)


class PostingProfileUpdateSchema(Schema):
    """What changing a posting profile takes, every field optional: its name; the customers'
    summary account (receivable), the revenue account (revenue or other) and the tax account
    (tax), by code, while no invoice names it; ``is_default: true`` makes it the default."""

    name = fields.String(validate=[NAME, not_blank])
    summary_account = fields.String(validate=validate.Length(min=1, max=32))
    revenue_account = fields.String(validate=validate.Length(min=1, max=32))
    tax_account = fields.String(validate=validate.Length(min=1, max=32))
    is_default = fields.Boolean()


class PostingProfileCreateSchema(Schema):
    """What adding a posting profile takes: a new code, a name and its three accounts."""

    code = fields.String(required=True, validate=SETUP_CODE)
    name = fields.String(required=True, validate=[NAME, not_blank])
    summary_account = fields.String(required=True, validate=validate.Length(min=1, max=32))
    revenue_account = fields.String(required=True, validate=validate.Length(min=1, max=32))
    tax_account = fields.String(required=True, validate=validate.Length(min=1, max=32))
    is_default = fields.Boolean(load_default=False)
