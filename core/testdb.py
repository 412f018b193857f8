"""Initialised test databases kept for the length of a test run, and copied for each test.

Initialising a database (the kernel's and the modules' migrations, the checks that build the
application once per module enabled, the demo data) costs a test far more than the test
itself.  The first test asking for a given set-up initialises its database as usual; a
snapshot of it is then kept, and the later tests asking for the same set-up get a copy of
that snapshot instead.  An SQLite snapshot is a file, copied.  A PostgreSQL snapshot is a
schema of the test database, cloned with the table definitions pg_dump gives for it and one
``INSERT ... SELECT`` per table; a clone made in the background while the previous test ran
takes the place of the test's empty schema.
"""

import shutil
import sqlite3
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

_PREAMBLE = ("--", "\\", "SET ", "SELECT pg_catalog.set_config(")

# Stands for the schema name in the definitions pg_dump gave; never a valid identifier.
_SCHEMA = "\x00schema\x00"


@dataclass
class _Snapshot:
    """One kept database: an SQLite ``file`` or a PostgreSQL ``schema``, and a copy of the
    instance folder when the initialisation left something there."""

    instance: Path | None
    file: Path | None = None
    schema: "SchemaSnapshot | None" = None


class Snapshots:
    """Snapshots of initialised databases by key, in ``folder``, for one test run."""

    def __init__(self, folder):
        self.folder = folder
        self._taken = {}
        self._background = ThreadPoolExecutor(max_workers=1)

    def restore(self, key, settings, instance_path):
        """Copy the snapshot of ``key`` into the empty database of ``settings``; False if none."""
        snapshot = self._taken.get(key)
        if snapshot is None:
            return False
        if snapshot.instance is not None:
            shutil.copytree(snapshot.instance, instance_path, dirs_exist_ok=True)
        if snapshot.schema is not None:
            snapshot.schema.clone_into(settings["COMPTOIR_DATABASE_SCHEMA"], self._background)
        else:
            shutil.copyfile(snapshot.file, sqlite_path(settings))
        return True

    def take(self, key, settings, instance_path):
        """Keep the database of ``settings`` and the instance folder as the snapshot of ``key``."""
        name = f"snapshot-{len(self._taken)}"
        snapshot = _Snapshot(instance=None)
        if any(instance_path.iterdir()):
            snapshot.instance = self.folder / f"{name}-instance"
            shutil.copytree(instance_path, snapshot.instance)
        if "COMPTOIR_DATABASE_SCHEMA" in settings:
            snapshot.schema = SchemaSnapshot.of(settings["COMPTOIR_DATABASE_URL"],
                                                settings["COMPTOIR_DATABASE_SCHEMA"])
        else:
            snapshot.file = self.folder / f"{name}.sqlite"
            with closing(sqlite3.connect(sqlite_path(settings))) as source, \
                    closing(sqlite3.connect(snapshot.file)) as copy:
                source.backup(copy)  # consistent even with the test's connections open
        self._taken[key] = snapshot

    def close(self):
        """Drop the PostgreSQL schemas holding snapshots and their spare copies."""
        self._background.shutdown()
        for snapshot in self._taken.values():
            if snapshot.schema is not None:
                snapshot.schema.drop()
        self._taken.clear()


def sqlite_path(settings):
    """The file of the SQLite database ``settings`` point at."""
    return make_url(settings["COMPTOIR_DATABASE_URL"]).database


def libpq_url(url):
    """``url`` (an SQLAlchemy URL) as psycopg and pg_dump take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class SchemaSnapshot:
    """A copy of one initialised PostgreSQL schema, kept in a schema of its own.

    Rebuilding a schema takes the server a few tenths of a second, so a spare copy is always
    being rebuilt in the background while the test that got the previous one runs: handing it
    over is a rename (column defaults and constraints name sequences and tables by their ids,
    not by schema name).
    """

    def __init__(self, url, schema, before_data, after_data, tables, sequences):
        """Use :meth:`of`; ``sequences`` are ``(name, last value, is called)``."""
        self.url = url
        self.schema = schema
        self.before_data = before_data
        self.after_data = after_data
        self.tables = tables
        self.sequences = sequences
        self._spare = None  # the future name of the spare copy

    @classmethod
    def of(cls, url, source):
        """Snapshot schema ``source`` of the database at ``url`` (an SQLAlchemy URL)."""
        url = libpq_url(url)
        before_data, after_data = (_definitions(url, source, section)
                                   for section in ("pre-data", "post-data"))
        with psycopg.connect(url) as connection:
            tables = [row[0] for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                [source])]
            names = [row[0] for row in connection.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", [source])]
            sequences = [(name, *connection.execute(
                f'SELECT last_value, is_called FROM "{source}"."{name}"').fetchone())
                for name in names]
        snapshot = cls(url, source, before_data, after_data, tables, sequences)
        snapshot.schema = snapshot._new_copy()
        return snapshot

    def clone_into(self, target, background):
        """Give the empty schema ``target`` the tables, rows and sequences of the snapshot.

        ``background`` (an executor) rebuilds the next spare copy.
        """
        spare, self._spare = self._spare, None
        with psycopg.connect(self.url) as connection:
            if spare is not None and spare.exception() is None:
                connection.execute(f'DROP SCHEMA "{target}"')
                connection.execute(f'ALTER SCHEMA "{spare.result()}" RENAME TO "{target}"')
            else:
                connection.execute(self._copy_statements(target))
        self._spare = background.submit(self._new_copy)

    def _new_copy(self):
        name = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(self.url) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"')
            connection.execute(self._copy_statements(name))
        return name

    def _copy_statements(self, target):
        statements = [self.before_data.replace(_SCHEMA, target)]
        statements += [f'INSERT INTO "{target}"."{table}" SELECT * FROM "{self.schema}"."{table}"'
                       for table in self.tables]
        statements += [f"SELECT pg_catalog.setval('\"{target}\".\"{name}\"', {value}, {called})"
                       for name, value, called in self.sequences]
        statements.append(self.after_data.replace(_SCHEMA, target))
        return ";\n".join(statements)

    def drop(self):
        """Drop the schema holding the snapshot, and its spare copy."""
        schemas = [self.schema]
        if self._spare is not None and self._spare.exception() is None:
            schemas.append(self._spare.result())
        with psycopg.connect(self.url, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _definitions(url, schema, section):
    """pg_dump's definitions of ``section`` for ``schema``, the schema's name made a stand-in.

    Left out: the settings pg_dump starts with (its empty ``search_path`` would outlive the
    clone on its connection; the definitions name their schema anyway), its psql commands
    (``\\restrict``), the schema itself (the target exists), owners and privileges.
    """
    dumped = subprocess.run(
        ["pg_dump", "--dbname", url, "--schema", schema, "--section", section,
         "--no-owner", "--no-privileges"],
        check=True, capture_output=True, text=True,
    ).stdout
    lines = dumped.splitlines()
    while lines and (not lines[0].strip() or lines[0].startswith(_PREAMBLE)):
        lines.pop(0)
    text = "\n".join(line for line in lines
                     if line != f"CREATE SCHEMA {schema};" and not line.startswith("\\"))
    return _quoted_schema(text, schema)


def _quoted_schema(text, schema):
    """``text`` with every mention of ``schema`` (quoted or not) replaced by the stand-in."""
    return text.replace(f'"{schema}".', f'"{_SCHEMA}".').replace(f"{schema}.", f'"{_SCHEMA}".')
