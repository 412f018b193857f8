"""URL converters shared by the kernel's and the modules' routes."""

from werkzeug.routing import IntegerConverter

from core.db import MAX_ID


class IdConverter(IntegerConverter):
    """``<id:name>``: a record id; a number too large to be an id is simply not found (404)."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)
