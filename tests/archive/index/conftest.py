"""Fixtures of the index tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.config import Settings
from archive.index import update_index

#: Passages inside passages, names inside names.
NESTED = Path(__file__).parents[2] / "fixtures" / "mentions" / "nested_mentions.xml"


@pytest.fixture
def rebuilt_on_workers(corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The fixture corpus and a document of nested passages and names (past the first
    worker's files), rebuilt on workers in scratch databases of two files each (the rebuild
    then renumbers each one's values and moves its passages)."""
    from archive.index import update, workers

    shutil.copy(NESTED, corpus.tei_dir / "z_nested_mentions.xml")
    monkeypatch.setattr(workers, "PARALLEL_MIN", 2)
    monkeypatch.setattr(update, "CHUNK", 2)
    update_index(corpus, full=True)
    return corpus
