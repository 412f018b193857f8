"""Order types: what each contributes through ``comptoir_order_types`` and how to look them up."""

from dataclasses import dataclass

from core.errors import ValidationError


@dataclass(frozen=True)
class OrderType:
    """The rules of one order type.

    ``statuses``: the statuses an order of this type may be in (a Journal is only ever a draft);
    ``affects_stock``: whether delivering it moves stock and writes item transactions;
    ``recurring``: whether invoicing returns it to an open state (subscriptions);
    ``sequence``: a number sequence giving such orders a second number (the RMA of a return);
    ``fixed_from``: statuses from which an order of this type can no longer change type.
    """

    code: str
    title: str
    description: str = ""
    statuses: tuple = ("draft", "confirmed", "delivered", "invoiced", "cancelled")
    affects_stock: bool = True
    recurring: bool = False
    sequence: str | None = None
    fixed_from: tuple = ()

    @property
    def can_confirm(self):
        """Whether an order of this type can leave the draft status."""
        return "confirmed" in self.statuses


def order_types(hook):
    """Every order type the enabled modules contribute, as ``{code: OrderType}`` in title order.

    Two modules contributing one code is an error naming both.
    """
    found = {}
    owners = {}
    for impl in hook.comptoir_order_types.get_hookimpls():
        for order_type in impl.function():
            if order_type.code in found:
                raise ValidationError(
                    f"order type {order_type.code!r} is contributed by both "
                    f"{owners[order_type.code]} and {impl.plugin_name}"
                )
            found[order_type.code] = order_type
            owners[order_type.code] = impl.plugin_name
    return dict(sorted(found.items(), key=lambda pair: pair[1].title))


def order_type(hook, code):
    """The order type ``code``, or ValidationError listing the known ones."""
    types = order_types(hook)
    if code not in types:
        raise ValidationError(f"unknown order type {code!r}",
                              fields={"type": [f"Must be one of: {', '.join(types)}."]})
    return types[code]
