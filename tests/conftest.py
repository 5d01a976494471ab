"""Shared fixtures. Keep this small: one fixture per shared, expensive resource."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TEI_ALL_RNG = Path(os.environ.get("ARCHIVE_TEI_ALL_RNG", "/work/shared/tei/tei_all.rng"))


@pytest.fixture(scope="session")
def tei_all() -> Path:
    """The official tei_all.rng, compiled once per test session (~20 s) via tei.validate's cache.

    Tests pass the returned path as ``rng=``; the compiled schema is reused from the cache.
    """
    from tei.validate import compile_relaxng

    if not TEI_ALL_RNG.is_file():
        pytest.skip(f"tei_all.rng not found at {TEI_ALL_RNG}")
    compile_relaxng(TEI_ALL_RNG)
    return TEI_ALL_RNG
