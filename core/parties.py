"""Services on parties: create, change, move along the relationship flow, merge duplicates.

Each function works inside the caller's transaction and raises a ComptoirError naming what is
wrong; the caller commits.
"""

from sqlalchemy import column as sql_column
from sqlalchemy import func, inspect, or_, select, text, update
from sqlalchemy import table as sql_table
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.db import locks_rows
from core.errors import Conflict, NotFound, ValidationError
from core.models import STAGES, Address, CustomerGroup, Party, StageChange, Tag

# The lock a document written for a party holds on it until it commits (FOR KEY SHARE): a
# merge, which locks both parties for update, waits for the document and moves it; a document
# begun while a merge holds its locks waits, and then sees its party merged.
KEPT_BY_A_DOCUMENT = {"read": True, "key_share": True, "of": Party}
# The lock a request changing a party (its stage, tags, addresses) takes before reading it (FOR
# NO KEY UPDATE): one waiting for a merge then sees the party merged, rather than changing it.
BEING_CHANGED = {"key_share": True, "of": Party}


def get_party(session, party_id, *, live=True, lock=None):
    """The party ``party_id``; NotFound if missing, Conflict if ``live`` and merged away.
    ``lock`` (``with_for_update``'s flags) takes that row lock first, then reads it again
    (alone: a lock that waited re-reads only its row, not the customer group joined to it)."""
    if lock is not None and locks_rows(session):
        session.execute(select(Party.id).where(Party.id == party_id).with_for_update(**lock))
    party = session.get(Party, party_id, populate_existing=lock is not None)
    if party is None:
        raise NotFound(f"party {party_id} does not exist")
    if live and party.merged_into_id is not None:
        raise Conflict(f"party {party.name!r} was merged into party {party.merged_into_id}")
    return party


def billing_details(party):
    """What a document addressed to ``party`` prints of it, JSON-ready: ``name``, ``email``
    (or None) and ``address``, its first invoice address (``street``, ``postcode``, ``city``,
    ``country``; or None).  A posted invoice keeps them as they were (its ``billed_to``).
    Reads the party's ``name``, ``email`` and ``addresses`` alone: a migration filling what
    invoices posted before kept gives it no more (``core.migrate.keep_parties``)."""
    return {"name": party.name, "email": party.email or None,
            "address": _first_address(party, ("invoice",))}


def delivery_details(party, addresses=None):
    """What a packing slip of goods sent to (or returned by) ``party`` prints of it, JSON-ready:
    ``name`` and ``address``, its first delivery address, else its first invoice address (as
    :func:`billing_details`; or None).  A packing slip keeps them as they were (its
    ``delivered_to``).  ``addresses`` are the party's, in id order, when read already (rows
    of ``kind``, ``street``, ``postcode``, ``city`` and ``country``).  Reads the party's
    ``name`` and ``addresses`` alone, as :func:`billing_details` does."""
    return {"name": party.name,
            "address": _first_address(party, ("delivery", "invoice"), addresses)}


def _first_address(party, kinds, addresses=None):
    """The first address (in id order) of the first of ``kinds`` that ``party`` has an address
    of, as a dict; among ``addresses`` when given, else among its own."""
    for kind in kinds:
        for address in party.addresses if addresses is None else addresses:
            if address.kind == kind:
                return {"street": address.street, "postcode": address.postcode,
                        "city": address.city, "country": address.country}
    return None


def search_parties(session, text="", stage=None, page=1, per_page=25):
    """Live parties whose name, e-mail or phone contains ``text``: ``(parties, total count)``."""
    query = select(Party).where(Party.merged_into_id.is_(None))
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(Party.name).like(pattern, escape="\\"),
                                func.lower(Party.email).like(pattern, escape="\\"),
                                Party.phone.like(pattern, escape="\\")))
    if stage:
        query = query.where(Party.stage == stage)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    parties = session.scalars(
        query.order_by(Party.name, Party.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return parties, total


def contains(text):
    """A LIKE pattern matching values that contain ``text`` (lower case), wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def create_party(session, data, cause="created"):
    """Create a party from validated ``data``; its first stage is recorded with ``cause``."""
    party = Party(stage=data.get("stage", "prospect"))
    _apply(session, party, data)
    session.add(party)
    session.flush()
    _record(session, party, None, party.stage, cause)
    return party


def update_party(session, party, data, cause="changed by hand"):
    """Change ``party`` from validated ``data``; a stage change is recorded with ``cause``."""
    stage = data.get("stage")
    _apply(session, party, data)
    if stage is not None:
        set_stage(session, party, stage, cause)
    return party


def _apply(session, party, data):
    for field in ("name", "email", "phone", "is_vendor"):
        if field in data:
            setattr(party, field, data[field])
    if "customer_group" in data:
        party.customer_group = _group(session, data["customer_group"])
    if "tags" in data:
        party.tags = tags_named(session, data["tags"])
    if "addresses" in data:
        party.addresses = [Address(**address) for address in data["addresses"]]


def _group(session, code):
    if not code:
        return None
    group = session.scalar(select(CustomerGroup).where(CustomerGroup.code == code))
    if group is None:
        raise ValidationError(f"unknown customer group {code!r}",
                              fields={"customer_group": ["Unknown customer group."]})
    return group


def tags_named(session, names):
    """The tags called ``names``, creating those that do not exist yet (or taking the one
    another request created at the same moment)."""
    names = sorted({name.strip() for name in names if name.strip()})
    existing = {t.name: t for t in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            try:
                with session.begin_nested():
                    existing[name] = Tag(name=name)
                    session.add(existing[name])
            except IntegrityError:
                existing[name] = session.scalars(select(Tag).where(Tag.name == name)).one()
    return [existing[name] for name in names]


def set_stage(session, party, stage, cause, when=None):
    """Move ``party`` to ``stage`` and record when and why; nothing happens if already there."""
    if stage not in STAGES:
        raise ValidationError(f"unknown stage {stage!r}", fields={"stage": ["Unknown stage."]})
    if not cause or not cause.strip():
        raise ValidationError("a stage change needs a cause", fields={"cause": ["Required."]})
    if party.stage == stage:
        return
    old, party.stage = party.stage, stage
    _record(session, party, old, stage, cause, when)


def advance_to(session, party, stage, cause):
    """Move ``party`` forward to ``stage`` (never back): a first order makes a customer.

    Its stage is read again under its row lock before it moves: two orders of one prospect
    confirmed at once (or invoices posted) make it a customer once, with one line of history.
    """
    if STAGES.index(stage) > STAGES.index(party.stage):
        session.flush()
        session.refresh(party, ["stage"], with_for_update=BEING_CHANGED)
        if STAGES.index(stage) > STAGES.index(party.stage):
            set_stage(session, party, stage, cause)


def _move_references(session, survivor_id, duplicate_id):
    """Point every column that references party ``duplicate_id`` by a foreign key at
    ``survivor_id``, in every table of the database: the kernel's, and those of modules enabled
    or not (a module disabled today would otherwise keep documents of a party nobody can use
    again).  Read from the database's own foreign keys, as Odoo's merge does.

    Left alone: the parties' ``merged_into_id`` (who was merged into whom stays as it was),
    their history (moved with a word of whose it was, see :func:`merge_parties`), and tables
    where the party is part of the key (its tags, which the merge unites).  A table holding one
    row per party whose rows of both clash (the module owning it disabled, its hook not there
    to join them) refuses the merge (409) rather than failing."""
    inspector = inspect(session.connection())
    keys = inspector.get_multi_pk_constraint()  # every table's at once: a few statements
    for (schema, table), foreign_keys in inspector.get_multi_foreign_keys().items():
        key = set(keys[schema, table]["constrained_columns"])
        for foreign_key in foreign_keys:
            columns = foreign_key["constrained_columns"]
            if (foreign_key["referred_table"] != Party.__tablename__ or len(columns) != 1
                    or table in (Party.__tablename__, StageChange.__tablename__)
                    or columns[0] in key):
                continue
            column = sql_column(columns[0])
            try:
                with session.begin_nested():
                    session.execute(sql_table(table, column, schema=schema).update()
                                    .where(column == duplicate_id)
                                    .values({column.name: survivor_id}))
            except IntegrityError:
                raise Conflict(f"both parties have records in {table} that cannot be joined "
                               "by moving them: enable the module that holds the table, which "
                               "joins them, then merge") from None


def _record(session, party, old, new, cause, when=None):
    session.add(StageChange(party_id=party.id, changed_at=when or utcnow(),
                            old_stage=old, new_stage=new, cause=cause[:256]))


def _merging(session, survivor_id, duplicate_id):
    """The live parties ``(survivor, duplicate)`` of a merge; refused otherwise."""
    if survivor_id == duplicate_id:
        message = "A party cannot be merged into itself."
        raise ValidationError(message, fields={"duplicate_id": [message]})
    survivor = get_party(session, survivor_id)
    try:
        return survivor, get_party(session, duplicate_id)
    except (NotFound, Conflict) as error:
        raise ValidationError(error.message, fields={"duplicate_id": [error.message]}) from None


# How long a merge waits for a record another request holds (PostgreSQL), once it holds both
# parties: such a request (confirming an order, posting an invoice) may be waiting for a party,
# and the merge gives way to it (a 409 to try again) before the database would pick either.
MERGE_WAITS = "500ms"


def merge_parties(session, hook, survivor_id, duplicate_id):
    """Merge party ``duplicate_id`` into ``survivor_id``: every record naming it moves to the
    survivor (orders, addresses, tags, history, and any module's documents, see
    :func:`_move_references`), which takes the further of the two stages.  The duplicate is
    kept, marked as merged, never deleted.

    Both parties are locked first, in id order as every merge locks them, and read again: this
    waits for the requests writing records for either (see :data:`KEPT_BY_A_DOCUMENT`), whose
    records then move too; those begun after wait, and see the duplicate merged; a second merge
    of either waits, and finds what this one did."""
    if locks_rows(session):
        session.execute(select(Party.id).where(Party.id.in_((survivor_id, duplicate_id)))
                        .order_by(Party.id).with_for_update())
        session.execute(text(f"SET LOCAL lock_timeout = '{MERGE_WAITS}'"))  # from now on
    for party_id in (survivor_id, duplicate_id):  # read again under the locks
        session.get(Party, party_id, populate_existing=True)
    survivor, duplicate = _merging(session, survivor_id, duplicate_id)
    # The duplicate's history joins the survivor's, each entry saying whose it was.
    session.execute(
        update(StageChange).where(StageChange.party_id == duplicate.id)
        .values(party_id=survivor.id,
                cause=func.substr(StageChange.cause + f" (as {duplicate.name})", 1, 256))
        .execution_options(synchronize_session=False)
    )
    survivor.tags = sorted({*survivor.tags, *duplicate.tags}, key=lambda t: t.name)
    survivor.is_vendor = survivor.is_vendor or duplicate.is_vendor
    survivor.customer_group = survivor.customer_group or duplicate.customer_group
    for field in ("email", "phone"):
        if not getattr(survivor, field):
            setattr(survivor, field, getattr(duplicate, field))
    hook.comptoir_parties_merged(survivor=survivor, duplicate=duplicate, session=session)
    _move_references(session, survivor.id, duplicate.id)
    cause = f"merged with {duplicate.name}"
    if STAGES.index(duplicate.stage) > STAGES.index(survivor.stage):
        set_stage(session, survivor, duplicate.stage, cause)
    else:  # the merge itself is worth a line in the history, stage unchanged
        _record(session, survivor, survivor.stage, survivor.stage, cause)
    duplicate.merged_into_id = survivor.id
    duplicate.tags = []
    session.flush()
    session.expire(survivor)
    return survivor
