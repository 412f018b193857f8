"""What orders and quotations share: the party they are for, their lines, their pricing.

A *document* has ``lines`` (each with an ``item``, ``position``, ``quantity``, the typed
``manual_price`` and ``manual_discount``, and the priced figures), a ``currency`` and totals.
The functions work inside the caller's transaction and cost a fixed number of SQL statements
whatever the number of lines.
"""

import functools
import operator
from datetime import date

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session, defer, lazyload, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from core.errors import Conflict, NotFound, ValidationError
from core.models import Item
from core.money import check_currency
from core.parties import KEPT_BY_A_DOCUMENT, get_party
from core.pricing import PricingItem, PricingLine

PRICE_FIELDS = ("unit_price", "discount", "tax_rate", "amount", "tax_amount", "explanation")
TYPED_FIELDS = ("quantity", "manual_price", "manual_discount", "description")


def require_made(day, field, rule):
    """Refuse (422 under ``field``) a record of something done (a delivery, a payment) dated
    after today, ``rule`` saying what it is: "delivery is recorded once made"."""
    if day > date.today():
        raise ValidationError(f"a {rule}", fields={field: [f"A {rule}: not after today."]})


def party_for(session, party_id):
    """The live party a document is for; a missing or merged one is refused on ``party_id``.
    Its row stays locked against a merge until the document is written (see
    :data:`core.parties.KEPT_BY_A_DOCUMENT`)."""
    try:
        return get_party(session, party_id, lock=KEPT_BY_A_DOCUMENT)
    except (NotFound, Conflict) as error:
        raise ValidationError(error.message, fields={"party_id": [error.message]}) from None


def items_by_id(session, ids):
    """The items ``ids`` name, by id, in one query; unknown ones are refused on ``lines``."""
    found = {item.id: item for item in session.scalars(_ITEMS, {"ids": list(set(ids))})}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError(f"unknown item {missing[0]}",
                              fields={"lines": [f"Item {i} does not exist." for i in missing]})
    return found


# A document reads its items' tax categories (pricing does), not their groups.
_ITEMS = (select(Item).where(Item.id.in_(bindparam("ids", expanding=True)))
          .options(lazyload(Item.item_group)))


def insert_lines(session, document, line_model, owner, lines, items=None, priced=None):
    """Insert validated ``lines`` after ``document``'s last one with one statement, reload all
    its lines, and return the new ones with their items.  ``owner`` names the lines' column
    pointing at the document (``"order_id"``); ``items`` are the lines' items by id, when
    read already; ``priced`` their PricedLines, in their order, when priced already: they are
    written with those figures and explanations."""
    if not lines:
        return []
    if items is None:
        items = items_by_id(session, [line["item_id"] for line in lines])
    session.flush()  # the document needs its id
    position = max((line.position for line in document.lines), default=0)
    # Columns some kinds of line have (an order line's price_source), filled when given.
    optional = [name for name in ("price_source",) if hasattr(line_model, name)]
    session.execute(_insert(line_model.__table__), [
        {owner: document.id, "position": position + number, "item_id": data["item_id"],
         "description": data.get("description") or items[data["item_id"]].name,
         "quantity": data["quantity"], "manual_price": data.get("manual_price"),
         "manual_discount": data.get("manual_discount"),
         **{name: data.get(name) for name in optional},
         **({field: getattr(priced[number - 1], field) for field in PRICE_FIELDS}
            if priced else {})}
        for number, data in enumerate(lines, start=1)
    ])
    reloaded = session.scalars(_lines_of(line_model, owner, bool(priced)),
                               {"document": document.id}).all()
    set_committed_value(document, "lines", reloaded)
    added = [line for line in reloaded if line.position > position]
    for line in added:  # the earlier lines came with their items
        set_committed_value(line, "item", items[line.item_id])
    if priced:  # their explanations as just written, not read back and decoded
        for line, priced_line in zip(added, priced, strict=True):
            set_committed_value(line, "explanation", priced_line.explanation)
    return added


@functools.cache
def _insert(table):
    return insert(table)


@functools.cache
def _lines_of(line_model, owner, priced):
    query = (select(line_model).where(getattr(line_model, owner) == bindparam("document"))
             .order_by(line_model.position))
    # New lines priced before they were written are given the explanations the pricing made;
    # the earlier lines, read with the document, keep the ones they hold.
    return query.options(defer(line_model.explanation)) if priced else query


def line_of(document, line_id, name):
    """The line ``line_id`` of ``document`` (called ``name`` in the message), or NotFound."""
    for line in document.lines:
        if line.id == line_id:
            return line
    raise NotFound(f"{name} has no line {line_id}")


def change_line(session, line, data):
    """Apply validated ``data`` (item, quantity, typed price or discount, description) to
    ``line``; a price or discount typed now no longer comes from elsewhere."""
    if "item_id" in data:
        line.item = items_by_id(session, [data["item_id"]])[data["item_id"]]
    for field in TYPED_FIELDS:
        if field in data:
            setattr(line, field, data[field])
    if hasattr(line, "price_source") and ("manual_price" in data or "manual_discount" in data):
        line.price_source = None


def change_currency(document, currency, name):
    """Give ``document`` (called ``name``) the currency ``currency``; refused (409) while a line
    has a typed price, an amount in the old currency that is not ours to convert."""
    currency = check_currency(currency)
    if currency == document.currency:
        return
    if any(line.manual_price is not None for line in document.lines):
        raise Conflict(f"{name} has prices typed in {document.currency}: remove them (or the "
                       "lines) before changing its currency")
    document.currency = currency


def pricing_lines(document):
    """The pricing chain's view of ``document``'s lines, keyed by their index."""
    return [
        PricingLine(index, PricingItem.of(line.item), line.quantity, line.manual_price,
                    line.manual_discount, getattr(line, "price_source", None))
        for index, line in enumerate(document.lines)
    ]


def new_pricing_lines(lines, items):
    """The pricing chain's view of validated new ``lines`` (their input) of ``items`` (by id),
    keyed by their index."""
    return [
        PricingLine(index, PricingItem.of(items[line["item_id"]]), line["quantity"],
                    line.get("manual_price"), line.get("manual_discount"),
                    line.get("price_source"))
        for index, line in enumerate(lines)
    ]


def store_prices(session, lines, result):
    """Write a PricedDocument's figures onto ``lines`` (order or quotation lines, all of one
    kind, already flushed) with one UPDATE statement, however many lines there are; lines
    whose figures and explanation are unchanged (a last pricing at confirmation) are not
    written again."""
    store_changes(session, lines, [{field: getattr(priced, field) for field in PRICE_FIELDS}
                                   for priced in result.lines])


def insert_record(session, record):
    """Insert the new ``record`` (a mapped object in no session, its foreign keys set, not
    only its relationships) with one Core statement, and add it to ``session`` as if read
    back: the columns it leaves unset (its id, those with defaults) are set as written.  A
    rollback of the transaction (or of the savepoint it was written in) leaves it out of the
    session, holding the values it was inserted with, as the unit of work leaves what it
    inserted.

    The unit of work's flush costs several times more than the statement for one row."""
    table = type(record).__table__
    given = {column.key: record.__dict__[column.key] for column in table.c
             if column.key in record.__dict__}
    made = session.execute(_insert_returning(table, frozenset(given)), given).one()
    for key, value in made._mapping.items():
        setattr(record, key, value)
    make_transient_to_detached(record)
    session.add(record)
    _remember(session, [record], {**given, **made._mapping})
    return record


@functools.cache
def _insert_returning(table, given):
    return insert(table).returning(*(column for column in table.c if column.key not in given))


def store_values(session, records, values):
    """Write ``values[i]`` (``{column: value}``) onto ``records[i]`` (flushed rows of one mapped
    class, every dict with the same columns) with one UPDATE statement, however many rows.  A
    rollback of the transaction (or of the savepoint they were written in) expires them, as
    the unit of work expires what it changed."""
    if not records:
        return
    session.execute(_update_by_id(type(records[0]).__table__), [
        {"row_id": record.id, **changes} for record, changes in zip(records, values, strict=True)])
    for record, changes in zip(records, values, strict=True):
        for field, value in changes.items():  # the objects match the rows written: not dirty
            set_committed_value(record, field, value)
    _remember(session, records)


def store_changes(session, records, values):
    """:func:`store_values` of the ``records`` whose ``values`` (every dict with the same
    columns) differ from what they hold; those already holding them are not written again
    (nothing at all if none changed)."""
    if not records or not values[0]:
        return
    # Each record's fields and each dict's values read in one call apiece, in one order.
    held, wanted = operator.attrgetter(*values[0]), operator.itemgetter(*values[0])
    changed = [(record, changes) for record, changes in zip(records, values, strict=True)
               if held(record) != wanted(changes)]
    store_values(session, [record for record, _ in changed], [changes for _, changes in changed])


@functools.cache
def _update_by_id(table):
    # A Core statement on the table: the ORM's bulk update by primary key costs several times
    # more, to keep in step objects that were just set.  The columns set are those of the rows.
    return update(table).where(table.c.id == bindparam("row_id"))


# The records a session's transaction wrote by insert_record and store_values, in its ``info``:
# ``[(transaction or savepoint, records, values inserted or None)]``.  When the transaction or
# a savepoint rolls back, the unit of work leaves the objects it inserted in it out of the
# session, holding their values, and expires those it changed; these it did not write, so the
# listeners below do the same.
WRITTEN = "comptoir_written"


def _remember(session, records, inserted=None):
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(WRITTEN, []).append((transaction, list(records), inserted))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction):
    if WRITTEN not in session.info:
        return
    kept = []
    for transaction, records, inserted in session.info.get(WRITTEN, ()):
        if not _within(transaction, previous_transaction):
            kept.append((transaction, records, inserted))
            continue
        for record in (record for record in records if record in session):
            if inserted is None:
                session.expire(record)
                continue
            session.expunge(record)
            make_transient(record)
            for key, value in inserted.items():
                set_committed_value(record, key, value)
    session.info[WRITTEN] = kept


@event.listens_for(Session, "after_commit")
def _forget_committed(session):
    if not session.in_nested_transaction():  # a savepoint's release is a commit too
        session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_transaction_create")
def _forget_earlier(session, transaction):
    if transaction.parent is None:  # what a session closed without ending it left
        session.info.pop(WRITTEN, None)


def _within(transaction, outer):
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def figures_shown(document):
    """Every figure of an order or quotation people see, to tell whether a pricing changed any."""
    return [document.untaxed, document.tax, document.total] + [
        (line.unit_price, line.discount, line.amount, line.tax_amount) for line in document.lines]
