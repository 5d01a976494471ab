"""The worker a rebuild feeds as it goes (archive.index.workers.feed_aside): the full-text index
of a rebuild on cores is made there from each worker's database as soon as it is copied in
(archive.index.fulltext), not from all of them once the others have ended."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from pathlib import Path

import pytest

from archive.config import Settings
from archive.errors import ArchiveError
from archive.index import update_index
from archive.index.workers import feed_aside
from benchmarks.corpus import FIXTURES, build_corpus


def test_a_fed_worker_reads_what_is_sent_in_order_and_returns_its_result() -> None:
    fed = feed_aside(sum, 10)  # sum(items, 10) in the worker
    for number in (1, 2, 3):
        fed.send(number)
    assert fed.result() == 16


def test_what_a_fed_task_raises_is_raised_by_its_result() -> None:
    fed = feed_aside(sum, "")  # sum() refuses a string start
    fed.send(1)
    with pytest.raises(TypeError, match="sum"):
        fed.result()


def test_a_killed_fed_worker_is_told_by_its_result() -> None:
    fed = feed_aside(sum, 0)
    fed.send(1)
    os.kill(fed._process.pid, signal.SIGKILL)
    fed.send(2)  # (into a closed pipe: the result tells)
    with pytest.raises(BrokenProcessPool):
        fed.result()


def _killed(shards: object, *arguments: object) -> str:
    os._exit(9)  # as the kernel's out-of-memory killer would end it


def test_a_rebuild_whose_full_text_worker_is_killed_leaves_the_index_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.index import fulltext, update, workers

    build_corpus(tmp_path / "tei", 12, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    update_index(settings, full=True)
    with closing(sqlite3.connect(settings.index_path)) as db:
        before = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    # on workers, in scratch databases of 5 files each; forked, the worker runs the patch
    monkeypatch.setattr(workers, "PARALLEL_MIN", 2)
    monkeypatch.setattr(update, "CHUNK", 5)
    fork = multiprocessing.get_context("fork")
    monkeypatch.setattr(workers, "_pool_context", lambda: fork)
    monkeypatch.setattr(fulltext, "_build", _killed)
    with pytest.raises(ArchiveError, match="full-text worker was killed.*index is unchanged"):
        update_index(settings, full=True)
    with closing(sqlite3.connect(settings.index_path)) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone() == before
    assert not (tmp_path / ".index.sqlite.rebuild").exists()
