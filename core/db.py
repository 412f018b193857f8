"""Database plumbing: the declarative base every model uses, engines and sessions."""

import orjson
from sqlalchemy import JSON, MetaData, and_, create_engine, event, make_url, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value of an integer primary key on every supported database (PostgreSQL's
# INTEGER); an id above it cannot name a row, and is refused before it reaches the database.
MAX_ID = 2**31 - 1

# The type of a JSON column of rows that queries may compare (DISTINCT, UNION): PostgreSQL's
# json type has no equality, its jsonb has.
COMPARABLE_JSON = JSON().with_variant(JSONB(), "postgresql")

# The execution option of a writing session's connections (``Registry.writing_session``): on
# SQLite their transactions begin by taking the write lock.
WRITES = "comptoir_writes"


class Base(DeclarativeBase):
    """Declarative base of every Comptoir table, kernel and modules alike.

    A module names its tables after itself (``sales_order``) and creates them in its own
    migrations, never with ``create_all``.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def normalise_url(url):
    """Use psycopg 3 for ``postgresql://`` URLs, which SQLAlchemy would give to psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    return url


def _json_text(value):
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns (every line's price explanation) written and read by orjson: a document's
# explanations are read and written at each pricing, several times faster than by ``json``.
JSON_CODEC = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def make_engine(url, schema=None):
    """Create the engine for ``url``; on PostgreSQL, ``schema`` selects the schema to work in,
    and sessions keep time in UTC (``core.clock``).

    SQLite gets foreign keys enforced, write-ahead logging, and real transactions around DDL,
    so that a failed migration rolls back there as it does on PostgreSQL.  A transaction that
    read and then writes fails at once there if another connection committed since its read:
    a connection with the ``WRITES`` execution option begins with the write lock instead, and
    another such connection waits for it (up to 30 seconds).
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **JSON_CODEC)

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below govern
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            # Write-ahead logging: an open read transaction (a request's session) does not
            # block another connection's write (an enable), nor the reverse.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the file; a power cut may lose the last
            # commits, which FULL would keep at the price of a disk flush per commit.
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "begin")
        def _begin(connection):
            writes = connection.get_execution_options().get(WRITES)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

        return engine
    connect_args = {}
    if schema:  # given with the URL's own options, which connect_args would replace
        given = make_url(url).query.get("options")
        connect_args["options"] = " ".join(filter(None, [given, f"-csearch_path={schema}"]))
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True, **JSON_CODEC)

    @event.listens_for(engine, "connect")
    def _utc(dbapi_connection, _record):
        # A column's server default, now(), then holds what ``core.clock`` does.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        dbapi_connection.commit()

    return engine


def make_session_factory(engine):
    """Return the session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def in_period(column, start=None, end=None):
    """The condition that the date ``column`` falls from ``start`` to ``end``, both included,
    either left open when None (``core.schemas.PeriodSchema`` reads such a period)."""
    return and_(true(), *([column >= start] if start is not None else []),
                *([column <= end] if end is not None else []))


def locks_rows(session):
    """Whether ``session``'s database locks rows (PostgreSQL).  SQLite lets one writer in at a
    time and reads ``FOR UPDATE`` as nothing: a statement only taking a lock is skipped there."""
    return session.get_bind().dialect.name != "sqlite"
