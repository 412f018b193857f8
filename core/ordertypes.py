"""Order types: what each contributes through ``comptoir_order_types`` and how to look them up."""

from dataclasses import dataclass

from core.contributions import by_code, one_of


@dataclass(frozen=True)
class OrderType:
    """The rules of one order type.

    ``statuses``: the statuses an order of this type may be in (a Journal is only ever a draft);
    ``affects_stock``: whether delivering it moves stock and writes item transactions;
    ``recurring``: whether invoicing returns it to an open state (subscriptions);
    ``sequence``: a number sequence giving such orders a second number (the RMA of a return);
    ``fixed_from``: statuses from which an order of this type can no longer change type;
    ``incoming``: whether a delivery brings the goods back in (a return) rather than sending
    them out.
    """

    code: str
    title: str
    description: str = ""
    statuses: tuple = ("draft", "confirmed", "delivered", "invoiced", "cancelled")
    affects_stock: bool = True
    recurring: bool = False
    sequence: str | None = None
    fixed_from: tuple = ()
    incoming: bool = False

    @property
    def can_confirm(self):
        """Whether an order of this type can leave the draft status."""
        return "confirmed" in self.statuses


def order_types(hook):
    """Every order type the enabled modules contribute, as ``{code: OrderType}`` in title order.

    Two modules contributing one code is an error naming both.
    """
    return by_code(hook.comptoir_order_types, "order type")


def brings_goods_back(types, code):
    """Whether orders of type ``code`` bring goods back (``incoming``: a Returned order), among
    ``types`` (:func:`order_types`); a type no enabled module provides counts as sending."""
    return code in types and types[code].incoming


def recurring_codes(hook):
    """The codes of the recurring order types (a Subscription), which deliver and invoice again
    every period."""
    return {code for code, kind in order_types(hook).items() if kind.recurring}


def order_type(hook, code):
    """The order type ``code``, or ValidationError listing the known ones."""
    return one_of(order_types(hook), code, "type", "order type")
