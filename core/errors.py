"""Named errors with user-facing messages; the web layer turns each into one HTTP status."""


class ComptoirError(Exception):
    """Base of every error a user is meant to read; ``status`` is its HTTP status code."""

    status = 400

    def __init__(self, message, *, fields=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(ComptoirError):
    """Input is invalid; ``fields`` maps a field name to its list of messages (HTTP 422)."""

    status = 422


class Conflict(ComptoirError):
    """The request clashes with the current state of a record (HTTP 409)."""

    status = 409


class NotFound(ComptoirError):
    """The record or module asked for does not exist (HTTP 404)."""

    status = 404


class Forbidden(ComptoirError):
    """The user lacks the role the action needs (HTTP 403)."""

    status = 403
