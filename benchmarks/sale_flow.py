"""Measure the sales flow: create N orders of L lines, price, confirm, deliver, invoice, post.

Prints one JSON line: orders per second for each phase, each order in its own transaction as a
user's request would be: create (with its lines, priced), price (repriced, as after a change),
confirm (priced a last time and frozen), deliver (one packing slip of every line), invoice (a
draft customer invoice of the order) and post (numbered, entries written, the order Invoiced);
the flow figure is the whole of it, every phase from create to post; for one large order
against a large price list, the time to load it, to price it just after a change of the rules
(run the chain reading every rule it needs, write every line's price and explanation, which the
change alters) and to price it again (with the rules read kept in memory), each the median of
``--large-order-runs`` runs, and the slowest of those first pricings; the time to make one
customer invoice of 300 packing slips and to post it; the process's peak memory; and the time
of a fixed piece of plain Python (``reference_ms``), which tells how fast the machine was, and
the interpreter that ran (``python``, its version, build and place): figures of two runs compare
only beside both, and ``reference_ms`` of two interpreters not at all. SQLite in a temporary
folder by default; give a PostgreSQL URL (and a schema that exists) to measure there:

    python benchmarks/sale_flow.py [--orders 1000] [--lines 10]
                                   [--url postgresql://postgres@127.0.0.1/test --schema s]

Targets on a 2-core machine, SQLite: the whole flow for 10-line orders at 100 orders per second
or more; one 1,000-line order priced against 10,000 rules in under 100 ms; one invoice of 300
packing slips in under 2 s; peak memory under 300 MB for 10,000 orders.
"""

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import modules, orders  # noqa: E402
from core.models import CustomerGroup, Item, ItemGroup, Party, TaxCategory  # noqa: E402
from plugins.fulfilment.services import deliver  # noqa: E402
from plugins.invoicing.invoices import invoice_from_order, invoice_from_packing_slips  # noqa: E402
from plugins.invoicing.posting import invoice_to_post, post_invoice  # noqa: E402
from plugins.pricing.models import PriceList, PriceRuleRow  # noqa: E402
from web import create_app  # noqa: E402

GROUPS = 10


def catalogue(registry, items, rules):
    """Items in GROUPS groups, parties in two customer groups, one price list of ``rules``."""
    with registry.session_factory() as session:
        tax = TaxCategory(code="VAT20", name="Standard", rate=Decimal(20))
        customers = [CustomerGroup(code=f"CG{n}", name=f"Group {n}") for n in range(2)]
        groups = [ItemGroup(code=f"G{n}", name=f"Group {n}") for n in range(GROUPS)]
        session.add_all([tax, *customers, *groups])
        session.flush()
        session.add_all(
            Item(number=f"I{n:05d}", name=f"Item {n}", unit="unit",
                 list_price=Decimal(10 + n % 90) + Decimal("0.99"), currency="EUR",
                 tax_category_id=tax.id, item_group_id=groups[n % GROUPS].id,
                 stock_on_hand=Decimal(100))
            for n in range(items)
        )
        session.add_all(Party(name=f"Customer {n}", stage="customer",
                              customer_group_id=customers[n % 2].id) for n in range(100))
        session.flush()
        item_ids = session.scalars(Item.__table__.select().with_only_columns(Item.id)).all()
        party_ids = session.scalars(Party.__table__.select().with_only_columns(Party.id)).all()
        price_list = PriceList(name="Trade", currency="EUR")
        session.add(price_list)
        session.flush()
        session.add_all(_rule(price_list.id, n, item_ids, groups, customers) for n in range(rules))
        session.commit()
    return item_ids, party_ids


def _rule(price_list_id, n, item_ids, groups, customers):
    """Rules of every shape: quantity breaks on items (most), one in 200 on an item group, one
    in 2,000 on every item; a third of them for one customer group."""
    rule = PriceRuleRow(price_list_id=price_list_id, min_quantity=Decimal(n % 4 * 5))
    if n % 200 == 0:
        rule.item_group_id = groups[n // 200 % GROUPS].id
    elif n % 2000 != 1:
        rule.item_id = item_ids[n % len(item_ids)]
    if n % 3 == 0:
        rule.customer_group_id = customers[n % 2].id
    if n % 2:
        rule.price = Decimal(9 + n % 80)
    else:
        rule.discount = Decimal(n % 15)
    return rule


def invoice_of_packing_slips(registry, lines, party_id, count):
    """Deliver ``count`` three-line orders of one customer, then time making one invoice of all
    their packing slips and posting it."""
    hook = registry.hook
    slip_ids = []
    for n in range(count):
        with registry.session_factory() as session:
            order = orders.create_order(session, hook, {
                "type": "sales", "party_id": party_id, "currency": "EUR", "lines": lines(n, 3)})
            orders.confirm_order(session, hook, order)
            slip_ids.append(deliver(session, hook, order).id)
            session.commit()
    with registry.session_factory() as session:
        start = time.perf_counter()
        invoice = invoice_from_packing_slips(session, hook, slip_ids)
        session.commit()
        made = time.perf_counter()
        post_invoice(session, hook, invoice_to_post(session, invoice.id))
        session.commit()
        posted = time.perf_counter()
    return {f"invoice_of_{count}_packing_slips_ms": round((made - start) * 1000, 1),
            f"post_invoice_of_{count}_packing_slips_ms": round((posted - made) * 1000, 1)}


def price_large_order(registry, order_id, list_name):
    """Rename the price list ``list_name`` (the rules kept in memory are dropped, and every
    line's explanation, which names it, changes), then time loading the order ``order_id``,
    pricing it and pricing it again, in seconds; the prices are not kept."""
    with registry.session_factory() as session:
        session.execute(update(PriceList).values(name=list_name))
        session.commit()
    with registry.session_factory() as session:
        start = time.perf_counter()
        order = orders.load_order(session, order_id)
        loaded = time.perf_counter()
        orders.price_order(session, registry.hook, order)
        priced = time.perf_counter()
        orders.price_order(session, registry.hook, order)
        again = time.perf_counter()
        session.rollback()
    return loaded - start, priced - loaded, again - priced


def reference():
    """A fixed piece of plain Python, the same in every run: objects, dicts and Decimals."""
    total = Decimal(0)
    for n in range(200_000):
        row = {"quantity": Decimal(n % 25), "price": Decimal("19.99")}
        total += row["quantity"] * row["price"]
    return total


def interpreter():
    """The Python that runs: its version and build (date, compiler) and where it is installed.
    Its build counts as much as the machine, and ``reference_ms`` far more than the flow."""
    return f"{' '.join(sys.version.split())} in {sys.base_prefix}"


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--schema", help="PostgreSQL schema to use")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--large-order-lines", type=int, default=1000)
    parser.add_argument("--large-order-runs", type=int, default=5)
    parser.add_argument("--slips", type=int, default=300)
    args = parser.parse_args()
    if args.large_order_runs < 1:
        parser.error("--large-order-runs must be 1 or more")
    folder = tempfile.mkdtemp()
    app = create_app({
        "COMPTOIR_DATABASE_URL": args.url or f"sqlite:///{folder}/bench.sqlite",
        "COMPTOIR_DATABASE_SCHEMA": args.schema,
        "SECRET_KEY": "bench", "INSTANCE_PATH": folder,
    })
    registry = app.extensions["comptoir"]
    modules.initialise(registry, ["sales", "pricing", "fulfilment", "invoicing"])
    registry.refresh()
    hook = registry.hook
    item_ids, party_ids = catalogue(registry, max(args.large_order_lines, 1000), args.rules)

    def lines(n, count):
        return [{"item_id": item_ids[(n * 7 + k * 13) % len(item_ids)],
                 "quantity": Decimal(1 + (n + k) % 25)} for k in range(count)]

    order_ids, invoice_ids = [], []

    def create():
        for n in range(args.orders):
            with registry.session_factory() as session:
                order = orders.create_order(session, hook, {
                    "type": "sales", "party_id": party_ids[n % len(party_ids)],
                    "currency": "EUR", "lines": lines(n, args.lines)})
                session.commit()
                order_ids.append(order.id)

    def each_order(action, explained=True):
        """Run ``action`` on every order, loaded as the pages and the API load it for it."""
        def run():
            for order_id in order_ids:
                with registry.session_factory() as session:
                    action(session, orders.load_order(session, order_id, lock=True,
                                                      explained=explained))
                    session.commit()
        return run

    def invoice(session, order):
        invoice_ids.append(invoice_from_order(session, hook, order).id)

    def post():
        for invoice_id in invoice_ids:
            with registry.session_factory() as session:
                post_invoice(session, hook, invoice_to_post(session, invoice_id))
                session.commit()

    phases = {
        "create": timed(create),
        "price": timed(each_order(lambda s, o: orders.price_order(s, hook, o))),
        "confirm": timed(each_order(lambda s, o: orders.confirm_order(s, hook, o))),
        "deliver": timed(each_order(lambda s, o: deliver(s, hook, o), explained=False)),
        "invoice": timed(each_order(invoice, explained=False)),
        "post": timed(post),
    }
    figures = {f"{phase}_orders_per_second": round(args.orders / seconds, 1)
               for phase, seconds in phases.items()}
    figures["flow_orders_per_second"] = round(args.orders / sum(phases.values()), 1)
    figures.update(invoice_of_packing_slips(registry, lines, party_ids[1], args.slips))

    with registry.session_factory() as session:
        large = orders.create_order(session, hook, {
            "type": "sales", "party_id": party_ids[0], "currency": "EUR",
            "lines": lines(0, args.large_order_lines)})
        session.commit()
        large_id = large.id
    large = f"large_order_{args.large_order_lines}_lines_{args.rules}_rules"
    runs = [price_large_order(registry, large_id, f"Trade {run}")
            for run in range(1, args.large_order_runs + 1)]
    for figure, times in zip(("load", "price", "price_again"), zip(*runs, strict=True),
                             strict=True):
        figures[f"{large}_{figure}_ms"] = round(statistics.median(times) * 1000, 1)
    figures[f"{large}_price_slowest_ms"] = round(max(run[1] for run in runs) * 1000, 1)
    figures["orders"], figures["lines_per_order"] = args.orders, args.lines
    figures["database"] = registry.engine.dialect.name
    figures["reference_ms"] = round(timed(reference) * 1000, 1)
    figures["python"] = interpreter()
    figures["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
