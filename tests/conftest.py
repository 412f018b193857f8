"""Offer the kernel-exercising modules under tests/modules to every test."""

import gc
from pathlib import Path

import pytest

MODULES = Path(__file__).parent / "modules"


@pytest.fixture
def comptoir_modules():
    return {
        folder.name: f"tests.modules.{folder.name}"
        for folder in sorted(MODULES.iterdir())
        if (folder / "manifest.toml").is_file()
    }


def pytest_collection_finish(session):
    """Keep the garbage collector from scanning what collecting the tests imported.

    Every test builds applications that leave reference cycles behind, so full collections run
    often, and each one went through every object of the libraries loaded (a large share of
    the suite's time).  Objects frozen here are never collected, and never need to be.
    """
    gc.collect()
    gc.freeze()
