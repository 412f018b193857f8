"""Delivering orders: packing slips, the stock moves they post, and what is left to deliver.

``deliver`` works inside the caller's transaction (the caller commits) and costs a fixed number
of SQL statements whatever the order's number of lines: the slip's lines, the stock moves, the
order lines' delivered quantities and the items' stock are each written with one statement.
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import bindparam, func, insert, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import local_date
from core.documents import insert_record, require_made, store_values
from core.errors import Conflict, NotFound, ValidationError
from core.models import Address, Item, Order, OrderLine, Party
from core.money import LARGEST_AMOUNT
from core.numbering import next_number
from core.orders import settle_status
from core.ordertypes import order_type, order_types
from core.parties import contains, delivery_details
from plugins.fulfilment.models import PackingSlip, PackingSlipLine, StockMove

# The statuses of an order that may still have something to deliver.
OPEN_STATUSES = ("confirmed", "delivered")


def deliver(session, hook, order, quantities=None, delivery_date=None):
    """Post a packing slip delivering ``quantities`` (``{order_line_id: quantity}``) of
    ``order``, or every line's deliver remainder when ``quantities`` is None; returns the slip.

    ``order`` comes from ``core.orders.load_order(..., lock=True)``: its row lock keeps two
    deliveries of one order from both taking the same remainder.  Refused (409) unless the
    order is confirmed (or delivered with something left); refused (422, per line under
    ``lines``) for an unknown line, a quantity not above zero or above the line's remainder,
    and when nothing is left to deliver; refused (422 on ``delivery_date``) for a date after
    today (a delivery is recorded once made) or before the order was confirmed.  A type that
    affects stock writes one stock move per line of goods (out, or in for a return; a service
    moves nothing) and changes the items' stock on hand.  The order's status then follows its
    remainders, and ``comptoir_order_delivered`` is called.  The slip keeps the customer's name
    and address as they are (``delivered_to``): it prints them whatever the party becomes.
    """
    if order.status not in OPEN_STATUSES:
        raise Conflict(f"order {order.number} is {order.status} and cannot be delivered")
    kind = order_type(hook, order.type)
    if delivery_date is not None:
        require_made(delivery_date, "delivery_date", "delivery is recorded once made")
        confirmed = order.confirmed_at and local_date(order.confirmed_at)
        if confirmed and delivery_date < confirmed:
            raise ValidationError("a delivery before the order was confirmed", fields={
                "delivery_date": [f"Not before the order was confirmed ({confirmed})."]})
    wanted = _quantities(order, quantities)
    slip = insert_record(session, PackingSlip(
        number=next_number(session, "packing_slip"), order=order, order_id=order.id,
        party=order.party, party_id=order.party_id, delivery_date=delivery_date or date.today(),
        delivered_to=delivery_details(order.party, session.execute(
            _PARTY_ADDRESSES, {"party": order.party_id}).all())))
    session.execute(_NEW_SLIP_LINES, [
        {"packing_slip_id": slip.id, "order_line_id": line.id, "quantity": quantity,
         "remainder_after": line.deliver_remainder - quantity}
        for line, quantity in wanted])
    lines = session.scalars(_SLIP_LINES, {"slip": slip.id}).all()
    set_committed_value(slip, "lines", lines)
    if kind.affects_stock:
        sign = 1 if kind.incoming else -1
        slip_line_of = {line.order_line_id: line.id for line in lines}
        _move_stock(session, slip, [(slip_line_of[line.id], line.item, sign * quantity)
                                    for line, quantity in wanted if line.item.stocked])
    store_values(session, [line for line, _quantity in wanted],
                 [{"delivered_quantity": line.delivered_quantity + quantity}
                  for line, quantity in wanted])
    settle_status(hook, order)
    session.flush()
    hook.comptoir_order_delivered(order=order, packing_slip=slip, session=session)
    return slip


_NEW_SLIP_LINES = insert(PackingSlipLine.__table__)
# Read as rows: the party's addresses collection costs several times more to load.
_PARTY_ADDRESSES = (select(Address.kind, Address.street, Address.postcode, Address.city,
                     Address.country)
              .where(Address.party_id == bindparam("party")).order_by(Address.id))
_SLIP_LINES = (select(PackingSlipLine).where(PackingSlipLine.packing_slip_id == bindparam("slip"))
               .order_by(PackingSlipLine.id))


def _quantities(order, quantities):
    """``[(order line, quantity)]`` to deliver, in the order's line order; every mistake is
    reported at once."""
    if quantities is None:
        wanted = [(line, line.deliver_remainder) for line in order.lines
                  if line.deliver_remainder > 0]
        if not wanted:
            raise ValidationError(f"order {order.number} has nothing left to deliver",
                                  fields={"lines": ["Nothing left to deliver."]})
        return wanted
    lines = {line.id: line for line in order.lines}
    errors = {}
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            errors[str(line_id)] = [f"Order {order.number} has no line {line_id}."]
        elif quantity <= 0:
            errors[str(line_id)] = ["Must be above 0."]
        elif quantity > line.deliver_remainder:
            errors[str(line_id)] = [f"Only {line.deliver_remainder:f} left to deliver."]
    if errors:
        raise ValidationError(f"order {order.number} cannot be delivered as asked",
                              fields={"lines": errors})
    if not quantities:
        raise ValidationError("nothing to deliver", fields={"lines": ["Nothing to deliver."]})
    return [(line, quantities[line.id]) for line in order.lines if line.id in quantities]


def _move_stock(session, slip, moves):
    """Write a stock move for each ``(packing slip line id, item, signed quantity)`` and add the
    quantities to the items' stock on hand: one statement each, whatever the number of lines."""
    if not moves:  # services only
        return
    session.execute(_NEW_MOVES, [
        {"item_id": item.id, "quantity": quantity, "packing_slip_line_id": slip_line_id,
         "move_date": slip.delivery_date}
        for slip_line_id, item, quantity in moves])
    change = defaultdict(int)
    for _slip_line_id, item, quantity in moves:
        change[item] += quantity
    items = sorted(change, key=lambda item: item.id)  # locks taken in one order: no deadlock
    # Read under the rows' locks: another delivery may have moved the same items meanwhile.
    # FOR NO KEY UPDATE (only the stock changes): a plain FOR UPDATE would also wait for, and
    # deadlock with, requests inserting lines that name these items.
    on_hand = dict(session.execute(_ON_HAND, {"items": [item.id for item in items]}).all())
    too_large = [item.number for item in items
                 if abs(on_hand[item.id] + change[item]) >= LARGEST_AMOUNT]
    if too_large:
        raise ValidationError(f"the stock of item {too_large[0]} would be too large", fields={
            "lines": [f"The stock of item {number} would pass 12 digits before the point."
                      for number in too_large]})
    store_values(session, items, [{"stock_on_hand": on_hand[item.id] + change[item]}
                                  for item in items])


_NEW_MOVES = insert(StockMove.__table__)
_ON_HAND = (select(Item.id, Item.stock_on_hand)
            .where(Item.id.in_(bindparam("items", expanding=True)))
            .order_by(Item.id).with_for_update(key_share=True))


def load_packing_slip(session, slip_id):
    """The packing slip ``slip_id`` with its order, customer and lines, or NotFound."""
    slip = session.scalars(
        select(PackingSlip).where(PackingSlip.id == slip_id)
        .options(selectinload(PackingSlip.order),
                 selectinload(PackingSlip.lines).selectinload(PackingSlipLine.order_line)
                 .selectinload(OrderLine.item))).one_or_none()
    if slip is None:
        raise NotFound(f"packing slip {slip_id} does not exist")
    return slip


def search_packing_slips(session, text="", order_id=None, party_id=None, page=1, per_page=25):
    """Packing slips whose number, order number or customer name contains ``text``, of one
    order or customer if given, newest first: ``(slips, total count)``."""
    query = select(PackingSlip).join(PackingSlip.order).join(PackingSlip.party)
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(PackingSlip.number).like(pattern, escape="\\"),
                                func.lower(Order.number).like(pattern, escape="\\"),
                                func.lower(Party.name).like(pattern, escape="\\")))
    if order_id is not None:
        query = query.where(PackingSlip.order_id == order_id)
    if party_id is not None:
        query = query.where(PackingSlip.party_id == party_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(
        query.options(selectinload(PackingSlip.order), selectinload(PackingSlip.party))
        .order_by(PackingSlip.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return found, total


def backorders(session, hook, item_id=None, party_id=None, page=1, per_page=None):
    """The lines of open orders with something left to deliver, of one item or customer if
    given, oldest order first: all of them, or the page ``page`` of ``per_page`` lines.
    Orders of incoming types (returns) are left out, as they bring goods back, and so are
    those of types no enabled module provides, as they cannot be delivered."""
    query = (_backordered_of(hook, item_id, party_id)
             .options(selectinload(OrderLine.item),
                      selectinload(OrderLine.order).selectinload(Order.party))
             .order_by(Order.id, OrderLine.position))
    if per_page is not None:
        query = query.limit(per_page).offset((page - 1) * per_page)
    return session.scalars(query).all()


def count_backorders(session, hook, item_id=None, party_id=None):
    """How many lines :func:`backorders` gives with these filters, on every page."""
    return session.scalar(select(func.count()).select_from(
        _backordered_of(hook, item_id, party_id).subquery()))


def _backordered_of(hook, item_id, party_id):
    query = _backordered(hook)
    if item_id is not None:
        query = query.where(OrderLine.item_id == item_id)
    if party_id is not None:
        query = query.where(Order.party_id == party_id)
    return query


def backorder_groups(session, hook, by="item", page=1, per_page=25):
    """One page of the backorders grouped ``by`` item (by number) or by customer (by name):
    ``([(item or party, [order lines, oldest order first])], number of groups)``, in a fixed
    number of statements whatever the number of backorders."""
    column, model, order = ((Order.party_id, Party, (Party.name, Party.id)) if by == "customer"
                            else (OrderLine.item_id, Item, (Item.number,)))
    backordered = _backordered(hook)
    query = select(model).where(model.id.in_(backordered.with_only_columns(column).distinct()))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    keys = session.scalars(query.order_by(*order).limit(per_page)
                           .offset((page - 1) * per_page)).all()
    lines = session.scalars(
        backordered.where(column.in_([key.id for key in keys]))
        .options(selectinload(OrderLine.item), selectinload(OrderLine.order)
                 .selectinload(Order.party))
        .order_by(Order.id, OrderLine.position)).all()
    groups = {key.id: (key, []) for key in keys}
    for line in lines:
        groups[line.order.party_id if by == "customer" else line.item_id][1].append(line)
    return list(groups.values()), total


def _backordered(hook):
    """The order lines open orders of outgoing types still have to deliver."""
    outgoing = [code for code, kind in order_types(hook).items() if not kind.incoming]
    # Amounts are stored plain (10, never 10.0) and never delivered beyond the quantity, so
    # a remainder is a difference, which SQLite's text amounts can tell.
    return (select(OrderLine).join(OrderLine.order)
            .where(Order.status.in_(OPEN_STATUSES), Order.type.in_(outgoing),
                   OrderLine.quantity != OrderLine.delivered_quantity))


def stock(session, hook, text="", page=1, per_page=25):
    """One page of the items kept in stock (not services) by number, those whose number or name
    contains ``text``: each one's stock on hand, what open orders of types that affect stock
    still have to take from it, and what is short.  Returns ``([(item, on hand, backordered,
    short)], total count)``; the work does not grow with the number of items or orders beyond
    the page's."""
    query = select(Item).where(Item.stocked)
    if text:
        query = query.where(_item_matches(text))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Item.number).limit(per_page)
                            .offset((page - 1) * per_page)).all()
    stocked = [code for code, kind in order_types(hook).items()
               if kind.affects_stock and not kind.incoming]
    open_lines = session.execute(
        select(OrderLine.item_id, OrderLine.quantity, OrderLine.delivered_quantity)
        .join(OrderLine.order)
        .where(Order.status.in_(OPEN_STATUSES), Order.type.in_(stocked),
               OrderLine.item_id.in_([item.id for item in items])))
    waiting = defaultdict(int)
    for item_id, quantity, delivered in open_lines:  # amounts are text on SQLite: summed here
        if quantity > delivered:
            waiting[item_id] += quantity - delivered
    rows = [(item, item.stock_on_hand, waiting[item.id],
             max(waiting[item.id] - item.stock_on_hand, 0)) for item in items]
    return rows, total


def stock_moves(session, text="", item_id=None, packing_slip_id=None, page=1, per_page=25):
    """One page of the stock moves, newest first, with their items and slips: of items whose
    number or name contains ``text``, of one item, of one packing slip, when given.  Returns
    ``(moves, total count)``."""
    query = select(StockMove)
    if text:
        query = query.join(StockMove.item).where(_item_matches(text))
    if item_id is not None:
        query = query.where(StockMove.item_id == item_id)
    if packing_slip_id is not None:
        query = query.join(StockMove.packing_slip_line).where(
            PackingSlipLine.packing_slip_id == packing_slip_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return _newest_moves(session, query, per_page, (page - 1) * per_page), total


def _item_matches(text):
    """Items whose number or name contains ``text``, in any case."""
    pattern = contains(text)
    return or_(func.lower(Item.number).like(pattern, escape="\\"),
               func.lower(Item.name).like(pattern, escape="\\"))


def latest_moves(session, limit=50):
    """The ``limit`` most recent stock moves, newest first, with their items and slips."""
    return _newest_moves(session, select(StockMove), limit)


def _newest_moves(session, query, limit, offset=0):
    return session.scalars(
        query.order_by(StockMove.id.desc()).limit(limit).offset(offset)
        .options(selectinload(StockMove.item),
                 selectinload(StockMove.packing_slip_line).selectinload(
                     PackingSlipLine.packing_slip))).all()
