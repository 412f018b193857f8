"""Measure the floor of the sales flow: the statements ``sale_flow.py``'s flow runs, through
SQLAlchemy Core alone, each built once, with no ORM object and no hook called.

Prints one JSON line: milliseconds per order for each phase (create and price, price again,
confirm, deliver, invoice, post; each order in its own transaction) and the whole flow's orders per
second, beside ``reference_ms`` and ``python`` (see ``sale_flow.py``).  What a data path on
Core could reach on this machine, not what Comptoir does: the real services also validate
through the invoice kinds, call the hooks, advance the party's stage and check every remainder
and direction, which this skips.  Pricing is the real chain (``core.pricing.price`` with the
enabled rule kinds), the same on both sides.  SQLite in a temporary folder:

    python benchmarks/flow_floor.py [--orders 300] [--lines 10]
"""

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import and_, bindparam, func, insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.sale_flow import catalogue, interpreter, reference  # noqa: E402
from core import modules  # noqa: E402
from core.db import WRITES  # noqa: E402
from core.models import Address, Item, Order, OrderLine, Party, Sequence, TaxCategory  # noqa: E402
from core.pricing import PricingContext, PricingItem, PricingLine, price  # noqa: E402
from plugins.fulfilment.models import PackingSlip, PackingSlipLine, StockMove  # noqa: E402
from plugins.invoicing.models import (  # noqa: E402
    Account,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    PostingProfile,
)
from web import create_app  # noqa: E402

ORDER, LINE, ITEM, PARTY = Order.__table__, OrderLine.__table__, Item.__table__, Party.__table__
ADDRESS = Address.__table__
TAX, SEQUENCE = TaxCategory.__table__, Sequence.__table__
SLIP, SLIP_LINE, MOVE = PackingSlip.__table__, PackingSlipLine.__table__, StockMove.__table__
INVOICE, INVOICE_LINE = Invoice.__table__, InvoiceLine.__table__
PROFILE, ACCOUNT, ENTRY = PostingProfile.__table__, Account.__table__, LedgerEntry.__table__
ITEM_COLUMNS = (ITEM.c.number, ITEM.c.name, ITEM.c.list_price, ITEM.c.currency,
                ITEM.c.item_group_id, ITEM.c.stocked, ITEM.c.tax_category_id, TAX.c.code,
                TAX.c.rate)

# Every statement, built once: only the parameters change from one order to the next.
NEXT_NUMBER = (update(SEQUENCE).where(SEQUENCE.c.code == bindparam("sequence"))
               .values(next_value=SEQUENCE.c.next_value + 1)
               .returning(SEQUENCE.c.next_value, SEQUENCE.c.prefix, SEQUENCE.c.padding))
PARTY_OF = select(PARTY.c.id, PARTY.c.customer_group_id).where(PARTY.c.id == bindparam("id"))
ITEMS = (select(ITEM.c.id, *ITEM_COLUMNS).join(TAX, TAX.c.id == ITEM.c.tax_category_id)
         .where(ITEM.c.id.in_(bindparam("ids", expanding=True))))
ORDER_OF = select(ORDER).where(ORDER.c.id == bindparam("id"))
LINES_OF = (select(LINE.c.id, LINE.c.position, LINE.c.item_id, LINE.c.description,
                   LINE.c.quantity, LINE.c.manual_price, LINE.c.manual_discount,
                   LINE.c.price_source, LINE.c.unit_price, LINE.c.discount, LINE.c.tax_rate,
                   LINE.c.amount, LINE.c.tax_amount, LINE.c.delivered_quantity,
                   LINE.c.invoiced_quantity, *ITEM_COLUMNS)
            .join(ITEM, ITEM.c.id == LINE.c.item_id).join(TAX, TAX.c.id == ITEM.c.tax_category_id)
            .where(LINE.c.order_id == bindparam("id")).order_by(LINE.c.position))
NEW_ORDER = insert(ORDER).returning(ORDER.c.id)
NEW_LINES = insert(LINE)
ORDER_STATUS = update(ORDER).where(ORDER.c.id == bindparam("order")).values(
    status=bindparam("new_status"))
CONFIRM = update(ORDER).where(ORDER.c.id == bindparam("order")).values(
    status="confirmed", confirmed_at=func.now())
NEW_SLIP = insert(SLIP).returning(SLIP.c.id)
# The party and its first delivery (else invoice) address, which a packing slip keeps:
# "delivery" sorts before "invoice".
DELIVERED_TO = (select(PARTY.c.name, ADDRESS.c.street, ADDRESS.c.postcode, ADDRESS.c.city,
                       ADDRESS.c.country)
                .outerjoin(ADDRESS, and_(ADDRESS.c.party_id == PARTY.c.id,
                                         ADDRESS.c.kind.in_(("delivery", "invoice"))))
                .where(PARTY.c.id == bindparam("id")).order_by(ADDRESS.c.kind, ADDRESS.c.id))
NEW_SLIP_LINES = insert(SLIP_LINE).returning(SLIP_LINE.c.id, sort_by_parameter_order=True)
NEW_MOVES = insert(MOVE)
ON_HAND = (select(ITEM.c.id, ITEM.c.stock_on_hand)
           .where(ITEM.c.id.in_(bindparam("ids", expanding=True))))
STOCK = update(ITEM).where(ITEM.c.id == bindparam("item")).values(
    stock_on_hand=bindparam("on_hand"))
DELIVERED = update(LINE).where(LINE.c.id == bindparam("line")).values(
    delivered_quantity=bindparam("delivered"))
DEFAULT_PROFILE = select(PROFILE.c.id).where(PROFILE.c.is_default)
DRAFTED = (select(INVOICE_LINE.c.order_line_id, INVOICE_LINE.c.quantity)
           .join(INVOICE, INVOICE.c.id == INVOICE_LINE.c.invoice_id)
           .where(INVOICE.c.status == "draft",
                  INVOICE_LINE.c.order_line_id.in_(bindparam("ids", expanding=True))))
NEW_INVOICE = insert(INVOICE).returning(INVOICE.c.id)
NEW_INVOICE_LINES = insert(INVOICE_LINE)
# With its party and the party's first invoice address, which posting keeps (billed_to).
INVOICE_OF = (select(INVOICE, PARTY.c.name.label("party_name"),
                     PARTY.c.email.label("party_email"), ADDRESS.c.street, ADDRESS.c.postcode,
                     ADDRESS.c.city, ADDRESS.c.country)
              .join(PARTY, PARTY.c.id == INVOICE.c.party_id)
              .outerjoin(ADDRESS, and_(ADDRESS.c.party_id == PARTY.c.id,
                                       ADDRESS.c.kind == "invoice"))
              .where(INVOICE.c.id == bindparam("id")).order_by(ADDRESS.c.id))
INVOICE_LINES_OF = (select(INVOICE_LINE).where(INVOICE_LINE.c.invoice_id == bindparam("id"))
                    .order_by(INVOICE_LINE.c.position))
INVOICED_ORDERS_LINES = (
    select(LINE.c.id, LINE.c.order_id, LINE.c.invoiced_quantity)
    .where(LINE.c.order_id.in_(select(LINE.c.order_id)
                               .where(LINE.c.id.in_(bindparam("ids", expanding=True))))))
INVOICED = update(LINE).where(LINE.c.id == bindparam("line")).values(
    invoiced_quantity=bindparam("invoiced"))
LATEST_DATE = select(func.max(INVOICE.c.invoice_date)).where(
    INVOICE.c.kind == bindparam("kind"), INVOICE.c.status == "posted",
    INVOICE.c.invoice_date <= bindparam("day"))
POSTED = update(INVOICE).where(INVOICE.c.id == bindparam("invoice")).values(
    number=bindparam("invoice_number"), status="posted", posted_at=func.now(),
    billed_to=bindparam("billed"))
ACCOUNTS = select(ACCOUNT.c.code, ACCOUNT.c.id).where(
    ACCOUNT.c.code.in_(bindparam("codes", expanding=True)))
NEW_ENTRIES = insert(ENTRY)


def kept_address(row):
    """The address of a row of DELIVERED_TO or INVOICE_OF as a posted document keeps it."""
    if row.city is None:  # no address joined
        return None
    return {"street": row.street, "postcode": row.postcode, "city": row.city,
            "country": row.country}


def next_number(connection, code):
    value, prefix, padding = connection.execute(NEXT_NUMBER, {"sequence": code}).one()
    return f"{prefix}{value - 1:0{padding}d}"


def pricing_item(row, item_id):
    return PricingItem(item_id, row.number, row.name, row.list_price, row.currency,
                       row.item_group_id, row.code, row.rate)


class Flow:
    """The six phases of one order, each one transaction of Core statements."""

    def __init__(self, engine, hook, party_ids):
        self.engine, self.hook, self.party_ids = engine, hook, party_ids

    def create(self, n, lines):
        with self.engine.begin() as connection:
            party = connection.execute(PARTY_OF, {"id": self.party_ids[n % 100]}).one()
            items = {row.id: row for row in connection.execute(
                ITEMS, {"ids": [line["item_id"] for line in lines]})}
            priced = price(self.hook, PricingContext(
                "EUR", date.today(), party.id, party.customer_group_id, session=connection), [
                PricingLine(key, pricing_item(items[line["item_id"]], line["item_id"]),
                            line["quantity"]) for key, line in enumerate(lines)])
            order_id = connection.execute(NEW_ORDER, {
                "number": next_number(connection, "order"), "type": "sales",
                "party_id": party.id, "currency": "EUR", "status": "draft", "discount": 0,
                "untaxed": priced.untaxed, "tax": priced.tax, "total": priced.total}).scalar()
            connection.execute(NEW_LINES, [
                {"order_id": order_id, "position": key + 1, "item_id": line["item_id"],
                 "description": items[line["item_id"]].name, "quantity": line["quantity"],
                 "unit_price": result.unit_price, "discount": result.discount,
                 "tax_rate": result.tax_rate, "amount": result.amount,
                 "tax_amount": result.tax_amount, "explanation": result.explanation,
                 "delivered_quantity": 0, "invoiced_quantity": 0}
                for key, (line, result) in enumerate(zip(lines, priced.lines, strict=True))])
            return order_id

    def price(self, order_id):
        """Price the order again: no price changed, so nothing is written, as in Comptoir."""
        with self.engine.begin() as connection:
            self._repriced(connection, order_id)

    def confirm(self, order_id):
        with self.engine.begin() as connection:
            self._repriced(connection, order_id)
            connection.execute(CONFIRM, {"order": order_id})

    def _repriced(self, connection, order_id):
        order = connection.execute(ORDER_OF, {"id": order_id}).one()
        rows = connection.execute(LINES_OF, {"id": order_id}).all()
        party = connection.execute(PARTY_OF, {"id": order.party_id}).one()
        priced = price(self.hook, PricingContext(
            order.currency, date.today(), party.id, party.customer_group_id,
            order.discount, order.campaign_id, connection), [
            PricingLine(key, pricing_item(row, row.item_id), row.quantity, row.manual_price,
                        row.manual_discount, row.price_source)
            for key, row in enumerate(rows)])
        if priced.total != order.total:
            raise AssertionError("the pricing moved: the floor's flow is wrong")

    def deliver(self, order_id):
        with self.engine.begin() as connection:
            order = connection.execute(ORDER_OF, {"id": order_id}).one()
            rows = connection.execute(LINES_OF, {"id": order_id}).all()
            today = date.today()
            party = connection.execute(DELIVERED_TO, {"id": order.party_id}).first()
            slip_id = connection.execute(NEW_SLIP, {
                "number": next_number(connection, "packing_slip"), "order_id": order_id,
                "party_id": order.party_id, "delivery_date": today,
                "delivered_to": {"name": party.name, "address": kept_address(party)}}).scalar()
            left = [row.quantity - row.delivered_quantity for row in rows]
            slip_lines = connection.execute(NEW_SLIP_LINES, [
                {"packing_slip_id": slip_id, "order_line_id": row.id, "quantity": quantity,
                 "remainder_after": 0} for row, quantity in zip(rows, left, strict=True)]
            ).scalars().all()
            connection.execute(NEW_MOVES, [
                {"item_id": row.item_id, "quantity": -quantity, "packing_slip_line_id": slip_line,
                 "move_date": today}
                for row, quantity, slip_line in zip(rows, left, slip_lines, strict=True)
                if row.stocked])
            on_hand = dict(connection.execute(ON_HAND, {"ids": [row.item_id for row in rows]})
                           .all())
            connection.execute(STOCK, [{"item": row.item_id, "on_hand": on_hand[row.item_id]
                                        - quantity} for row, quantity in zip(rows, left,
                                                                             strict=True)])
            connection.execute(DELIVERED, [{"line": row.id, "delivered": row.quantity}
                                           for row in rows])
            connection.execute(ORDER_STATUS, {"order": order_id, "new_status": "delivered"})

    def invoice(self, order_id):
        with self.engine.begin() as connection:
            order = connection.execute(ORDER_OF, {"id": order_id}).one()
            rows = connection.execute(LINES_OF, {"id": order_id}).all()
            profile = connection.execute(DEFAULT_PROFILE).scalar()
            connection.execute(DRAFTED, {"ids": [row.id for row in rows]}).all()
            today = date.today()
            invoice_id = connection.execute(NEW_INVOICE, {
                "kind": "customer", "status": "draft", "party_id": order.party_id,
                "currency": order.currency, "invoice_date": today,
                "due_date": today + timedelta(days=30), "posting_profile_id": profile,
                "note": "", "untaxed": order.untaxed, "tax": order.tax, "total": order.total,
                "settled": 0, "credited": 0}).scalar()
            connection.execute(NEW_INVOICE_LINES, [
                {"invoice_id": invoice_id, "position": row.position, "order_line_id": row.id,
                 "item_id": row.item_id, "tax_category_id": row.tax_category_id,
                 "description": row.description, "quantity": row.quantity,
                 "unit_price": row.unit_price, "discount": row.discount,
                 "tax_rate": row.tax_rate, "amount": row.amount, "tax_amount": row.tax_amount}
                for row in rows])
            return invoice_id

    def post(self, invoice_id):
        with self.engine.begin() as connection:
            invoice = connection.execute(INVOICE_OF, {"id": invoice_id}).first()
            lines = connection.execute(INVOICE_LINES_OF, {"id": invoice_id}).all()
            order_lines = {row.id: row for row in connection.execute(
                INVOICED_ORDERS_LINES, {"ids": [line.order_line_id for line in lines]})}
            connection.execute(INVOICED, [
                {"line": line.order_line_id, "invoiced":
                 order_lines[line.order_line_id].invoiced_quantity + line.quantity}
                for line in lines])
            number = next_number(connection, "invoice")
            connection.execute(LATEST_DATE, {"kind": "customer", "day": date.today()}).scalar()
            connection.execute(POSTED, {"invoice": invoice_id, "invoice_number": number,
                                        "billed": {"name": invoice.party_name,
                                                   "email": invoice.party_email or None,
                                                   "address": kept_address(invoice)}})
            accounts = dict(connection.execute(ACCOUNTS, {"codes": ["411", "706", "4457"]})
                            .all())
            connection.execute(NEW_ENTRIES, [
                {"entry_date": invoice.invoice_date, "document": number,
                 "invoice_id": invoice_id, "payment_id": None, "account_id": accounts[code],
                 "party_id": party, "currency": invoice.currency, "debit": debit,
                 "credit": credit, "description": "floor"}
                for code, party, debit, credit in (
                    ("411", invoice.party_id, invoice.total, 0), ("706", None, 0, invoice.untaxed),
                    ("4457", None, 0, invoice.tax))])
            connection.execute(ORDER_STATUS, [{"order": order_id, "new_status": "invoiced"}
                                              for order_id in {row.order_id for row in
                                                               order_lines.values()}])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--lines", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    app = create_app({"COMPTOIR_DATABASE_URL": f"sqlite:///{folder}/floor.sqlite",
                      "SECRET_KEY": "bench", "INSTANCE_PATH": folder})
    registry = app.extensions["comptoir"]
    modules.initialise(registry, ["sales", "pricing", "fulfilment", "invoicing"])
    registry.refresh()
    item_ids, party_ids = catalogue(registry, 1000, 10_000)
    flow = Flow(registry.engine.execution_options(**{WRITES: True}), registry.hook, party_ids)

    def lines(n):
        return [{"item_id": item_ids[(n * 7 + k * 13) % len(item_ids)],
                 "quantity": 1 + (n + k) % 25} for k in range(args.lines)]

    seconds = {}

    def timed(phase, action, keys):
        start = time.perf_counter()
        results = [action(key) for key in keys]
        seconds[phase] = time.perf_counter() - start
        return results

    order_ids = timed("create", lambda n: flow.create(n, lines(n)), range(args.orders))
    timed("price", flow.price, order_ids)
    timed("confirm", flow.confirm, order_ids)
    timed("deliver", flow.deliver, order_ids)
    invoice_ids = timed("invoice", flow.invoice, order_ids)
    timed("post", flow.post, invoice_ids)
    figures = {f"{phase}_ms_per_order": round(1000 * spent / args.orders, 2)
               for phase, spent in seconds.items()}
    figures["flow_orders_per_second"] = round(args.orders / sum(seconds.values()), 1)
    figures["orders"], figures["lines_per_order"] = args.orders, args.lines
    start = time.perf_counter()
    reference()
    figures["reference_ms"] = round((time.perf_counter() - start) * 1000, 1)
    figures["python"] = interpreter()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
