"""Shared fixtures. Keep this small: one fixture per shared, expensive resource."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ../shared beside the checkout (read-only material: eval gold, tei_all.rng, TEI samples).
SHARED_DIR = Path(os.environ.get("ARCHIVE_SHARED_DIR",
                                 Path(__file__).resolve().parents[1].parent / "shared"))
TEI_ALL_RNG = Path(os.environ.get("ARCHIVE_TEI_ALL_RNG", SHARED_DIR / "tei" / "tei_all.rng"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared material; CI has it beside the checkout, so its absence is a failure."""
    assert SHARED_DIR.is_dir(), f"shared material not found at {SHARED_DIR}"
    return SHARED_DIR


@pytest.fixture(scope="session")
def tei_all() -> Path:
    """The official tei_all.rng, compiled once per test session (~20 s) via tei.validate's cache.

    Tests pass the returned path as ``rng=``; the compiled schema is reused from the cache.
    """
    from tei.validate import compile_relaxng

    assert TEI_ALL_RNG.is_file(), f"tei_all.rng not found at {TEI_ALL_RNG}"
    compile_relaxng(TEI_ALL_RNG)
    return TEI_ALL_RNG


@pytest.fixture(scope="session")
def built_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive built once per session (real readers, tagging, validation, index).

    Tests must not change it: copy it (``shutil.copytree``) to change anything.
    """
    from archive.build import build, sample_sources
    from archive.config import Settings

    data_dir = tmp_path_factory.mktemp("built") / "data"
    report = build(Settings(data_dir=data_dir), sample_sources())
    assert report.failures == []
    return data_dir
