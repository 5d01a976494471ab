"""Answers kept by the process asking the queries (archive/search/answers.py): a query asked
again while nothing changed is answered without the workers, and never once anything did."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from archive.config import Settings
from archive.index.update import update_index
from archive.search import worker
from archive.search.corpus import evaluate_query, run_query

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The expressions the workers were given, in order (the workers still answer them)."""
    given: list[str] = []
    share = worker._share

    def counted(settings: Settings, expression: str, *args: Any, **kwargs: Any) -> Any:
        given.append(expression)
        return share(settings, expression, *args, **kwargs)

    monkeypatch.setattr(worker, "_share", counted)
    return given


def _quote_into_untitled_note(settings: Settings) -> None:
    path = settings.tei_dir / "untitled_note.xml"
    path.write_text(path.read_text().replace("none of its notes", "<quote>none</quote> of"))


@pytest.mark.parametrize(("expression", "of_corpus"), [
    ("//tei:quote", False),
    ("//tei:*[@ref = '#moscow']", False),
    ("count(distinct-values(//tei:persName/@ref))", True),
])
def test_a_repeated_query_is_answered_without_the_workers(
        indexed_corpus: Settings, asked: list[str], expression: str, of_corpus: bool) -> None:
    first = run_query(indexed_corpus, expression, corpus=of_corpus)  # asked once: not kept
    second = run_query(indexed_corpus, expression, corpus=of_corpus)  # asked again: kept
    again = run_query(indexed_corpus, expression, corpus=of_corpus)
    assert asked == [expression] * 2
    assert dataclasses.replace(again, elapsed_ms=0) == dataclasses.replace(first, elapsed_ms=0)
    assert again.hits == second.hits
    assert again.count > 0
    # what is asked is part of the answer's name: another limit asks the workers
    for _ in range(3):
        assert run_query(indexed_corpus, expression, corpus=of_corpus, limit=1).hits == \
            tuple(first.hits[:1])
    assert asked == [expression] * 4


def test_a_file_written_since_is_read_again(indexed_corpus: Settings,
                                            asked: list[str]) -> None:
    before = run_query(indexed_corpus, "//tei:quote")
    for _ in range(2):
        assert run_query(indexed_corpus, "//tei:quote").hits == before.hits
    assert len(asked) == 2
    _quote_into_untitled_note(indexed_corpus)  # in place: the folder itself does not change
    after = run_query(indexed_corpus, "//tei:quote")
    assert [hit.doc for hit in after.hits] == ["doc-paris-commune", "untitled_note"]
    assert after.hits == evaluate_query(indexed_corpus, "//tei:quote", limit=100,
                                        timeout=60).hits
    assert run_query(indexed_corpus, "//tei:quote").hits == after.hits
    assert len(asked) == 3
    update_index(indexed_corpus)  # the index's generation changes
    assert run_query(indexed_corpus, "//tei:quote").hits == after.hits
    assert len(asked) == 4
    (indexed_corpus.tei_dir / "untitled_note.xml").unlink()
    gone = run_query(indexed_corpus, "//tei:quote")
    assert [hit.doc for hit in gone.hits] == ["doc-paris-commune"]
    assert len(asked) == 5


def test_answers_cut_by_time_or_of_the_clock_or_without_a_cache_are_not_kept(
        indexed_corpus: Settings, asked: list[str]) -> None:
    without = dataclasses.replace(indexed_corpus, query_cache_mb=0)
    for _ in range(3):
        assert run_query(indexed_corpus, "//tei:p", timeout=0).truncated
        run_query(indexed_corpus, "//tei:p[string-length(string(current-dateTime())) > 0]")
        run_query(without, "//tei:quote")
    assert len(asked) == 9
    for _ in range(3):  # whole: kept (asked before, though cut by time then)
        run_query(indexed_corpus, "//tei:p")
    assert len(asked) == 10


def test_a_watched_folder_gives_the_same_stamps_while_nothing_is_written(
        indexed_corpus: Settings) -> None:
    from archive.xpath import tree_cache

    folder = indexed_corpus.tei_dir
    paths = [str(path) for path in sorted(folder.glob("*.xml"))]
    first = tree_cache.folder_stamps(folder, paths)
    if not tree_cache._WATCHED:
        pytest.skip("no inotify here: every file is stat'ed at each query")
    assert tree_cache.folder_stamps(folder, paths) is first
    _quote_into_untitled_note(indexed_corpus)
    now = tree_cache.folder_stamps(folder, paths)
    assert now is not first
    assert now == tree_cache.file_stamps(paths) != first
