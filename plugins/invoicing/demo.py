"""Demo data of the invoicing module: a posted customer invoice of a confirmed order, partly
paid, a posted free text invoice, and a draft with its pro forma."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.models import Order, Party
from core.money import round_money
from plugins.invoicing import invoices
from plugins.invoicing.payments import register_payment
from plugins.invoicing.posting import post_invoice


def load(session, hook):
    """Invoice the first confirmed sales order of the sales module's demo data and receive half
    of it, post a free text invoice for installation work, and leave a draft with its pro
    forma; whatever the other modules' demo data lacks is skipped."""
    order = session.scalars(select(Order).where(Order.status.in_(("confirmed", "delivered")),
                                                Order.type == "sales")
                            .order_by(Order.id).limit(1)).first()
    if order is not None:
        invoice = invoices.invoice_from_order(session, hook, order, header={
            "invoice_date": date.today() - timedelta(days=10)})
        post_invoice(session, hook, invoice)
        half = round_money(invoice.total / 2, invoice.currency)
        register_payment(session, invoice.party_id, half, invoice.currency,
                         date.today() - timedelta(days=3), "Bank transfer, first half",
                         [(invoice.id, half)])
    customers = session.scalars(select(Party).where(Party.stage == "customer",
                                                    Party.merged_into_id.is_(None))
                                .order_by(Party.id)).all()
    if not customers:
        return
    work = {"account": "706", "description": "On-site installation, 6 hours",
            "quantity": Decimal(6), "unit_price": Decimal(65), "tax_category": "VAT20"}
    advice = {"account": "706", "description": "Workplace layout advice",
              "amount": Decimal(450), "tax_category": "VAT20"}
    free_text = invoices.free_text_invoice(session, hook, {
        "party_id": customers[0].id, "currency": "EUR", "lines": [work],
        "note": "Installation of the desks ordered in spring."})
    post_invoice(session, hook, free_text)
    draft = invoices.free_text_invoice(session, hook, {
        "party_id": customers[-1].id, "currency": "EUR", "lines": [advice]})
    invoices.pro_forma_of(session, hook, draft)
