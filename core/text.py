"""Text a database cannot store, refused wherever text comes in (requests, the CLI)."""

NUL = "\x00"


def unstorable(text):
    """Why the database cannot store ``text``, or None: PostgreSQL refuses a NUL character, and
    no UTF-8 database takes an unpaired surrogate (``"\\ud800"`` in JSON, an undecodable byte
    in a command's argument)."""
    if NUL in text:
        return "Must not contain a NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Must not contain an unpaired surrogate."
    return None
