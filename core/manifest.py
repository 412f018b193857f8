"""A module's manifest: the static facts about it, read without importing the module."""

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.errors import ValidationError

MANIFEST_FILE = "manifest.toml"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
KERNEL_NAME = "core"  # the kernel's migration branch and version table
# A module's version table is alembic_version_<name>; PostgreSQL names hold 63 characters.
MAX_NAME_LENGTH = 63 - len("alembic_version_")


@dataclass(frozen=True)
class Manifest:
    """Name, version, title, summary and dependencies of a module (its ``manifest.toml``)."""

    name: str
    version: str
    title: str
    summary: str = ""
    depends: tuple[str, ...] = ()


def version_key(version):
    """Turn a dotted version such as ``"1.2.0"`` into ``(1, 2, 0)`` for comparison."""
    return tuple(int(part) for part in version.split("."))


def read_manifest(folder):
    """Read and check ``folder``'s manifest; raise ValidationError naming what is wrong."""
    path = Path(folder) / MANIFEST_FILE
    if not path.is_file():
        raise ValidationError(f"{path}: no manifest")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    problems = {}
    for key in ("name", "version", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems[key] = ["required text"]
    if "name" not in problems and not NAME_PATTERN.match(data["name"]):
        problems["name"] = ["lower-case letters, digits and underscores, starting with a letter"]
    elif "name" not in problems and len(data["name"]) > MAX_NAME_LENGTH:
        problems["name"] = [f"at most {MAX_NAME_LENGTH} characters"]
    elif "name" not in problems and data["name"] == KERNEL_NAME:
        problems["name"] = [f"{KERNEL_NAME!r} is the kernel's own name"]
    if "version" not in problems and not re.match(r"^\d+(\.\d+)*$", data["version"]):
        problems["version"] = ["dotted numbers such as 1.0.0"]
    depends = data.get("depends", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        problems["depends"] = ["a list of module names"]
    unknown = set(data) - {"name", "version", "title", "summary", "depends"}
    for key in sorted(unknown):
        problems[key] = ["unknown manifest key"]
    if problems:
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in problems.items())
        raise ValidationError(f"{path}: {details}", fields=problems)
    return Manifest(
        name=data["name"],
        version=data["version"],
        title=data["title"],
        summary=data.get("summary", ""),
        depends=tuple(depends),
    )
