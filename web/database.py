"""The registry and the database session of the current request."""

from flask import current_app, g, has_request_context, request

# Requests that change nothing: their session reads beside the other workers' writes.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READS_ONLY = "comptoir_reads_only"  # the mark ``reads_only`` puts on a view


def registry():
    """The module registry of the running application."""
    return current_app.extensions["comptoir"]


def db():
    """The request's SQLAlchemy session; views commit it, anything left uncommitted rolls back.

    The session of a request that may change something (any method but GET, HEAD and OPTIONS)
    is a writing one (``Registry.writing_session``): on SQLite, two workers' such requests take
    turns instead of one failing.  Views marked :func:`reads_only`, and commands, get a plain
    session."""
    if "db_session" not in g:
        writes = has_request_context() and request_may_write()
        g.db_session = registry().writing_session() if writes else registry().session_factory()
    return g.db_session


def request_may_write():
    """Whether the current request may change something: its method is not GET, HEAD or
    OPTIONS, and its view is not marked :func:`reads_only`."""
    return request.method not in SAFE_METHODS and not getattr(
        current_app.view_functions.get(request.endpoint), READS_ONLY, False)


def reads_only(view):
    """Mark a view that never writes whatever its method (a login form, a price simulation):
    its session is a plain one, so that on SQLite it does not hold the write lock, and keep
    other workers' writes waiting, while it works.  Put it next to the view function, under the
    other decorators; a marked view that writes may meet "database is locked" on SQLite."""
    setattr(view, READS_ONLY, True)
    return view


def release_request_transaction():
    """End the request's transaction before an action that runs in a transaction of its own,
    such as enabling a module: on SQLite the request's would hold the write lock that the
    action waits for.  Call it before the view writes anything: what the request's session
    has not committed is rolled back, and its objects reload when next read."""
    if "db_session" in g:
        g.db_session.rollback()


def close_session(_exc=None):
    """Close the request's session when the request ends; what was not committed rolls back."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
