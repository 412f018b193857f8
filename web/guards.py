"""Checks every request passes before any view runs, whichever module serves it."""

import json

from flask import request
from flask_smorest import abort as smorest_abort
from werkzeug.exceptions import BadRequest, NotFound, UnsupportedMediaType

from core.errors import ValidationError
from core.text import unstorable
from web.auth import is_api_request


def _json_problems(value, path=()):
    """Yield ``(path, message)`` for every JSON key or string the database cannot store, the
    path the keys leading to it (``("items", 0, "name")``)."""
    children = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ()
    )
    if isinstance(value, str) and (message := unstorable(value)):
        yield path or ("body",), message
    for key, item in children:
        if message := unstorable(str(key)):
            yield (*path, key), message
        yield from _json_problems(item, (*path, key))


def _nested(problems):
    """``{"items": {0: {"name": [message]}}}`` of ``(path, message)`` pairs: the shape
    marshmallow gives a body's errors, so that a client reads them where it reads the others.
    (A key the database cannot store, whose value cannot be stored either, is told once.)"""
    tree = {}
    for path, message in problems:
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                break
        else:
            node.setdefault(path[-1], [message])
    return tree


def refuse_unstorable_text():
    """Refuse (422, per field) text the database cannot store: a NUL character, an unpaired
    surrogate.

    Done once here for the kernel and every module, in form fields, query arguments and JSON
    bodies, so that no view ever hands such text to the database.
    """
    if unstorable(request.path):  # nothing stored is named so
        raise NotFound()
    body = {name: [why] for name, why in sorted(_problems(request.form).items())}
    if request.is_json:
        body.update(_nested(_json_problems(request.get_json(silent=True))))
    query = {name: [why] for name, why in sorted(_problems(request.args).items())}
    by_location = {location: problems for location, problems
                   in (("query", query), ("json", body)) if problems}
    if not by_location:
        return
    first = next(iter(by_location.values()))
    message = f"text that cannot be stored: {_first_message(first)}"
    if is_api_request():  # each message where the request carried it, as flask-smorest says
        smorest_abort(422, message=message, errors=by_location)
    raise ValidationError(message, fields={name: messages for fields in by_location.values()
                                           for name, messages in fields.items()})


def _first_message(tree):
    """The first message of ``{field: [message] or {...}}``."""
    value = next(iter(tree.values()))
    return value[0] if isinstance(value, list) else _first_message(value)


def _problems(values):
    """``{name: why}`` of the fields of ``values`` (form fields or query arguments) whose name
    or text cannot be stored."""
    problems = {}
    for key, value in values.items(multi=True):
        message = unstorable(key) or unstorable(value)
        if message:
            problems[key] = message
    return problems


def refuse_api_bodies_not_json():
    """Refuse (415) an API request with a body that is not JSON: a form-encoded body would
    read as an empty one, and be refused field by field for what it does hold."""
    if not is_api_request() or request.is_json:
        return
    # A chunked body has no Content-Length: read it (kept for the view) to know it is empty.
    has_body = request.content_length or (
        "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        and request.get_data(cache=True))
    if has_body:
        raise UnsupportedMediaType("The API takes JSON bodies: send Content-Type: "
                                   "application/json.")


# Deeper than any body the API reads, far shallower than Python's recursion limit: a body
# nested just short of that limit is read here but not by the parser of a view's arguments,
# which runs further down the stack.
MAX_JSON_DEPTH = 100
_TOO_DEEP = f"The body nests arrays or objects more than {MAX_JSON_DEPTH} deep."


def refuse_unreadable_json():
    """Refuse (400) a JSON body nesting arrays or objects more than :data:`MAX_JSON_DEPTH`
    deep, or holding a whole number of more than 4,300 digits (Python's guard against numbers
    slow to convert).  Python's parser would fail on either, although it is JSON, and the
    parser of a view's arguments answers 400 only for a body that is not: an error of the
    server."""
    if not request.is_json:
        return
    try:
        body = request.get_json(silent=True)  # kept for the other guards and the views
        if body is None:
            json.loads(request.get_data(cache=True))
            return  # the body is null
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # not JSON: the view's parser says so
    except RecursionError:
        message = _TOO_DEEP
    except ValueError:
        message = "A number in the body has more digits than can be read (4,300 at most)."
    else:
        data = request.get_data(cache=True)
        if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH or (
                _depth(body) <= MAX_JSON_DEPTH):
            return
        message = _TOO_DEEP
    if is_api_request():
        smorest_abort(400, message=message, errors={"json": [message]})
    raise BadRequest(message)


def _depth(value):
    """How deep arrays and objects nest in the JSON ``value`` (0 for a string or a number),
    counted up to one more than :data:`MAX_JSON_DEPTH`, without recursion."""
    deepest, waiting = 0, [(value, 1)]
    while waiting and deepest <= MAX_JSON_DEPTH:
        node, depth = waiting.pop()
        children = node.values() if isinstance(node, dict) else (
            node if isinstance(node, list) else None)
        if children is not None:
            deepest = max(deepest, depth)
            waiting.extend((child, depth + 1) for child in children)
    return deepest
