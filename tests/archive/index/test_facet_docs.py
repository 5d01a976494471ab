"""Each document's facet rows are one packed record (``facet_docs``; issue 21: one B-tree row
per (document, value, passage) was 0.10x the TEI at 10,000 documents), and give what the rows
gave: every value of every document and passage as the indexer reads it from the file, the
values' counts, after a rebuild on workers (each worker numbers its values, the rebuild
renumbers them and moves the passages) and after an update that changes and deletes
documents."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing

from archive.config import Settings
from archive.index import load_facets, update_index
from archive.index.db import reader
from archive.index.rows import extract
from archive.registry import ref_resolver

Row = tuple[str, str, str | None, str]


def _expected(settings: Settings) -> Counter[Row]:
    """(document id, facet, passage address or None, value) of every facet row the indexer
    reads from the files."""
    facets, resolver = load_facets(settings), ref_resolver(settings)
    found: Counter[Row] = Counter()
    for path in settings.tei_dir.glob("*.xml"):
        rows = extract(path, path.read_bytes(), facets, resolver)
        found.update((rows.id, facet, passage, value) for facet, passage, value in rows.facets)
    return found


def _stored(settings: Settings) -> Counter[Row]:
    """The same rows as the index gives them back (its views, SQLite's own)."""
    db = reader(settings)
    return Counter(db.execute(
        "SELECT d.id, v.facet, p.xml_id, v.value FROM facet_values v"
        " JOIN documents d ON d.doc = v.doc LEFT JOIN passages p ON p.passage = v.passage"))


def _check(settings: Settings) -> None:
    expected = _expected(settings)
    assert _stored(settings) == expected
    assert any(passage for _, _, passage, _ in expected)  # values of passages, not only docs
    totals = Counter[tuple[str, str]]()
    for (_, facet, _, value), count in expected.items():
        totals[facet, value] += count
    db = reader(settings)
    assert dict(((facet, value), count) for facet, value, count in db.execute(
        "SELECT facet, value, count FROM facet_totals")) == dict(totals)


def test_facet_rows_are_one_record_per_document(rebuilt_on_workers: Settings) -> None:
    corpus = rebuilt_on_workers
    _check(corpus)
    with closing(sqlite3.connect(corpus.index_path)) as db:
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master"
                                " WHERE name IN ('facet_rows', 'facet_docs')"))
        assert kinds == {"facet_rows": "view", "facet_docs": "table"}
        holding = db.execute("SELECT COUNT(*) FROM facet_docs").fetchone()[0]
        assert holding == len({doc for doc, *_ in _expected(corpus)})  # one record each
    # an update: a document's values changed (its record written anew), one deleted
    path = corpus.tei_dir / "z_nested_mentions.xml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<persName ref=\"#joseph-stalin\">Stalin</persName> answered",
        "<persName ref=\"#joseph-stalin\">Stalin</persName> of <placeName ref=\"#georgia\">"
        "<placeName ref=\"#tiflis\">Tiflis</placeName> in Georgia</placeName> answered"),
        encoding="utf-8")
    next(corpus.tei_dir.glob("[!z]*.xml")).unlink()
    before = _stored(corpus)
    update_index(corpus)
    assert _stored(corpus) != before
    _check(corpus)
