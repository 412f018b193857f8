"""A wheel of Comptoir carries everything a non-editable install needs."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("core", "plugins", "web")  # the packages of the distribution


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of this tree, and what the build printed."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"  # a clean copy: no build/ folder left by an earlier build
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "instance", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(folder), str(source)],
        capture_output=True, text=True,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = folder.glob("comptoir-*.whl")
    return set(zipfile.ZipFile(path).namelist()), built.stdout + built.stderr


def tracked_files():
    """The files git tracks under the shipped packages, as POSIX paths."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", *SHIPPED], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to compare the wheel with")
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_the_wheel_holds_migrations_templates_and_the_scaffold(wheel):
    names, _ = wheel
    for needed in [
        "core/migrations/script.py.mako",
        "core/migrations/versions/core_0001_kernel_tables.py",
        "core/document_templates/document.html",
        "web/templates/base.html",
        "web/static/comptoir.css",
        "core/scaffold_template/setup.cfg.tmpl",
    ]:
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)


def test_the_wheel_holds_every_module_s_migrations_and_documents(wheel):
    names, _ = wheel
    modules = sorted(p.parent for p in (ROOT / "plugins").glob("*/manifest.toml"))
    assert modules, "the built-in modules"
    for module in modules:
        for folder in ("migrations", "documents"):
            for path in sorted((module / folder).glob("*")):
                if path.is_file() and path.suffix in (".py", ".html"):
                    assert path.relative_to(ROOT).as_posix() in names, path


def test_the_wheel_holds_every_file_tracked_under_the_packages(wheel):
    names, _ = wheel
    missing = [name for name in tracked_files() if name not in names]
    assert not missing, f"left out of the wheel: {missing}"


def test_the_build_takes_no_data_folder_for_a_package_left_out(wheel):
    _, output = wheel
    assert "would be ignored" not in output and "is absent from the" not in output, output
