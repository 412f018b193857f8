"""An invoice kind and an order type under the codes of the invoicing module's free text
invoice and the sales module's Sales order."""

from core import hookimpl
from core.invoicekinds import InvoiceKind
from core.ordertypes import OrderType


@hookimpl
def comptoir_invoice_kinds():
    return [InvoiceKind("free_text", "Another free text invoice", "Taken already.",
                        lines="accounts")]


@hookimpl
def comptoir_order_types():
    return [OrderType("sales", "Another sales order", statuses=("draft",))]
