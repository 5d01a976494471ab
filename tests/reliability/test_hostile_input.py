"""Hostile and broken input: each named case ends in a correct result, or in one clear error
line naming the file and the problem with a non-zero exit — never a traceback, never a hang,
never a file outside the data directory read or written, never a changed archive.

The files are made by the test (some are large), one per named case.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from archive.cli import cli
from tei.namespaces import NSMAP
from tei.read import text_of

TEI_HEAD = ('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>T'
            "</title></titleStmt><publicationStmt><p>P</p></publicationStmt><sourceDesc><p>S</p>"
            "</sourceDesc></fileDesc></teiHeader><text><body>")
TEI_TAIL = "</body></text></TEI>"


def tei(body: str) -> str:
    return TEI_HEAD + body + TEI_TAIL


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"


def zip_bytes(tmp: Path) -> bytes:
    target = tmp / "z.zip"
    with zipfile.ZipFile(target, "w") as bundle:
        bundle.writestr("doc.xml", tei("<p>x</p>"))
    return target.read_bytes()


SECRET = "root:x:0:0"  # a line of /etc/passwd: must never show up anywhere

# name → bytes of the file (a function of a scratch directory, for the ZIP case)
XML_CASES: dict[str, Callable[[Path], bytes]] = {
    "xxe_local_file": lambda _: (
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + tei("<p>&x;</p>")).encode(),
    "xxe_network": lambda _: (
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
        + tei("<p>&x;</p>")).encode(),
    "billion_laughs": lambda _: (
        '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]>" + tei("<p>&j;</p>")).encode(),
    "external_dtd": lambda _: ('<?xml version="1.0"?><!DOCTYPE TEI SYSTEM "/etc/passwd">'
                               + tei("<p>x</p>")).encode(),
    "deep_nesting_100000": lambda _: (TEI_HEAD + "<p>" + "<hi>" * 100_000 + "x"
                                      + "</hi>" * 100_000 + "</p>" + TEI_TAIL).encode(),
    "text_node_10mb": lambda _: tei("<p>" + "a" * (10 * 2**20) + "</p>").encode(),
    "not_well_formed": lambda _: tei("<p>unclosed</div>").encode(),
    "wrong_namespace": lambda _: tei("<p>x</p>").replace("http://www.tei-c.org/ns/1.0",
                                                         "http://example.org/tei").encode(),
    "utf16_declared": lambda _: ('<?xml version="1.0" encoding="UTF-16"?>'
                                 + tei("<p>Łódź</p>")).encode("utf-16"),
    "utf16_undeclared_no_bom": lambda _: tei("<p>Łódź</p>").encode("utf-16-le"),
    "latin1_declared": lambda _: ('<?xml version="1.0" encoding="ISO-8859-1"?>'
                                  + tei("<p>café</p>")).encode("latin-1"),
    "latin1_undeclared": lambda _: tei("<p>café</p>").encode("latin-1"),
    "utf8_bom": lambda _: b"\xef\xbb\xbf" + tei("<p>café</p>").encode(),
    "nul_bytes": lambda _: tei("<p>a\x00b</p>").encode(),
    "really_a_zip": zip_bytes,
    "really_an_image": lambda _: png(),
}
# the cases that are fine XML and must validate as documents (correct result); an external DTD
# outside the document's folder is not read (it counts as empty): the document is fine
XML_READABLE = {"utf16_declared", "latin1_declared", "utf8_bom", "external_dtd"}


def snapshot(directory: Path) -> dict[str, str]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def assert_one_clear_error(result: Result, path: Path) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(path) in lines[0] or path.name in lines[0], lines[0]
    assert SECRET not in result.output


@pytest.fixture(scope="module")
def archive_copy(built_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(built_archive, copy)
    return copy


@pytest.mark.parametrize("case", sorted(XML_CASES))
def test_hostile_xml_validate(case: str, tmp_path: Path, archive_copy: Path) -> None:
    path = tmp_path / f"{case}.xml"
    path.write_bytes(XML_CASES[case](tmp_path))
    before = snapshot(archive_copy)
    result = CliRunner().invoke(cli, ["--data", str(archive_copy), "validate", "--format", "json",
                                      str(path)])
    assert "Traceback" not in result.output and SECRET not in result.output
    assert snapshot(archive_copy) == before
    if case in XML_READABLE:
        # well-formed TEI: validated for real (it lacks the archive's header parts: invalid,
        # reported as findings, not as an error)
        assert '"rule"' in result.stdout and result.exit_code == 1
        return
    assert result.exit_code == 1
    assert '"source": "xml"' in result.stdout or result.stderr.strip(), result.output


SOURCE_CASES: dict[str, bytes] = {
    "empty": b"",
    "whitespace_only": b"  \n\t\n   \n",
    "invalid_utf8": "Trotsky in Moskva ".encode() + b"\xff\xfe\xfa broken\n",
    "text_50mb": b"Leon Trotsky wrote in 1923. " * (50 * 2**20 // 28),
    "binary_zip": b"PK\x03\x04" + b"\x00" * 64,
}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_bad_sources_fail_cleanly_and_change_nothing(case: str, tmp_path: Path,
                                                     archive_copy: Path) -> None:
    path = tmp_path / f"{case}.txt"
    path.write_bytes(SOURCE_CASES[case])
    before = snapshot(archive_copy)
    for command in (["build", str(path)], ["tag", str(path)], ["encode", str(path)]):
        result = CliRunner().invoke(cli, ["--data", str(archive_copy), *command])
        assert_one_clear_error(result, path)
        assert snapshot(archive_copy) == before


GOOD_SOURCES = {
    "crlf_line_ends": "Line endings\r\n\r\nLeon Trotsky arrived in Moscow on 15 October 1923.\r\n",
    "cr_line_ends": "Old Mac endings\r\rLeon Trotsky arrived in Moscow on 15 October 1923.\r",
    "mixed_scripts": ("Mixed scripts\n\nThe Left Opposition (Левая оппозиция) met Greeks "
                      "(Αριστερή Αντιπολίτευση) and Chinese readers (左翼反对派) in 1927.\n"),
    "right_to_left": ("Right to left\n\nA Hebrew translation (האופוזיציה השמאלית) and an Arabic "
                      "one (المعارضة اليسارية) appeared in 1930 in Paris.\n"),
    "combining_characters": ("Combining marks\n\nCafe\u0301 talk in Pe\u0301rigny, France, "
                             "in September 1938.\n"),
    "emoji": "Emoji\n\nLeon Trotsky 🚂 reached Mexico 🇲🇽 in January 1937 ✊.\n",
}


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    base = tmp_path_factory.mktemp("good")
    for name, text in GOOD_SOURCES.items():
        (base / f"{name}.txt").write_bytes(text.encode("utf-8"))
    data = base / "data"
    result = CliRunner().invoke(cli, ["--data", str(data), "build",
                                      *sorted(str(p) for p in base.glob("*.txt"))])
    return data, result


@pytest.mark.parametrize("case", sorted(GOOD_SOURCES))
def test_unusual_but_valid_sources_build_correctly(case: str,
                                                   good_build: tuple[Path, Result]) -> None:
    data, result = good_build
    assert result.exit_code == 0, result.output
    tree = etree.parse(str(data / "tei" / f"{case}.xml"))
    body = text_of(tree.find(".//{*}body/{*}div/{*}p"))
    expected = GOOD_SOURCES[case].replace("\r\n", "\n").replace("\r", "\n").split("\n\n")[1]
    assert body == expected.strip("\n")
    dates = tree.xpath("//tei:body//tei:date/@when | //tei:body//tei:date/@from",
                       namespaces=NSMAP)
    assert dates, case


@pytest.mark.parametrize("case", sorted(XML_CASES))
def test_hostile_xml_import(case: str, tmp_path: Path, archive_copy: Path) -> None:
    path = tmp_path / f"{case}.xml"
    path.write_bytes(XML_CASES[case](tmp_path))
    data = tmp_path / "data"
    shutil.copytree(archive_copy, data)
    before = snapshot(data)
    result = CliRunner().invoke(cli, ["--data", str(data), "import", str(path)])
    if case in XML_READABLE:
        assert result.exit_code == 0, result.output
        doc_id, imported = result.stdout.strip().split("\t")
        assert imported == str(path)
        assert (data / "tei" / f"{doc_id}.xml").read_bytes() == path.read_bytes()
        assert not any(SECRET in p.read_text(errors="replace") for p in data.rglob("*")
                       if p.is_file() and p.suffix in (".xml", ".json"))
        return
    assert_one_clear_error(result, path)
    assert snapshot(data) == before
