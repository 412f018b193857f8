"""The time as Comptoir stores it: UTC, without a time zone.

Every timestamp column holds UTC: those the application sets (``utcnow``) and those the database
sets by default (SQLite's clock is UTC; PostgreSQL sessions are set to UTC, see
``core.db.make_engine``), so that they compare.  The API writes them with their offset
(``core.schemas.Timestamp``), pages with "UTC".
"""

from datetime import UTC, datetime


def utcnow():
    """The current time in UTC, without a time zone, as every timestamp column holds it."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_date(timestamp):
    """The calendar day the UTC ``timestamp`` (as a column holds it) fell on where Comptoir runs,
    the day ``date.today()`` gave then: what a date typed for a record (a delivery) compares
    with."""
    return timestamp.replace(tzinfo=UTC).astimezone().date()
