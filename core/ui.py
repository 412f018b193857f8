"""Plain data that modules return from the web hooks: menu entries and extra form fields."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MenuEntry:
    """A link in the navigation bar.

    ``endpoint`` is a Flask endpoint name (``"blueprint.view"``); ``role`` limits the entry to
    users holding that role (give a page to several roles with an entry for each: the menu
    shows each page once); lower ``priority`` comes first.
    """

    title: str
    endpoint: str
    role: str | None = None
    priority: int = 100


@dataclass(frozen=True)
class FormField:
    """An extra input a module adds to an extensible form.

    ``kind`` is ``"text"``, ``"number"`` or ``"select"`` (with ``choices`` as ``(value, label)``
    pairs); ``max_length`` bounds the submitted text (set it to the column's size);
    ``value`` reads the current value from the record being edited.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple = ()
    max_length: int = 255
    value: object = field(default=None, compare=False)

    def current(self, record):
        """Return this field's value for ``record`` (``""`` for a new record)."""
        if record is None or self.value is None:
            return ""
        found = self.value(record)
        return "" if found is None else found
