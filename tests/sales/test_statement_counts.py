"""Pricing and confirming an order cost the same number of SQL statements whatever its size."""

from decimal import Decimal

from core import orders
from core.testing import count_queries
from plugins.pricing.models import PriceList, PriceRuleRow


def _order_of(registry, catalogue, size):
    with registry.session_factory() as session:
        order = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue[("HAM", "NAIL", "BOOK")[n % 3]],
                       "quantity": Decimal(n + 1)} for n in range(size)]})
        session.commit()
        return order.id


def _statements(registry, order_id, action):
    with registry.session_factory() as session:
        with count_queries(registry.engine) as statements:
            order = orders.load_order(session, order_id, lock=True)
            action(session, order)
            session.commit()
    return statements


def test_pricing_and_confirming_do_not_grow_with_the_lines(sales_app, catalogue):
    registry = sales_app.extensions["comptoir"]
    registry.refresh()
    with registry.session_factory() as session:
        price_list = PriceList(name="Trade", currency="EUR")
        price_list.rules = [PriceRuleRow(item_id=catalogue["HAM"], price=Decimal("11"),
                                         min_quantity=Decimal(5)),
                            PriceRuleRow(discount=Decimal(2))]
        session.add(price_list)
        session.commit()
    small, large = _order_of(registry, catalogue, 5), _order_of(registry, catalogue, 100)

    def reprice(session, order):
        order.discount = Decimal(3)  # a change, so that every line is written back
        orders.price_order(session, registry.hook, order)

    def confirm(session, order):
        orders.confirm_order(session, registry.hook, order)

    for action in (reprice, confirm):
        few, many = (_statements(registry, order_id, action) for order_id in (small, large))
        assert len(few) == len(many), (action.__name__, few, many)
    with registry.session_factory() as session:
        assert orders.load_order(session, large).status == "confirmed"
        assert len(orders.load_order(session, large).lines) == 100
