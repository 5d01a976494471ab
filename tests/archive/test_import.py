"""archive import: other projects' TEI kept untouched, their lists in the registry, indexed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.interchange.importer import import_files, stored_bytes_equal
from archive.registry.authority import Entry, Registry
from archive.registry.imports import load_imports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
SAMPLES = sorted((Path(__file__).resolve().parents[2].parent / "shared" / "tei-samples")
                 .glob("*.xml"))


def facet(data_dir: Path, doc_id: str, name: str) -> list[str]:
    db = sqlite3.connect(data_dir / "index.sqlite")
    try:
        return [value for (value,) in db.execute(
            "SELECT DISTINCT value FROM facet_values JOIN documents USING (doc)"
            " WHERE id = ? AND facet = ? ORDER BY value", (doc_id, name))]
    finally:
        db.close()


@pytest.fixture(scope="module")
def samples_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five shared samples imported once (tests must not change it)."""
    data_dir = tmp_path_factory.mktemp("imported") / "data"
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "import", str(SAMPLES[0].parent)])
    assert result.exit_code == 0, result.output
    return data_dir


def test_import_prints_id_tab_path_for_every_sample(samples_archive: Path) -> None:
    records = load_imports(Settings(data_dir=samples_archive))
    assert {key: Path(record.path).name for key, record in records.items()} == {
        "digitalmitford__1819-01-10-marywebb": "digitalmitford__1819-01-10-MaryWebb.xml",
        "a00002": "eebo-tcp__A00002.xml",  # publicationStmt/idno
        "eltec-eng__eng19020_nesbit": "eltec-eng__ENG19020_Nesbit.xml",  # no idno: the stem
        "historyatstate__buildings": "historyatstate__buildings.xml",
        "mac": "shakedracor__macbeth.xml",
    }


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_samples_are_stored_byte_for_byte(samples_archive: Path, sample: Path) -> None:
    records = load_imports(Settings(data_dir=samples_archive))
    doc_id = next(k for k, r in records.items() if Path(r.path).name == sample.name)
    stored = (samples_archive / "tei" / f"{doc_id}.xml").read_bytes()
    assert stored == sample.read_bytes()
    assert stored_bytes_equal(stored, sample.read_bytes())


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
    ("mac", "person", "mac.Macbeth_Mac"),
])
def test_entities_of_samples_appear_in_facets(samples_archive: Path, doc_id: str, name: str,
                                              expected: str) -> None:
    assert expected in facet(samples_archive, doc_id, name)


def test_surface_forms_lose_punctuation_left_inside_tags(samples_archive: Path) -> None:
    values = facet(samples_archive, "historyatstate__buildings", "person")
    assert "Benjamin Franklin," not in values


def test_sample_lists_become_registry_entries_with_their_source(samples_archive: Path) -> None:
    registry = Registry.load(samples_archive / "registry")
    assert registry.get("mac.Macbeth_Mac") == Entry(
        "mac.Macbeth_Mac", "person", "Macbeth", idnos=(("wikidata", "Q10322723"),), source="mac")
    sources = {e.source for e in registry.entries.values() if e.source}
    assert sources == {"digitalmitford__1819-01-10-marywebb", "mac"}
    counts = {s: sum(e.source == s for e in registry.entries.values()) for s in sources}
    assert counts == {"digitalmitford__1819-01-10-marywebb": 69, "mac": 45}


def test_check_and_validate_all_accept_imported_documents(samples_archive: Path) -> None:
    runner = CliRunner()
    checked = runner.invoke(cli, ["--data", str(samples_archive), "check"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.splitlines()[-1].startswith("5 documents checked: 0 problems")
    validated = runner.invoke(cli, ["--data", str(samples_archive), "validate", "--all"])
    assert validated.exit_code == 0, validated.output


def test_imported_samples_render_in_the_viewer(samples_archive: Path) -> None:
    webui = pytest.importorskip("webui")
    client = webui.create_app({"DATA_DIR": str(samples_archive), "TESTING": True}).test_client()
    for doc_id in load_imports(Settings(data_dir=samples_archive)):
        response = client.get(f"/documents/{doc_id}")
        assert response.status_code == 200, doc_id
    page = client.get("/documents/historyatstate__buildings").get_data(as_text=True)
    assert "Buildings of the Department of State" in page


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
    db = sqlite3.connect(settings.index_path)
    rows = db.execute('SELECT passage, type, ref, surface, "when" FROM mentions'
                      " ORDER BY start").fetchall()
    db.close()
    assert rows == [(None, "person", "a-letter-1.p1", "Ada", None),
                    (None, "place", "geo:2643743", "London", None),
                    (None, "date", None, "1 July 1843", "1843-07-01"),
                    (None, "person", "https://viaf.org/viaf/1234", "Babbage", None)]


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


def test_reimport_replaces_and_another_file_gets_a_suffix(tmp_path: Path) -> None:
    settings = imported(tmp_path, FIXTURES / "project_b_p1.xml")
    again = import_files(settings, [FIXTURES / "project_b_p1.xml"])
    assert again == [("project_b_p1", FIXTURES / "project_b_p1.xml")]
    copy = tmp_path / "elsewhere" / "project_b_p1.xml"
    copy.parent.mkdir()
    copy.write_bytes((FIXTURES / "project_b_p1.xml").read_bytes())
    assert import_files(settings, [copy]) == [("project_b_p1-2", copy)]
    registry = Registry.load(settings.registry_dir)
    assert sorted(e.id for e in registry.entries.values() if e.source) == [
        "project_b_p1-2.p1", "project_b_p1.p1"]


@pytest.mark.parametrize(("name", "message"), [
    ("not_well_formed.xml", ":2:160: not well-formed XML: Opening and ending tag mismatch: "
                            "p line 2 and body"),
    ("no_namespace.xml", ":2: root element TEI is in no namespace, not the TEI namespace "
                         "http://www.tei-c.org/ns/1.0"),
])
def test_a_bad_file_stops_the_run_before_anything_is_written(tmp_path: Path, name: str,
                                                             message: str) -> None:
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "import",
                                      str(FIXTURES / "project_a_p1.xml"), str(FIXTURES / name)])
    assert result.exit_code == 1
    assert result.output == f"archive: error: {FIXTURES / name}{message}\n"
    assert not data_dir.exists()


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
