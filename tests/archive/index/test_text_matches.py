"""A word's passages in a lookup (issue 21: at 60,000 EEBO-shaped books, 11.4 million passages,
a word with facets selected took 22 ms p95): read from FTS5 in spans of passage numbers, kept
as ranks in order where few, those of the chosen documents read as runs, counted by a passage
facet run by run, and remembered within a budget of bytes — the same passages, counts and rows
as before."""

from __future__ import annotations

import importlib
import sqlite3

import numpy as np
import pytest

from archive.config import Settings
from archive.index import lookup, update_index
from archive.index.db import connect, reader
from archive.index.lookup import postings as postings_of
from archive.index.postings import Counter
from benchmarks.corpus import build_eebo_corpus

matching = importlib.import_module("archive.index.matching")
postings_module = importlib.import_module("archive.index.postings")


@pytest.fixture(scope="module")
def segmented(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Twelve EEBO-shaped books (hundreds of passages each), rebuilt, then one of them changed:
    two segments, the changed book's passages numbered anew, past the others'."""
    folder = tmp_path_factory.mktemp("segmented")
    build_eebo_corpus(folder / "tei", 12)
    settings = Settings(data_dir=folder)
    update_index(settings, full=True)
    changed = folder / "tei" / "eebo-00002.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "<head>", "<head>Revolution of the ", 3), encoding="utf-8")
    update_index(settings)
    return settings


@pytest.mark.parametrize("query", ['"the"', '"lord" "king"', '"lo"*', '"revolution"',
                                  '"nowhere"'])
def test_a_words_passages_are_those_fts5_finds_read_in_spans(
        segmented: Settings, monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    monkeypatch.setattr(matching, "_SPAN", 64)  # a span of numbers: many of them here
    db = sqlite3.connect(segmented.index_path)
    try:
        expected = [row[0] for row in db.execute(
            "SELECT rowid FROM passage_text WHERE passage_text MATCH ? ORDER BY rowid",
            (query,))]
        found = matching.matching_passages(db, query)
    finally:
        db.close()
    assert isinstance(found, np.ndarray)
    assert found.tolist() == expected
    assert query == '"nowhere"' or expected[-1] // 64 > expected[0] // 64  # several spans


def test_the_passages_of_chosen_documents_are_read_as_runs(segmented: Settings) -> None:
    db = reader(segmented)
    db.execute("BEGIN")
    try:
        passages = postings_of(db).passages(db)
        assert passages.order is not None  # (two segments: passages numbered anew)
        rng = np.random.default_rng(7)
        for share in (0.0, 0.01, 0.3, 1.0):
            ranks = np.flatnonzero(rng.random(passages.count) < share).astype(np.int32)
            for docs in ([], [0], [1, 3], [0, 1, 2, 3]):
                doc_mask = np.isin(np.arange(len(passages.lengths)), docs)
                expected = [rank for rank in ranks.tolist() if passages.doc[rank] in docs]
                assert passages.within(ranks, doc_mask).tolist() == expected
                per_document = passages.per_document(ranks)
                assert per_document.tolist() == np.bincount(
                    passages.doc[ranks], minlength=len(passages.lengths)).tolist()
                assert passages.within(ranks, doc_mask, per_document).tolist() == expected
    finally:
        db.execute("COMMIT")


@pytest.mark.parametrize("word", ["revolution", "the"])  # few passages (ranks), many (a mask)
def test_a_words_passages_under_selections_are_those_of_sql(segmented: Settings,
                                                            word: str) -> None:
    db = connect(segmented)
    try:
        kind = db.execute("SELECT value FROM facet_values WHERE facet = 'kind'"
                          " AND doc = (SELECT doc FROM documents WHERE id = 'eebo-00002')"
                          ).fetchone()[0]
        expected = [row[0] for row in db.execute(
            "SELECT d.id || '#' || p.xml_id FROM passages p JOIN documents d USING (doc)"
            " WHERE p.passage IN (SELECT rowid FROM passage_text WHERE passage_text MATCH ?)"
            " AND p.doc IN (SELECT doc FROM facet_values WHERE facet = 'kind' AND value = ?)"
            " ORDER BY d.id, p.position", (f'"{word}"', kind))]
        passages = db.execute("SELECT COUNT(*) FROM passage_text").fetchone()[0]
    finally:
        db.close()
    assert 3 <= len(expected) * (1 if word == "the" else 64) < passages < len(expected) * (
        64 if word == "the" else 10**9)  # (the changed book's heads; "the": in most passages)
    for _ in range(2):  # the word's passages read, then remembered
        result = lookup(segmented, {"kind": [kind]}, word, limit=100)
        assert result["passage_count"] == len(expected)
        assert [f"{p['doc']}#{p['target']}" for p in result["passages"]] == expected[:100]


@pytest.mark.parametrize("rows_per_rank", [0.5, 3, 40])
@pytest.mark.parametrize("share", [0.0, 0.01, 0.05, 0.5, 1.0])  # runs read, or a mask
def test_a_counter_counts_the_rows_of_ranks_given(rows_per_rank: float, share: float) -> None:
    rng = np.random.default_rng(11)
    size, values = 2000, 40
    rows = rng.integers(0, size, int(size * rows_per_rank))
    value_ids = rng.integers(0, values, len(rows))
    chosen = np.flatnonzero(rng.random(size) < share)
    counter = Counter.of_rows(rows, value_ids, size, values)
    expected = np.bincount(value_ids[np.isin(rows, chosen)], minlength=values)
    assert counter.counts_at(chosen).tolist() == expected.tolist()
    assert counter.counts_at(chosen).tolist() == expected.tolist()  # (after its first count)


def test_remembered_matches_are_kept_within_a_budget_of_bytes(
        segmented: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings_module, "MATCH_BYTES", 3 * 800)
    db = reader(segmented)
    index = postings_of(db)
    index.matches.clear()
    for number in range(5):
        index.remembered(("test", number), lambda: np.zeros(100, dtype=np.int64))  # 800 bytes
    assert list(index.matches) == [("test", 2), ("test", 3), ("test", 4)]
    index.remembered(("test", "large"), lambda: np.zeros(1000, dtype=np.int64))
    assert list(index.matches) == [("test", "large")]  # the last, kept alone
    index.matches.clear()

