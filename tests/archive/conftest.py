"""Fixtures of the archive tests: a data directory made of the small fixture corpus."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from dataclasses import replace
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


@pytest.fixture(scope="session")
def _indexed_folders() -> dict[tuple[tuple[str, str], ...], Path]:
    """Data directories indexed once in a session (no test changes them), by the documents
    added to the fixture corpus."""
    return {}


@pytest.fixture
def indexed_copy(request: pytest.FixtureRequest, corpus: Settings,
                 tmp_path_factory: pytest.TempPathFactory,
                 _indexed_folders: dict[tuple[tuple[str, str], ...], Path],
                 ) -> Callable[..., Settings]:
    """``indexed_copy({name: text, …})``: ``corpus`` with these documents added, indexed.

    As if the test had indexed its own copy, at a fraction of the time: the data directory is
    a copy of one indexed once per session (file times kept, so the index's stamps hold),
    and on PostgreSQL the database it is published to is shared by the tests until one
    changes it (see tests/postgres.py).
    """
    def make(documents: dict[str, str] | None = None) -> Settings:
        documents = documents or {}
        engine = (request.getfixturevalue("index_engine")
                  if "index_engine" in request.fixturenames else None)
        if (corpus.index_url and getattr(engine, "cluster", None) is None
                or not _unchanged(corpus)):
            for name, text in documents.items():
                (corpus.tei_dir / name).write_text(text, encoding="utf-8")
            update_index(corpus)
            return corpus
        key = tuple(sorted(documents.items()))
        folder = _indexed_folders.get(key)
        if folder is None:
            folder = tmp_path_factory.mktemp("indexed")
            shutil.copytree(corpus.data_dir, folder, dirs_exist_ok=True)
            for name, text in documents.items():
                (folder / "tei" / name).write_text(text, encoding="utf-8")
            with pytest.MonkeyPatch.context() as patch:
                patch.delenv("ARCHIVE_INDEX_URL", raising=False)
                update_index(Settings(data_dir=folder))
            _indexed_folders[key] = folder
        settings = corpus
        if corpus.index_url:
            engine.use(folder, files=True)  # type: ignore[union-attr]
            settings = replace(corpus, index_url=engine.url)  # type: ignore[union-attr]
        shutil.copytree(folder, corpus.data_dir, dirs_exist_ok=True)
        return settings

    return make


@pytest.fixture
def indexed_corpus(indexed_copy: Callable[..., Settings]) -> Settings:
    """The fixture corpus, indexed (see :func:`indexed_copy`)."""
    return indexed_copy()


def _unchanged(corpus: Settings) -> bool:
    """Whether ``corpus`` holds the fixture corpus as the ``corpus`` fixture copied it (no
    fixture before changed a document or the registry)."""
    return _contents(corpus.data_dir) == {
        **{f"tei/{path.name}": path.read_bytes() for path in CORPUS.glob("*.xml")},
        **_contents(CORPUS, "registry")}


def _contents(folder: Path, *under: str) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for part in (under or ("tei", "registry"))
            for path in (folder / part).rglob("*") if path.is_file()}


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
