"""Engines: what every connection is set up with."""

import pytest

from core.db import make_engine


def test_postgresql_sessions_run_in_utc_with_the_urls_own_options(comptoir_db):
    url, schema = comptoir_db["COMPTOIR_DATABASE_URL"], comptoir_db.get("COMPTOIR_DATABASE_SCHEMA")
    if not url.startswith("postgres"):
        pytest.skip("connection options and time zones are PostgreSQL's")
    engine = make_engine(f"{url}?options=-cstatement_timeout%3D1234", schema)
    try:
        with engine.connect() as connection:
            setting = connection.exec_driver_sql
            assert setting("SHOW statement_timeout").scalar() == "1234ms"
            assert setting("SHOW search_path").scalar() == schema
            assert setting("SHOW timezone").scalar() == "UTC"
    finally:
        engine.dispose()
