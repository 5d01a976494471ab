"""Fixtures of the archive tests: a data directory made of the small fixture corpus."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from archive.config import Settings
from archive.index.update import update_index

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Settings:
    """A data directory holding copies of the fixture corpus and its registry (not indexed)."""
    (tmp_path / "tei").mkdir()
    for path in CORPUS.glob("*.xml"):
        shutil.copy(path, tmp_path / "tei" / path.name)
    shutil.copytree(CORPUS / "registry", tmp_path / "registry")
    return Settings(data_dir=tmp_path)


@pytest.fixture
def indexed_corpus(corpus: Settings) -> Settings:
    """The fixture corpus, indexed."""
    update_index(corpus)
    return corpus


class Channel:
    """Stands for one end of a query worker's pipe: what the worker sends, unpickled."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(pickle.loads(pickle.dumps(message)))

    def send_bytes(self, data: Any) -> None:
        self.sent.append(pickle.loads(data))


@pytest.fixture
def channel() -> type[Channel]:
    """Make pipe ends that keep what a query worker sends (``channel()``)."""
    return Channel
