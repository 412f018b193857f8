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


def keep_parties(table, column, details, where=None):
    """In a revision's ``upgrade()``: add to ``table`` (posted documents naming their party by
    ``party_id``) the JSON ``column`` in which such documents now keep whom they were issued
    to, and fill it, on the rows meeting the SQL condition ``where`` (all by default), with
    ``details(party)`` (``core.parties.billing_details``, say) of their party as it is now:
    what they were issued to was not kept before."""
    op.add_column(table, sa.Column(column, COMPARABLE_JSON, nullable=True))
    connection = op.get_bind()
    documents = sa.table(table, sa.column("id"), sa.column("party_id"),
                         sa.column(column, COMPARABLE_JSON))
    rows = connection.execute(sa.select(documents.c.id, documents.c.party_id)
                              .where(sa.text(where) if where else sa.true())).all()
    if not rows:
        return
    parties = {row.id: SimpleNamespace(**row._mapping, addresses=[])
               for row in connection.execute(sa.text("SELECT id, name, email FROM core_party"))}
    for row in connection.execute(sa.text("SELECT party_id, kind, street, postcode, city, "
                                          "country FROM core_address ORDER BY id")):
        parties[row.party_id].addresses.append(row)
    connection.execute(
        documents.update().where(documents.c.id == sa.bindparam("document"))
        .values({column: sa.bindparam("kept")}),
        [{"document": row.id, "kept": details(parties[row.party_id])} for row in rows])
