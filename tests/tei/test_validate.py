"""tei.validate: archive.rng + archive.sch on fixtures named for their defect, tei_all subset-ness."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tei.namespaces import XML_ID
from tei.parse import parse_file
from tei.validate import (
    Issue,
    RegistryIds,
    ValidationReport,
    compile_relaxng,
    validate_bytes,
    validate_file,
    validate_tree,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "schematron"
REGISTRY = ROOT / "tests" / "fixtures" / "registry"
RNG = ROOT / "schemas" / "archive.rng"
SCH = ROOT / "schemas" / "archive.sch"
REGISTRY_IDS = RegistryIds(frozenset({"leon-trotsky"}), frozenset({"moscow"}),
                           frozenset({"comintern"}))


def archive_report(path: Path) -> ValidationReport:
    return validate_file(path, rng=RNG, sch=SCH, registry_ids=REGISTRY_IDS)


def sch_rules(report: ValidationReport) -> list[str | None]:
    return [issue.rule for issue in report.issues if issue.source == "sch"]


# fixture → (Schematron rule ids that fire, is it valid against archive.rng)
DEFECTS = [
    ("dangling_person_ref.xml", ["archive-ref-registry"], True),
    ("ref_not_a_pointer.xml", ["archive-ref-form"], True),
    ("invalid_date_when.xml", ["archive-date-format"], False),
    ("date_from_after_to.xml", ["archive-date-from-to"], True),
    ("notbefore_after_notafter.xml", ["archive-date-notbefore-notafter"], True),
    ("empty_pers_name.xml", ["archive-name-not-empty"], True),
    ("missing_title.xml", ["archive-header-title"], False),
    ("missing_resp_stmt.xml", ["archive-header-resp"], True),
    ("missing_source_desc.xml", ["archive-header-source"], False),
    ("tag_without_resp.xml", ["archive-tag-resp"], True),
    ("undeclared_resp.xml", ["archive-tag-resp-declared"], True),
]


@pytest.mark.parametrize(("name", "rules", "grammar_valid"), DEFECTS)
def test_each_rule_fires_on_its_fixture(name: str, rules: list[str], grammar_valid: bool) -> None:
    report = archive_report(FIXTURES / name)
    assert not report.valid
    assert sch_rules(report) == rules
    assert all(issue.severity == "error" and issue.line for issue in report.issues)
    assert (not any(issue.source == "rng" for issue in report.issues)) is grammar_valid


@pytest.mark.parametrize("name", ["valid_document.xml", "valid_export_standoff.xml"])
def test_valid_fixtures_pass_archive_schema(name: str) -> None:
    assert archive_report(FIXTURES / name) == ValidationReport(True, (), str(FIXTURES / name))


@pytest.mark.parametrize("name", ["persons.xml", "places.xml", "orgs.xml"])
def test_registry_fixtures_pass_archive_schema(name: str) -> None:
    assert archive_report(REGISTRY / name).issues == ()


def test_issue_points_at_the_line_and_says_what_is_wrong() -> None:
    report = archive_report(FIXTURES / "date_from_after_to.xml")
    path = str(FIXTURES / "date_from_after_to.xml")
    assert report.issues == (
        Issue("error", "sch", "archive-date-from-to",
              '@from="1927" is after @to="1923" on date.', path, 50),
    )
    assert str(report.issues[0]) == (
        f'{path}:50:0: error: @from="1927" is after @to="1923" on date. [archive-date-from-to]')


def test_ref_rule_is_skipped_without_a_registry() -> None:
    report = validate_file(FIXTURES / "dangling_person_ref.xml", rng=RNG, sch=SCH)
    assert report.valid


def test_registry_ids_are_read_from_registry_documents() -> None:
    trees = [parse_file(REGISTRY / name) for name in ("persons.xml", "places.xml", "orgs.xml")]
    ids = RegistryIds.from_trees(trees)
    assert ids == RegistryIds(frozenset({"leon-trotsky", "victor-serge"}),
                              frozenset({"moscow"}), frozenset({"comintern"}))
    assert ids.tokens() == " pers:leon-trotsky pers:victor-serge place:moscow org:comintern "


def test_a_ref_must_point_to_an_entry_of_its_own_kind() -> None:
    # "#moscow" exists, but as a place: a persName cannot point to it
    tree = parse_file(FIXTURES / "valid_document.xml")
    tree.getroot().find(".//{*}persName").set("ref", "#moscow")
    report = validate_tree(tree, "doc", sch=SCH, registry_ids=REGISTRY_IDS)
    assert sch_rules(report) == ["archive-ref-registry"]


def test_duplicate_xml_id_in_a_file_is_a_validity_error_with_its_line() -> None:
    # well-formed XML: the document is read, and the duplicate is an error where it stands
    report = archive_report(FIXTURES / "duplicate_xml_id.xml")
    assert not report.valid
    assert report.issues[0] == Issue("error", "xml", None,
                                     "duplicate xml:id 'p1' (first at line 47)",
                                     str(FIXTURES / "duplicate_xml_id.xml"), 62)
    assert "not well-formed" not in " ".join(i.message for i in report.issues)
    assert sch_rules(report) == ["archive-xml-id-unique", "archive-xml-id-unique"]


def test_duplicate_xml_id_in_a_tree_fires_the_rule() -> None:
    # a tree built in memory is not checked by the parser: the Schematron rule catches it
    tree = parse_file(FIXTURES / "valid_document.xml")
    tree.getroot().find(".//{*}item").set(XML_ID, "p1")
    report = validate_tree(tree, "doc", rng=RNG, sch=SCH, registry_ids=REGISTRY_IDS)
    assert sch_rules(report) == ["archive-xml-id-unique", "archive-xml-id-unique"]


def test_malformed_xml_is_reported_with_its_line_not_repaired() -> None:
    report = archive_report(FIXTURES / "not_well_formed.xml")
    assert not report.valid
    assert [(i.source, i.rule, i.line) for i in report.issues] == [("xml", None, 62)]
    assert "mismatch" in report.issues[0].message
    assert validate_bytes(b"<TEI>", "x.xml", rng=RNG).issues[0].source == "xml"


@pytest.mark.parametrize(
    ("value", "valid"),
    [("1923", True), ("1923-10", True), ("1923-10-15", True), ("2000-02-29", True),
     ("1900-02-29", False), ("1923-04-31", False), ("1923-13", False), ("1923-00", False),
     ("1923-12-32", False), ("15 October 1923", False), ("1923-1-5", False), ("-1923", False),
     ("1923-10-15T10:00:00", False), ("--10", False)],
)
def test_date_grammar_and_rule_agree(value: str, valid: bool) -> None:
    data = (FIXTURES / "valid_document.xml").read_bytes()
    data = data.replace(b'when="1923-10-15"', f'when="{value}"'.encode())
    assert validate_bytes(data, rng=RNG).valid is valid
    assert validate_bytes(data, sch=SCH).valid is valid


def test_unusable_schema_is_an_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.rng"
    bogus.write_text("<grammar/>")
    with pytest.raises(ValueError, match="not a usable RELAX NG schema"):
        compile_relaxng(bogus)


# Subset-ness: every document accepted by archive.rng must be accepted by tei_all.rng.
def variants() -> list[tuple[str, bytes]]:
    files = sorted(FIXTURES.glob("*.xml")) + sorted(REGISTRY.glob("*.xml"))
    found = [(file.name, file.read_bytes()) for file in files]
    base = (FIXTURES / "valid_document.xml").read_bytes()
    for old, new in [
        (b'<ab xml:id="ab1" type="byline">', b'<ab xml:id="ab1" type="promotional" rend="x">'),
        (b'<list xml:id="l2">', b'<list xml:id="l2" type="gloss">'),
        (b'<list xml:id="l2">', b'<list xml:id="l2" type="bulleted">'),
        (b'<hi rend="italic">', b'<hi rend="bold italic">'),
        (b'<quote xml:id="q1">', b'<quote xml:id="q1" xml:lang="de">'),
        (b'cert="medium"', b'cert="0.4"'),
        (b'cert="medium"', b'cert="maybe"'),
        (b'<lb/>', b'<lb break="no"/>'),
        (b'<body>', b'<body><p>Before.</p>'),
        (b'</body>', b'<div><p>trailing</p></div></body>'),
        (b'<persName resp="#archive-ner"', b'<persName type="variant" resp="#archive-ner"'),
        (b'<persName resp="#archive-ner"', b'<persName key="x" resp="#archive-ner"'),
        (b'<date when="1923-10-15"', b'<date when="1923-10-15" notBefore="1923"'),
        (b'<date when="1923-10-15"', b'<date when="10:15:00"'),
        (b'</teiHeader>', b'</teiHeader><standOff><listPlace><place xml:id="x"><placeName>X'
                          b'</placeName></place></listPlace></standOff>'),
        (b'<revisionDesc>', b'<revisionDesc status="draft">'),
        (b'<item xml:id="i2">', b'<item xml:id="i2"><note>a note</note>'),
        (b'<p xml:id="p2">', b'<p xml:id="p2"><seg>unknown</seg>'),
    ]:
        assert old in base, old
        found.append((f"{old.decode()} -> {new.decode()}", base.replace(old, new, 1)))
    return found


def test_archive_rng_is_a_subset_of_tei_all(tei_all: Path) -> None:
    accepted = 0
    for name, data in variants():
        if validate_bytes(data, name, rng=RNG).valid:
            accepted += 1
            assert validate_bytes(data, name, rng=tei_all).issues == (), name
    assert accepted >= 14


def test_valid_fixture_passes_tei_all(tei_all: Path) -> None:
    report = validate_file(FIXTURES / "valid_document.xml", rng=tei_all)
    assert report.issues == ()


def test_the_odd_itself_is_valid_tei(tei_all: Path) -> None:
    assert validate_file(ROOT / "schemas" / "archive.odd", rng=tei_all).issues == ()


def test_committed_schemas_are_generated_from_the_odd(tei_all: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "schemas" / "make_rng.py"), str(tei_all),
                             "--check"], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_make_rng_without_a_readable_tei_all_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "tei_all.rng"
    for arguments, message in [
        ([], "give the path of tei_all.rng, the official TEI P5 schema "
             "(e.g. ../shared/tei/tei_all.rng)"),
        ([str(missing)], f"{missing}: cannot read tei_all.rng: No such file or directory"),
        ([str(tmp_path)], f"{tmp_path}: cannot read tei_all.rng: Is a directory"),
    ]:
        result = subprocess.run([sys.executable, str(ROOT / "schemas" / "make_rng.py"),
                                 *arguments, "--check"], capture_output=True, text=True)
        assert (result.returncode, result.stdout, result.stderr) == (
            2, "", f"make_rng.py: error: {message}\n")


@pytest.mark.skipif(shutil.which("jing") is None, reason="jing is not installed")
def test_jing_agrees_that_archive_valid_documents_are_tei(tei_all: Path, tmp_path: Path) -> None:
    names = []
    for index, (name, data) in enumerate(variants()):
        if validate_bytes(data, name, rng=RNG).valid:
            names.append(tmp_path / f"{index}.xml")
            names[-1].write_bytes(data)
    result = subprocess.run(["jing", str(tei_all), *map(str, names)], capture_output=True,
                            text=True)
    assert (result.returncode, result.stdout) == (0, "")


def test_element_and_tree_inputs_give_the_same_report() -> None:
    tree = parse_file(FIXTURES / "tag_without_resp.xml")
    by_tree = validate_tree(tree, "doc", rng=RNG, sch=SCH)
    by_element = validate_tree(tree.getroot(), "doc", rng=RNG, sch=SCH)
    assert by_tree == by_element
    assert isinstance(etree.tostring(tree), bytes)


def test_a_flat_set_of_registry_ids_is_accepted() -> None:
    # kind unknown: any id may match any name element
    assert RegistryIds.of({"moscow"}) == RegistryIds(*[frozenset({"moscow"})] * 3)
    report = validate_file(FIXTURES / "dangling_person_ref.xml", sch=SCH,
                           registry_ids={"leon-trotsky", "moscow", "comintern"})
    assert sch_rules(report) == ["archive-ref-registry"]


def test_folios_pages_and_pointers_in_from_to_are_not_dates() -> None:
    """``locus`` folios, ``citedRange``/``biblScope`` pages and ``span``/``app`` pointers carry
    @from/@to too: the date rules leave them alone, and still judge a date's."""
    def rules(body: str) -> list[str | None]:
        data = (f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>{body}</body></text></TEI>'
                ).encode()
        return sch_rules(validate_bytes(data, sch=SCH, registry_ids=REGISTRY_IDS))

    assert rules('<p><locus from="1r" to="12v">ff. 1r–12v</locus>'
                 '<bibl><citedRange from="xii" to="iv"/><biblScope from="9" to="3"/></bibl>'
                 '<span from="#a" to="#b"/><app from="#a" to="#b"/></p>') == []
    assert "archive-date-format" in rules('<p><date from="1r" to="12v">?</date></p>')
