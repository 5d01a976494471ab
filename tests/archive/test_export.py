"""archive export: self-contained TEI, teiCorpus, zip bundle, mention tables; round trips."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from archive.cli import cli
from archive.config import Settings
from archive.interchange.export import (
    document_ids,
    export_corpus,
    export_mentions_csv,
    export_mentions_jsonl,
    export_tei,
    export_zip,
    mention_rows,
)
from archive.interchange.importer import import_files, stored_bytes_equal
from archive.registry.authority import Registry
from tei.namespaces import NSMAP
from tei.parse import parse_bytes
from tei.validate import validate_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interchange"
#: Five documents of our own, each written in the manner of another kind of TEI project.
FOREIGN = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "foreign").glob("*.xml"))
#: The five shared samples (``tei-samples/``).
SAMPLES = ["digitalmitford__1819-01-10-MaryWebb.xml", "eebo-tcp__A00002.xml",
           "eltec-eng__ENG19020_Nesbit.xml", "historyatstate__buildings.xml",
           "shakedracor__macbeth.xml"]
#: the one shared sample that is not valid TEI on its own (an ELTeC schema extension)
INVALID_ON_INPUT = "eltec-eng__ENG19020_Nesbit.xml"


@pytest.fixture(scope="module")
def foreign_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("foreign") / "data")
    import_files(settings, FOREIGN)
    return settings


@pytest.fixture(scope="module")
def samples_settings(tmp_path_factory: pytest.TempPathFactory, tei_samples: Path) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("samples") / "data")
    import_files(settings, [tei_samples / name for name in SAMPLES])
    return settings


def imported_sample(settings: Settings, name: str) -> tuple[str, Path]:
    """The id and the source file of the imported file called ``name``."""
    from archive.registry.imports import load_imports

    return next((key, Path(record.path)) for key, record in load_imports(settings).items()
                if Path(record.path).name == name)


#: Each imported file: (the fixture of its settings, its name).
IMPORTED = ([("foreign_settings", path.name) for path in FOREIGN]
            + [("samples_settings", name) for name in SAMPLES])


@pytest.mark.parametrize(("archive", "name"), IMPORTED)
def test_import_then_export_gives_the_same_document(request: pytest.FixtureRequest,
                                                    archive: str, name: str) -> None:
    settings = request.getfixturevalue(archive)
    doc_id, sample = imported_sample(settings, name)
    exported = export_tei(settings, doc_id)
    assert stored_bytes_equal(exported, sample.read_bytes())


@pytest.mark.parametrize(("archive", "name"),
                         [(archive, name) for archive, name in IMPORTED
                          if name != INVALID_ON_INPUT])
def test_sample_exports_are_valid_tei(request: pytest.FixtureRequest, archive: str, name: str,
                                      tei_all: Path) -> None:
    settings = request.getfixturevalue(archive)
    exported = export_tei(settings, imported_sample(settings, name)[0])
    assert validate_bytes(exported, name, rng=tei_all).issues == ()


def annotated_export(tmp_path: Path) -> tuple[Settings, bytes]:
    settings = Settings(data_dir=tmp_path / "data")
    source = FIXTURES / "untagged_text_for_annotation.xml"
    import_files(settings, [source], annotate_names=True)
    return settings, export_tei(settings, "untagged_text_for_annotation")


def test_annotated_import_export_is_valid_tei(tmp_path: Path, tei_all: Path) -> None:
    exported = annotated_export(tmp_path)[1]
    assert validate_bytes(exported, "untagged_text_for_annotation", rng=tei_all).issues == ()


def test_annotated_import_exports_its_registry_entries(tmp_path: Path) -> None:
    settings, exported = annotated_export(tmp_path)
    doc_id = "untagged_text_for_annotation"
    tree = parse_bytes(exported)
    carried = tree.xpath("/tei:TEI/tei:standOff[@type='archive-registry']//@xml:id",
                         namespaces=NSMAP)
    assert carried == ["leon-trotsky", "moscow"]  # "#lt" resolves within: not carried
    assert tree.xpath("//tei:change[@type='archive-export']/@when", namespaces=NSMAP)
    # importing the export gives back the stored document and the same entries
    again = Settings(data_dir=tmp_path / "again")
    (tmp_path / "export").mkdir()
    copy = tmp_path / "export" / f"{doc_id}.xml"
    copy.write_bytes(exported)
    assert import_files(again, [copy]) == [(doc_id, copy)]
    assert stored_bytes_equal((again.tei_dir / f"{doc_id}.xml").read_bytes(),
                              (settings.tei_dir / f"{doc_id}.xml").read_bytes())
    first, second = Registry.load(settings.registry_dir), Registry.load(again.registry_dir)
    for entry_id in ("leon-trotsky", "moscow", f"{doc_id}.lt"):
        assert second.get(entry_id) == first.get(entry_id)


@pytest.fixture()
def built(built_archive: Path, tmp_path: Path) -> Settings:
    data_dir = tmp_path / "built"
    shutil.copytree(built_archive, data_dir)
    return Settings(data_dir=data_dir)


def test_built_documents_export_as_valid_tei(built: Settings, tei_all: Path) -> None:
    for doc_id in document_ids(built):
        assert validate_bytes(export_tei(built, doc_id), doc_id, rng=tei_all).issues == ()


def test_built_documents_export_self_contained_and_valid(built: Settings) -> None:
    from archive.validation import ARCHIVE_RNG, ARCHIVE_SCH

    for doc_id in document_ids(built):
        exported = export_tei(built, doc_id)
        # our own schema with no registry at all: every @ref resolves within the file
        report = validate_bytes(exported, doc_id, rng=ARCHIVE_RNG, sch=ARCHIVE_SCH,
                                registry_ids=())
        assert report.issues == (), doc_id
        tree = parse_bytes(exported)
        refs = {r[1:] for r in tree.xpath("//tei:text//@ref", namespaces=NSMAP)}
        ids = set(tree.xpath("//tei:standOff//@xml:id", namespaces=NSMAP))
        assert refs and refs == ids


def test_built_archive_round_trips_through_export_and_import(built: Settings,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "exported"
    result = CliRunner().invoke(cli, ["--data", str(built.data_dir), "export", "--all",
                                      "--format", "tei", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    again = Settings(data_dir=tmp_path / "again")
    imported = import_files(again, sorted(folder.glob("*.xml")))
    assert [doc_id for doc_id, _ in imported] == document_ids(built)
    first, second = Registry.load(built.registry_dir), Registry.load(again.registry_dir)
    for doc_id in document_ids(built):
        original = (built.tei_dir / f"{doc_id}.xml").read_bytes()
        assert (again.tei_dir / f"{doc_id}.xml").read_bytes() == original
        refs = {r[1:] for r in parse_bytes(original).xpath("//tei:text//@ref",
                                                           namespaces=NSMAP)}
        assert {r: second.get(r) for r in refs} == {r: first.get(r) for r in refs}
    assert not (again.data_dir / "imports.json").read_text().count('"kind"')  # all native
    checked = CliRunner().invoke(cli, ["--data", str(again.data_dir), "check"])
    assert " 0 problems" in checked.output


def corpus_of_built_and(built: Settings, files: list[Path], count: int) -> bytes:
    """The teiCorpus of the built archive and ``files`` imported into it (``count`` members)."""
    import_files(built, files)
    ids = document_ids(built)
    assert len(ids) == count
    data = export_corpus(built, ids)
    tree = parse_bytes(data)  # unique xml:ids, else the parser refuses it
    assert len(tree.xpath("/tei:teiCorpus/tei:TEI", namespaces=NSMAP)) == count
    once = tree.xpath("/tei:teiCorpus/tei:standOff//tei:person/@xml:id", namespaces=NSMAP)
    assert "leon-trotsky" in once and len(once) == len(set(once))
    assert tree.xpath("//tei:TEI//tei:persName[@ref='#leon-trotsky']", namespaces=NSMAP)
    return data


def test_corpus_of_built_and_imported_documents(built: Settings) -> None:
    data = corpus_of_built_and(built, FOREIGN, 10)
    tree = parse_bytes(data)
    # the members' own ids are prefixed, and their pointers follow them
    assert tree.xpath("//tei:sp[@xml:id='stage000001.sp-0001']/@who", namespaces=NSMAP) == [
        "#stage000001.Lovelace_Eng"]
    assert tree.xpath("//tei:person[@xml:id='stage000001.Lovelace_Eng']", namespaces=NSMAP)


def test_corpus_of_built_and_imported_documents_is_valid(built: Settings,
                                                         tei_all: Path) -> None:
    data = corpus_of_built_and(built, FOREIGN, 10)
    assert validate_bytes(data, "corpus.xml", rng=tei_all).issues == ()


def test_corpus_of_built_and_shared_samples_is_valid(built: Settings, tei_samples: Path,
                                                     tei_all: Path) -> None:
    data = corpus_of_built_and(built, [tei_samples / name for name in SAMPLES
                                       if name != INVALID_ON_INPUT], 9)
    assert validate_bytes(data, "corpus.xml", rng=tei_all).issues == ()


def test_mentions_as_rows(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    import_files(settings, [FIXTURES / "project_a_p1.xml"])
    # the paragraph has no xml:id: its mentions are in passage body.p (its citation address)
    empty = {**dict.fromkeys(("when", "from", "to", "not_before", "not_after")),
             "passage": "body.p"}
    assert mention_rows(settings) == [
        {**empty, "document": "a-letter-1", "type": "person", "ref": "a-letter-1.p1",
         "name": "Ada Lovelace", "surface": "Ada"},
        {**empty, "document": "a-letter-1", "type": "place", "ref": "geo:2643743", "name": "",
         "surface": "London"},
        {**empty, "document": "a-letter-1", "type": "date", "ref": None, "name": "",
         "surface": "1 July 1843", "when": "1843-07-01"},
        {**empty, "document": "a-letter-1", "type": "person",
         "ref": "https://viaf.org/viaf/1234", "name": "", "surface": "Babbage"},
    ]
    table = list(csv.DictReader(io.StringIO(export_mentions_csv(settings,
                                                                entity="a-letter-1.p1"))))
    assert table == [{"document": "a-letter-1", "passage": "body.p", "type": "person",
                      "ref": "a-letter-1.p1", "name": "Ada Lovelace", "surface": "Ada",
                      "when": "", "from": "", "to": "", "not_before": "", "not_after": ""}]
    lines = export_mentions_jsonl(settings, ["a-letter-1"]).splitlines()
    assert [json.loads(line) for line in lines] == mention_rows(settings)


def test_zip_bundle_for_deposit(built: Settings) -> None:
    ids = document_ids(built)
    bundle = zipfile.ZipFile(io.BytesIO(export_zip(built, ids)))
    names = bundle.namelist()
    assert sorted(names) == sorted(
        [f"tei/{doc_id}.xml" for doc_id in ids]
        + ["registry/orgs.xml", "registry/persons.xml", "registry/places.xml",
           "schemas/archive.odd", "schemas/archive.rng", "schemas/archive.sch",
           "validation.txt", "mentions.csv", "mentions.jsonl", "README.md",
           "manifest-sha256.txt"])
    manifest = bundle.read("manifest-sha256.txt").decode().splitlines()
    assert len(manifest) == len(names) - 1
    for line in manifest:
        digest, name = line.split("  ")
        assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
    report = bundle.read("validation.txt").decode()
    assert report.count(": valid\n") == len(ids) and "INVALID" not in report
    rows = bundle.read("mentions.jsonl").decode().splitlines()
    assert len(rows) == len(mention_rows(built)) > 100


def test_export_errors_are_one_line(built: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--data", str(built.data_dir), "export", "nope"])
    assert result.exit_code == 1
    assert result.output == f"archive: error: {built.data_dir}: no document 'nope' in the archive\n"
    several = runner.invoke(cli, ["--data", str(built.data_dir), "export", "--all"])
    assert several.output == ("archive: error: several documents as tei: give -o FOLDER "
                              "(or use teicorpus)\n")


def test_cli_writes_standard_output(built: Settings) -> None:
    doc_id = document_ids(built)[0]
    result = CliRunner().invoke(cli, ["--data", str(built.data_dir), "export", doc_id])
    assert result.exit_code == 0
    assert result.stdout_bytes == export_tei(built, doc_id)
    root = etree.fromstring(result.stdout_bytes)
    assert root.xpath("//tei:change[@type='archive-export']", namespaces=NSMAP)


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Leon Trotsky", "Leon Trotsky"), ("1923-10-15", "1923-10-15"), (None, None),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("\rx", "'\rx"),
    ("-SUM(A1)", "'-SUM(A1)"), ("-12", "-12"), ("-0044-03-15", "-0044-03-15"),
])
def test_csv_cells_cannot_become_formulas(value: object, expected: object) -> None:
    from archive.interchange import spreadsheet_safe

    assert spreadsheet_safe(value) == expected
