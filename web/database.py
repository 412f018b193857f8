"""The registry and the database session of the current request."""

from flask import current_app, g


def registry():
    """The module registry of the running application."""
    return current_app.extensions["comptoir"]


def db():
    """The request's SQLAlchemy session; views commit it, anything left uncommitted rolls back."""
    if "db_session" not in g:
        g.db_session = registry().session_factory()
    return g.db_session


def close_session(_exc=None):
    """Close the request's session when the request ends; what was not committed rolls back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
