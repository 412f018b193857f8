"""One preference row per party (its party unique): merging two parties that both have one
would clash, so the module's hook keeps the survivor's, as the partner guide's example does."""

from pathlib import Path

from sqlalchemy import column, delete, select, table

from core import hookimpl

PREFERENCE = table("party_preferences_preference", column("party_id"), column("note"))


@hookimpl
def comptoir_migrations():
    return Path(__file__).parent / "migrations"


@hookimpl
def comptoir_parties_merged(survivor, duplicate, session):
    if session.scalar(select(PREFERENCE.c.party_id).where(
            PREFERENCE.c.party_id == survivor.id)) is not None:
        session.execute(delete(PREFERENCE).where(PREFERENCE.c.party_id == duplicate.id))
