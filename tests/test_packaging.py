"""A wheel of Comptoir carries everything a non-editable install needs."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_migrations_templates_and_the_scaffold(tmp_path):
    source = tmp_path / "source"  # a clean copy: no build/ folder left by an earlier build
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "instance", "*.egg-info", "__pycache__", ".pytest_cache",
        ".hypothesis"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(source)],
        check=True, capture_output=True,
    )
    [wheel] = tmp_path.glob("comptoir-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "core/migrations/script.py.mako",
        "core/migrations/versions/core_0001_kernel_tables.py",
        "web/templates/base.html",
        "web/static/comptoir.css",
        "core/scaffold_template/setup.cfg.tmpl",
    ]:
        assert needed in names, needed
    assert not any(name.startswith("tests/") for name in names)
