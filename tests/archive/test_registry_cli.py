from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.config import SAMPLE_REGISTRY_DIR, SCHEMAS_DIR, Settings
from archive.registry.authority import Entry, Registry
from tei.validate import RegistryIds, validate_file

NS = 'xmlns="http://www.tei-c.org/ns/1.0"'
RESP = 'resp="#resp-archive"'
BRONSTEIN = Entry("lev-bronstein", "person", "Lev Bronstein", proposed=True)


def run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data", str(data), *args])


def document(body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI {NS} xml:lang="en"><teiHeader>'
            "<fileDesc><titleStmt><title>Bronstein</title><respStmt xml:id=\"resp-archive\">"
            "<resp>Encoded by</resp><name>TEI Archive</name></respStmt></titleStmt>"
            "<publicationStmt><publisher>TEI Archive</publisher></publicationStmt>"
            "<sourceDesc><p>Written for the tests.</p></sourceDesc></fileDesc></teiHeader>"
            f'<text><body><div xml:id="d1"><p xml:id="p1">{body}</p></div></body></text></TEI>\n')


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory: two documents, the sample registry plus one proposal."""
    (tmp_path / "tei").mkdir()
    (tmp_path / "tei" / "left_opposition.xml").write_text(document(
        f'<persName ref="#leon-trotsky" {RESP}>Leon Trotsky</persName> spoke in '
        f'<placeName ref="#moscow" {RESP}>Moscow</placeName> and '
        f'<placeName ref="#saint-petersburg" {RESP}>Leningrad</placeName>.'), encoding="utf-8")
    (tmp_path / "tei" / "bronstein.xml").write_text(document(
        f'<persName ref="#lev-bronstein" {RESP}>Lev Bronstein</persName> lived in '
        f'<placeName ref="#moscow" {RESP}>Moscow</placeName>.'), encoding="utf-8")
    registry = Registry.load(SAMPLE_REGISTRY_DIR)
    registry.add(BRONSTEIN)
    registry.save(tmp_path / "registry")
    return tmp_path


def registry_of(data: Path) -> Registry:
    return Registry.load(Settings(data_dir=data).registry_dir)


@pytest.mark.parametrize("args", [
    ["registry"], ["registry", "list"], ["registry", "show"], ["registry", "add"],
    ["registry", "merge"], ["registry", "remove"], ["review"], ["review", "list"],
    ["review", "accept"], ["review", "merge"], ["review", "reject"],
])
def test_every_command_has_help(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path, *args, "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")


def test_list_reads_the_sample_registry_when_the_data_directory_has_none(tmp_path: Path) -> None:
    result = run(tmp_path, "registry", "list", "--type", "place")
    assert result.exit_code == 0
    assert result.output.splitlines()[:3] == [
        "alma-ata\tplace\tAlma-Ata", "atlantic-highlands\tplace\tAtlantic Highlands",
        "berlin\tplace\tBerlin"]
    assert not (tmp_path / "registry").exists()  # reading copies nothing


def test_list_proposed_and_show(data: Path) -> None:
    assert run(data, "registry", "list", "--proposed").output == (
        "lev-bronstein\tperson\tLev Bronstein  (proposed)\n")
    assert run(data, "registry", "show", "moscow").output == (
        "id:       moscow\ntype:     place\nname:     Moscow\ngeo:      55.75204 37.61781\n"
        "geonames: 524901\nstatus:   reviewed\n")


def test_add_copies_the_sample_registry_in_first(tmp_path: Path) -> None:
    result = run(tmp_path, "registry", "add", "--type", "person", "--name", "Max  Shachtman",
                 "--variant", "Shachtman", "--birth", "1904", "--death", "1972-11-04",
                 "--wikidata", "Q1398573", "--viaf", "12345")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "added max-shachtman"
    registry = registry_of(tmp_path)
    assert registry.get("max-shachtman") == Entry(
        "max-shachtman", "person", "Max Shachtman", ("Shachtman",), "1904", "1972-11-04",
        idnos=(("wikidata", "Q1398573"), ("viaf", "12345")))
    assert registry.ids() == Registry.load(SAMPLE_REGISTRY_DIR).ids() | {"max-shachtman"}


def test_add_place_looks_up_coordinates(data: Path) -> None:
    result = run(data, "registry", "add", "--type", "place", "--name", "Coyoacán")
    assert result.exit_code == 0, result.output
    assert registry_of(data).get("coyoacan") == Entry(
        "coyoacan", "place", "Coyoacán", geo=(19.3467, -99.16174),
        idnos=(("geonames", "3530139"),))


@pytest.mark.parametrize("args, message", [
    (["registry", "show", "nobody"], "no registry entry 'nobody'"),
    (["registry", "merge", "leon-trotsky", "nobody"], "no registry entry 'nobody'"),
    (["registry", "merge", "moscow", "leon-trotsky"],
     "cannot merge person 'leon-trotsky' into place 'moscow'"),
    (["registry", "remove", "nobody"], "no registry entry 'nobody'"),
    (["review", "accept", "nobody"], "no registry entry 'nobody'"),
    (["review", "reject", "leon-trotsky"], "registry entry 'leon-trotsky' is not a proposal"),
    (["review", "merge", "moscow", "russia"], "registry entry 'moscow' is not a proposal"),
    (["registry", "add", "--type", "person", "--name", "Leon Trotsky", "--id", "leon-trotsky"],
     "registry id 'leon-trotsky' is already in use"),
    (["registry", "add", "--type", "person", "--name", "X", "--wikidata", "33391"],
     "--wikidata must look like Q33391, not '33391'"),
    (["registry", "add", "--type", "place", "--name", "X", "--birth", "1900"],
     "registry entry 'x': birth must be a person's ISO date (YYYY, YYYY-MM or YYYY-MM-DD), "
     "not '1900'"),
    (["registry", "remove", "moscow"],
     "'moscow' is still referenced by 2 document(s) (bronstein.xml, left_opposition.xml); "
     "merge it into another entry, or use --force"),
])
def test_refusals_are_one_line_and_change_nothing(data: Path, args: list[str],
                                                  message: str) -> None:
    before = {path: path.read_bytes() for path in sorted(data.rglob("*.xml"))}
    result = run(data, *args)
    assert result.exit_code == 1
    assert result.stderr == f"archive: error: {message}\n"
    assert {path: path.read_bytes() for path in sorted(data.rglob("*.xml"))} == before


def assert_documents_valid(data: Path) -> None:
    registry = registry_of(data)
    ids = RegistryIds(*(frozenset(e.id for e in registry.entries.values() if e.type == kind)
                        for kind in ("person", "place", "org")))
    for path in sorted((data / "tei").glob("*.xml")):
        report = validate_file(path, rng=SCHEMAS_DIR / "archive.rng",
                               sch=SCHEMAS_DIR / "archive.sch", registry_ids=ids)
        assert report.issues == ()


def test_registry_merge_rewrites_refs(data: Path) -> None:
    untouched = (data / "tei" / "left_opposition.xml").read_bytes()
    result = run(data, "registry", "merge", "leon-trotsky", "lev-bronstein")
    assert result.output == "merged lev-bronstein into leon-trotsky; 1 document(s) updated\n"
    assert (data / "tei" / "bronstein.xml").read_text(encoding="utf-8") == document(
        f'<persName ref="#leon-trotsky" {RESP}>Lev Bronstein</persName> lived in '
        f'<placeName ref="#moscow" {RESP}>Moscow</placeName>.')
    assert (data / "tei" / "left_opposition.xml").read_bytes() == untouched
    registry = registry_of(data)
    assert registry.get("lev-bronstein") is None
    trotsky = registry.get("leon-trotsky")
    assert trotsky is not None and trotsky.variants[-1] == "Lev Bronstein"
    assert_documents_valid(data)


def test_remove_with_force_unlinks_mentions(data: Path) -> None:
    result = run(data, "registry", "remove", "moscow", "--force")
    assert result.output == "removed moscow; 2 document(s) unlinked\n"
    assert 'ref="#moscow"' not in (data / "tei" / "left_opposition.xml").read_text("utf-8")
    assert registry_of(data).get("moscow") is None
    assert_documents_valid(data)


def test_review_list_accept(data: Path) -> None:
    assert run(data, "review").output == "lev-bronstein\tperson\tLev Bronstein  (proposed)\n"
    assert run(data, "review", "accept", "lev-bronstein").output == "accepted lev-bronstein\n"
    assert run(data, "review", "list").output == "no proposals to review\n"
    assert registry_of(data).get("lev-bronstein") == Entry("lev-bronstein", "person",
                                                           "Lev Bronstein")


def test_review_merge_into_an_entry(data: Path) -> None:
    result = run(data, "review", "merge", "lev-bronstein", "leon-trotsky")
    assert result.output == "merged lev-bronstein into leon-trotsky; 1 document(s) updated\n"
    assert 'ref="#leon-trotsky"' in (data / "tei" / "bronstein.xml").read_text("utf-8")
    assert registry_of(data).find("Lev Bronstein") == [registry_of(data).get("leon-trotsky")]
    assert_documents_valid(data)


def test_review_reject_is_remembered(data: Path) -> None:
    result = run(data, "review", "reject", "lev-bronstein")
    assert result.output == "rejected lev-bronstein (Lev Bronstein); 1 document(s) unlinked\n"
    written = (data / "tei" / "bronstein.xml").read_text("utf-8")
    assert f'<persName {RESP}>Lev Bronstein</persName>' in written
    registry = registry_of(data)
    assert registry.get("lev-bronstein") is None
    assert registry.propose("Lev Bronstein", "person") is None
    assert_documents_valid(data)


def test_a_merge_that_would_write_an_invalid_document_changes_nothing(data: Path) -> None:
    # a document already broken by hand (a date that is not ISO): the gate refuses to rewrite it
    broken = data / "tei" / "bronstein.xml"
    broken.write_text(broken.read_text(encoding="utf-8").replace(
        " lived in ", f' lived <date when="in 1923" {RESP}>in 1923</date> in '), encoding="utf-8")
    before = {path: path.read_bytes() for path in sorted(data.rglob("*.xml"))}
    result = run(data, "registry", "merge", "leon-trotsky", "lev-bronstein")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"archive: error: {broken}: not changed: the document would "
                                    "be invalid")
    assert {path: path.read_bytes() for path in sorted(data.rglob("*.xml"))} == before
