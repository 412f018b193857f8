"""``comptoir new-plugin``: what it refuses, what it writes, and a partner's whole story with it.

The end-to-end test does what a partner does, through the real command line: scaffold a package,
``pip install -e`` it into this environment, initialise a database, find the module in
``comptoir modules list``, enable it, and run the package's own tests.  It runs on each database
given to ``--comptoir-db``.
"""

import ast
import configparser
import os
import re
import subprocess
import sys
import tomllib
import uuid
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from core.db import make_engine
from core.errors import ValidationError
from core.manifest import read_manifest
from core.scaffold import scaffold_plugin
from web.cli import main

COMPTOIR = Path(sys.executable).parent / "comptoir"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]


def run(args, env=None, cwd=None):
    """Run a command to completion; fail the test with its output unless it succeeds."""
    result = subprocess.run(
        [str(arg) for arg in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited with {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout


def new_plugin(*args):
    """Invoke ``comptoir new-plugin ARGS`` in this process."""
    return CliRunner().invoke(main, ["new-plugin", *map(str, args)])


def package_files(directory):
    """Every file under ``directory``, as sorted relative POSIX paths."""
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


# --- Refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("Shop", "lower-case letters"),
        ("my-shop", "lower-case letters"),
        ("9lives", "starting with a letter"),
        ("", "lower-case letters"),
        ("core", "the kernel already uses this name"),
        ("admin", "the kernel already uses this name"),
        ("a" * 28, "at most 27 characters"),
    ],
)
def test_an_invalid_name_is_refused(tmp_path, name, reason):
    result = new_plugin(name, tmp_path / "out")

    assert result.exit_code == 1, result.output
    assert f"Error: {name!r} is not a valid module name" in result.output
    assert reason in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")

    result = new_plugin("shop", target)

    assert result.exit_code == 1, result.output
    assert f"Error: {target} already exists and is not empty" in result.output
    assert package_files(target) == ["notes.txt"]
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_file_in_the_way_is_refused(tmp_path):
    target = tmp_path / "file"
    target.write_text("", encoding="utf-8")

    assert new_plugin("shop", target).exit_code != 0
    with pytest.raises(ValidationError, match="is not a directory"):
        scaffold_plugin("shop", target)


# --- What it writes ---------------------------------------------------------------------------


def test_the_package_is_complete_and_every_placeholder_is_filled(tmp_path):
    target = tmp_path / "empty"
    target.mkdir()  # an existing empty directory is fine

    result = new_plugin("gift_card", target)

    assert result.exit_code == 0, result.output
    assert f"pip install -e {target}" in result.output
    assert package_files(target) == [
        "README.md",
        "comptoir_gift_card/__init__.py",
        "comptoir_gift_card/manifest.toml",
        "comptoir_gift_card/migrations/gift_card_0001_create_items.py",
        "comptoir_gift_card/models.py",
        "comptoir_gift_card/templates/gift_card/index.html",
        "comptoir_gift_card/views.py",
        "pyproject.toml",
        "setup.cfg",
        "tests/test_gift_card.py",
    ]
    for relative in package_files(target):
        text = (target / relative).read_text(encoding="utf-8")
        assert "$" not in text and "TODO" not in text, relative

    manifest = read_manifest(target / "comptoir_gift_card")
    assert (manifest.name, manifest.version, manifest.depends) == ("gift_card", "0.1.0", ())

    setup = configparser.ConfigParser()
    setup.read(target / "setup.cfg")
    assert setup["metadata"]["name"] == "comptoir-gift-card"
    assert setup["metadata"]["version"] == "0.1.0"
    entry_point = setup["options.entry_points"]["comptoir.plugins"].strip()
    assert entry_point == "gift_card = comptoir_gift_card"
    package_data = setup["options.package_data"]["comptoir_gift_card"]
    for pattern in ("manifest.toml", "templates/**/*", "static/**/*", "documents/**/*",
                    "migrations/*.py"):
        assert pattern in package_data.split(", "), pattern

    build = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]
    assert build["build-backend"] == "setuptools.build_meta"


def test_the_python_files_parse_and_document_their_public_functions(tmp_path):
    target = scaffold_plugin("gift_card", tmp_path / "pkg")

    for path in sorted(target.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        assert ast.get_docstring(tree), f"{path}: no module docstring"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                assert ast.get_docstring(node), f"{path}: {node.name} has no docstring"

    migration = target / "comptoir_gift_card/migrations/gift_card_0001_create_items.py"
    constants = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.parse(migration.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert constants == {
        "revision": "gift_card_0001",
        "down_revision": None,
        "branch_labels": ("gift_card",),
        "depends_on": None,
    }
    models = (target / "comptoir_gift_card/models.py").read_text(encoding="utf-8")
    assert "class GiftCardItem(Base):" in models
    assert '__tablename__ = "gift_card_item"' in models


def test_a_wheel_of_the_package_ships_the_folders_the_hooks_return(tmp_path):
    """A module's document templates and static files reach a non-editable install."""
    target = scaffold_plugin("gift_card", tmp_path / "pkg")
    package = target / "comptoir_gift_card"
    data = ["documents/quotation.html", "documents/parts/terms.html", "static/gift.css"]
    for relative in data:
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text("<p>shipped</p>", encoding="utf-8")

    run([*PIP, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", tmp_path / "dist", target])

    [wheel] = (tmp_path / "dist").glob("comptoir_gift_card-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for relative in [*data, "manifest.toml", "migrations/gift_card_0001_create_items.py",
                     "templates/gift_card/index.html"]:
        assert f"comptoir_gift_card/{relative}" in names, relative


# --- A partner's story, end to end ------------------------------------------------------------


@pytest.fixture(scope="module")
def partner_package(tmp_path_factory):
    """A package made by ``comptoir new-plugin``, installed editable for this module's tests."""
    name = f"partner_{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("partner") / f"comptoir-{name.replace('_', '-')}"
    output = run([COMPTOIR, "new-plugin", name, directory])
    assert output.startswith("Created "), output
    try:
        run([*PIP, "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
             "-e", directory])
        yield name, directory
    finally:
        run([*PIP, "uninstall", "--yes", "--quiet", f"comptoir-{name.replace('_', '-')}"])


def cli_environment(comptoir_db, instance):
    """This process's environment, with the Comptoir settings pointing at the test database."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("COMPTOIR_") or key == "COMPTOIR_TEST_POSTGRESQL_URL"
    }
    env.update(comptoir_db)
    env.update(COMPTOIR_INSTANCE_PATH=str(instance), COMPTOIR_SECRET_KEY="scaffold-test-secret")
    return env


def module_state(listing, name):
    """The state ``comptoir modules list`` shows for ``name``: "enabled" or "not enabled"."""
    for line in listing.splitlines():
        words = line.split()
        if words and words[0] == name:
            return "not enabled" if words[2] == "not" else words[2]
    pytest.fail(f"{name} is not in `comptoir modules list`:\n{listing}")


def table_names(comptoir_db):
    """The tables of the test database (of its schema, on PostgreSQL)."""
    engine = make_engine(
        comptoir_db["COMPTOIR_DATABASE_URL"], comptoir_db.get("COMPTOIR_DATABASE_SCHEMA")
    )
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_a_partner_scaffolds_installs_enables_and_tests_a_module(
    partner_package, comptoir_db, tmp_path
):
    name, directory = partner_package
    env = cli_environment(comptoir_db, tmp_path)

    assert "Enabled modules: none" in run([COMPTOIR, "init", "--bare"], env=env)
    assert module_state(run([COMPTOIR, "modules", "list"], env=env), name) == "not enabled"

    assert f"Enabled: {name}" in run([COMPTOIR, "modules", "enable", name, "--yes"], env=env)
    assert module_state(run([COMPTOIR, "modules", "list"], env=env), name) == "enabled"
    assert f"{name}_item" in table_names(comptoir_db)

    backend = "postgresql" if "COMPTOIR_DATABASE_SCHEMA" in comptoir_db else "sqlite"
    report = run(
        [sys.executable, "-m", "pytest", directory / "tests", "-q", "-p", "no:cacheprovider",
         f"--comptoir-db={backend}"],
        env=env, cwd=directory,
    )
    assert re.search(r"\b\d+ passed\b", report) and "failed" not in report, report
