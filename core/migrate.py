"""Running each module's Alembic branch on a connection whose transaction the caller owns.

Every module's branch, the kernel's included, keeps its own version table
(``alembic_version_<module>``), so modules migrate independently: a module whose package is
removed leaves its table behind without troubling the others.  Order between modules comes from
their manifests' ``depends``: a module is always migrated after the modules it depends on.
"""

from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import COMPARABLE_JSON, Base

SCRIPT_LOCATION = Path(__file__).parent / "migrations"
KERNEL_VERSIONS = SCRIPT_LOCATION / "versions"
KERNEL_BRANCH = "core"


def version_table(module):
    """The table recording which revisions of ``module`` this database has."""
    return f"alembic_version_{module}"


def _script(folder):
    return ScriptDirectory(str(SCRIPT_LOCATION), version_locations=[str(folder)])


def pending(connection, folder, module):
    """Revisions in ``folder`` not yet applied for ``module``, oldest first."""
    script = _script(folder)
    context = MigrationContext.configure(connection, opts={"version_table": version_table(module)})
    heads = context.get_current_heads()
    applied = {rev.revision for rev in script.iterate_revisions(heads, "base")} if heads else set()
    wanted = reversed(list(script.iterate_revisions("heads", "base")))
    return [rev for rev in wanted if rev.revision not in applied]


def upgrade(connection, folder, module):
    """Apply ``module``'s pending revisions inside the connection's current transaction."""
    script = _script(folder)

    def steps(revision, _context):
        # The same step list alembic.command.upgrade builds for "heads".
        return script._upgrade_revs("heads", revision)

    with EnvironmentContext(Config(), script, fn=steps) as environment:
        environment.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=version_table(module),
            render_as_batch=connection.dialect.name == "sqlite",
            transactional_ddl=True,
        )
        with environment.begin_transaction():
            environment.run_migrations()


def ids_never_reused(*tables):
    """In a revision's ``upgrade()``: make SQLite never give a deleted row's id again in
    ``tables``, as PostgreSQL never does.  SQLite gives the largest id again once its row is
    deleted, unless the table says AUTOINCREMENT, which only a copy of the table adds (the
    model says ``sqlite_autoincrement`` too, for a reader).  For the records a page or a link
    names by id and that can be deleted: an old link must find nothing, not another record.
    (Ids deleted before the revision ran, above the largest left, are unknown to it: the next
    rows take them once more.)"""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        # No change to make inside: leaving the block copies the table, AUTOINCREMENT added.
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass


# How many documents keep_parties fills with each statement.
KEPT_PER_STATEMENT = 1000


def keep_parties(table, column, details, only=None):
    """In a revision's ``upgrade()``: add to ``table`` (posted documents naming their party by
    ``party_id``) the JSON ``column`` in which such documents now keep whom they were issued
    to, and fill it with ``details(party)`` of their party as it is now (what they were issued
    to was not kept before), on the rows whose columns hold the values of ``only``
    (``{"status": "posted"}``; all rows by default), :data:`KEPT_PER_STATEMENT` at a time.

    ``details`` is the function posting keeps them with (``core.parties.billing_details``,
    say); it is given a party holding ``name``, ``email`` and ``addresses`` (rows of ``kind``,
    ``street``, ``postcode``, ``city`` and ``country``, in id order), and nothing else.  A
    document whose party is missing (a database whose foreign keys were not enforced) is left
    as it is."""
    op.add_column(table, sa.Column(column, COMPARABLE_JSON, nullable=True))
    connection = op.get_bind()
    documents = sa.table(table, sa.column("id"), sa.column("party_id"),
                         *(sa.column(name) for name in only or ()),
                         sa.column(column, COMPARABLE_JSON))
    chosen = sa.and_(sa.true(), *(documents.c[name] == value
                                  for name, value in (only or {}).items()))
    keep = (documents.update().where(documents.c.id == sa.bindparam("document"))
            .values({column: sa.bindparam("kept")}))
    last = 0
    while rows := connection.execute(
            sa.select(documents.c.id, documents.c.party_id)
            .where(chosen, documents.c.id > last).order_by(documents.c.id)
            .limit(KEPT_PER_STATEMENT)).all():
        last = rows[-1].id
        parties = _parties(connection, {row.party_id for row in rows})
        kept = [{"document": row.id, "kept": details(parties[row.party_id])}
                for row in rows if row.party_id in parties]
        if kept:
            connection.execute(keep, kept)


_PARTIES = sa.table("core_party", sa.column("id"), sa.column("name"), sa.column("email"))
_ADDRESSES = sa.table("core_address", sa.column("id"), sa.column("party_id"), sa.column("kind"),
                      sa.column("street"), sa.column("postcode"), sa.column("city"),
                      sa.column("country"))


def _parties(connection, ids):
    """The parties ``ids`` by id, each with its ``name``, ``email`` and ``addresses``."""
    parties = {row.id: SimpleNamespace(**row._mapping, addresses=[])
               for row in connection.execute(sa.select(_PARTIES)
                                             .where(_PARTIES.c.id.in_(ids)))}
    for row in connection.execute(sa.select(_ADDRESSES).where(_ADDRESSES.c.party_id.in_(ids))
                                  .order_by(_ADDRESSES.c.id)):
        parties[row.party_id].addresses.append(row)
    return parties
