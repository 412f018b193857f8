"""Gapless document numbers: one counter row per sequence, taken inside the caller's transaction.

``next_number`` increments the row with ``UPDATE ... RETURNING``, so the row stays locked until
the transaction ends: two transactions never get the same number, and a rolled-back transaction
gives its number back, leaving no gap.
"""

from sqlalchemy import String, bindparam, insert, update
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.errors import ComptoirError


class MissingSequence(ComptoirError):
    """A number was asked of a sequence nobody created: a module's mistake (HTTP 500)."""

    status = 500


class Sequence(Base):
    """A named counter: the next value to hand out, and how its numbers are written."""

    __tablename__ = "core_sequence"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16))
    padding: Mapped[int] = mapped_column(default=5)
    next_value: Mapped[int] = mapped_column(default=1)


def ensure_sequence(session, code, prefix, padding=5):
    """Create the sequence ``code`` if it does not exist yet (a module calls this when enabled)."""
    if session.get(Sequence, code) is None:
        session.execute(insert(Sequence).values(code=code, prefix=prefix, padding=padding,
                                                next_value=1))


def next_number(session, code):
    """Take the next number of sequence ``code``, formatted (``SO-00001``); one statement."""
    row = session.execute(_TAKE_NUMBER, {"sequence": code}).one_or_none()
    if row is None:
        raise MissingSequence(f"there is no number sequence {code!r}: the module using it must "
                              "create it in one of its migrations")
    value, prefix, padding = row
    return f"{prefix}{value - 1:0{padding}d}"


def written_number(session, code, typed):
    """The number of sequence ``code`` that ``typed`` means, as the sequence writes its
    numbers: in capitals, with its prefix and the zeros people leave out ("so-9", "so 9" and
    "9" are ``SO-00009``); ``typed`` in capitals when it is not one of them."""
    text = typed.strip().upper()
    sequence = session.get(Sequence, code)
    if sequence is None:
        return text
    letters = sequence.prefix.upper().rstrip("- ")  # "so 9", "so9" too
    digits = text[len(letters):].lstrip("- ") if text.startswith(letters) else text
    if not (digits.isascii() and digits.isdigit()):
        return text
    return f"{sequence.prefix}{int(digits):0{sequence.padding}d}"


_table = Sequence.__table__  # a Core statement: no object of the session to keep in step
_TAKE_NUMBER = (update(_table).where(_table.c.code == bindparam("sequence"))
                .values(next_value=_table.c.next_value + 1)
                .returning(_table.c.next_value, _table.c.prefix, _table.c.padding))
