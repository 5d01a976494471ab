"""A document's passages are found by the range of their numbers (``passage_ranges``), not by
an index of the passages' documents (issue 21: ``passages_doc`` was 0.10x the TEI of EEBO's
shape, whose books have many short passages): each range holds its document's passages, in its
order, after a rebuild on workers (which moves the scratch databases' numbers) and after an
update that changes, deletes and adds documents; the reading view's passages and the full text
are those of the files."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from archive.config import Settings
from archive.index import leaf_passages, update_index
from archive.index.db import reader
from archive.index.rows import extract

Passage = tuple[str, str, int, int]


def _expected(settings: Settings) -> dict[str, list[Passage]]:
    """Document id → (address, element, position, leaf) of each of its passages, in order, as
    the indexer reads them from the files."""
    found = {}
    for path in settings.tei_dir.glob("*.xml"):
        rows = extract(path, path.read_bytes(), ())
        found[rows.id] = [(xml_id, element, position, int(leaf))
                          for xml_id, element, _, position, leaf, _ in rows.passages]
    return found


def _check(settings: Settings) -> None:
    expected = _expected(settings)
    db = reader(settings)
    ranges = db.execute("SELECT d.id, d.doc, r.first_passage, r.last_passage"
                        " FROM passage_ranges r JOIN documents d USING (doc)").fetchall()
    stored = {doc_id: db.execute(
        "SELECT xml_id, element, position, leaf FROM passages WHERE passage BETWEEN ? AND ?"
        " AND doc = ? ORDER BY passage", (first, last, doc)).fetchall()
        for doc_id, doc, first, last in ranges}
    assert stored == {doc_id: passages for doc_id, passages in expected.items() if passages}
    # no passage outside its document's range
    assert db.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == sum(
        len(passages) for passages in expected.values())
    for doc_id, doc, *_ in ranges:  # the reading view's, found by their range
        assert [passage["id"] for passage in leaf_passages(settings, doc)] == [
            address for address, _, _, leaf in expected[doc_id] if leaf]
    # the full text holds the leaf passages of the documents there (a deleted or changed
    # document's old rows were found by their range and taken out)
    assert db.execute("SELECT COUNT(*) FROM passages WHERE leaf").fetchone() == db.execute(
        "SELECT COUNT(*) FROM passage_text_docsize").fetchone()
    with closing(sqlite3.connect(settings.index_path)) as raw:
        assert raw.execute("PRAGMA index_list(passages)").fetchall() == []


def test_a_documents_passages_are_found_by_their_range(rebuilt_on_workers: Settings) -> None:
    corpus = rebuilt_on_workers
    _check(corpus)
    # an update: a document changed (a passage more), one deleted, one added
    path = corpus.tei_dir / "z_nested_mentions.xml"
    text = path.read_text(encoding="utf-8")
    assert text.count("</p>") >= 1
    path.write_text(text.replace("</p>", "</p><p>A paragraph more.</p>", 1), encoding="utf-8")
    next(corpus.tei_dir.glob("[!z]*.xml")).unlink()
    (corpus.tei_dir / "zz_added.xml").write_text(
        text.replace("doc-nested-mentions", "doc-added"), encoding="utf-8")
    update_index(corpus)
    _check(corpus)
