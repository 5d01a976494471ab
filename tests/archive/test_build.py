"""The build: sample sources → valid, tagged TEI files, deterministic, gated, atomic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from archive.build import Builder, build, sample_sources
from archive.cli import cli
from archive.config import Settings
from archive.errors import SourceError, ValidationFailed
from archive.model import Block, Metadata, Source, Span
from archive.validation import load_registry_ids, validate_document
from tei.namespaces import NSMAP
from tei.read import text_of
from tei.validate import validate_file


def test_build_writes_five_valid_tagged_documents(built_archive: Path) -> None:
    files = sorted((built_archive / "tei").glob("*.xml"))
    assert [f.stem for f in files] == [p.stem for p in sample_sources()]
    settings = Settings(data_dir=built_archive)
    ids = load_registry_ids(settings)
    for path in files:
        report = validate_document(path.read_bytes(), settings, ids, path=str(path))
        assert report.valid, [str(issue) for issue in report.issues]
        tree = etree.parse(str(path))
        for kind in ("persName", "placeName", "orgName", "date"):
            assert tree.xpath(f"count(//tei:body//tei:{kind})", namespaces=NSMAP) > 0, (path, kind)
    assert (built_archive / "index.sqlite").is_file()
    assert sorted(p.name for p in (built_archive / "registry").glob("*.xml")) == [
        "orgs.xml", "persons.xml", "places.xml"]
    assert (built_archive / "sources" / "003_717e887f31c42029.txt").read_bytes() == (
        sample_sources()[3].read_bytes())


def test_built_documents_are_valid_tei_all(built_archive: Path, tei_all: Path) -> None:
    files = sorted((built_archive / "tei").glob("*.xml"))
    assert len(files) == 5
    for path in files:
        assert validate_file(path, rng=tei_all).valid, path


def test_tagging_keeps_every_character(built_archive: Path) -> None:
    from archive.annotate.apply import text_units
    from archive.ingest.encode import encode
    from archive.ingest.sources import read_source

    for source_path in sample_sources():
        plain = encode(read_source(source_path), encoded_on="2026-01-01")
        tagged = etree.parse(str(built_archive / "tei" / f"{source_path.stem}.xml"))
        assert [text_of(unit) for unit in text_units(tagged)] == [
            text_of(unit) for unit in text_units(plain)]


def test_rebuild_is_byte_identical(built_archive: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(built_archive, data)
    before = {p.name: p.read_bytes() for p in (data / "tei").glob("*.xml")}
    report = build(Settings(data_dir=data), sample_sources())
    assert not any(doc.written for doc in report.documents)
    assert {p.name: p.read_bytes() for p in (data / "tei").glob("*.xml")} == before


def test_gate_refuses_an_invalid_document_and_keeps_the_old_file(
        built_archive: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(built_archive, data)
    settings = Settings(data_dir=data)
    target = data / "tei" / "001_2150701daa3a8e63.xml"
    old = target.read_bytes()
    # an empty title breaks the header rule: the document must not be written
    broken = Source(Metadata(id="001_2150701daa3a8e63", title=""),
                    (Block("p", (Span("Trotsky wrote in 1923.", 0),)),), "Trotsky wrote in 1923.",
                    "text")
    with pytest.raises(ValidationFailed) as caught:
        Builder(settings).build_one(broken)
    assert "archive-header-title" in {issue.rule for issue in caught.value.report.issues}
    assert target.read_bytes() == old
    assert not [p for p in (data / "tei").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    (b"caf\xe9 au lait", "UTF-8"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, content: bytes,
                                                   problem: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["--data", str(data), "build", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and problem.lower() in lines[0].lower()
    assert "Traceback" not in result.output
    assert not data.exists()


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for arg in (tmp_path / "nope.txt", tmp_path):
        result = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "build", str(arg)])
        assert result.exit_code == 1, result.output
        assert len(result.stderr.strip().splitlines()) == 1


def test_encode_command_prints_tei(tmp_path: Path) -> None:
    source = tmp_path / "note.md"
    source.write_text("# A note\n\nLeon Trotsky wrote *this* in 1923.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["encode", str(source), "--author", "Ann Editor"])
    assert result.exit_code == 0, result.output
    root = etree.fromstring(result.stdout.encode())
    assert root.xpath("string(//tei:titleStmt/tei:title)", namespaces=NSMAP) == "A note"
    assert root.xpath("string(//tei:titleStmt/tei:author)", namespaces=NSMAP) == "Ann Editor"
    assert root.xpath("string(//tei:body//tei:hi[@rend='italic'])", namespaces=NSMAP) == "this"
    out = tmp_path / "note.xml"
    assert CliRunner().invoke(cli, ["encode", str(source), "-o", str(out)]).exit_code == 0
    assert out.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_read_errors_raise_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        build(Settings(data_dir=tmp_path / "d"), [tmp_path / "missing.txt"])


def test_build_one_source_with_format_and_metadata(tmp_path: Path) -> None:
    source = tmp_path / "letter.txt"  # Markdown in a .txt file, no sidecar
    source.write_text("# A letter\n\nLeon Trotsky wrote *this* in Moscow on 8 October 1923.\n",
                      encoding="utf-8")
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["--data", str(data), "build", str(source), "--format",
                                      "markdown", "--author", "Ann Editor", "--date", "1923-10"])
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(data / "tei" / "letter.xml"))
    assert tree.xpath("string(//tei:titleStmt/tei:author)", namespaces=NSMAP) == "Ann Editor"
    assert tree.xpath("string(//tei:sourceDesc//tei:date/@when)", namespaces=NSMAP) == "1923-10"
    assert tree.xpath("string(//tei:body//tei:hi[@rend='italic'])", namespaces=NSMAP) == "this"
    assert tree.xpath("string(//tei:body//tei:date/@when)", namespaces=NSMAP) == "1923-10-08"


def test_metadata_options_need_exactly_one_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data", str(tmp_path / "d"), "build", "--title", "T"])
    assert result.exit_code == 2
    assert "exactly one SOURCE" in result.stderr
    assert not (tmp_path / "d").exists()
