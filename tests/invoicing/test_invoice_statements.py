"""Creating and posting an invoice costs the same SQL statements for 5 lines as for 100, and
for 5 packing slips as for 100."""

from datetime import date

import pytest
from sqlalchemy import event

from core import orders
from core.testing import count_queries
from plugins.fulfilment.models import PackingSlip, PackingSlipLine
from plugins.invoicing import invoices
from plugins.invoicing.credit_notes import credited_quantities
from plugins.invoicing.posting import invoice_to_post, load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip


def _statements(registry, catalogue, size):
    """Statements of (invoicing an order, posting that invoice, invoicing packing slips) for
    an order of ``size`` lines, delivered by one packing slip per line."""
    hook, counts = registry.hook, []
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)] * size)
        slips = [PackingSlip(number=f"PS-{size}-{line.position}", order=order,
                             party_id=order.party_id, delivery_date=date.today(),
                             lines=[PackingSlipLine(order_line=line, quantity=1)])
                 for line in order.lines]
        session.add_all(slips)
        for line in order.lines:
            line.delivered_quantity = 1
        session.commit()
        order_id, slip_ids = order.id, [slip.id for slip in slips]
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id)
        with count_queries(registry.engine) as statements:
            invoice = invoices.invoice_from_order(session, hook, order)
        counts.append(len(statements))
        session.commit()
    with registry.session_factory() as session:
        with count_queries(registry.engine) as statements:
            post_invoice(session, hook, invoice_to_post(session, invoice.id))
        counts.append(len(statements))
        session.rollback()  # the slips are invoiced next
    with registry.session_factory() as session:
        invoices.delete_invoice(session, load_invoice(session, invoice.id))
        session.commit()
        with count_queries(registry.engine) as statements:
            invoices.invoice_from_packing_slips(session, hook, slip_ids)
        counts.append(len(statements))
    return counts


def test_statements_do_not_grow_with_lines_nor_slips(registry, catalogue):
    assert _statements(registry, catalogue, 5) == _statements(registry, catalogue, 100)


def test_what_invoices_hold_is_found_by_the_lines_indexes(registry, catalogue):
    """On SQLite, finding what drafts and invoices already hold of order lines and slip lines,
    and what credit notes credited of an invoice's lines, starts from those lines' indexes:
    no statement reads every invoice or invoice line, which would grow with the ledger's
    history."""
    if registry.engine.dialect.name != "sqlite":
        pytest.skip("the query plans read are SQLite's")
    hook = registry.hook
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, catalogue["bolt"], [(catalogue["HAM"], 2)])
        slip = packing_slip(session, hook, order)
        draft = invoices.invoice_from_order(session, hook, order)
        session.commit()
        ran = []

        def record(_conn, _cursor, statement, parameters, *_args):
            ran.append((statement, parameters))

        event.listen(registry.engine, "before_cursor_execute", record)
        try:
            invoices.drafted_quantities(session, hook, [line.id for line in order.lines])
            invoices.slip_line_rests(session, hook, slip.lines)
            credited_quantities(session, draft)
        finally:
            event.remove(registry.engine, "before_cursor_execute", record)
        plans = [row[3] for statement, parameters in ran
                 for row in session.connection().exec_driver_sql(
                     f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert plans and not [step for step in plans if step.startswith("SCAN invoicing_invoice")
                          or "credited_invoice_id" in step]
