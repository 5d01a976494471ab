"""archive import of every kind of TEI document (issue 17): genetic transcripts, a teiCorpus,
a DOCTYPE with its DTD in the edition's folder, duplicate ids, non-TEI files in a folder,
readable ids, list files; and validation with XInclude. Fixtures: ``tests/fixtures/editions``
(small files written for these tests in the manner of real editions)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli

EDITIONS = Path(__file__).resolve().parents[1] / "fixtures" / "editions"


def run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data", str(data), *map(str, args)])


def imported_id(data: Path, path: Path, *options: str) -> str:
    result = run(data, "import", *options, str(path))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout.strip().splitlines()[-1].split("\t")[0]


def exported(data: Path, doc_id: str, tmp_path: Path) -> bytes:
    out = tmp_path / f"{doc_id}.out.xml"
    result = run(data, "export", doc_id, "--format", "tei", "-o", str(out))
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize(("name", "doc_id"), [
    ("genetic_notebook.xml", "notebook-c"),  # sourceDoc, no <text>
    ("corpus.xml", "corpus"),  # a teiCorpus, stored whole
    ("dtd/letter.xml", "cafe-letter"),  # an external DTD of character entities beside it
    ("duplicate_id.xml", "dup-ids"),  # well-formed, invalid
    ("dracor_play.xml", "ger000999"),  # the root's xml:id, not the URL idno
    ("placeholder_idno.xml", "placeholder_idno"),  # URL and placeholder idnos: the file name
])
def test_every_tei_document_imports_and_exports_byte_for_byte(tmp_path: Path, name: str,
                                                               doc_id: str) -> None:
    data = tmp_path / "data"
    assert imported_id(data, EDITIONS / name) == doc_id
    assert exported(data, doc_id, tmp_path) == (EDITIONS / name).read_bytes()
    for command in (["check"], ["validate", "--all"], ["reindex", "--full"]):
        result = run(data, *command)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), command


def test_a_teicorpus_and_a_genetic_transcript_are_indexed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("corpus.xml", "genetic_notebook.xml"):
        imported_id(data, EDITIONS / name)
    result = run(data, "query", "count(//tei:line)")
    assert result.exit_code == 0, result.output
    assert "notebook-c" in result.stdout and "3" in result.stdout
    result = run(data, "query", "//tei:TEI/tei:text//tei:p/string()")
    assert "lighthousekeeper" in result.stdout and "ferrywoman" in result.stdout


def test_doctype_entities_are_expanded_for_the_index_and_the_file_kept(tmp_path: Path) -> None:
    source = tmp_path / "edition"
    shutil.copytree(EDITIONS / "dtd", source)
    data = tmp_path / "data"
    assert imported_id(data, source / "letter.xml") == "cafe-letter"
    stored = data / "tei" / "cafe-letter.xml"
    assert stored.read_bytes() == (source / "letter.xml").read_bytes()
    shutil.rmtree(source)  # the edition's folder is gone: the DTD snapshot is kept beside
    assert (data / "tei" / "cafe-letter.dtd.json").is_file()
    assert run(data, "reindex", "--full").exit_code == 0
    result = run(data, "query", "//tei:p/string()")
    assert result.exit_code == 0, result.output
    assert "café in Paris, a maſterpiece of converſation." in result.stdout
    result = run(data, "query", "//tei:title/string()")
    assert "Edition of the Café Letters" in result.stdout


def test_a_missing_dtd_names_the_entity_and_the_dtd_and_dtd_path_finds_it(
        tmp_path: Path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(EDITIONS / "dtd" / "letter.xml", alone / "letter.xml")
    data = tmp_path / "data"
    result = run(data, "import", str(alone / "letter.xml"))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"archive: error: {alone / 'letter.xml'}:")
    assert re.search(r"entity &\w+; is not defined: it needs the DTD 'edition.dtd'", line)
    assert "--dtd-path" in line
    assert not (data / "tei").exists()
    assert imported_id(data, alone / "letter.xml", "--dtd-path",
                       str(EDITIONS / "dtd")) == "cafe-letter"


@pytest.mark.parametrize(("doctype", "message"), [
    ("billion_laughs.xml", "entity expansion too large (a 'billion laughs' document): refused"),
])
def test_entity_expansion_is_bounded(tmp_path: Path, doctype: str, message: str) -> None:
    result = run(tmp_path / "data", "import", str(EDITIONS / doctype))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert str(EDITIONS / doctype) in line and message in line


def test_an_entity_outside_the_folder_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret text")
    folder = tmp_path / "edition"
    folder.mkdir()
    doc = folder / "xxe.xml"
    doc.write_text(f'<!DOCTYPE TEI [<!ENTITY s SYSTEM "{secret}">]>'
                   '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&s;</p></body>'
                   '</text></TEI>')
    result = run(tmp_path / "data", "import", str(doc))
    assert result.exit_code == 1
    assert "entity &s; refers to" in result.stderr and "not read, refused" in result.stderr
    assert "the secret text" not in result.output


def test_a_folder_imports_the_good_files_and_lists_the_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    for name in ("not_tei.xml", "billion_laughs.xml", "dracor_play.xml", "corpus.xml"):
        shutil.copy(EDITIONS / name, folder / name)
    data = tmp_path / "data"
    result = run(data, "import", str(folder))
    assert result.exit_code == 1
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["corpus",
                                                                            "ger000999"]
    refused = result.stderr.splitlines()
    assert len(refused) == 2
    assert refused[0].startswith(f"archive: error: {folder / 'billion_laughs.xml'}:")
    assert refused[1] == (f"archive: error: {folder / 'not_tei.xml'}:2: root element is "
                          f"<project>, not a TEI document")
    assert sorted(p.name for p in (data / "tei").glob("*.xml")) == ["corpus.xml",
                                                                  "ger000999.xml"]
    strict = run(tmp_path / "strict", "import", "--strict", str(folder))
    assert strict.exit_code == 1 and len(strict.stderr.splitlines()) == 1
    assert not (tmp_path / "strict").exists()


def test_a_duplicate_id_is_imported_and_reported_as_invalid(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run(data, "import", str(EDITIONS / "duplicate_id.xml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("dup-ids\t")
    assert "duplicate xml:id 'p1'" in result.stderr and "warning" in result.stderr
    check = run(data, "validate", str(EDITIONS / "duplicate_id.xml"))
    assert check.exit_code == 1
    assert (f"{EDITIONS / 'duplicate_id.xml'}:6:0: error: duplicate xml:id 'p1' (first at "
            f"line 5)") in check.stdout
    assert "not well-formed" not in check.output


def test_ids_do_not_depend_on_import_order_and_collisions_are_refused(tmp_path: Path) -> None:
    names = ["dracor_play.xml", "placeholder_idno.xml", "genetic_notebook.xml"]
    forward = [imported_id(tmp_path / "a", EDITIONS / name) for name in names]
    backward = [imported_id(tmp_path / "b", EDITIONS / name) for name in reversed(names)]
    assert forward == list(reversed(backward)) == ["ger000999", "placeholder_idno",
                                                   "notebook-c"]
    twin = tmp_path / "twin" / "dracor_play.xml"  # another file with the same xml:id
    twin.parent.mkdir()
    twin.write_bytes((EDITIONS / "dracor_play.xml").read_bytes().replace(b"herein", b"hinaus"))
    result = run(tmp_path / "a", "import", str(twin))
    assert result.exit_code == 1
    assert result.stderr == (f"archive: error: {twin}: document id 'ger000999' is already the "
                             f"id of {EDITIONS / 'dracor_play.xml'}: not imported (give "
                             f"--id-prefix PREFIX or --rename)\n")
    assert imported_id(tmp_path / "a", twin, "--id-prefix", "twin") == "twin-ger000999"
    assert imported_id(tmp_path / "a", twin, "--rename").startswith("ger000999-")


def test_a_list_file_is_reported_as_a_list_and_exports_as_it_came(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run(data, "import", str(EDITIONS / "persons.xml"))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"edition-persons\t{EDITIONS / 'persons.xml'}\tlist\n"
    assert exported(data, "edition-persons", tmp_path) == (EDITIONS / "persons.xml").read_bytes()
    csv = run(data, "export", "edition-persons", "--format", "csv")
    assert csv.exit_code == 1
    assert "is a list file (its entries are in the registry), not a document" in csv.stderr


def test_tei_all_validation_processes_xinclude_like_jing(tmp_path: Path) -> None:
    grammar = EDITIONS / "xinclude" / "notebook.rng"  # stands in for tei_all.rng
    data = tmp_path / "data"
    good = run(data, "validate", "--schema", "tei_all", "--tei-all", str(grammar),
               str(EDITIONS / "xinclude" / "notebook.xml"))
    assert good.exit_code == 0, good.output
    assert "XInclude processed before validation (2 includes), as jing does" in good.stdout
    broken = run(data, "validate", "--schema", "tei_all", "--tei-all", str(grammar),
                 str(EDITIONS / "xinclude" / "broken.xml"))
    assert broken.exit_code == 1
    assert (f"{EDITIONS / 'xinclude' / 'broken.xml'}:6:0: error: xi:include "
            f"href='parts/page-9.xml' failed: no such file") in broken.stdout
