from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.check import check
from archive.cli import cli
from archive.config import Settings


@pytest.fixture
def data(built_archive: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(built_archive, copy)
    CliRunner().invoke(cli, ["--data", str(copy), "reindex"])
    return copy


def test_the_built_sample_archive_is_sound(data: Path) -> None:
    result = CliRunner().invoke(cli, ["--data", str(data), "check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "5 documents checked: 0 problems, " + (
        result.output.splitlines()[-1].split("problems, ")[1])
    assert "sound" in result.output.splitlines()[-1]


def test_a_changed_file_puts_the_index_out_of_step(data: Path) -> None:
    target = data / "tei" / "003_717e887f31c42029.xml"
    target.write_bytes(target.read_bytes() + b"<!-- edited by hand -->\n")
    report = check(Settings(data_dir=data))
    assert not report.ok
    assert [(f.area, f.path) for f in report.findings if f.severity == "problem"] == [
        ("index", str(target))]
    CliRunner().invoke(cli, ["--data", str(data), "reindex"])
    assert check(Settings(data_dir=data)).ok


def test_a_dangling_reference_and_an_invalid_file_are_problems(data: Path) -> None:
    target = data / "tei" / "001_2150701daa3a8e63.xml"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace('ref="#leon-trotsky"', 'ref="#nobody-known"', 1),
                      encoding="utf-8")
    CliRunner().invoke(cli, ["--data", str(data), "reindex"])
    report = check(Settings(data_dir=data))
    areas = {f.area for f in report.findings if f.severity == "problem"}
    assert areas == {"validity", "registry"}
    result = CliRunner().invoke(cli, ["--data", str(data), "check"])
    assert result.exit_code == 1
    assert "@ref #nobody-known names no registry entry" in result.output


def test_leftover_temporary_files_are_warned_about(data: Path) -> None:
    (data / "tei" / ".003_717e887f31c42029.xml.abc.tmp").write_bytes(b"<TEI")
    report = check(Settings(data_dir=data))
    assert report.ok
    assert any(f.area == "files" for f in report.findings)


def test_an_interrupted_write_is_reported_and_repair_rolls_it_back(data: Path) -> None:
    from archive.store import begin_journal

    target = data / "tei" / "003_717e887f31c42029.xml"
    old = target.read_bytes()
    new = data / "tei" / "half-imported.xml"
    # what a writer killed after its journal and two writes leaves
    begin_journal(data, "import", [target, new, data / "imports.json"], [data / "registry"])
    target.write_bytes(old.replace(b"<p>", b"<p>Half written. ", 1))
    new.write_bytes(old.replace(b"003_717e887f31c42029", b"half-imported"))
    report = check(Settings(data_dir=data))
    assert [(f.area, f.message.split(":")[0]) for f in report.findings
            if f.severity == "problem" and f.path == str(data / ".journal.json")] == [
        ("files", "an interrupted import left its journal")]
    registry = sorted((data / "registry").glob("*.xml"))[0]
    registry_before = registry.read_bytes()
    registry.write_bytes(registry_before + b"<!-- changed -->\n")
    (data / "registry" / "extra.xml").write_bytes(b"<listPerson/>")
    result = CliRunner().invoke(cli, ["--data", str(data), "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "rolled back an interrupted import" in result.output
    assert target.read_bytes() == old
    assert not new.exists() and not (data / "registry" / "extra.xml").exists()
    assert registry.read_bytes() == registry_before
    assert not (data / "imports.json").exists() and not (data / ".journal.json").exists()


def test_a_journal_naming_files_outside_the_data_directory_is_refused(data: Path,
                                                                      tmp_path: Path) -> None:
    import json

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (data / ".journal.json").write_text(json.dumps(
        {"writer": "import", "pid": 1, "files": {"../victim.txt": None}, "folders": {}}))
    result = CliRunner().invoke(cli, ["--data", str(data), "check", "--repair"])
    assert result.exit_code == 1
    assert result.output.startswith("archive: error: ")
    assert len(result.output.splitlines()) == 1
    assert victim.read_text() == "keep me"
