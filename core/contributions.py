"""Records modules contribute by code through a collected hook (order types, invoice kinds)."""

from core.errors import ValidationError


def by_code(hook_caller, what):
    """Everything the enabled modules return from ``hook_caller`` (a collected hook returning
    lists of records with ``code`` and ``title``), as ``{code: record}`` in title order.

    Two modules contributing one code is an error naming both; ``what`` names the records in
    that message (``"order type"``).
    """
    found = {}
    owners = {}
    for impl in hook_caller.get_hookimpls():
        for record in impl.function():
            if record.code in found:
                raise ValidationError(f"{what} {record.code!r} is contributed by both "
                                      f"{owners[record.code]} and {impl.plugin_name}")
            found[record.code] = record
            owners[record.code] = impl.plugin_name
    return dict(sorted(found.items(), key=lambda pair: pair[1].title))


def one_of(records, code, field, what):
    """``records[code]``, or a ValidationError on ``field`` listing the known codes."""
    if code not in records:
        raise ValidationError(f"unknown {what} {code!r}",
                              fields={field: [f"Must be one of: {', '.join(records)}."]})
    return records[code]
