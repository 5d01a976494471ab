"""A document's passages are one packed record (``passage_docs``; issue 21: one B-tree row a
passage was 0.28x the TEI of EEBO's shape, whose books have many short passages), numbered by
the range of their numbers: each record holds its document's passages, in its order, after a
rebuild on workers (which moves the scratch databases' numbers) and after an update that
changes, deletes and adds documents; the ``passages`` view, the reading view's passages, the
export's addresses and the full text are those of the files. Addresses that follow a pattern
(a name and a number one past its last) are kept as it, arbitrary ``xml:id``\\ s as they are."""

from __future__ import annotations

import sqlite3
import zlib
from contextlib import closing
from pathlib import Path

import pytest

from archive.config import Settings
from archive.errors import ArchiveError
from archive.index import leaf_passages, mentions_of, update_index
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
                        " FROM passage_docs r JOIN documents d USING (doc)").fetchall()
    stored = {doc_id: db.execute(
        "SELECT xml_id, element, position, leaf FROM passages WHERE passage BETWEEN ? AND ?"
        " AND doc = ? ORDER BY passage", (first, last, doc)).fetchall()
        for doc_id, doc, first, last in ranges}
    assert stored == {doc_id: passages for doc_id, passages in expected.items() if passages}
    # no passage outside its document's range
    assert db.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == sum(
        len(passages) for passages in expected.values())
    for doc_id, doc, *_ in ranges:  # the reading view's
        assert [passage["id"] for passage in leaf_passages(settings, doc)] == [
            address for address, _, _, leaf in expected[doc_id] if leaf]
    # the export's addresses: each mention's passage's, as the files give it
    assert {(doc_id, address) for doc_id, address, *_ in mentions_of(settings)} <= {
        (doc_id, address) for doc_id, passages in expected.items()
        for address, *_ in [*passages, (None,)]}
    # the full text holds the leaf passages of the documents there (a deleted or changed
    # document's old rows were found by their range and taken out)
    assert db.execute("SELECT COUNT(*) FROM passages WHERE leaf").fetchone() == db.execute(
        "SELECT COUNT(*) FROM passage_text_docsize").fetchone()
    with closing(sqlite3.connect(settings.index_path)) as raw:
        kinds = dict(raw.execute("SELECT name, type FROM sqlite_master"
                                 " WHERE name IN ('passages', 'passage_docs')"))
        assert kinds == {"passages": "view", "passage_docs": "table"}
        assert raw.execute("SELECT COUNT(*) FROM passage_docs").fetchone()[0] == sum(
            1 for passages in expected.values() if passages)


def test_a_documents_passages_are_one_record(rebuilt_on_workers: Settings) -> None:
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


def _book(path: Path, ids: list[str | None]) -> None:
    """A document of one paragraph per item of ``ids`` (its xml:id; None: none)."""
    paragraphs = "".join((f'<p xml:id="{xml_id}">' if xml_id else "<p>") + f"Words {number}.</p>"
                         for number, xml_id in enumerate(ids))
    path.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>A'
        " book</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
        "</sourceDesc></fileDesc></teiHeader><text><body><div><head>A head</head>"
        f"{paragraphs}</div></body></text></TEI>", encoding="utf-8")


def test_addresses_are_kept_as_their_pattern_or_as_they_are(tmp_path: Path) -> None:
    """A book's numbered paths (``body.div.p1``, ``p2``, ...) cost a byte or so each; arbitrary
    xml:ids (none following another, some ending in digits, one a path's look-alike) come back
    as they were."""
    settings = Settings(data_dir=tmp_path)
    settings.tei_dir.mkdir(parents=True)
    _book(settings.tei_dir / "paths.xml", [None] * 2000)
    odd = ["x7", None, "x7b", "p12", "body.div.p3", None, "Zeile-0", "a01", "a1", None, "q",
           "ß9", "n9", "n10", "n12", "n11"]
    _book(settings.tei_dir / "ids.xml", [f"{xml_id}-{number}" if number and xml_id else xml_id
                                         for number in range(3) for xml_id in odd])
    update_index(settings)
    db = reader(settings)
    expected = _expected(settings)
    for doc_id, passages in expected.items():
        doc = db.execute("SELECT doc FROM documents WHERE id = ?", (doc_id,)).fetchone()[0]
        assert [passage["id"] for passage in leaf_passages(settings, doc)] == [
            address for address, _, _, leaf in passages if leaf]
    sizes = dict(db.execute("SELECT d.path, length(r.data) FROM passage_docs r"
                            " JOIN documents d USING (doc)"))
    assert len(expected["paths"]) == 2001 and sizes["paths.xml"] < 2001
    # (the addresses alone deflated: the pattern is what makes it small)
    addresses = "\n".join(address for address, *_ in expected["paths"]).encode()
    assert sizes["paths.xml"] * 2 < len(zlib.compress(addresses, 9))


def test_an_older_index_asks_for_a_reindex(tmp_path: Path) -> None:
    """An index of schema 14 (a row a passage, and their ranges) read by the reading view: one
    line that says to run `archive reindex`, not an SQL error."""
    settings = Settings(data_dir=tmp_path)
    settings.tei_dir.mkdir(parents=True)
    _book(settings.tei_dir / "book.xml", [None] * 3)
    update_index(settings)
    with closing(sqlite3.connect(settings.index_path)) as db:
        db.execute("DROP VIEW passages")
        db.execute("DROP TABLE passage_docs")
        db.execute("CREATE TABLE passage_ranges (doc INTEGER PRIMARY KEY,"
                   " first_passage INTEGER NOT NULL, last_passage INTEGER NOT NULL)")
        db.execute("UPDATE meta SET value = '14' WHERE key = 'schema'")
        db.commit()
    with pytest.raises(ArchiveError, match=r"another version of the archive: run `archive re"):
        leaf_passages(settings, 1)
