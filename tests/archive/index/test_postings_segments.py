"""Incremental postings (archive.index.postings): an update writes a segment of the documents it
changed, not every array anew; through a sequence of updates (documents added, changed,
removed, a facet value appearing and disappearing, numbers reused, an update stopped half-way,
segments merged and the base written anew) what a process reads of them — documents and
passages in order, each value's documents and passages, counts under masks, an entity's
companions and years, the totals, lookups — is what a fresh rebuild of the same files gives,
on both engines."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archive.config import Settings
from archive.index import lookup, update_index
from archive.index.db import connect, reader
from archive.index.lookup import postings
from archive.index.pg import NUL
from archive.index.postings import SEGMENTS, _manifest
from benchmarks.corpus import FIXTURES, build_corpus
from tei.errors import TeiError

pytestmark = pytest.mark.usefixtures("index_engine")

_DOCUMENT = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>{title}</title></titleStmt><publicationStmt><p>x</p></publicationStmt>
<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>
<p xml:id="p1">{title}: <persName ref="#{person}">Someone</persName> wrote to
<persName ref="#karl-marx">Marx</persName> on <date when="{year}-03-01">a day</date>.</p>
<p xml:id="p2">Nothing here.</p>
<p xml:id="p3"><placeName ref="#{place}">a town</placeName> and
<persName ref="#leon-trotsky">Trotsky</persName>.</p>
</body></text></TEI>"""


def _write(tei: Path, name: str, title: str, person: str, year: int = 1917,
           place: str = "paris") -> None:
    path = tei / name
    path.unlink(missing_ok=True)  # (a new file: never one a test's copy shares)
    path.write_text(_DOCUMENT.format(title=title, person=person, year=year, place=place),
                    encoding="utf-8")


def _changed(tei: Path, name: str) -> None:
    path = tei / name
    text = path.read_text(encoding="utf-8").replace(
        "</body>", '<div><p>Named again: <persName ref="#rosa-luxemburg">Rosa</persName> in'
                   ' <date when="1919">that year</date>.</p></div></body>')
    path.unlink()
    path.write_text(text, encoding="utf-8")


def _segments(settings: Settings) -> int:
    db = connect(settings)  # (the SQLite working copy: PostgreSQL's is a copy of it)
    try:
        return len(_manifest(db) or [])
    finally:
        db.close()


def _view(settings: Settings) -> dict[str, Any]:
    """What a fresh process reads of the postings, named by document ids and passage ids (the
    numbers differ between indexes), every count under a few masks."""
    db = reader(settings)
    db.execute("BEGIN")
    try:
        index = postings(db)
        ids = {int(doc): doc_id for doc, doc_id in db.execute("SELECT doc, id FROM documents")}
        named = {int(passage): (ids[int(doc)], xml_id) for passage, doc, xml_id in
                 db.execute("SELECT passage, doc, xml_id FROM passages")}
        docs = [ids[int(doc)] for doc in index.doc_of_rank]
        arrays = index.passages(db)
        passages = [named[int(passage)] for passage in arrays.of_rank]
        # each passage's document, each document's passages, each number's rank
        assert [docs[rank] for rank in arrays.doc] == [doc for doc, _ in passages]
        held = Counter(doc for doc, _ in passages)
        assert arrays.lengths.tolist() == [held[doc_id] for doc_id in docs]
        rank_of = {int(number): rank for rank, number in enumerate(arrays.of_rank)}
        numbers = np.array([0, *named, max(named) + 1])
        assert arrays.ranks(numbers).tolist() == [rank_of.get(int(n), -1) for n in numbers]
        masks = {"all": np.ones(index.doc_count, dtype=bool),
                 "some": np.arange(index.doc_count) % 3 == 1}
        passage_masks = {"all": np.ones(arrays.count, dtype=bool),
                         "some": np.arange(arrays.count) % 2 == 0}
        facets: dict[str, Any] = {}
        for name, facet in index.facets.items():
            values = facet.values(db)
            chosen: dict[str, Any] = {}
            for value in values:
                held = sorted(docs[rank] for rank in facet.ranks_of(db, [value], "docs"))
                within = sorted(passages[rank] for rank in facet.ranks_of(db, [value], "passages")
                                if rank >= 0)
                if held:
                    chosen[value] = (held, within)
            counted = {}
            for part, found in (("doc", masks), ("passage", passage_masks)):
                counter = facet.counter(db, part)
                for label, mask in found.items():
                    counts = counter.counts(mask) if counter is not None else []
                    counted[part, label] = {value: int(n) for value, n in
                                            zip(values, counts, strict=False) if n}
            if chosen:
                facets[name] = (chosen, counted)
        beside = index.beside(db)
        assert beside is not None
        entities = {}
        for ref in beside.refs:
            found = (beside.companions(ref, 12), beside.years_beside(ref))
            mask = beside.mask(ref)
            if mask is not None and mask.any():
                entities[ref] = found
        totals = db.execute("SELECT facet, value, count FROM facet_totals"
                            " ORDER BY facet, value").fetchall()
    finally:
        db.execute("COMMIT")
    chosen_lookups = [{}, {"person": ["karl-marx"]}, {"passage_person": ["leon-trotsky"]},
                      {"kind": ["essay"], "person": ["karl-marx", "newcomer"]},
                      {"place": ["paris"]}]
    found_lookups = [lookup(settings, chosen, limit=500, facet_size=10_000)
                     for chosen in chosen_lookups]
    found_lookups.append(lookup(settings, {"person": ["karl-marx"]}, "revolution", limit=500))
    assert not any(found["facets_failed"] for found in found_lookups)
    return {"docs": docs, "passages": passages, "facets": facets, "entities": entities,
            "totals": [tuple(row) for row in totals], "lookups": found_lookups}


def _fresh(settings: Settings, scratch: Path) -> dict[str, Any]:
    """The view of a rebuild of the same files, in a SQLite index of its own."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(settings.tei_dir, scratch / "tei")
    fresh = Settings(data_dir=scratch, index_url=None, index_read_url=None,
                     facet_time_limit_ms=COUNTING_MS)
    update_index(fresh, full=True)
    assert _segments(fresh) == 1
    return _view(fresh)


#: The lookups' time for counting facets: every facet counted, on both sides, however busy
#: the machine (at the default second a facet left uncounted on one side was a difference).
COUNTING_MS = 600_000.0


def test_updates_give_the_postings_of_a_rebuild(tmp_path: Path) -> None:
    tei = tmp_path / "data" / "tei"
    build_corpus(tei, 30, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path / "data", facet_time_limit_ms=COUNTING_MS)
    update_index(settings)
    assert _segments(settings) == 1

    def check(expect_segments: bool = True) -> None:
        view = _view(settings)
        assert view == _fresh(settings, tmp_path / "fresh")
        if expect_segments:
            seen.add(_segments(settings))

    seen: set[int] = set()
    check()
    # a document added, with a person no other names: a value appearing
    _write(tei, "extra-1.xml", "Extra one", "newcomer", 1871, "lyon")
    assert update_index(settings).added == 1
    assert _segments(settings) == 2
    check()
    # the document numbered last changed: deleted, then added again under its own number
    _write(tei, "extra-1.xml", "Extra one again", "newcomer", 1872, "lyon")
    update_index(settings)
    check()
    # a document in the middle changed, one removed
    _changed(tei, "bench-00010.xml")
    (tei / "bench-00003.xml").unlink()
    update_index(settings)
    check()
    # the value's one document gone: the value disappears
    (tei / "extra-1.xml").unlink()
    update_index(settings)
    newcomer = lookup(settings, {"person": ["newcomer"]})
    assert newcomer["count"] == 0
    check()
    # an update stopped half-way (a file gone was dropped, then a file could not be read):
    # the next writes the postings whole
    (tei / "bench-00005.xml").unlink()
    (tei / "broken.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><text>",
                                    encoding="utf-8")
    with pytest.raises(TeiError):
        update_index(settings)
    (tei / "broken.xml").unlink()
    _write(tei, "extra-2.xml", "Extra two", "newcomer", 1905)
    update_index(settings)
    assert _segments(settings) == 1
    check()
    # one document at a time: segments merged, then the base written anew
    for number in range(3, 12):
        _write(tei, f"extra-{number}.xml", f"Extra {number}", f"person-{number % 3}",
               1900 + number)
        if number % 4 == 0:
            _changed(tei, f"bench-000{10 + number}.xml")
        update_index(settings)
        check()
    assert max(seen) > 2  # segments were kept, merged
    assert 1 in seen  # and the base was written anew


def test_a_one_document_update_writes_a_small_segment_alone(tmp_path: Path,
                                                            index_engine: Any) -> None:
    """The postings stored before a one-document update stay as they were, byte for byte; the
    update adds the arrays of one document (and the list of segments). Published to
    PostgreSQL, the rows of the earlier segments are not written again either (their
    transaction id, ``xmin``, stays), and the published postings are SQLite's."""
    tei = tmp_path / "tei"
    build_corpus(tei, 40, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    before = _stored(settings)
    written = _published(index_engine.url)
    _changed(tei, "bench-00020.xml")
    update_index(settings)
    after = _stored(settings)
    if index_engine.url is not None:
        now = _published(index_engine.url)
        assert {name: data for name, (data, _) in now.items()} == {
            name.replace("\0", NUL): data for name, data in after.items()}
        assert {name: now[name][1] for name in written if name != SEGMENTS} == {
            name: xmin for name, (_, xmin) in written.items() if name != SEGMENTS}
    kept = {name: data for name, data in after.items() if name in before and name != SEGMENTS}
    assert kept == {name: data for name, data in before.items() if name != SEGMENTS}
    new = {name: data for name, data in after.items() if name not in before}
    assert new, "no segment of the changed document"
    doc_of_rank = next(data for name, data in new.items() if name.endswith("\0doc_of_rank"))
    assert len(doc_of_rank) == 8 + 4  # one document number (int32)
    assert sum(map(len, new.values())) < sum(map(len, kept.values())) / 10


def _stored(settings: Settings) -> dict[str, bytes]:
    db = connect(settings)
    try:
        return {name: bytes(data) for name, data in db.execute("SELECT name, data FROM postings")}
    finally:
        db.close()


def _published(url: str | None) -> dict[str, tuple[bytes, str]]:
    """PostgreSQL's postings: name → (data, the transaction that wrote the row)."""
    if url is None:
        return {}
    import psycopg

    from archive.index.pg import SCHEMA

    with psycopg.connect(url) as db:
        return {name: (bytes(data), str(xmin)) for name, data, xmin in db.execute(
            f"SELECT name, data, xmin FROM {SCHEMA}.postings")}


def test_a_facet_the_base_lacks(tmp_path: Path) -> None:
    """Values of facets the base segment has no row of (its documents name nobody), first named
    by a later segment, and a document of the base removed: as a rebuild gives them."""
    tei = tmp_path / "data" / "tei"
    tei.mkdir(parents=True)
    for number in range(20):
        (tei / f"plain-{number}.xml").write_text(
            _DOCUMENT.replace('<persName ref="#{person}">Someone</persName>', "someone")
            .replace('<persName ref="#karl-marx">Marx</persName>', "Marx")
            .replace('<persName ref="#leon-trotsky">Trotsky</persName>', "Trotsky")
            .format(title=f"Plain {number}", year=1900 + number, place="rome"),
            encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    update_index(settings)
    for number, name in enumerate(("a-named.xml", "b-named.xml")):
        _write(tei, name, name, f"person-{number}", 1950 + number, f"town-{number}")
        (tei / f"plain-{number}.xml").unlink()
        update_index(settings)
        assert _segments(settings) > 1
        assert _view(settings) == _fresh(settings, tmp_path / "fresh")
