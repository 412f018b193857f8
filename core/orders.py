"""Services on orders: create, add and change lines, price, change type, confirm, cancel.

Every function works inside the caller's transaction (the caller commits) and raises a
ComptoirError naming what is wrong.  The work per order is a fixed number of SQL statements
whatever its number of lines: lines and their items are loaded together, priced in one pass and
written back in one batch.
"""

import functools
from datetime import date

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import defer, joinedload, object_session
from sqlalchemy.orm.attributes import set_committed_value

from core.clock import utcnow
from core.db import locks_rows
from core.documents import (
    change_currency,
    change_line,
    figures_shown,
    insert_lines,
    insert_record,
    items_by_id,
    line_of,
    new_pricing_lines,
    party_for,
    pricing_lines,
    store_changes,
    store_prices,
    store_values,
)
from core.errors import Conflict, NotFound, ValidationError
from core.models import Item, Order, OrderLine, Party
from core.money import check_currency, round_money
from core.numbering import MissingSequence, next_number
from core.ordertypes import order_type, order_types
from core.parties import advance_to, contains
from core.pricing import PricingContext, price


def load_order(session, order_id, *, lock=False, explained=True):
    """The order ``order_id`` with its lines and their items, in two queries; ``lock`` takes its
    row lock.  ``explained`` false reads only what moving the order on (delivering, invoicing)
    needs: the lines' price explanations (the one column that costs to read) and the items' tax
    categories and groups are read when something asks for one.

    The order is read once the lock is held (again, if the session holds it already), and its
    lines by a second query: on PostgreSQL a locking query that waited re-reads only the rows
    it locks, so a customer or lines joined into it could be those from before another
    transaction's merge, delivery or invoice (an order a merge moved to the survivor would
    seem not to exist)."""
    if lock and locks_rows(session):
        lock_orders(session, [order_id])
    order = session.scalars(_ORDER, {"id": order_id},
                            execution_options={"populate_existing": lock}).one_or_none()
    if order is None:
        raise NotFound(f"order {order_id} does not exist")
    attach_lines(session, [order], query=_order_lines_query(explained))
    return order


# The customer's group is read when something asks for it: a pricing reads its id only.
_ORDER = (select(Order).where(Order.id == bindparam("id"))
          .options(joinedload(Order.party).lazyload(Party.customer_group)))


@functools.cache
def _order_lines_query(explained):
    items = joinedload(OrderLine.item)
    if explained:  # a pricing reads the items' tax categories, not their groups
        return lines_query(Order.lines, items.lazyload(Item.item_group))
    return lines_query(Order.lines, defer(OrderLine.explanation),
                       items.lazyload(Item.tax_category), items.lazyload(Item.item_group))


def lock_orders(session, order_ids):
    """Take the row locks of the orders ``order_ids`` (ids, or a select of them), in id order
    as every writer of orders takes them, so that no two requests wait for each other; returns
    their ``(id, number, status)`` rows as read under the locks."""
    return session.execute(select(Order.id, Order.number, Order.status)
                           .where(Order.id.in_(order_ids)).order_by(Order.id)
                           .with_for_update()).all()


def lines_query(lines, *options):
    """The statement :func:`attach_lines` runs to read the lines of a ``lines`` collection
    (``Order.lines``) with the loader ``options`` given.  Build it once and keep it: building
    a statement costs more than running it."""
    relationship = lines.property
    [owner] = relationship.remote_side  # the lines' column naming their document
    return (select(relationship.mapper)
            .where(owner.in_(bindparam("documents", expanding=True)))
            .order_by(owner, *(relationship.order_by or ()))
            .options(*options)
            .execution_options(populate_existing=True))


def attach_lines(session, documents, *options, query=None):
    """Read the lines of ``documents`` (orders, invoices: one mapped class with a ``lines``
    collection) in one query, with the loader ``options`` given or by ``query`` (built once by
    :func:`lines_query`), and set each one's ``lines`` as the database holds them now, lines
    already in the session included.

    The lines are read when the caller chooses (once its row locks are held), and at a fraction
    of what a ``selectinload`` costs: its machinery takes longer than the statement."""
    if query is not None and options:
        raise TypeError("attach_lines takes loader options or a query, not both")
    if not documents:
        return
    if query is None:
        query = lines_query(type(documents[0]).lines, *options)
    relationship = type(documents[0]).lines.property
    [owner] = relationship.remote_side
    owner_key = relationship.mapper.get_property_by_column(owner).key
    by_document = {document.id: [] for document in documents}
    for line in session.scalars(query, {"documents": list(by_document)}):
        by_document[getattr(line, owner_key)].append(line)
    for document in documents:
        set_committed_value(document, "lines", by_document[document.id])


def create_order(session, hook, data):
    """Create a draft order from validated ``data`` (header fields and ``lines``), priced: the
    lines are priced before they are written, and written with their prices."""
    kind = order_type(hook, data["type"])
    party = party_for(session, data["party_id"])
    order = Order(
        number=next_number(session, "order"),
        type=kind.code,
        party=party,
        party_id=party.id,
        currency=check_currency(data["currency"]),
        requested_ship_date=data.get("requested_ship_date"),
        discount=data.get("discount") or 0,
        campaign_id=data.get("campaign_id"),
        status="draft",
        lines=[],
    )
    if kind.sequence:
        order.rma_number = _second_number(session, kind)
    lines = data.get("lines", ())
    items = items_by_id(session, [line["item_id"] for line in lines]) if lines else {}
    result = price(hook, pricing_context(order, session), new_pricing_lines(lines, items))
    order.untaxed, order.tax, order.total = result.untaxed, result.tax, result.total
    insert_record(session, order)
    _add_lines(session, hook, order, lines, items, result.lines)
    if hook.comptoir_order_line_added.get_hookimpls():  # they may have changed the lines
        price_order(session, hook, order)
    return order


def update_order(session, hook, order, data):
    """Change a draft order's header (customer, currency, ship date, discount) and reprice.

    The currency cannot change (409) while a line has a typed price: it is in the old one.
    """
    _require_draft(order, "changed")
    if "party_id" in data:
        order.party = party_for(session, data["party_id"])
    if "currency" in data:
        change_currency(order, data["currency"], f"order {order.number}")
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


def _add_lines(session, hook, order, lines, items=None, priced=None):
    added = insert_lines(session, order, OrderLine, "order_id", lines, items, priced)
    for line in added:
        hook.comptoir_order_line_added(order=order, line=line, session=session)
    return added


def _second_number(session, kind):
    try:
        return next_number(session, kind.sequence)
    except MissingSequence as error:
        raise MissingSequence(f"order type {kind.code!r}: {error.message}") from None


def update_line(session, hook, order, line_id, data):
    """Change one line of a draft order (quantity, typed price or discount) and reprice."""
    _require_draft(order, "changed")
    line = line_of(order, line_id, f"order {order.number}")
    change_line(session, line, data)
    price_order(session, hook, order)
    return line


def remove_line(session, hook, order, line_id):
    """Remove one line of a draft order and reprice."""
    _require_draft(order, "changed")
    order.lines.remove(line_of(order, line_id, f"order {order.number}"))
    price_order(session, hook, order)


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
    result = price(hook, pricing_context(order, session), pricing_lines(order))
    session.flush()  # every line has its id, every change of the order is written
    store_prices(session, order.lines, result)
    store_changes(session, [order], [{"untaxed": result.untaxed, "tax": result.tax,
                                      "total": result.total}])
    return result


def change_type(session, hook, order, code):
    """Give ``order`` the order type ``code``.

    Refused (409) when the current type is fixed in the order's status (Item requirements once
    delivered, a Subscription once confirmed), when the new type does not allow that status (a
    confirmed order cannot become a Journal), when an invoiced order would become a recurring
    type (whose next period only an invoice starts), and when the order is confirmed and the
    new type moves goods the other way (a Sales order cannot become a Returned order then, nor
    the reverse: what was delivered or invoiced went one way).  A type with its own sequence
    (Returned order) gives the order its second number.
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
    if new.recurring and order.status == "invoiced":
        raise Conflict(f"order {order.number} is invoiced: as an order of type {new.title} it "
                       "would never start a next period")
    # A Subscription's lines start again each period: only the status tells that goods moved.
    incoming = current is not None and current.incoming
    if new.incoming != incoming and order.status != "draft":
        raise Conflict(f"order {order.number} is {order.status} and brings goods "
                       f"{'back' if incoming else 'out'}: it cannot become an order of type "
                       f"{new.title}")
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
    store_values(session, [order], [{"status": "confirmed", "confirmed_at": utcnow()}])
    advance_to(session, order.party, "customer", f"order {order.number} confirmed")
    hook.comptoir_order_confirmed(order=order, session=session)
    session.flush()
    return order


def _type_of(hook, order):
    types = order_types(hook)
    if order.type not in types:
        raise ValidationError(f"order {order.number} is of type {order.type!r}, which no enabled "
                              "module provides: change its type",
                              fields={"type": [f"Type {order.type!r} is not available."]})
    return types[order.type]


def cancel_order(session, hook, order):
    """Cancel a draft or confirmed order (409 once delivered, invoiced or already cancelled),
    and call ``comptoir_order_cancelled``; returns the sentences its implementations return
    for the user (what they did)."""
    if order.status not in ("draft", "confirmed"):
        raise Conflict(f"order {order.number} is {order.status} and cannot be cancelled")
    if any(line.delivered_quantity or line.invoiced_quantity for line in order.lines):
        raise Conflict(f"order {order.number} is partly delivered or invoiced and cannot be "
                       "cancelled")
    order.status = "cancelled"
    session.flush()
    return [said for said in hook.comptoir_order_cancelled(order=order, session=session) if said]


def close_remainder(session, hook, order):
    """Close what is left to deliver of a partly delivered order, which the customer will not
    take: each such line keeps only what was delivered (or invoiced, if more) of it, its amount
    and tax in proportion at its frozen prices, and the order's totals follow.  The order is
    then Delivered, or Invoiced when all of it is invoiced.

    Refused (409) unless the order is confirmed or delivered, something of it was delivered
    (otherwise cancel it) and something neither delivered nor invoiced is left to close (what
    was invoiced is owed to the customer until a credit note takes it back); and for a
    recurring type (a Subscription delivers again every period).  A draft invoice holding more
    than what is left to invoice afterwards is refused when posted.
    """
    if order.status not in ("confirmed", "delivered"):
        raise Conflict(f"order {order.number} is {order.status}: only what is left to deliver "
                       "of a confirmed order is closed")
    if _type_of(hook, order).recurring:
        raise Conflict(f"order {order.number} is a subscription: it delivers every period")
    if not any(line.delivered_quantity for line in order.lines):
        invoiced = " (credit what is invoiced of it as not delivered first)" if any(
            line.invoiced_quantity for line in order.lines) else ""
        raise Conflict(f"nothing of order {order.number} was delivered: cancel it "
                       f"instead{invoiced}")
    closing = lines_to_close(order)
    if not closing:
        invoiced = [line.position for line in order.lines if line.deliver_remainder > 0]
        if invoiced:  # kept: the customer was invoiced for it
            raise Conflict(f"what is left to deliver of order {order.number} (line "
                           f"{invoiced[0]}) is invoiced: deliver it, or credit it on its "
                           "invoice as not delivered and close it then")
        raise Conflict(f"order {order.number} has nothing left to close")
    currency = order.currency
    store_values(session, list(closing), [
        {"quantity": kept,
         "amount": round_money(line.amount * kept / line.quantity, currency),
         "tax_amount": round_money(line.tax_amount * kept / line.quantity, currency)}
        for line, kept in closing.items()])
    order.untaxed = round_money(sum(line.amount for line in order.lines), currency)
    order.tax = round_money(sum(line.tax_amount for line in order.lines), currency)
    order.total = order.untaxed + order.tax
    settle_status(hook, order)
    session.flush()
    return order


def lines_to_close(order):
    """``{line: quantity kept}`` of the lines :func:`close_remainder` would close: those with
    more ordered than delivered or invoiced of them."""
    kept = {line: max(line.delivered_quantity, line.invoiced_quantity) for line in order.lines}
    return {line: quantity for line, quantity in kept.items() if quantity < line.quantity}


def settle_status(hook, order):
    """Set a confirmed, delivered or invoiced order's status from its lines' remainders, after a
    packing slip or an invoice (or a credit note) was posted.

    Every line delivered makes it Delivered; every line delivered and invoiced makes it
    Invoiced, except that a recurring type (Subscription) then returns to Confirmed for its next
    period, its lines' delivered and invoiced quantities starting again from zero.  Otherwise it
    is Confirmed, and further packing slips and invoices follow.  What changes is written at
    once.
    """
    if order.status not in ("confirmed", "delivered", "invoiced"):
        return order
    session = object_session(order)
    if session is None:
        raise TypeError(f"order {order.number} is in no session: settle_status writes it")
    delivered = all(line.deliver_remainder <= 0 for line in order.lines)
    invoiced = all(line.invoice_remainder <= 0 for line in order.lines)
    if delivered and invoiced and _type_of(hook, order).recurring:
        store_values(session, order.lines, [{"delivered_quantity": 0, "invoiced_quantity": 0}
                                            for _line in order.lines])
        status = "confirmed"
    elif delivered:
        status = "invoiced" if invoiced else "delivered"
    else:
        status = "confirmed"
    store_changes(session, [order], [{"status": status}])
    return order


def reopen_period(session, hook, order):
    """Reopen the period a recurring order (Subscription) closed when its last invoice of the
    period posted: every line delivered and invoiced in full again, the order Invoiced, so that
    a credit note can take an invoice of that period back.  Returns whether it did.

    Nothing changes for an order of another type.  Refused (409) once the next period has
    started: something of it was delivered or invoiced.
    """
    kind = order_types(hook).get(order.type)
    if kind is None or not kind.recurring or order.status != "confirmed":
        return False
    if any(line.delivered_quantity or line.invoiced_quantity for line in order.lines):
        raise Conflict(f"order {order.number} has started its next period: an invoice of an "
                       "earlier period can no longer be taken back from it")
    store_values(session, order.lines, [
        {"delivered_quantity": line.quantity, "invoiced_quantity": line.quantity}
        for line in order.lines])
    store_values(session, [order], [{"status": "invoiced"}])
    return True


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
