"""Running each module's Alembic branch on a connection whose transaction the caller owns."""

from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.db import Base

SCRIPT_LOCATION = Path(__file__).parent / "migrations"
KERNEL_VERSIONS = SCRIPT_LOCATION / "versions"
KERNEL_BRANCH = "core"


def script_directory(folders):
    """All revisions of the kernel and of the given module folders, as one Alembic script set."""
    locations = [str(KERNEL_VERSIONS)] + [str(f) for f in folders if f]
    return ScriptDirectory(str(SCRIPT_LOCATION), version_locations=locations)


def _applied(script, connection):
    """The revision ids already applied to this database, every branch together."""
    heads = MigrationContext.configure(connection).get_current_heads()
    if not heads:
        return set()
    return {rev.revision for rev in script.iterate_revisions(heads, "base")}


def pending(connection, folders, branch):
    """Revisions of ``branch`` (and of branches it depends on) not yet applied, oldest first."""
    script = script_directory(folders)
    applied = _applied(script, connection)
    wanted = script.iterate_revisions(f"{branch}@head", "base")
    return [rev for rev in reversed(list(wanted)) if rev.revision not in applied]


def upgrade(connection, folders, branch):
    """Apply every pending revision of ``branch`` inside the connection's current transaction."""
    script = script_directory(folders)

    def steps(revision, _context):
        # The same step list alembic.command.upgrade builds, for this branch only.
        return script._upgrade_revs(f"{branch}@head", revision)

    with EnvironmentContext(Config(), script, fn=steps) as environment:
        environment.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transactional_ddl=True,
        )
        with environment.begin_transaction():
            environment.run_migrations()
