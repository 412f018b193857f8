"""``comptoir new-plugin``: write an installable module package from a template."""

from pathlib import Path

from core.errors import ValidationError
from core.manifest import NAME_PATTERN

TEMPLATE = Path(__file__).parent / "scaffold_template"


def scaffold_plugin(name, directory):
    """Create the package of module ``name`` in ``directory`` (which must not exist yet)."""
    if not NAME_PATTERN.match(name):
        raise ValidationError(
            f"{name!r} is not a module name: use lower-case letters, digits and underscores, "
            "starting with a letter", fields={"name": ["invalid module name"]}
        )
    raise ValidationError("scaffold template not written yet")
