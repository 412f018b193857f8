"""Delivering orders: full and partial packing slips, stock moves, refusals, and a fixed number
of SQL statements whatever the order's size."""

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import func, select

from core import hookimpl, items, modules, orders, parties
from core.errors import Conflict, ValidationError
from core.models import Item
from core.testing import api_client, count_queries
from plugins.fulfilment import services
from plugins.fulfilment.models import PackingSlip, PackingSlipLine, StockMove
from plugins.fulfilment.services import deliver
from tests.fulfilment.conftest import confirmed_order
from tests.sales.conftest import add_catalogue


def _deliver(registry, order_id, quantities=None):
    """Deliver ``quantities`` of order ``order_id`` in a transaction of its own; returns the
    slip's number."""
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id, lock=True)
        slip = deliver(session, registry.hook, order, quantities)
        session.commit()
        return slip.number


def _moves(session):
    return sorted((move.item.number, move.quantity) for move in session.scalars(select(StockMove)))


class Spy:
    """Records every packing slip the fulfilment hook announces."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def comptoir_order_delivered(self, order, packing_slip, session):
        self.seen.append((order.number, order.status, packing_slip.number,
                          len(packing_slip.lines)))


def test_a_full_delivery_moves_the_stock_and_settles_the_order(registry, catalogue):
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 3), (catalogue["NAIL"], 5)])
    spy = Spy()
    registry.loaded.manager.register(spy)
    try:
        number = _deliver(registry, order_id)
    finally:
        registry.loaded.manager.unregister(spy)
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id)
        assert order.status == "delivered"
        assert [line.deliver_remainder for line in order.lines] == [0, 0]
        assert [line.invoice_remainder for line in order.lines] == [3, 5]
        assert _moves(session) == [("HAM", Decimal(-3)), ("NAIL", Decimal(-5))]
        assert session.get(Item, catalogue["HAM"]).stock_on_hand == Decimal(-3)
    assert spy.seen == [(order.number, "delivered", number, 2)]
    with pytest.raises(ValidationError) as refused, registry.session_factory() as session:
        deliver(session, registry.hook, orders.load_order(session, order_id, lock=True))
    assert refused.value.fields == {"lines": ["Nothing left to deliver."]}


def test_a_partial_delivery_leaves_a_remainder_for_a_second_slip(registry, catalogue):
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 4), (catalogue["NAIL"], 2)])
    with registry.session_factory() as session:
        ham, nail = (line.id for line in orders.load_order(session, order_id).lines)
    first = _deliver(registry, order_id, {ham: Decimal("1.5")})
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id)
        assert order.status == "confirmed"
        assert [line.deliver_remainder for line in order.lines] == [Decimal("2.5"), 2]
    second = _deliver(registry, order_id)
    with registry.session_factory() as session:
        assert orders.load_order(session, order_id).status == "delivered"
        slips = session.scalars(select(PackingSlip).order_by(PackingSlip.id)).all()
        assert [(slip.number, [(line.order_line_id, line.quantity) for line in slip.lines])
                for slip in slips] == [(first, [(ham, Decimal("1.5"))]),
                                       (second, [(ham, Decimal("2.5")), (nail, 2)])]
        assert (first, second) == ("PS-00001", "PS-00002")
        assert _moves(session) == [("HAM", Decimal("-2.5")), ("HAM", Decimal("-1.5")),
                                   ("NAIL", Decimal(-2))]
        parties.merge_parties(session, registry.hook, catalogue["acme"], catalogue["bolt"])
        session.commit()
        assert services.search_packing_slips(session, party_id=catalogue["acme"])[1] == 2


def test_a_return_brings_the_goods_back(registry, catalogue):
    order_id = confirmed_order(registry, catalogue["bolt"], [(catalogue["BOOK"], 2)],
                               order_type="returned")
    _deliver(registry, order_id)
    with registry.session_factory() as session:
        assert _moves(session) == [("BOOK", Decimal(2))]
        assert session.get(Item, catalogue["BOOK"]).stock_on_hand == Decimal(2)


def test_an_order_type_that_does_not_affect_stock_moves_nothing(make_app):
    registry = make_app(["sales", "fulfilment", "consignment"]).extensions["comptoir"]
    registry.refresh()
    catalogue = add_catalogue(registry)
    order_id = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], 2)],
                               order_type="consignment")
    _deliver(registry, order_id)
    with registry.session_factory() as session:
        assert orders.load_order(session, order_id).status == "delivered"
        assert _moves(session) == []
        assert session.get(Item, catalogue["HAM"]).stock_on_hand == 0


def test_a_partner_type_bringing_goods_in_is_no_backorder(make_app):
    registry = make_app(["sales", "fulfilment", "repair_returns"]).extensions["comptoir"]
    registry.refresh()
    catalogue = add_catalogue(registry)
    back = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], 3)],
                           order_type="repair_return")
    out = confirmed_order(registry, catalogue["acme"], [(catalogue["HAM"], 5)])
    with registry.session_factory() as session:
        assert [line.order_id for line in services.backorders(session, registry.hook)] == [out]
        [(item, on_hand, backordered, short)], total = services.stock(session, registry.hook,
                                                                     "ham")
        assert (item.number, on_hand, backordered, short, total) == ("HAM", 0, 5, 5, 1)
    modules.disable(registry, "repair_returns")  # its orders cannot be delivered now
    with registry.session_factory() as session:
        assert [line.order_id for line in services.backorders(session, registry.hook)] == [out]
    modules.enable(registry, "repair_returns")
    _deliver(registry, back)
    with registry.session_factory() as session:
        assert _moves(session) == [("HAM", Decimal(3))]
        assert session.get(Item, catalogue["HAM"]).stock_on_hand == 3


def test_refusals_write_nothing(registry, catalogue):
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 2), (catalogue["NAIL"], 1)])
    with registry.session_factory() as session:
        ham, nail = (line.id for line in orders.load_order(session, order_id).lines)
        for order_type in ("journal", "sales"):  # a Journal is never confirmed
            draft = orders.create_order(session, registry.hook, {
                "type": order_type, "party_id": catalogue["bolt"], "currency": "EUR",
                "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(1)}]})
            with pytest.raises(Conflict):
                deliver(session, registry.hook, draft)
        order = orders.load_order(session, order_id, lock=True)
        with pytest.raises(ValidationError) as refused:
            deliver(session, registry.hook, order,
                    {ham: Decimal(3), nail: Decimal(0), 999_999: Decimal(1)})
        assert refused.value.fields == {"lines": {
            str(ham): ["Only 2 left to deliver."], str(nail): ["Must be above 0."],
            "999999": [f"Order {order.number} has no line 999999."]}}
        session.rollback()
        order = orders.load_order(session, order_id, lock=True)
        orders.cancel_order(session, registry.hook, order)
        with pytest.raises(Conflict):
            deliver(session, registry.hook, order)
        session.rollback()
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(PackingSlip)) == 0
        assert orders.load_order(session, order_id).lines[0].delivered_quantity == 0


def test_delivering_does_not_cost_more_statements_for_more_lines(registry, catalogue):
    items = [catalogue["HAM"], catalogue["NAIL"], catalogue["BOOK"]]
    counts = []
    for size in (5, 100):
        order_id = confirmed_order(registry, catalogue["bolt"],
                                   [(items[n % 3], n + 1) for n in range(size)])
        with registry.session_factory() as session, count_queries(registry.engine) as statements:
            deliver(session, registry.hook, orders.load_order(session, order_id, lock=True))
            session.commit()
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    with registry.session_factory() as session:
        assert orders.load_order(session, order_id).status == "delivered"
        assert len(_moves(session)) == 105


def test_the_migration_fills_in_what_each_slip_left_to_deliver(registry, catalogue):
    order_id = confirmed_order(registry, catalogue["bolt"], [(catalogue["HAM"], 5)])
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id, lock=True)
        for quantity in (2, 3):
            deliver(session, registry.hook, order, {order.lines[0].id: Decimal(quantity)})
        session.commit()
    path = Path(services.__file__).parent / "migrations" / "fulfilment_0002_remainder_after.py"
    spec = importlib.util.spec_from_file_location("fulfilment_0002", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with registry.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            migration.downgrade()  # as a database of version 1.0.0 was
            migration.upgrade()
    with registry.session_factory() as session:
        remainders = session.scalars(select(PackingSlipLine.remainder_after)
                                     .order_by(PackingSlipLine.id)).all()
    assert remainders == [3, 0]


def test_a_service_is_delivered_without_moving_stock(registry, catalogue, fulfilment_app):
    with registry.session_factory() as session:
        service = items.create_item(session, {
            "number": "FIT", "name": "Fitting", "unit": "hour", "list_price": Decimal(40),
            "currency": "EUR", "tax_category": "VAT20", "stocked": False}).id
        session.commit()
    order_id = confirmed_order(registry, catalogue["bolt"], [(service, 2)])
    with registry.session_factory() as session:
        assert [line.order_id for line in services.backorders(session, registry.hook)] == [
            order_id]
        assert "FIT" not in [item.number for item, *_ in services.stock(session,
                                                                          registry.hook)[0]]
    _deliver(registry, order_id)
    with registry.session_factory() as session:
        assert orders.load_order(session, order_id).status == "delivered"
        assert _moves(session) == []
        assert session.get(Item, service).stock_on_hand == 0
    api = api_client(fulfilment_app)
    assert api.get(f"/api/v1/items/{service}").json["stocked"] is False
    created = api.post("/api/v1/items", json={
        "number": "CARE", "name": "Care plan", "list_price": "9", "currency": "EUR",
        "tax_category": "VAT20", "stocked": False})
    assert created.status_code == 201 and created.json["stocked"] is False
    assert api.get(f"/api/v1/items/{catalogue['HAM']}").json["stocked"] is True


def test_what_the_customer_will_not_take_is_closed(registry, catalogue, fulfilment_app, login):
    order_id = confirmed_order(registry, catalogue["bolt"],
                               [(catalogue["HAM"], 4), (catalogue["NAIL"], 2)])
    api = api_client(fulfilment_app)
    assert api.post(f"/api/v1/orders/{order_id}/close").status_code == 409, "nothing delivered"
    with registry.session_factory() as session:
        order = orders.load_order(session, order_id, lock=True)
        deliver(session, registry.hook, order, {order.lines[0].id: Decimal(1)})
        session.commit()
    web = fulfilment_app.test_client()
    login(web, "sales")
    assert "Close the rest" in web.get(f"/orders/{order_id}").get_data(as_text=True)

    closed = api.post(f"/api/v1/orders/{order_id}/close")
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "delivered"
    assert [(line["quantity"], line["amount"]) for line in closed.json["lines"]] == [
        ("1", "12.50"), ("0", "0.00")]
    assert (closed.json["untaxed"], closed.json["total"]) == ("12.50", "15.00")
    with registry.session_factory() as session:
        assert services.backorders(session, registry.hook) == []
    assert api.post(f"/api/v1/orders/{order_id}/close").status_code == 409, "nothing left"
    assert "Close the rest" not in web.get(f"/orders/{order_id}").get_data(as_text=True)


def test_the_backorders_are_paged_by_group_in_fixed_statements(registry, catalogue):
    first = confirmed_order(registry, catalogue["bolt"],
                            [(catalogue["HAM"], 4), (catalogue["NAIL"], 2)])
    second = confirmed_order(registry, catalogue["acme"], [(catalogue["HAM"], 1)])
    _deliver(registry, confirmed_order(registry, catalogue["acme"], [(catalogue["BOOK"], 1)]))
    with registry.session_factory() as session:
        order = orders.load_order(session, first, lock=True)
        deliver(session, registry.hook, order, {order.lines[1].id: Decimal(2)})
        session.commit()

    def shown(by, page, per_page=1):
        with registry.session_factory() as session, count_queries(registry.engine) as counted:
            groups, total = services.backorder_groups(session, registry.hook, by, page,
                                                      per_page)
            return ([(key.id, [(line.order_id, line.deliver_remainder) for line in lines])
                     for key, lines in groups], total, len(counted))

    # Delivered lines (the nails, the book) wait for nothing; the hammers wait on two orders.
    assert shown("item", 1)[:2] == ([(catalogue["HAM"], [(first, 4), (second, 1)])], 1)
    assert shown("item", 2)[:2] == ([], 1)
    assert shown("customer", 1)[:2] == ([(catalogue["acme"], [(second, 1)])], 2)
    assert shown("customer", 2)[:2] == ([(catalogue["bolt"], [(first, 4)])], 2)
    # Two customers' backorders cost the statements of one.
    assert shown("customer", 1, per_page=2)[2] == shown("customer", 1)[2]
