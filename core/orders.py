"""Services on orders: create, add and change lines, price, change type, confirm, cancel.

Every function works inside the caller's transaction (the caller commits) and raises a
ComptoirError naming what is wrong.  The work per order is a fixed number of SQL statements
whatever its number of lines: lines and their items are loaded together, priced in one pass and
written back in one batch.
"""

from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.errors import Conflict, NotFound, ValidationError
from core.models import Item, Order, OrderLine, Party
from core.money import check_currency
from core.numbering import MissingSequence, next_number
from core.ordertypes import order_type, order_types
from core.parties import advance_to, contains, get_party
from core.pricing import PricingContext, PricingItem, PricingLine, price


def load_order(session, order_id, *, lock=False):
    """The order ``order_id`` with its lines and their items; ``lock`` takes its row lock."""
    query = (select(Order).where(Order.id == order_id)
             .options(selectinload(Order.lines).selectinload(OrderLine.item)))
    if lock:
        query = query.with_for_update(of=Order)
    order = session.scalars(query).unique().one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    return order


def create_order(session, hook, data):
    """Create a draft order from validated ``data`` (header fields and ``lines``) and price it."""
    kind = order_type(hook, data["type"])
    party = _customer(session, data["party_id"])
    order = Order(
        number=next_number(session, "order"),
        type=kind.code,
        party=party,
        currency=check_currency(data["currency"]),
        requested_ship_date=data.get("requested_ship_date"),
        discount=data.get("discount") or 0,
        campaign_id=data.get("campaign_id"),
        status="draft",
        lines=[],
    )
    if kind.sequence:
        order.rma_number = _second_number(session, kind)
    session.add(order)
    _add_lines(session, hook, order, data.get("lines", ()))
    price_order(session, hook, order)
    return order


def update_order(session, hook, order, data):
    """Change a draft order's header (customer, currency, ship date, discount) and reprice.

    The currency cannot change (409) while a line has a typed price: it is in the old one.
    """
    _require_draft(order, "changed")
    if "party_id" in data:
        order.party = _customer(session, data["party_id"])
    if "currency" in data and data["currency"] != order.currency:
        if any(line.manual_price is not None for line in order.lines):
            raise Conflict(f"order {order.number} has prices typed in {order.currency}: remove "
                           "them (or the lines) before changing its currency")
        order.currency = check_currency(data["currency"])
    if "requested_ship_date" in data:
        order.requested_ship_date = data["requested_ship_date"]
    if "discount" in data:
        order.discount = data["discount"] or 0
    price_order(session, hook, order)
    return order


def add_lines(session, hook, order, lines):
    """Append validated ``lines`` to a draft order and reprice it; returns the new lines."""
    _require_draft(order, "changed")
    added = _add_lines(session, hook, order, lines)
    price_order(session, hook, order)
    return added


def _add_lines(session, hook, order, lines):
    """Insert ``lines`` in one statement, then reload the order's lines with their items."""
    if not lines:
        return []
    items = _items(session, [line["item_id"] for line in lines])
    session.flush()  # the order needs its id
    position = max((line.position for line in order.lines), default=0)
    session.execute(insert(OrderLine), [
        {"order_id": order.id, "position": position + number, "item_id": data["item_id"],
         "description": data.get("description") or items[data["item_id"]].name,
         "quantity": data["quantity"], "manual_price": data.get("manual_price"),
         "manual_discount": data.get("manual_discount"),
         "price_source": data.get("price_source")}
        for number, data in enumerate(lines, start=1)
    ])
    reloaded = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id)
        .order_by(OrderLine.position).options(selectinload(OrderLine.item))
    ).all()
    set_committed_value(order, "lines", reloaded)
    added = [line for line in reloaded if line.position > position]
    for line in added:
        hook.comptoir_order_line_added(order=order, line=line, session=session)
    return added


def _second_number(session, kind):
    try:
        return next_number(session, kind.sequence)
    except MissingSequence as error:
        raise MissingSequence(f"order type {kind.code!r}: {error.message}") from None


def _customer(session, party_id):
    """The live party an order is for; a missing or merged one is refused on ``party_id``."""
    try:
        return get_party(session, party_id)
    except (NotFound, Conflict) as error:
        raise ValidationError(error.message, fields={"party_id": [error.message]}) from None


def _items(session, ids):
    found = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(set(ids))))}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError(f"unknown item {missing[0]}",
                              fields={"lines": [f"Item {i} does not exist." for i in missing]})
    return found


def update_line(session, hook, order, line_id, data):
    """Change one line of a draft order (quantity, typed price or discount) and reprice."""
    _require_draft(order, "changed")
    line = _line(order, line_id)
    if "item_id" in data:
        line.item = _items(session, [data["item_id"]])[data["item_id"]]
    for field in ("quantity", "manual_price", "manual_discount", "description"):
        if field in data:
            setattr(line, field, data[field])
    if "manual_price" in data or "manual_discount" in data:
        line.price_source = None  # typed by the salesperson now
    price_order(session, hook, order)
    return line


def remove_line(session, hook, order, line_id):
    """Remove one line of a draft order and reprice."""
    _require_draft(order, "changed")
    order.lines.remove(_line(order, line_id))
    price_order(session, hook, order)


def _line(order, line_id):
    for line in order.lines:
        if line.id == line_id:
            return line
    raise NotFound(f"order {order.number} has no line {line_id}")


def pricing_context(order, session):
    """The pricing context of ``order``: its customer's group, currency, discount and date (the
    requested ship date, or today)."""
    return PricingContext(
        currency=order.currency,
        date=order.requested_ship_date or date.today(),
        party_id=order.party.id,
        customer_group_id=order.party.customer_group_id,
        discount=order.discount,
        campaign_id=order.campaign_id,
        session=session,
    )


def price_order(session, hook, order):
    """Price every line of a draft order in one pass, storing prices, totals and explanations.

    Refused (409) once the order is confirmed: its prices are frozen.
    """
    _require_draft(order, "repriced")
    lines = [
        PricingLine(index, PricingItem.of(line.item), line.quantity, line.manual_price,
                    line.manual_discount, line.price_source)
        for index, line in enumerate(order.lines)
    ]
    result = price(hook, pricing_context(order, session), lines)
    session.flush()  # every line has its id
    store_prices(session, order.lines, result)
    order.untaxed, order.tax, order.total = result.untaxed, result.tax, result.total
    session.flush()
    return result


PRICE_FIELDS = ("unit_price", "discount", "tax_rate", "amount", "tax_amount", "explanation")


def store_prices(session, lines, result):
    """Write a PricedDocument's figures onto ``lines`` (order or quotation lines, all of one
    kind, already flushed) with one UPDATE statement, however many lines there are."""
    if not lines:
        return
    rows = []
    for line, priced in zip(lines, result.lines, strict=True):
        values = {field: getattr(priced, field) for field in PRICE_FIELDS}
        rows.append({"id": line.id, **values})
        for field, value in values.items():  # the objects match the rows written: not dirty
            set_committed_value(line, field, value)
    session.execute(update(type(lines[0])), rows)


def change_type(session, hook, order, code):
    """Give ``order`` the order type ``code``.

    Refused (409) when the current type is fixed in the order's status (Item requirements once
    delivered) or the new type does not allow that status (a confirmed order cannot become a
    Journal).  A type with its own sequence (Returned order) gives the order its second number.
    """
    if order.status == "cancelled":
        raise Conflict(f"order {order.number} is cancelled and cannot change type")
    new = order_type(hook, code)
    if new.code == order.type:
        return order
    # The current type may come from a module since disabled: nothing then holds the order.
    current = order_types(hook).get(order.type)
    if current is not None and order.status in current.fixed_from:
        raise Conflict(f"order {order.number} is {order.status}: an order of type "
                       f"{current.title} can no longer change type")
    if order.status not in new.statuses:
        raise Conflict(f"order {order.number} is {order.status}, which an order of type "
                       f"{new.title} cannot be")
    order.type = new.code
    if new.sequence and order.rma_number is None:
        order.rma_number = _second_number(session, new)
    session.flush()
    return order


class PricesChanged(Conflict):
    """A last pricing found a draft's prices out of date: it was repriced, not confirmed (or
    sent).

    The new prices are flushed; the caller commits them so that the salesperson sees them
    before confirming again.
    """


def confirm_order(session, hook, order):
    """Confirm a draft order: price it a last time and freeze its prices; its party becomes a
    customer.

    Refused (409) for an order that is not a draft, has no lines, or whose type cannot be
    confirmed (a Journal).  If the last pricing changes any figure the salesperson was shown
    (a price list changed since), the order stays a draft with its new prices and
    PricesChanged is raised: nobody confirms a total they have not seen.
    """
    kind = _type_of(hook, order)
    _require_draft(order, "confirmed")
    if not kind.can_confirm:
        raise Conflict(f"order {order.number} is a {kind.title}, which stays a draft: change "
                       "its type to confirm it")
    if not order.lines:
        raise Conflict(f"order {order.number} has no lines")
    shown = figures_shown(order)
    price_order(session, hook, order)
    if figures_shown(order) != shown:
        raise PricesChanged(f"the prices of order {order.number} changed since it was last "
                            f"priced: the total is now {order.total} {order.currency}; check it "
                            "and confirm again")
    order.status = "confirmed"
    order.confirmed_at = datetime.now()
    advance_to(session, order.party, "customer", f"order {order.number} confirmed")
    hook.comptoir_order_confirmed(order=order, session=session)
    session.flush()
    return order


def figures_shown(document):
    """Every figure of an order or quotation people see, to tell whether a pricing changed any."""
    return [document.untaxed, document.tax, document.total] + [
        (line.unit_price, line.discount, line.amount, line.tax_amount) for line in document.lines]


def _type_of(hook, order):
    types = order_types(hook)
    if order.type not in types:
        raise ValidationError(f"order {order.number} is of type {order.type!r}, which no enabled "
                              "module provides: change its type",
                              fields={"type": [f"Type {order.type!r} is not available."]})
    return types[order.type]


def cancel_order(session, order):
    """Cancel a draft or confirmed order (409 once delivered, invoiced or already cancelled)."""
    if order.status not in ("draft", "confirmed"):
        raise Conflict(f"order {order.number} is {order.status} and cannot be cancelled")
    order.status = "cancelled"
    session.flush()
    return order


def _require_draft(order, action):
    if order.status != "draft":
        detail = ": its prices are frozen" if order.status == "confirmed" else ""
        raise Conflict(f"order {order.number} is {order.status} and cannot be {action}{detail}")


def search_orders(session, text="", status=None, type_code=None, page=1, per_page=25):
    """Orders whose number, RMA number or customer name contains ``text``, newest first:
    ``(orders, total count)``."""
    query = select(Order).join(Order.party)
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(Order.number).like(pattern, escape="\\"),
                                func.lower(Order.rma_number).like(pattern, escape="\\"),
                                func.lower(Party.name).like(pattern, escape="\\")))
    if status:
        query = query.where(Order.status == status)
    if type_code:
        query = query.where(Order.type == type_code)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    found = session.scalars(
        query.order_by(Order.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return found, total
