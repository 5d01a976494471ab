"""A word's passages in a lookup (issue 21: at 60,000 EEBO-shaped books, 11.4 million passages,
a word with facets selected took 22 ms p95): read from FTS5 in spans of passage numbers — the
same passages, counts and rows as before."""

from __future__ import annotations

import importlib
import sqlite3

import numpy as np
import pytest

from archive.config import Settings
from archive.index import lookup, update_index
from archive.index.db import connect
from benchmarks.corpus import build_eebo_corpus

matching = importlib.import_module("archive.index.matching")


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


def test_a_words_passages_under_selections_are_those_of_sql(segmented: Settings) -> None:
    db = connect(segmented)
    try:
        kind = db.execute("SELECT value FROM facet_values WHERE facet = 'kind'"
                          " AND doc = (SELECT doc FROM documents WHERE id = 'eebo-00002')"
                          ).fetchone()[0]
        expected = [row[0] for row in db.execute(
            "SELECT d.id || '#' || p.xml_id FROM passages p JOIN documents d USING (doc)"
            " WHERE p.passage IN (SELECT rowid FROM passage_text"
            "  WHERE passage_text MATCH '\"revolution\"')"
            " AND p.doc IN (SELECT doc FROM facet_values WHERE facet = 'kind' AND value = ?)"
            " ORDER BY d.id, p.position", (kind,))]
    finally:
        db.close()
    assert len(expected) >= 3  # (the changed book's heads)
    for _ in range(2):  # the word's passages read, then remembered
        result = lookup(segmented, {"kind": [kind]}, "revolution", limit=1000)
        assert result["passage_count"] == len(expected)
        assert [f"{p['doc']}#{p['target']}" for p in result["passages"]] == expected

