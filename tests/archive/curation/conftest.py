"""Fixtures of the curation tests: a copy of the built sample archive per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.config import Settings


@pytest.fixture
def data(built_archive: Path, tmp_path: Path) -> Settings:
    """A data directory: a copy of the sample archive (built, tagged, indexed)."""
    shutil.copytree(built_archive, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data")
