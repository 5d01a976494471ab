"""The index: build, incremental updates, rebuilds, mentions, date normalisation."""

from __future__ import annotations

import datetime
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from lxml import etree

from archive.config import Settings
from archive.errors import ArchiveError
from archive.index.days import day_range
from archive.index.db import connect
from archive.index.lookup import lookup, search_passages
from archive.index.rows import extract
from archive.index.update import update_index
from archive.search import evaluate_query, run_query
from archive.xpath import TreeCache
from tei.errors import TeiSyntaxError
from tei.namespaces import NSMAP, TEI_NS

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
#: Headers of other projects' kinds (letters of an edition, plays, an inscription, a manuscript).
EDITIONS = Path(__file__).resolve().parents[1] / "fixtures" / "editions"


@pytest.fixture
def settings(corpus: Settings) -> Settings:
    return corpus


def rows(settings: Settings, sql: str, *params: object) -> list[tuple]:
    db = connect(settings)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def counts(report: object) -> tuple[int, int, int, int]:
    return report.added, report.updated, report.removed, report.unchanged  # type: ignore


def test_build_reads_header_metadata(settings: Settings) -> None:
    assert counts(update_index(settings)) == (4, 0, 0, 0)
    assert rows(settings, "SELECT id, title, author, publication, date, kind, language, licence"
                          " FROM documents ORDER BY id") == [
        ("doc-left-opposition", "Left Opposition", "Paul Le Blanc", "Against the Current",
         "1997-03", "essay", "en", "CC BY-SA 4.0"),
        ("doc-paris-commune", "Paris Commune", None, "Encyclopedia of Insurrection", "2009",
         "encyclopedia article", "en", None),
        ("doc-spanish-revolution", "The Spanish Revolution", "Ada Ferrer", "Against the Current",
         "1998-05-01", "essay", "en", "CC BY 4.0"),
        ("untitled_note", "Editorial note", None, None, None, "editorial", "en", None),
    ]


def test_passages_are_every_identified_element_of_the_text(settings: Settings) -> None:
    update_index(settings)
    texts = {xml_id: text for xml_id, text in rows(
        settings, "SELECT xml_id, passage_text(data, position) FROM passages"
                  " JOIN texts USING (doc) JOIN documents USING (doc)"
                  " WHERE id = 'doc-paris-commune'")}
    assert texts["p3"] == ("In May 1871 Karl Marx wrote The Civil War in France for the First"
                           " International.\nA second line.")
    assert texts["h1"] == "Paris Commune"
    assert texts["d1"] == ""  # a passage holding others: its text is its leaves'

    assert rows(settings, "SELECT xml_id, element, position, leaf FROM passages"
                          " JOIN documents USING (doc) WHERE id = 'doc-paris-commune'") == [
        ("d1", "div", 1, 0), ("h1", "head", 2, 1), ("p1", "p", 3, 1), ("p2", "p", 4, 1),
        ("p3", "p", 5, 1), ("q1", "quote", 6, 1)]


def test_mentions_have_offsets_into_their_passage(settings: Settings) -> None:
    update_index(settings)
    found = rows(settings, 'SELECT p.xml_id, m.type, m.ref, m.surface, m.start, m."end",'
                           ' m."when", m."from", m."to", m.not_before, m.not_after,'
                           " passage_text(t.data, p.position) FROM mentions m"
                           " JOIN texts t USING (doc) JOIN passages p USING (passage)"
                           " JOIN documents d ON d.doc = m.doc"
                           " WHERE d.id = 'doc-left-opposition' AND p.xml_id IN ('p2', 'p4')"
                           " ORDER BY p.position, m.start")
    assert [row[:11] for row in found] == [
        ("p2", "date", None, "15 October 1923", 3, 18, "1923-10-15", None, None, None, None),
        ("p2", "org", "central-committee", "Central Committee", 47, 64, None, None, None, None,
         None),
        ("p2", "person", "leon-trotsky", "Leon Trotsky", 66, 78, None, None, None, None, None),
        ("p2", "place", "moscow", "Moscow", 90, 96, None, None, None, None, None),
        ("p4", "date", None, "late 1924", 3, 12, None, None, None, "1924-09", "1924-12"),
        ("p4", "person", "leon-trotsky", "Trotsky", 13, 20, None, None, None, None, None),
        ("p4", "place", "leningrad", "Leningrad", 44, 53, None, None, None, None, None),
    ]
    assert all(row[11][row[4]:row[5]] == row[3] for row in found)


def test_mention_in_an_unidentified_paragraph_belongs_to_that_paragraph(
        settings: Settings) -> None:
    # a paragraph without xml:id is a passage too, cited by its path from the division
    update_index(settings)
    assert rows(settings, "SELECT p.xml_id, p.leaf, m.surface FROM mentions m JOIN passages p"
                          " USING (passage) WHERE m.ref = 'paris' ORDER BY m.doc") == [
        ("p1", 1, "Paris"), ("d1.p4", 1, "Paris")]


def test_incremental_update_reads_only_changed_files(settings: Settings) -> None:
    update_index(settings)
    assert counts(update_index(settings)) == (0, 0, 0, 4)
    changed = settings.tei_dir / "untitled_note.xml"
    changed.write_text(changed.read_text().replace("revolutions", "insurrections"))
    (settings.tei_dir / "paris_commune.xml").unlink()
    added = settings.tei_dir / "second_note.xml"
    added.write_text(changed.read_text().replace("Editorial note", "Second note"))
    assert counts(update_index(settings)) == (1, 1, 1, 2)
    assert rows(settings, "SELECT id, title FROM documents ORDER BY id") == [
        ("doc-left-opposition", "Left Opposition"),
        ("doc-spanish-revolution", "The Spanish Revolution"),
        ("second_note", "Second note"), ("untitled_note", "Editorial note")]
    assert lookup(settings, {}, "revolutions")["count"] == 0
    assert lookup(settings, {}, "insurrections")["count"] == 2
    assert rows(settings, "SELECT COUNT(*) FROM mentions m JOIN documents d USING (doc)"
                          " WHERE d.id = 'doc-paris-commune'") == [(0,)]
    assert rows(settings, "SELECT value, count FROM facet_totals WHERE facet = 'person'"
                          " AND value = 'karl-marx'") == []


def test_a_touched_but_unchanged_file_is_not_read_again(settings: Settings) -> None:
    update_index(settings)
    path = settings.tei_dir / "untitled_note.xml"
    path.write_bytes(path.read_bytes())
    assert counts(update_index(settings)) == (0, 0, 0, 4)


def test_the_index_is_rebuilt_when_lost_or_asked(settings: Settings) -> None:
    update_index(settings)
    settings.index_path.unlink()
    assert counts(update_index(settings)) == (4, 0, 0, 0)
    report = update_index(settings, full=True)
    assert (counts(report), report.full) == ((4, 0, 0, 0), True)
    assert lookup(settings, {"kind": ["essay"]})["count"] == 2


def test_a_malformed_file_is_reported_and_the_rest_kept(settings: Settings) -> None:
    update_index(settings)
    (settings.tei_dir / "broken.xml").write_text("<TEI><text>")
    with pytest.raises(TeiSyntaxError, match="broken.xml"):
        update_index(settings)
    assert len(rows(settings, "SELECT id FROM documents")) == 4


def test_two_files_with_one_id_are_refused(settings: Settings) -> None:
    shutil.copy(settings.tei_dir / "paris_commune.xml", settings.tei_dir / "paris_copy.xml")
    with pytest.raises(ArchiveError, match="document id 'doc-paris-commune' is also the id of"):
        update_index(settings)


def test_an_index_of_another_schema_version_is_rebuilt(settings: Settings) -> None:
    update_index(settings)
    db = sqlite3.connect(settings.index_path)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.commit()
    db.close()
    assert update_index(settings).full


def _day(text: str) -> int:
    return datetime.date.fromisoformat(text).toordinal() - datetime.date(1970, 1, 1).toordinal()


@pytest.mark.parametrize(("value", "expected"), [
    ("1924", ("1924-01-01", "1924-12-31")),
    ("1924-02", ("1924-02-01", "1924-02-29")),
    ("1900-02", ("1900-02-01", "1900-02-28")),
    ("1923-10-15", ("1923-10-15", "1923-10-15")),
    ("0044", ("0044-01-01", "0044-12-31")),
])
def test_day_range(value: str, expected: tuple[str, str]) -> None:
    assert day_range(value) == (_day(expected[0]), _day(expected[1]))


@pytest.mark.parametrize("value", [None, "", "19", "1923-13", "1923-02-30", "late 1924",
                                   "1923-1-x"])
def test_day_range_of_unreadable_dates_is_open(value: str | None) -> None:
    assert day_range(value) == (None, None)


def test_day_range_before_the_common_era() -> None:
    first, last = day_range("-0044")
    assert last - first == 365  # year -44 (45 BC) is a leap year in the proleptic calendar
    assert day_range("-0001")[1] + 1 == day_range("0000")[0]


def _dump(settings: Settings, fulltext_bytes: bool = False) -> dict[str, list[tuple]]:
    tables = ("documents", "passages", "passage_docs", "mentions", "facet_values",
              "facet_totals", "element_names", "attribute_values")
    found = {table: sorted(rows(settings, f"SELECT * FROM {table}"), key=repr)
             for table in tables}
    found["fts"] = rows(settings, "SELECT rowid FROM passage_text WHERE passage_text MATCH"
                                  " 'revolution OR moscow' ORDER BY rowid")
    found["ranked"] = rows(settings, "SELECT rowid, round(rank, 9) FROM passage_text WHERE"
                                     " passage_text MATCH 'revolution OR moscow' ORDER BY rank")
    rows(settings, "INSERT INTO passage_text (passage_text) VALUES ('integrity-check')")
    # the full-text index itself, byte for byte: a rebuild on cores makes it in a worker fed
    # the workers' databases one by one (archive.index.fulltext), in place in one pass
    for table in ("data", "idx", "docsize", "config") if fulltext_bytes else ():
        found[f"fts {table}"] = rows(settings, f"SELECT * FROM passage_text_{table} ORDER BY 1")
    # the postings' arrays, but for the segment's number (a time) in their names: a rebuild on
    # cores makes its base from the workers' databases, beside (archive.index.postings)
    found["postings"] = sorted((name.split("\0", 1)[1], data) for name, data in rows(
        settings, "SELECT name, data FROM postings") if "\0" in name)
    return found


@pytest.mark.parametrize("other_thread", [False, True], ids=["alone", "beside another thread"])
def test_a_rebuild_on_several_cores_writes_what_one_process_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other_thread: bool) -> None:
    from archive.index import workers
    from benchmarks.corpus import build_corpus

    build_corpus(tmp_path / "tei", workers.PARALLEL_MIN + 7, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    stop = threading.Event()
    if other_thread:  # as under the viewer or rich's progress: no fork, the process server
        threading.Thread(target=stop.wait, daemon=True).start()
    try:
        method = workers._pool_context().get_start_method()
        assert method == "forkserver" if other_thread else \
            method == ("fork" if threading.active_count() == 1 else "forkserver")
        assert counts(update_index(settings)) == (207, 0, 0, 0)
    finally:
        stop.set()
    on_cores = _dump(settings, fulltext_bytes=True)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 10**9)
    update_index(settings, full=True)
    assert _dump(settings, fulltext_bytes=True) == on_cores
    assert len(on_cores["documents"]) == 207 and len(on_cores["fts"]) > 100


def test_a_file_a_worker_could_not_read_is_indexed_here_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import os

    from archive.index import update, workers
    from benchmarks.corpus import build_corpus

    build_corpus(tmp_path / "tei", workers.PARALLEL_MIN + 7, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    # fork, whatever threads earlier tests left idle: the workers inherit the patch below
    fork = multiprocessing.get_context("fork")
    monkeypatch.setattr(workers, "_pool_context", lambda: fork)
    parent, extract = os.getpid(), update.extract
    # the last file of the first chunk: indexed here after the others, it gets the number a
    # worker would have given it (the rest of the index is then the rebuild's, number for number)
    last = f"bench-{workers.CHUNK:05d}.xml"

    def failing_in_workers(path: Path, *arguments: object) -> object:
        if path.name == last and os.getpid() != parent:
            raise OSError("a worker's trouble, not the file's")
        return extract(path, *arguments)

    monkeypatch.setattr(update, "extract", failing_in_workers)
    update_index(settings)
    here = _dump(settings)
    monkeypatch.setattr(update, "extract", extract)
    update_index(settings, full=True)
    assert here == _dump(settings)
    assert rows(settings, "SELECT COUNT(*) FROM passages WHERE leaf") == rows(
        settings, "SELECT COUNT(*) FROM passage_text_docsize")


def test_a_malformed_file_among_many_is_reported_by_name(tmp_path: Path) -> None:
    from archive.index import workers
    from benchmarks.corpus import build_corpus

    build_corpus(tmp_path / "tei", workers.PARALLEL_MIN, sorted(FIXTURES.glob("*.xml")))
    bad = tmp_path / "tei" / "bench-00150.xml"
    good = bad.read_bytes()
    bad.write_text("<TEI><text>")
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(TeiSyntaxError, match="bench-00150.xml"):
        update_index(settings)
    # the rebuild stopped half-way: once the file is mended, the next update rebuilds in full,
    # so that every passage is in the full-text index (made at the end of a rebuild)
    bad.write_bytes(good)
    report = update_index(settings)
    assert report.full and counts(report) == (workers.PARALLEL_MIN, 0, 0, 0)
    assert rows(settings, "SELECT COUNT(*) FROM passages WHERE leaf") == rows(
        settings, "SELECT COUNT(*) FROM passage_text_docsize")


@pytest.mark.parametrize(("many", "twin"), [(False, 5), (True, 3), (True, 203)],
                         ids=["here", "on cores, same chunk", "on cores, other chunk"])
def test_an_id_twice_is_reported_by_name_and_nothing_of_the_update_is_kept(
        tmp_path: Path, many: bool, twin: int) -> None:
    from archive.index import workers
    from benchmarks.corpus import build_corpus

    count = workers.PARALLEL_MIN + 3 if many else 5
    build_corpus(tmp_path / "tei", count, sorted(FIXTURES.glob("*.xml")))
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    before = sorted(rows(settings, "SELECT id, path FROM documents"))
    for path in sorted((tmp_path / "tei").glob("*.xml")):  # every file changes
        path.write_bytes(path.read_bytes().replace(b"<p ", b"<p n='x' ", 1))
    # and one takes the id of bench-00002 (files made without an <idno> are named by their stem)
    path = tmp_path / "tei" / f"bench-{twin:05d}.xml"
    tree = etree.parse(path)
    statement = tree.find(".//tei:publicationStmt", NSMAP)
    for idno in statement.findall("tei:idno", NSMAP):
        statement.remove(idno)
    etree.SubElement(statement, f"{{{TEI_NS}}}idno", type="archive").text = "bench-00002"
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    with pytest.raises(ArchiveError, match=f"bench-{twin:05d}.xml: document id 'bench-00002'"
                                           " is also the id of bench-00002.xml"):
        update_index(settings)
    # every document is still there, whole, under its own file (the twin's batch or chunk
    # was rolled back)
    assert sorted(rows(settings, "SELECT id, path FROM documents")) == before
    assert len(before) == count


STRUCTURE = Path(__file__).resolve().parents[1] / "fixtures" / "structure"
#: A word only each structure fixture holds, and the passage that holds it.
ONLY_HERE = {"wrangleberry": ("drama", "body.div.div.sp2.p"),
             "marshwren": ("novel", "body.div1.p1"),
             "lantern": ("novel", "body.div1.p2"),  # beside a note inside the paragraph
             "glimmerdeep": ("verse", "body.lg.lg1.l2"),
             "stonecutter": ("inscription", "body.div2.listApp.app.note"),
             "manibvs": ("inscription", "body.div1.ab"),
             # an expanded abbreviation: the whole word, and the parts markup makes of it
             "procvratoris": ("inscription", "body.div1.ab"),
             "proc": ("inscription", "body.div1.ab"), "vratoris": ("inscription", "body.div1.ab"),
             "oatcakes": ("genetic", "sourceDoc.surface2.zone.line"),
             "edburga": ("msdesc", "msDesc.msContents.msItem2"),
             "dunwold": ("msdesc", "msDesc.msIdentifier"),
             "quincepress": ("letter", "body.div.p"),
             "harrowgate": ("letter", "body.div.opener.dateline"),
             "larkspur": ("cited", "1.2.14"),
             "osier": ("corpus", "TEI1.body.p"), "alder": ("corpus", "TEI2.body.p")}


@pytest.fixture
def structure(tmp_path: Path) -> Settings:
    (tmp_path / "tei").mkdir()
    for path in STRUCTURE.glob("*.xml"):
        shutil.copy(path, tmp_path / "tei" / path.name)
    return Settings(data_dir=tmp_path)


def test_every_document_is_found_by_a_word_only_it_holds(structure: Settings) -> None:
    # drama, novel, verse, inscription, sourceDoc, msDesc, letter, citeStructure, teiCorpus:
    # none of them has an xml:id, each word is found in its passage
    update_index(structure)
    for word, (doc, address) in ONLY_HERE.items():
        total, hits = search_passages(structure, {}, word)
        assert (total, [(hit["doc"], hit["target"]) for hit in hits]) == (1, [(doc, address)]), \
            word
        found = lookup(structure, {}, word)
        assert (found["count"], found["passage_count"]) == (1, 1), word
        assert [(row["doc"], row["target"]) for row in found["passages"]] == [(doc, address)]


def test_passage_addresses_survive_a_rebuild(structure: Settings) -> None:
    update_index(structure)
    sql = ("SELECT d.id, p.xml_id, p.element, p.leaf, passage_text(t.data, p.position)"
           " FROM passages p JOIN texts t USING (doc)"
           " JOIN documents d USING (doc) ORDER BY d.id, p.position")
    before = rows(structure, sql)
    assert len(before) > 50
    (structure.data_dir / "index.sqlite").unlink()
    update_index(structure, full=True)
    assert rows(structure, sql) == before


def test_mentions_of_unidentified_passages_have_offsets_into_them(structure: Settings) -> None:
    update_index(structure)
    found = rows(structure, "SELECT p.xml_id, m.surface, m.start, m.\"end\","
                            " passage_text(t.data, p.position) FROM mentions m"
                            " JOIN texts t USING (doc) JOIN passages p USING (passage)"
                            " JOIN documents d ON d.doc = m.doc WHERE d.id = 'drama'")
    assert [row[:2] for row in found] == [("body.div.div.stage", "Margery"),
                                          ("body.div.div.sp1.l2", "Thornbury")]
    assert all(text[start:end] == surface for _, surface, start, end, text in found)


def test_xpath_hits_link_to_the_passage_address(structure: Settings) -> None:
    # text, attribute and element hits inside unidentified passages, in a worker (run_query)
    # and in this process (evaluate_query, a tree kept warm for the second run)
    update_index(structure)
    expression = ("//tei:l[contains(., 'larkspur')] | //tei:line[contains(., 'oatcakes')]"
                  " | //tei:sp/@who | //tei:note/text()")
    expected = [("cited", "1.2.14", "element"), ("drama", "body.div.div.sp1", "attribute"),
                ("drama", "body.div.div.sp2", "attribute"),
                ("genetic", "sourceDoc.surface2.zone.line", "element"),
                ("inscription", "body.div2.listApp.app.note", "text"),
                ("novel", "body.div1.p2", "text"),
                ("msdesc", "msDesc.msContents.msItem2", "text"),
                ("register", "o17.note1", "text"), ("register", "o17.note2", "text"),
                ("register", "o18.note", "text")]
    result = run_query(structure, expression)
    assert sorted((hit.doc, hit.target, hit.kind) for hit in result.hits) == sorted(expected)
    cache = TreeCache()
    for _ in range(2):
        again = evaluate_query(structure, expression, limit=100, timeout=10, cache=cache)
        assert sorted((h.doc, h.target, h.kind) for h in again.hits) == sorted(expected)


def test_passage_facets_count_unidentified_passages(structure: Settings) -> None:
    # a passage facet of the data directory: every leaf passage holding a line of verse
    (structure.data_dir / "facets.toml").write_text(
        '[[facet]]\nname = "verse"\nlevel = "passage"\nxpath = "self::tei:l ! \'line\'"\n',
        encoding="utf-8")
    update_index(structure)
    found = lookup(structure, {"verse": ["line"]})
    assert found["passage_count"] == 8  # verse lines: the drama 2, the verse 4, the cited play 2
    assert {row["doc"] for row in found["passages"]} == {"cited", "drama", "verse"}


# --- header metadata of other projects' documents ----------------------------------------------

def header_of(name: str) -> dict[str, object]:
    path = EDITIONS / name
    return extract(path, path.read_bytes(), ()).header


HEADER_FIELDS = ("title", "author", "date", "kind", "language", "publication")


@pytest.mark.parametrize(("name", "expected"), [
    # the letter's own title (level a), not the series'; the series is the publication; the
    # author without his GND number, surname first as written; the sent date before the
    # source's (1950) and the edition's (2024)
    ("letters/L0001.xml", ("Clara Vogt an Emil Brandt, 2. 3. 1891", "Vogt, Clara", "1891-03-02",
                           "letter", "de", "Clara Vogt: Briefwechsel")),
    # an uncertain sent date kept as a range; an author's text without its idno
    ("letters/L0002.xml", ("Emil Brandt an Clara Vogt, [März 1891]", "Brandt, Emil",
                           "1891-03-05/1891-03-31", "letter", None, "Clara Vogt: Briefwechsel")),
    # a creation date written out, without attributes
    ("letters/L0003.xml", ("Clara Vogt an Otto Roth, 1892", None, "1892", "letter", None,
                           "Clara Vogt: Briefwechsel")),
    # DraCor: the main title, the author without Wikidata and PND numbers, the date written
    # (a range) before print and premiere, drama by structure (a genre title is no kind)
    ("plays/vogt-die-probe.xml", ("Die Probe", "Clara Vogt", "1892/1893", "drama", "ger", None)),
    # EpiDoc: the origin date's range, an inscription by its edition division
    ("inscription.xml", ("Funerary altar for Gaius Iulius Felix", None, "0101/0200",
                         "inscription", "la", None)),
    # a catalogue record: an origin date read from its text, no text body
    ("manuscript.xml", ("MS. Test 9001", None, "1250", "manuscript description", None, None)),
])
def test_header_metadata_is_read_as_a_cataloguer_would(name: str,
                                                       expected: tuple[object, ...]) -> None:
    header = header_of(name)
    assert tuple(header[field] for field in HEADER_FIELDS) == expected


def test_a_header_date_range_covers_its_days() -> None:
    header = header_of("letters/L0002.xml")
    assert (header["start_day"], header["end_day"]) == (_day("1891-03-05"), _day("1891-03-31"))
    open_start = header_of("inscription.xml")
    assert (open_start["start_day"], open_start["end_day"]) == (
        day_range("0101")[0], day_range("0200")[1])


def test_verse_and_prose_are_told_apart_by_structure(tmp_path: Path) -> None:
    def kind(body: str) -> object:
        path = tmp_path / "t.xml"
        path.write_text(f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>T</title>'
                        "</titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
                        f"</sourceDesc></fileDesc></teiHeader><text><body>{body}</body></text>"
                        "</TEI>", encoding="utf-8")
        return extract(path, path.read_bytes(), ()).header["kind"]

    assert kind("<lg><l>One line</l><l>and another</l></lg><p>A note.</p>") == "verse"
    assert kind("<p>Prose.</p><p>More prose with <l>a quoted line</l>.</p>") == "prose"


def test_an_edition_division_is_an_inscription_only_with_an_object(tmp_path: Path) -> None:
    """EpiDoc's ``div type="edition"`` is an inscription when it describes an object (a
    manuscript description, lines on the stone); Perseus and other critical texts use the same
    division: with an apparatus they are a critical edition, else verse or prose."""
    def kind(body: str, source: str = "<p/>") -> object:
        path = tmp_path / "t.xml"
        path.write_text(f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>T</title>'
                        "</titleStmt><publicationStmt><p/></publicationStmt>"
                        f"<sourceDesc>{source}</sourceDesc></fileDesc></teiHeader>"
                        f"<text><body>{body}</body></text></TEI>", encoding="utf-8")
        return extract(path, path.read_bytes(), ()).header["kind"]

    stone = '<div type="edition"><ab><lb n="1"/>DIS MANIBVS <lb n="2"/>FELICI</ab></div>'
    assert kind(stone) == "inscription"
    assert kind('<div type="edition"><ab>DIS MANIBVS</ab></div>',
                "<msDesc><msIdentifier><idno>1</idno></msIdentifier></msDesc>") == "inscription"
    critical = ('<div type="edition"><lg><l n="1">Arma <app><lem>virumque</lem>'
                '<rdg wit="#M">virque</rdg></app> cano</l></lg></div>')
    assert kind(critical) == "critical edition"
    assert kind('<div type="edition"><p>Gallia est omnis divisa.</p></div>') == "prose"
