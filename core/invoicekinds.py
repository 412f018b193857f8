"""Invoice kinds: what each contributes through ``comptoir_invoice_kinds`` and how to look
them up."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from core.contributions import by_code, one_of
from core.errors import Conflict


class Entry(NamedTuple):
    """One ledger entry a posting writes: an account, a debit or a credit, and what it is for.

    ``party_id`` is set on entries of the customer's balance (the summary account), so that
    the balance of each customer can be read from the ledger.
    """

    account: str
    debit: Decimal
    credit: Decimal
    description: str
    party_id: int | None = None


@dataclass(frozen=True)
class InvoiceKind:
    """The rules of one invoice kind.

    ``lines``: what its lines hold: ``"items"`` (order lines and packing-slip lines, with their
    items), ``"accounts"`` (free text: a ledger account, a description, an amount and a tax
    category; no item) or ``"any"``;
    ``posts``: whether an invoice of this kind is posted to the ledger (a pro forma never is);
    ``sequence``: the number sequence its invoices take their number from when posted;
    ``sign``: ``-1`` for a kind that reverses what an invoice posted (a credit note);
    ``validate``: ``validate(invoice)`` raises :class:`core.errors.ValidationError` when the
    invoice may not be saved or posted as it is; called on every change, once it is written
    (a refusal rolls the change back), and before posting;
    ``entries``: ``entries(invoice, profile)`` returns the :class:`Entry` list posting writes,
    which must balance; ``None`` uses the invoicing module's standard entries (customer balance
    to the profile's summary account, revenue to each line's account, tax to the tax account);
    ``watermark``: a word stamped across its documents (``"PRO FORMA"``).
    """

    code: str
    title: str
    description: str = ""
    lines: str = "items"
    posts: bool = True
    sequence: str | None = None
    sign: int = 1
    validate: Callable | None = None
    entries: Callable | None = None
    watermark: str | None = None


def invoice_kinds(hook):
    """Every invoice kind the enabled modules contribute, as ``{code: InvoiceKind}`` in title order.

    Two modules contributing one code is an error naming both.
    """
    return by_code(hook.comptoir_invoice_kinds, "invoice kind")


def kind_signs(hook):
    """``{code: sign}`` of every invoice kind: 1 for what the customer owes, -1 for what is
    owed to them (a credit note)."""
    return {code: kind.sign for code, kind in invoice_kinds(hook).items()}


def crediting_kinds(hook):
    """The codes of the invoice kinds that credit the customer (sign -1: a credit note)."""
    return [code for code, sign in kind_signs(hook).items() if sign < 0]


def invoice_kind(hook, code):
    """The invoice kind ``code``, or ValidationError listing the known ones."""
    return one_of(invoice_kinds(hook), code, "kind", "invoice kind")


def kind_of(hook, invoice):
    """The kind of the stored ``invoice``; Conflict (409) when no enabled module brings it (its
    module was disabled since): the invoice still lists, reads and prints, but nothing can
    change it until that module is enabled again."""
    kind = invoice_kinds(hook).get(invoice.kind)
    if kind is None:
        raise Conflict(f"{invoice.reference} is of the invoice kind {invoice.kind!r}, which no "
                       "enabled module brings: enable its module again to change it")
    return kind
