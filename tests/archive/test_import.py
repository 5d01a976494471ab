"""archive import: other projects' TEI kept untouched, their lists in the registry, indexed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.errors import ArchiveError
from archive.index.db import read_only
from archive.interchange.importer import import_files, stored_bytes_equal
from archive.registry.authority import Entry, Registry
from archive.registry.imports import load_imports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
#: Five documents of our own, each written in the manner of another kind of TEI project.
FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"
LETTER = "letters__1851-06-14-marsh"
#: The five shared samples (``tei-samples/``) by the id the importer gives each.
SAMPLES = {
    "digitalmitford__1819-01-10-marywebb": "digitalmitford__1819-01-10-MaryWebb.xml",
    "a00002": "eebo-tcp__A00002.xml",  # publicationStmt/idno
    "eng19020": "eltec-eng__ENG19020_Nesbit.xml",  # the root's xml:id
    "historyatstate__buildings": "historyatstate__buildings.xml",
    "shake000031": "shakedracor__macbeth.xml",
}


def facet(data_dir: Path, doc_id: str, name: str) -> list[str]:
    db = read_only(data_dir / "index.sqlite")  # (with the function facet_values is read through)
    try:
        return [value for (value,) in db.execute(
            "SELECT DISTINCT value FROM facet_values JOIN documents USING (doc)"
            " WHERE id = ? AND facet = ? ORDER BY value", (doc_id, name))]
    finally:
        db.close()


def import_folder(data_dir: Path, folder: Path) -> Path:
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "import", str(folder)])
    assert result.exit_code == 0, result.output
    return data_dir


@pytest.fixture(scope="module")
def foreign_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Our five documents in other projects' manners imported once (tests must not change it)."""
    return import_folder(tmp_path_factory.mktemp("foreign") / "data", FOREIGN)


@pytest.fixture(scope="module")
def samples_archive(tmp_path_factory: pytest.TempPathFactory, tei_samples: Path) -> Path:
    """The five shared samples imported once (tests must not change it)."""
    return import_folder(tmp_path_factory.mktemp("imported") / "data", tei_samples)


#: Each imported file: (the fixture of its archive, its name).
IMPORTED = ([("foreign_archive", path.name) for path in sorted(FOREIGN.glob("*.xml"))]
            + [("samples_archive", name) for name in SAMPLES.values()])


def test_import_gives_each_document_an_id(foreign_archive: Path) -> None:
    records = load_imports(Settings(data_dir=foreign_archive))
    assert {key: Path(record.path).name for key, record in records.items()} == {
        LETTER: "letters__1851-06-14-Marsh.xml",  # no idno: the stem
        "stage000001": "stagetexts__engine.xml",  # publicationStmt/idno
        "b00042": "earlyprint__B00042.xml",  # the first of two idnos
        "bridges": "historians__bridges.xml",  # an idno of words, made an id
        "variorum__the-ferryman": "variorum__the-ferryman.xml",
    }


def test_import_prints_id_tab_path_for_every_sample(samples_archive: Path) -> None:
    records = load_imports(Settings(data_dir=samples_archive))
    assert {key: Path(record.path).name for key, record in records.items()} == SAMPLES


@pytest.mark.parametrize(("archive", "name"), IMPORTED)
def test_samples_are_stored_byte_for_byte(request: pytest.FixtureRequest, archive: str,
                                          name: str) -> None:
    data_dir = request.getfixturevalue(archive)
    records = load_imports(Settings(data_dir=data_dir))
    doc_id, record = next((k, r) for k, r in records.items() if Path(r.path).name == name)
    sample = Path(record.path)
    stored = (data_dir / "tei" / f"{doc_id}.xml").read_bytes()
    assert stored == sample.read_bytes()
    assert stored_bytes_equal(stored, sample.read_bytes())


@pytest.mark.parametrize(("doc_id", "name", "expected"), [
    # their @ref="#id" to the <back> lists: namespaced registry ids
    (LETTER, "person", f"{LETTER}.Paxton_Joseph"),
    (LETTER, "place", f"{LETTER}.Hyde_Park"),
    (LETTER, "org", f"{LETTER}.RoyalCommission"),
    # a ref that resolves nowhere keeps its local id
    (LETTER, "person", "Shelley_PB"),
    # unlinked names of an imported document: the normalised surface form
    ("bridges", "person", "John Smeaton"),
    ("bridges", "place", "Westminster"),
    ("bridges", "year", "1750"),
    # speakers of a play (sp/@who) to the particDesc, a group too
    ("stage000001", "person", "stage000001.Lovelace_Eng"),
    ("stage000001", "person", "stage000001.GUESTS_Eng"),
])
def test_entities_of_imported_documents_appear_in_facets(foreign_archive: Path, doc_id: str,
                                                         name: str, expected: str) -> None:
    assert expected in facet(foreign_archive, doc_id, name)


@pytest.mark.parametrize(("doc_id", "name", "expected"), [
    # their @ref="#id" to the <back> prosopography: namespaced registry ids
    ("digitalmitford__1819-01-10-marywebb", "person",
     "digitalmitford__1819-01-10-marywebb.Webb_Mary_younger"),
    ("digitalmitford__1819-01-10-marywebb", "place",
     "digitalmitford__1819-01-10-marywebb.Haymarket_Theatre"),
    # a ref that resolves nowhere keeps its local id
    ("digitalmitford__1819-01-10-marywebb", "person", "Shelley_PB"),
    # unlinked names of an imported document: the normalised surface form
    ("historyatstate__buildings", "person", "Benjamin Franklin"),
    ("historyatstate__buildings", "place", "Philadelphia"),
    ("historyatstate__buildings", "year", "1790"),
    # speakers of a play (sp/@who) to the particDesc
    ("shake000031", "person", "shake000031.Macbeth_Mac"),
])
def test_entities_of_samples_appear_in_facets(samples_archive: Path, doc_id: str, name: str,
                                              expected: str) -> None:
    assert expected in facet(samples_archive, doc_id, name)


def test_surface_forms_lose_punctuation_left_inside_tags(foreign_archive: Path) -> None:
    # <persName>Charles Labelye,</persName>, <placeName>Putney,</placeName>
    assert "Charles Labelye" in facet(foreign_archive, "bridges", "person")
    assert "Charles Labelye," not in facet(foreign_archive, "bridges", "person")
    assert facet(foreign_archive, "bridges", "place") == [
        "London", "Putney", "Westminster"]


def test_surface_forms_of_samples_lose_punctuation_left_inside_tags(
        samples_archive: Path) -> None:
    values = facet(samples_archive, "historyatstate__buildings", "person")
    assert "Benjamin Franklin," not in values


def test_document_lists_become_registry_entries_with_their_source(
        foreign_archive: Path) -> None:
    registry = Registry.load(foreign_archive / "registry")
    assert registry.get("stage000001.Lovelace_Eng") == Entry(
        "stage000001.Lovelace_Eng", "person", "Ada Lovelace", idnos=(("wikidata", "Q7259"),),
        source="stage000001")
    # the preferred form first; a list nested in a list; dates and an idno of the entry
    assert registry.get(f"{LETTER}.Caldwell_Anne").variants == ("Anne Marsh",)
    assert registry.get(f"{LETTER}.Marsh_Henry").name == "Henry Marsh"
    assert registry.get(f"{LETTER}.Byron") == Entry(
        f"{LETTER}.Byron", "person", "George Gordon, Lord Byron", birth="1788-01-22",
        death="1824-04-19", idnos=(("viaf", "https://viaf.org/viaf/95230730"),), source=LETTER)
    assert registry.get(f"{LETTER}.Bath").geo == (51.381, -2.359)
    sources = {e.source for e in registry.entries.values() if e.source}
    assert sources == {LETTER, "stage000001"}
    counts = {s: sum(e.source == s for e in registry.entries.values()) for s in sources}
    assert counts == {LETTER: 10, "stage000001": 4}


def test_sample_lists_become_registry_entries_with_their_source(samples_archive: Path) -> None:
    registry = Registry.load(samples_archive / "registry")
    assert registry.get("shake000031.Macbeth_Mac") == Entry(
        "shake000031.Macbeth_Mac", "person", "Macbeth", idnos=(("wikidata", "Q10322723"),), source="shake000031")
    sources = {e.source for e in registry.entries.values() if e.source}
    assert sources == {"digitalmitford__1819-01-10-marywebb", "shake000031"}
    counts = {s: sum(e.source == s for e in registry.entries.values()) for s in sources}
    assert counts == {"digitalmitford__1819-01-10-marywebb": 69, "shake000031": 45}


@pytest.mark.parametrize("archive", ["foreign_archive", "samples_archive"])
def test_check_and_validate_all_accept_imported_documents(request: pytest.FixtureRequest,
                                                          archive: str) -> None:
    data_dir = request.getfixturevalue(archive)
    runner = CliRunner()
    checked = runner.invoke(cli, ["--data", str(data_dir), "check"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines()[-1].startswith("5 documents checked: 0 problems")
    validated = runner.invoke(cli, ["--data", str(data_dir), "validate", "--all"])
    assert validated.exit_code == 0, validated.output


@pytest.mark.parametrize(("archive", "doc_id", "title"), [
    ("foreign_archive", "bridges", "Bridges of the Thames, 1729–1750"),
    ("samples_archive", "historyatstate__buildings", "Buildings of the Department of State"),
])
def test_imported_samples_render_in_the_viewer(request: pytest.FixtureRequest, archive: str,
                                               doc_id: str, title: str) -> None:
    webui = pytest.importorskip("webui")
    data_dir = request.getfixturevalue(archive)
    client = webui.create_app({"DATA_DIR": str(data_dir), "TESTING": True}).test_client()
    for key in load_imports(Settings(data_dir=data_dir)):
        response = client.get(f"/documents/{key}")
        assert response.status_code == 200, key
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert title in page


def imported(tmp_path: Path, *paths: Path, annotate: bool = False) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    import_files(settings, list(paths), annotate_names=annotate)
    return settings


def test_two_projects_p1_never_collide(tmp_path: Path) -> None:
    settings = imported(tmp_path, FIXTURES / "project_a_p1.xml", FIXTURES / "project_b_p1.xml")
    registry = Registry.load(settings.registry_dir)
    assert registry.get("a-letter-1.p1") == Entry("a-letter-1.p1", "person", "Ada Lovelace",
                                                  birth="1815-12-10", source="a-letter-1")
    assert registry.get("project_b_p1.p1") == Entry(
        "project_b_p1.p1", "person", "Bertrand Russell", idnos=(("wikidata", "Q33760"),),
        source="project_b_p1")
    assert facet(settings.data_dir, "a-letter-1", "person") == [
        "a-letter-1.p1", "https://viaf.org/viaf/1234"]  # a URI stays the key it is
    assert facet(settings.data_dir, "a-letter-1", "place") == ["geo:2643743"]  # @key as is
    # names inside their list entries are not mentions
    assert facet(settings.data_dir, "project_b_p1", "person") == ["project_b_p1.p1"]


def test_mentions_outside_identified_elements_are_indexed(tmp_path: Path) -> None:
    settings = imported(tmp_path, FIXTURES / "project_a_p1.xml")
    db = read_only(settings.index_path)  # (its passages: a view through the archive's function)
    rows = db.execute('SELECT p.xml_id, type, ref, surface, "when" FROM mentions'
                      " LEFT JOIN passages p USING (passage) ORDER BY start").fetchall()
    db.close()
    # the paragraph has no xml:id: a passage all the same, cited as body.p
    assert rows == [("body.p", "person", "a-letter-1.p1", "Ada", None),
                    ("body.p", "place", "geo:2643743", "London", None),
                    ("body.p", "date", None, "1 July 1843", "1843-07-01"),
                    ("body.p", "person", "https://viaf.org/viaf/1234", "Babbage", None)]


def test_refs_into_a_separate_list_file(tmp_path: Path) -> None:
    settings = imported(tmp_path, FIXTURES / "separate_list")
    assert not (settings.tei_dir / "persons.xml").exists()  # a list file is not a document
    registry = Registry.load(settings.registry_dir)
    assert registry.get("persons.mary") == Entry(
        "persons.mary", "person", "Mary Shelley", variants=("Mary Wollstonecraft Godwin",),
        source="persons")
    assert registry.get("persons.geneva").geo == (46.2, 6.15)
    assert facet(settings.data_dir, "letter", "person") == ["persons.mary"]
    assert facet(settings.data_dir, "letter", "place") == ["persons.geneva"]


def test_reimport_replaces_and_a_taken_id_is_refused_unless_renamed(tmp_path: Path) -> None:
    settings = imported(tmp_path, FIXTURES / "project_b_p1.xml")
    again = import_files(settings, [FIXTURES / "project_b_p1.xml"])
    assert again == [("project_b_p1", FIXTURES / "project_b_p1.xml")]
    copy = tmp_path / "elsewhere" / "project_b_p1.xml"
    copy.parent.mkdir()
    copy.write_bytes((FIXTURES / "project_b_p1.xml").read_bytes())
    with pytest.raises(ArchiveError, match="'project_b_p1' is already the id of .*--rename"):
        import_files(settings, [copy])
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()[:8]
    assert import_files(settings, [copy], rename=True) == [(f"project_b_p1-{digest}", copy)]
    assert import_files(settings, [copy], id_prefix="b") == [("b-project_b_p1", copy)]
    registry = Registry.load(settings.registry_dir)
    # one person (one Wikidata id) in the three files: one entry, each file's p1 a name of it
    assert [(e.id, sorted(e.aliases)) for e in registry.entries.values() if e.source] == [
        ("b-project_b_p1.p1", sorted([f"project_b_p1-{digest}.p1", "project_b_p1.p1"]))]


@pytest.mark.parametrize(("name", "message"), [
    ("not_well_formed.xml", ":2:160: not well-formed XML: Opening and ending tag mismatch: "
                            "p line 2 and body"),
    ("no_namespace.xml", ":2: root element TEI is in no namespace, not the TEI namespace "
                         "http://www.tei-c.org/ns/1.0"),
])
def test_a_bad_file_is_refused_and_the_others_imported(tmp_path: Path, name: str,
                                                      message: str) -> None:
    data_dir = tmp_path / "data"
    args = ["--data", str(data_dir), "import", str(FIXTURES / "project_a_p1.xml"),
            str(FIXTURES / name)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.stderr == f"archive: error: {FIXTURES / name}{message}\n"
    assert result.stdout == f"a-letter-1\t{FIXTURES / 'project_a_p1.xml'}\n"  # its idno
    assert (data_dir / "tei" / "a-letter-1.xml").is_file()
    strict = CliRunner().invoke(cli, ["--data", str(tmp_path / "strict"), "import", "--strict",
                                      *args[3:]])
    assert strict.exit_code == 1
    assert strict.output == f"archive: error: {FIXTURES / name}{message}\n"
    assert not (tmp_path / "strict").exists()


def test_annotate_tags_only_untagged_text_with_resp(tmp_path: Path) -> None:
    from lxml import etree

    from tei.namespaces import NSMAP

    source = FIXTURES / "untagged_text_for_annotation.xml"
    settings = imported(tmp_path, source, annotate=True)
    tree = etree.parse(str(settings.tei_dir / "untagged_text_for_annotation.xml"))
    before = etree.parse(str(source))
    body = "string(//tei:body)"
    assert tree.xpath(body, namespaces=NSMAP) == before.xpath(body, namespaces=NSMAP)
    names = [(etree.QName(e).localname, e.get("ref"), e.get("resp"), e.text)
             for e in tree.xpath("//tei:body//*[@ref or @resp]", namespaces=NSMAP)]
    assert names == [
        ("date", None, "#archive-dates", "1923"),
        ("persName", "#lt", None, "Trotsky"),  # theirs, untouched
        ("persName", "#leon-trotsky", "#archive-registry", "Leon Trotsky"),
        ("placeName", "#moscow", "#archive-registry", "Moscow"),
    ]
    assert tree.xpath("//tei:hi/text()", namespaces=NSMAP) == ["New Course"]
    apps = tree.xpath("//tei:appInfo/tei:application/@xml:id", namespaces=NSMAP)
    assert apps == ["archive-dates", "archive-registry"]
    assert facet(settings.data_dir, "untagged_text_for_annotation", "person") == [
        "leon-trotsky", "untagged_text_for_annotation.lt"]


# --- one registry across an edition --------------------------------------------------------------

EDITIONS = Path(__file__).resolve().parents[1] / "fixtures" / "editions"


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, str]]:
    """The three letters of one edition imported once: (settings, file stem → document id)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("edition") / "data")
    ids = {path.stem: doc_id for doc_id, path in
           import_files(settings, [EDITIONS / "letters"])}
    return settings, ids


def imported_entries(settings: Settings) -> dict[str, Entry]:
    return {k: e for k, e in Registry.load(settings.registry_dir).entries.items() if e.source}


def test_one_person_in_many_letters_is_one_registry_entry(
        edition: tuple[Settings, dict[str, str]]) -> None:
    settings, ids = edition
    entries = imported_entries(settings)
    by_name = {entry.name: entry for entry in entries.values()}
    # Clara Vogt: the same xml:id in the letters (and a GND number); Emil Brandt: the same
    # xml:id and VIAF number; Otto Roth: only the VIAF number (an idno, a URI in @sameAs)
    clara, otto = by_name["Vogt, Clara"], by_name["Otto Roth"]
    emil = entries[f"{ids['L0001']}.pe2"]
    assert clara.id == f"{ids['L0001']}.pe1"
    assert clara.aliases == (f"{ids['L0002']}.pe1",)
    assert clara.variants == ("Clara Vogt", "Clara Vogt-Lind")
    assert clara.birth == "1850-01-01"  # <birth><date when=…/></birth>
    assert emil.aliases == (f"{ids['L0002']}.pe2",) and emil.birth == "1845"
    assert set(emil.idnos) == {("VIAF", "http://viaf.org/viaf/200000002"),
                               ("viaf", "200000002"),
                               ("gnd", "100000002")}
    assert otto.aliases == (f"{ids['L0003']}.roth",)
    # the same xml:id pe9 for two people (other names), a GND number against Emil's: apart
    assert {"Anna Keller", "Paul Winter"} <= set(by_name)
    assert sum(entry.name == "Emil Brandt" or "Emil Brandt" in entry.variants
               for entry in entries.values()) == 2
    assert len(entries) == 7  # not 10, one per list entry
    # every letter's pointers resolve to the one entry
    assert facet(settings.data_dir, ids["L0002"], "person") == sorted(
        [clara.id, otto.id, f"{ids['L0002']}.pe9"])
    assert set(facet(settings.data_dir, ids["L0003"], "person")) == {
        otto.id, f"{ids['L0003']}.pe9", f"{ids['L0003']}.pe2"}


def test_rs_typed_person_counts_like_persname(
        edition: tuple[Settings, dict[str, str]]) -> None:
    settings, ids = edition
    emil = imported_entries(settings)[f"{ids['L0001']}.pe2"]
    # the letter names one person, as <rs type="person" ref="#pe2">Ihrem Bruder</rs>
    assert facet(settings.data_dir, ids["L0001"], "person") == [emil.id]
    assert facet(settings.data_dir, ids["L0001"], "place") == [f"{ids['L0001']}.pl1"]


def test_the_dates_of_a_person_list_fill_no_year(edition: tuple[Settings, dict[str, str]]
                                                 ) -> None:
    settings, ids = edition
    # the text's date, not the birth and death years of the person list (1845, 1850, 1910)
    assert facet(settings.data_dir, ids["L0001"], "year") == ["1891"]
    assert facet(settings.data_dir, ids["L0001"], "decade") == ["1890s"]


def test_check_reports_what_could_not_be_merged(edition: tuple[Settings, dict[str, str]]
                                                ) -> None:
    settings, ids = edition
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "check"])
    lines = [line for line in result.output.splitlines() if "not merged" in line]
    assert sorted(lines) == [
        f"warning: {ids['L0001']}.pe2 and {ids['L0003']}.pe2 share the xml:id 'pe2' in one "
        "project but are not merged: with different gnd ids (100000002, 999999999) [registry]",
        f"warning: {ids['L0002']}.pe9 and {ids['L0003']}.pe9 share the xml:id 'pe9' in one "
        "project but are not merged: under different names ('Anna Keller' / 'Paul Winter') "
        "[registry]",
    ]
    assert result.exit_code == 0  # warnings


def test_a_reimport_keeps_one_entry_and_its_pointers(tmp_path: Path) -> None:
    settings = imported(tmp_path, EDITIONS / "letters")
    before = imported_entries(settings)
    import_files(settings, [EDITIONS / "letters" / "L0002.xml"])
    assert imported_entries(settings) == before


def test_roles_of_two_plays_stay_apart(tmp_path: Path) -> None:
    settings = imported(tmp_path, EDITIONS / "plays")
    servants = [e for e in imported_entries(settings).values() if e.name == "Diener"]
    assert len(servants) == 2 and not any(e.aliases for e in servants)
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "check"])
    assert "not merged" not in result.output


def test_annotate_never_tags_inside_a_token(tmp_path: Path) -> None:
    # A name inside <w> makes the document invalid TEI: "Trotsky" of <w>Trotsky's</w> stays
    # untagged; a whole <w>Moscow</w> is wrapped from outside.
    from lxml import etree

    from tei.namespaces import NSMAP

    settings = imported(tmp_path, FIXTURES / "tokenised_for_annotation.xml", annotate=True)
    tree = etree.parse(str(settings.tei_dir / "tokenised_for_annotation.xml"))
    assert tree.xpath("//tei:w//tei:persName | //tei:w//tei:placeName | //tei:w//tei:date",
                      namespaces=NSMAP) == []
    assert tree.xpath("//tei:placeName/tei:w/text()", namespaces=NSMAP) == ["Moscow"]


def test_annotate_that_would_make_a_document_invalid_writes_nothing(tmp_path: Path) -> None:
    # The gate holds imported documents to the configured tei_all: here a stand-in schema that
    # forbids persName, so tagging "Leon Trotsky" adds an error the input did not have.
    source = FIXTURES / "plain_for_annotation.xml"
    settings = Settings(data_dir=tmp_path / "data", tei_all_rng=FIXTURES / "no_persname.rng")
    with pytest.raises(ArchiveError, match="tagging made it invalid TEI"):
        import_files(settings, [source], annotate_names=True)
    assert not (settings.tei_dir / "plain_for_annotation.xml").exists()
    import_files(settings, [source])  # untagged, it is what it was: imported as it is
    assert (settings.tei_dir / "plain_for_annotation.xml").read_bytes() == source.read_bytes()
