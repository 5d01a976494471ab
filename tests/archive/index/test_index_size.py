"""The index keeps the passages' texts packed and their full text as tokens only (issue 21: the
index was 1.7x the TEI), with the same search results and snippets as a full-text table holding
the texts, on both engines; a changed or removed document's words are no longer found."""

from __future__ import annotations

import sqlite3

import pytest

from archive.config import Settings
from archive.index import search_passages, update_index
from archive.index.lookup import fts_query
from archive.index.rows import extract

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

QUERIES = ["Trotsky", "revol*", "the revolution", "Paris Commune", "don't", "the", "of the",
           "Révolution", "commune paris", "zzzz"]


def _reference(settings: Settings, text: str) -> dict[tuple[str, str], str]:
    """(document, passage) → snippet, from an FTS5 table holding the texts (as the index's
    table did), of every leaf passage the indexer reads from the TEI files."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5 (doc UNINDEXED, target UNINDEXED, text, words,"
               " tokenize='unicode61 remove_diacritics 2')")
    for path in sorted(settings.tei_dir.glob("*.xml")):
        rows = extract(path, path.read_bytes(), ())
        db.executemany("INSERT INTO t (doc, target, text, words) VALUES (?, ?, ?, ?)",
                       [(rows.id, address, passage_text, words)
                        for address, _, passage_text, _, leaf, words in rows.passages if leaf])
    found = db.execute("SELECT doc, target, snippet(t, 2, '\ue000', '\ue001', '…', 16) FROM t"
                       " WHERE t MATCH ?", (fts_query(text),)).fetchall()
    db.close()
    return {(doc, target): snippet for doc, target, snippet in found}


@pytest.mark.parametrize("text", QUERIES)
def test_snippets_are_those_of_a_table_holding_the_texts(indexed_corpus: Settings,
                                                         text: str) -> None:
    total, hits = search_passages(indexed_corpus, {}, text, limit=1000)
    expected = _reference(indexed_corpus, text)
    assert total == len(expected)
    assert {(hit["doc"], hit["target"]): hit["snippet"] for hit in hits} == expected


def test_the_index_holds_no_passage_text_as_written(indexed_corpus: Settings) -> None:
    """The texts are packed, the full-text table holds tokens only: a sentence of a passage
    is nowhere in the index file as text."""
    sentence = "the opposition argued freely"
    assert any(sentence in path.read_text(encoding="utf-8")
               for path in indexed_corpus.tei_dir.glob("*.xml"))
    data = indexed_corpus.index_path.read_bytes()
    assert sentence.encode("utf-8") not in data
    assert sentence.encode("utf-16-le") not in data


def test_a_changed_or_removed_documents_words_are_gone(indexed_corpus: Settings) -> None:
    settings = indexed_corpus
    changed = settings.tei_dir / "paris_commune.xml"
    assert search_passages(settings, {}, "Versailles")[0] > 0
    changed.write_text(changed.read_text(encoding="utf-8").replace("Versailles", "Quinquagenary")
                       .replace("</body>", "<p>A barricade of quinquagenarians.</p></body>"),
                       encoding="utf-8")
    update_index(settings)
    assert search_passages(settings, {}, "Versailles")[0] == 0
    total, hits = search_passages(settings, {}, "quinquagenarians")
    assert total == 1
    assert hits[0]["snippet"] == "A barricade of \ue000quinquagenarians\ue001."
    assert search_passages(settings, {}, "Quinquagenary")[0] > 0
    changed.unlink()
    update_index(settings)
    for text in ("quinquagenarians", "Quinquagenary"):
        assert search_passages(settings, {}, text) == (0, [])
    if not settings.index_url:  # the full-text index is whole (SQLite's own check)
        db = sqlite3.connect(settings.index_path)
        db.execute("INSERT INTO passage_text (passage_text) VALUES ('integrity-check')")
        db.close()
    for text in QUERIES:
        total, hits = search_passages(settings, {}, text, limit=1000)
        assert {(hit["doc"], hit["target"]): hit["snippet"] for hit in hits} == _reference(
            settings, text)


def test_a_rebuild_is_published_whole(indexed_corpus: Settings) -> None:
    """A rebuild numbers every passage anew and makes the texts' dictionary anew (of its
    documents' texts): a published index gets every document again, not only those that
    changed (their passages' numbers collided with the others' published ones)."""
    settings = indexed_corpus
    changed = settings.tei_dir / "left_opposition.xml"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "</body>", "<p>" + "A barricade of quinquagenarians. " * 40 + "</p></body>"),
        encoding="utf-8")
    update_index(settings, full=True)
    for text in QUERIES:
        total, hits = search_passages(settings, {}, text, limit=1000)
        assert {(hit["doc"], hit["target"]): hit["snippet"] for hit in hits} == _reference(
            settings, text)
