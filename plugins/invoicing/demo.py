"""Demo data of the invoicing module."""


def load(session, hook):
    """Nothing yet."""
