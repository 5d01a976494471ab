"""archive.validation and ``archive validate``: files, registry, output formats, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.errors import ArchiveError, RegistryError
from archive.validation import find_tei_all, load_registry_ids, summarize, validate_document
from tei.parse import parse_file
from tei.validate import RegistryIds

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "schematron"
REGISTRY = ROOT / "tests" / "fixtures" / "registry"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with two documents and the fixture registry."""
    (tmp_path / "tei").mkdir()
    shutil.copytree(REGISTRY, tmp_path / "registry")
    shutil.copy(FIXTURES / "valid_document.xml", tmp_path / "tei" / "a.xml")
    shutil.copy(FIXTURES / "dangling_person_ref.xml", tmp_path / "tei" / "b.xml")
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_all_validates_documents_and_registry_with_registry_ids(data_dir: Path) -> None:
    code, out, err = run(data_dir, "--all")
    b = data_dir / "tei" / "b.xml"
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f'{b}:47:0: error: @ref="#leon-trotski" on persName does not resolve to an entry of '
        f'the registry. [archive-ref-registry]',
        "5 documents, 1 invalid, 1 errors, 0 warnings",
    ]


def test_valid_paths_exit_zero(data_dir: Path) -> None:
    assert run(data_dir, str(data_dir / "tei" / "a.xml")) == (
        0, "1 document, 0 invalid, 0 errors, 0 warnings\n", "")


def test_a_folder_means_its_xml_files(data_dir: Path) -> None:
    code, out, _ = run(data_dir, str(data_dir / "registry"))
    assert (code, out) == (0, "3 documents, 0 invalid, 0 errors, 0 warnings\n")


def test_json_output(data_dir: Path) -> None:
    code, out, _ = run(data_dir, "--format", "json", str(FIXTURES / "not_well_formed.xml"))
    assert code == 1
    assert json.loads(out) == {
        "documents": [{
            "path": str(FIXTURES / "not_well_formed.xml"), "valid": False,
            "issues": [{"severity": "error", "source": "xml", "rule": None,
                        "message": "not well-formed XML: Opening and ending tag mismatch: hi "
                                   "line 62 and p",
                        "line": 62, "column": 45}],
        }],
        "summary": {"documents": 1, "invalid": 1, "errors": 1, "warnings": 0},
    }


def test_missing_file_is_an_invalid_document(data_dir: Path) -> None:
    code, out, _ = run(data_dir, str(data_dir / "nope.xml"))
    assert (code, out.splitlines()) == (1, [
        f"{data_dir / 'nope.xml'}:0:0: error: no such file",
        "1 document, 1 invalid, 1 errors, 0 warnings"])


def test_no_path_and_no_all_is_a_usage_error(data_dir: Path) -> None:
    code, _, err = run(data_dir)
    assert code == 2 and "give one or more PATHs, or --all" in err


def test_all_on_an_empty_data_dir_is_one_line_error(tmp_path: Path) -> None:
    assert run(tmp_path, "--all") == (
        1, "", f"archive: error: {tmp_path}: no TEI documents to validate\n")


def test_tei_all_not_found_is_one_line_error(data_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.rng"
    code, out, err = run(data_dir, "--schema", "tei_all", "--tei-all", str(missing), "--all")
    assert (code, out) == (1, "")
    assert err == (f"archive: error: {missing}: tei_all.rng not found "
                   f"(from --tei-all or ARCHIVE_TEI_ALL_RNG)\n")


def test_schema_tei_all_ignores_archive_rules(data_dir: Path, tei_all: Path) -> None:
    # the dangling ref breaks an archive rule, not TEI: valid against tei_all
    assert run(data_dir, "--schema", "tei_all", "--tei-all", str(tei_all), "--all") == (
        0, "5 documents, 0 invalid, 0 errors, 0 warnings\n", "")


def test_find_tei_all_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = tmp_path / "t.rng"
    rng.write_text("<grammar/>")
    assert find_tei_all(Settings(tei_all_rng=rng)) == rng
    assert find_tei_all(Settings(tei_all_rng=tmp_path / "x"), rng) == rng
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ArchiveError, match="give --tei-all PATH or set ARCHIVE_TEI_ALL_RNG"):
        find_tei_all(Settings())


def test_load_registry_ids(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    assert load_registry_ids(settings) == RegistryIds(
        frozenset({"leon-trotsky", "victor-serge"}), frozenset({"moscow"}),
        frozenset({"comintern"}))
    assert load_registry_ids(Settings(data_dir=data_dir / "tei")) is None
    (data_dir / "registry" / "broken.xml").write_text("<TEI")
    with pytest.raises(RegistryError, match="registry file unreadable"):
        load_registry_ids(settings)


def test_validate_document_gate_accepts_trees_and_bytes(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    ids = load_registry_ids(settings)
    tree = parse_file(FIXTURES / "valid_document.xml")
    assert validate_document(tree, settings, ids).valid
    bad = (FIXTURES / "tag_without_resp.xml").read_bytes()
    report = validate_document(bad, settings, ids, "new.xml")
    assert [(i.rule, i.path) for i in report.issues] == [("archive-tag-resp", "new.xml")]
    assert str(summarize([report])) == "1 document, 1 invalid, 1 errors, 0 warnings"
