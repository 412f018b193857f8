"""Offer the kernel-exercising modules under tests/modules to every test."""

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
