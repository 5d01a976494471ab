from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from archive.config import SAMPLE_REGISTRY_DIR, SCHEMAS_DIR, Settings
from archive.errors import RegistryError
from archive.registry import ImportRecord, RefResolver, name_text
from archive.registry.authority import FILE_NAMES, Entry, Registry, load_registry, rewrite_refs
from archive.registry.merging import authority_id
from archive.registry.places import PlaceMatch, lookup_place
from tei.errors import TeiSyntaxError
from tei.validate import compile_relaxng, validate_file

NS = 'xmlns="http://www.tei-c.org/ns/1.0"'

TROTSKY = Entry("leon-trotsky", "person", "Leon Trotsky", ("Trotsky", "the Old Man"),
                "1879-11-07", "1940-08-21", idnos=(("wikidata", "Q33391"),))
BRONSTEIN = Entry("lev-bronstein", "person", "Lev Davidovich Bronstein", ("Trotsky", "L. D."),
                  "1879", idnos=(("wikidata", "Q0"), ("viaf", "123")), proposed=True,
                  source="imported from the Paris Commune project")
MOSCOW = Entry("moscow", "place", "Moscow", geo=(55.75204, 37.61781),
               idnos=(("geonames", "524901"),))
COMINTERN = Entry("comintern", "org", "Communist International", ("Comintern",))


def small() -> Registry:
    registry = Registry()
    for entry in (TROTSKY, BRONSTEIN, MOSCOW, COMINTERN):
        registry.add(entry)
    registry.rejected.add(("person", "Opposition"))
    return registry


def document(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI {NS}><teiHeader><fileDesc><titleStmt>'
            "<title>T</title></titleStmt><publicationStmt><p>P</p></publicationStmt>"
            f"<sourceDesc><p>S</p></sourceDesc></fileDesc></teiHeader><text><body>{body}"
            "</body></text></TEI>\n").encode()


@pytest.fixture(scope="module")
def tei_all_schema(tei_all: Path) -> etree.RelaxNG:
    return compile_relaxng(tei_all)  # compiled once per session (cached)


def test_sample_registry_round_trip_is_byte_identical(tmp_path: Path) -> None:
    registry = Registry.load(SAMPLE_REGISTRY_DIR)
    registry.save(tmp_path)
    for name in FILE_NAMES.values():
        assert (tmp_path / name).read_bytes() == (SAMPLE_REGISTRY_DIR / name).read_bytes()
    assert Registry.load(tmp_path) == registry


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    registry = small()
    registry.save(tmp_path)
    first = {name: (tmp_path / name).read_bytes() for name in FILE_NAMES.values()}
    again = Registry.load(tmp_path)
    assert again == registry
    assert again.get("lev-bronstein") == BRONSTEIN
    again.save(tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in FILE_NAMES.values()} == first
    assert b'<person xml:id="lev-bronstein" resp="#archive-ner" cert="low">' in first["persons.xml"]
    assert b'</listPerson>\n    <note type="rejected">Opposition</note>' in first["persons.xml"]


def test_missing_directory_is_empty_and_empty_types_have_no_file(tmp_path: Path) -> None:
    assert Registry.load(tmp_path / "nowhere") == Registry()
    registry = Registry()
    registry.add(MOSCOW)
    registry.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places.xml"]
    registry.remove("moscow")
    registry.save(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_names_ids_get() -> None:
    registry = small()
    assert list(registry.names()) == [
        ("Communist International", "comintern", "org"), ("Comintern", "comintern", "org"),
        ("Leon Trotsky", "leon-trotsky", "person"), ("Trotsky", "leon-trotsky", "person"),
        ("the Old Man", "leon-trotsky", "person"), ("Moscow", "moscow", "place")]
    assert ("L. D.", "lev-bronstein", "person") in registry.names(include_proposed=True)
    assert registry.ids() == {"leon-trotsky", "lev-bronstein", "moscow", "comintern"}
    assert registry.get("moscow") == MOSCOW
    assert registry.get("nobody") is None
    assert registry.find("the  old man") == [TROTSKY]
    assert registry.find("Trotsky", "person") == [TROTSKY, BRONSTEIN]


@pytest.mark.parametrize("name, expected", [
    ("Leon Trotsky", "leon-trotsky-2"),  # the plain slug is taken
    ("Pierre Broué", "pierre-broue"),
    ("Russian Communist Party (Bolsheviks)", "russian-communist-party-bolsheviks"),
    ("I. N. Smirnov", "i-n-smirnov"),
    ("46 Bolsheviks", "n-46-bolsheviks"),
    ("Левая оппозиция", "entry"),
    ("archive-ner", "archive-ner-2"),  # the header's own id
])
def test_mint_id(name: str, expected: str) -> None:
    assert small().mint_id(name) == expected


@pytest.mark.parametrize("entry, message", [
    (TROTSKY, "registry id 'leon-trotsky' is already in use"),
    (Entry("1917", "person", "X"), "'1917' is not a usable id"),
    (Entry("x", "person", " "), "registry entry 'x' has an empty name"),
    (Entry("x", "person", "X", birth="7 Nov 1879"), "birth must be a person's ISO date"),
    (Entry("x", "org", "X", death="1943"), "death must be a person's ISO date"),
    (Entry("x", "person", "X", geo=(1.0, 2.0)), "only places have coordinates"),
])
def test_add_refuses(entry: Entry, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        small().add(entry)


def test_merge_folds_names_and_fills_gaps() -> None:
    registry = small()
    merged = registry.merge("leon-trotsky", "lev-bronstein")
    assert merged == Entry(
        "leon-trotsky", "person", "Leon Trotsky",
        ("Trotsky", "the Old Man", "Lev Davidovich Bronstein", "L. D."), "1879-11-07",
        "1940-08-21", idnos=(("wikidata", "Q33391"), ("viaf", "123")),
        source="imported from the Paris Commune project",
        aliases=("lev-bronstein",))  # an imported entry's id: its documents still point to it
    assert registry.ids() == {"leon-trotsky", "moscow", "comintern"}


def test_a_merged_imported_entry_keeps_resolving_and_its_aliases_are_saved(
        tmp_path: Path) -> None:
    registry = Registry()
    registry.add(Entry("letter-1.p1", "person", "Ada Lovelace", source="letter-1"))
    registry.add(Entry("letter-2.p7", "person", "Augusta Ada King", source="letter-2",
                       aliases=("letter-3.p1",)))
    registry.merge("letter-1.p1", "letter-2.p7")
    registry.save(tmp_path)
    loaded = Registry.load(tmp_path)
    assert loaded.require("letter-1.p1").aliases == ("letter-2.p7", "letter-3.p1")
    imports = {doc: ImportRecord(doc, f"/edition/{doc}.xml", "") for doc in
               ("letter-1", "letter-2", "letter-3")}
    resolver = RefResolver(loaded.ids(), imports, {a: e.id for e in loaded.entries.values()
                                                   for a in e.aliases})
    assert [resolver.for_document(doc).key(ref) for doc, ref in (
        ("letter-1", "#p1"), ("letter-2", "#p7"), ("letter-3", "#p1"), ("letter-3", "#p2"))] == [
        "letter-1.p1", "letter-1.p1", "letter-1.p1", "p2"]


@pytest.mark.parametrize(("kind", "value", "expected"), [
    ("gnd", "https://d-nb.info/gnd/118609807/", ("gnd", "118609807")),
    ("uri", "http://d-nb.info/gnd/11860980X", ("gnd", "11860980X")),
    ("pnd", "118587080", ("gnd", "118587080")),
    ("VIAF", "200000002", ("viaf", "200000002")),
    ("uri", "https://viaf.org/viaf/7394811/", ("viaf", "7394811")),
    ("wikidata", "Q692", ("wikidata", "Q692")),
    ("uri", "http://www.wikidata.org/entity/Q44862", ("wikidata", "Q44862")),
    ("geonames", "https://www.geonames.org/2761369/wien.html", ("geonames", "2761369")),
    ("pmb", "https://pmb.acdh.oeaw.ac.at/entity/2121/", None),  # not an authority merged on
    ("gnd", "unknown", None),
])
def test_authority_ids_are_read_in_their_usual_forms(kind: str, value: str,
                                                     expected: tuple[str, str] | None) -> None:
    assert authority_id(kind, value) == expected


@pytest.mark.parametrize(("markup", "expected"), [
    ("<persName><forename>Johann</forename><surname>Nestroy</surname></persName>",
     "Johann Nestroy"),
    ("<persName><surname>Schnitzler</surname><forename>Arthur</forename></persName>",
     "Schnitzler, Arthur"),
    ("<author><persName><forename>William</forename> <surname>Shakespeare</surname></persName>"
     "<idno type='wikidata'>Q692</idno></author>", "William Shakespeare"),
    ("<author>Brandt, Emil <idno type='viaf'>200000002</idno><ptr target='#x'/></author>",
     "Brandt, Emil"),
    ("<persName>Mary <hi>Shelley</hi></persName>", "Mary Shelley"),
])
def test_names_are_read_without_authority_numbers(markup: str, expected: str) -> None:
    element = etree.fromstring(markup.replace(">", f" {NS}>", 1))
    assert name_text(element) == expected


@pytest.mark.parametrize("keep, drop, message", [
    ("leon-trotsky", "moscow", "cannot merge place 'moscow' into person 'leon-trotsky'"),
    ("moscow", "moscow", "cannot merge 'moscow' into itself"),
    ("leon-trotsky", "nobody", "no registry entry 'nobody'"),
])
def test_merge_refuses(keep: str, drop: str, message: str) -> None:
    registry = small()
    with pytest.raises(RegistryError, match=message):
        registry.merge(keep, drop)
    assert registry == small()


def test_rewrite_refs_changes_only_documents_that_point_to_the_old_id(tmp_path: Path) -> None:
    tei_dir = tmp_path / "tei"
    tei_dir.mkdir()
    pointing = document('<p><persName ref="#lev-bronstein">Bronstein</persName> and '
                        '<persName ref="#leon-trotsky">Trotsky</persName>: '
                        '<rs ref="#lev-bronstein #leon-trotsky">they</rs></p>')
    elsewhere = document('<p><placeName ref="#moscow">Moscow</placeName></p>')
    (tei_dir / "a.xml").write_bytes(pointing)
    (tei_dir / "b.xml").write_bytes(elsewhere)
    changed = rewrite_refs(tei_dir, {"lev-bronstein": "leon-trotsky"})
    assert changed == [tei_dir / "a.xml"]
    assert (tei_dir / "a.xml").read_bytes() == document(
        '<p><persName ref="#leon-trotsky">Bronstein</persName> and '
        '<persName ref="#leon-trotsky">Trotsky</persName>: <rs ref="#leon-trotsky">they</rs></p>')
    assert (tei_dir / "b.xml").read_bytes() == elsewhere
    assert rewrite_refs(tei_dir, {"moscow": None}) == [tei_dir / "b.xml"]
    assert (tei_dir / "b.xml").read_bytes() == document("<p><placeName>Moscow</placeName></p>")
    assert rewrite_refs(tmp_path / "no-tei-yet", {"a": "b"}) == []


def test_reject_then_propose_again_is_refused() -> None:
    registry = small()
    proposal = registry.propose("Victor  Serge", "person")
    assert proposal == Entry("victor-serge", "person", "Victor Serge", proposed=True)
    assert registry.propose("victor serge", "person") is None  # already proposed
    assert registry.reject("victor-serge") == proposal
    assert ("person", "Victor Serge") in registry.rejected
    assert registry.propose("Victor Serge", "person") is None
    assert registry.propose("Victor Serge", "org") is not None  # rejected as a person only
    assert registry.propose("Comintern", "org") is None  # a known variant
    assert registry.propose("Opposition", "person") is None  # rejected before


def test_accept_and_refusals_on_reviewed_entries() -> None:
    registry = small()
    assert registry.accept("lev-bronstein").proposed is False
    for operation in (registry.accept, registry.reject):
        with pytest.raises(RegistryError, match="'leon-trotsky' is not a proposal"):
            operation("leon-trotsky")
        with pytest.raises(RegistryError, match="no registry entry 'x'"):
            operation("x")


def test_proposed_place_gets_coordinates_and_geonames_id() -> None:
    registry = Registry()
    assert registry.propose("Vorkuta", "place") == Entry(
        "vorkuta", "place", "Vorkuta", geo=(67.50867, 64.0667),
        idnos=(("geonames", "1486910"),), proposed=True)
    assert registry.propose("Kolyma", "place") == Entry("kolyma", "place", "Kolyma",
                                                        proposed=True)


@pytest.mark.parametrize("name, expected", [
    ("Moscow", PlaceMatch("524901", 55.75204, 37.61781, "city")),
    ("Berlin", PlaceMatch("2950159", 52.52437, 13.41053, "city")),
    ("Mexico City", PlaceMatch("3530597", 19.42847, -99.12766, "city")),
    ("London", PlaceMatch("2643743", 51.50853, -0.12574, "city")),  # not London, Ontario
    ("Leningrad", PlaceMatch("498817", 59.93863, 30.31413, "city")),  # an alternate name
    ("alma ata", PlaceMatch("1526384", 43.25249, 76.9115, "city")),
    ("Mexico", PlaceMatch("3996063", None, None, "country")),
    ("USA", PlaceMatch("6252001", None, None, "country")),
    ("Europe", PlaceMatch("6255148", 48.69096, 9.14062, "continent")),
    ("USSR", PlaceMatch(None, None, None, "historical state")),
    ("Union of Soviet Socialist Republics", PlaceMatch(None, None, None, "historical state")),
    ("Kolyma", None),
    ("", None),
])
def test_lookup_place(name: str, expected: PlaceMatch | None) -> None:
    assert lookup_place(name) == expected


@pytest.mark.parametrize("xml, message", [
    (f"<listPerson {NS}><person><persName>X</persName></person></listPerson>",
     "line 1: <person> has no xml:id"),
    (f'<listPerson {NS}><person xml:id="a"><persName/></person></listPerson>',
     "line 1: <person> 'a' has no name"),
    (f'<listPlace {NS}><place xml:id="a"><placeName>A</placeName>'
     "<location><geo>north</geo></location></place></listPlace>",
     "<geo> must hold 'latitude longitude'"),
])
def test_load_refuses_bad_entries(tmp_path: Path, xml: str, message: str) -> None:
    (tmp_path / "persons.xml").write_text(
        f"<TEI {NS}><teiHeader/><standOff>{xml}</standOff></TEI>", encoding="utf-8")
    with pytest.raises(RegistryError, match=message) as caught:
        Registry.load(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / "persons.xml"))


def test_load_refuses_an_id_used_in_two_files(tmp_path: Path) -> None:
    small().save(tmp_path)
    orgs = (tmp_path / "orgs.xml").read_text(encoding="utf-8")
    (tmp_path / "orgs.xml").write_text(orgs.replace('"comintern"', '"moscow"'), encoding="utf-8")
    with pytest.raises(RegistryError, match="id 'moscow' is used twice"):
        Registry.load(tmp_path)


def test_load_refuses_malformed_xml(tmp_path: Path) -> None:
    (tmp_path / "orgs.xml").write_text("<TEI><standOff>", encoding="utf-8")
    with pytest.raises(TeiSyntaxError, match="not well-formed"):
        Registry.load(tmp_path)


def test_load_registry_prefers_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert load_registry(settings) == Registry.load(SAMPLE_REGISTRY_DIR)
    small().save(settings.registry_dir)
    assert load_registry(settings) == small()


@pytest.mark.parametrize("surface, entry_id", [
    ("Trotsky", "leon-trotsky"), ("the Old Man", "leon-trotsky"),
    ("Lev Davidovich Bronstein", "leon-trotsky"), ("I. N. Smirnov", "ivan-smirnov"),
    ("Vladimir Smirnov", "vladimir-smirnov"), ("Nadezhda Joffe", "nadezhda-joffe"),
    ("Adolph Joffe", "adolph-joffe"), ("USSR", "soviet-union"), ("Leningrad", "saint-petersburg"),
    ("Comintern", "comintern"), ("Russian Communist Party (Bolsheviks)", "russian-communist-party"),
    ("GPU", "gpu"), ("Fourth International", "fourth-international"), ("Serge", "victor-serge"),
])
def test_sample_registry_names(surface: str, entry_id: str) -> None:
    assert [entry.id for entry in Registry.load(SAMPLE_REGISTRY_DIR).find(surface)] == [entry_id]


def test_sample_registry_is_curated() -> None:
    registry = Registry.load(SAMPLE_REGISTRY_DIR)
    surfaces = [surface.casefold() for surface, _, _ in registry.names(include_proposed=True)]
    assert len(surfaces) == len(set(surfaces))  # every name points to one entry
    assert {"smirnov", "joffe", "opposition"}.isdisjoint(surfaces)  # ambiguous short forms
    assert not any(entry.proposed for entry in registry.entries.values())
    trotsky = registry.get("leon-trotsky")
    assert trotsky is not None and (trotsky.birth, trotsky.death) == ("1879-11-07", "1940-08-21")
    assert registry.get("moscow") == MOSCOW


def test_registry_files_are_valid_against_tei_all(tei_all_schema: etree.RelaxNG, tmp_path: Path) -> None:
    small().save(tmp_path)  # proposals, a source note, rejected forms
    for path in [*SAMPLE_REGISTRY_DIR.glob("*.xml"), *tmp_path.glob("*.xml")]:
        assert tei_all_schema.validate(etree.parse(str(path))), (path, str(tei_all_schema.error_log))


def test_registry_files_are_valid_against_the_archive_schemas(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_REGISTRY_DIR, tmp_path / "sample")
    small().save(tmp_path / "small")
    for path in sorted(tmp_path.glob("*/*.xml")):
        report = validate_file(path, rng=SCHEMAS_DIR / "archive.rng",
                               sch=SCHEMAS_DIR / "archive.sch")
        assert report.issues == (), path
