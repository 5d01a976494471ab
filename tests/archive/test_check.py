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
