"""Database errors during a request: a schema behind the code says to upgrade, a database that
went away is a 503 to try again."""

import sqlite3

from psycopg.errors import DeadlockDetected
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core import outbox
from core.testing import api_client
from web.errors import SCHEMA_BEHIND


def test_a_table_missing_says_an_upgrade_is_pending(make_app, login):
    app = make_app()
    registry = app.extensions["comptoir"]
    api = api_client(app)
    with registry.engine.begin() as connection:  # as if the kernel's revision were not run
        connection.execute(text("DROP TABLE core_outbox"))

    answer = api.get("/api/v1/outbox")
    assert answer.status_code == 500
    assert answer.get_json()["message"] == SCHEMA_BEHIND
    web = app.test_client()
    login(web, "sales")
    page = web.get("/outbox/")
    assert page.status_code == 500 and "comptoir upgrade" in page.get_data(as_text=True)


def test_a_database_gone_away_is_a_503(make_app, monkeypatch):
    app = make_app()

    def gone(*_args):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(outbox, "list_messages", gone)
    answer = api_client(app).get("/api/v1/outbox")
    assert answer.status_code == 503
    assert "cannot be reached right now" in answer.get_json()["message"]


def test_sqlite_s_words_for_a_column_missing_on_writing_say_so_too(make_app, monkeypatch):
    app = make_app()

    def behind(*_args):
        raise OperationalError("INSERT INTO core_outbox ...", {}, sqlite3.OperationalError(
            "table core_outbox has no column named claimed_until"))

    monkeypatch.setattr(outbox, "list_messages", behind)
    answer = api_client(app).get("/api/v1/outbox")
    assert answer.status_code == 500 and answer.get_json()["message"] == SCHEMA_BEHIND


def test_a_request_given_up_for_another_at_the_same_moment_is_a_409(make_app, monkeypatch):
    app = make_app()

    def deadlocked(*_args):
        raise OperationalError("UPDATE core_order ...", {}, DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(outbox, "list_messages", deadlocked)
    answer = api_client(app).get("/api/v1/outbox")
    assert answer.status_code == 409
    assert answer.get_json()["message"] == ("Another change of the same records was being made "
                                            "at the same moment; nothing was changed: try again.")
