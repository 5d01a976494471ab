"""Issue 16, findings 1, 13, 18 and 20: ids that cannot escape, collide or crash.

Every document id, from any source (a sidecar, a file name, a foreign idno, the archive idno
of an export of ours, ``--id``), matches one rule before it touches a path; an import whose
id is another document's is refused before anything is written; names that map to one id
are refused; odd sidecars and titles end in one line, never a traceback; links out of the
data directory are not followed. Run as real processes (``python -m archive``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tei.parse import parse_bytes

TEI_NS = "http://www.tei-c.org/ns/1.0"
EXISTING = "000_cc213c6dc1d17911"  # a document of the built sample archive


def archive(data: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})


def one_line_error(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    """A non-zero exit with exactly one error line on stderr (``build``'s progress bar aside)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if "archive: error: " in line]
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]


def snapshot(data: Path) -> dict[str, str]:
    return {str(p.relative_to(data)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.rglob("*")) if p.is_file() and p.name != ".lock"}


def foreign(archive_idno: str, text: str = "A foreign letter.") -> bytes:
    """A document of another project that claims an archive idno (not ours: no ident)."""
    return (f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>T</title>'
            f'</titleStmt><publicationStmt><publisher>P</publisher><idno type="archive">'
            f'{archive_idno}</idno></publicationStmt><sourceDesc><p>S</p></sourceDesc>'
            f'</fileDesc></teiHeader><text><body><p>{text}</p></body></text></TEI>').encode()


def ours(data: Path, archive_idno: str, text: str | None = None) -> bytes:
    """A document of ours (the archive's application ident) claiming ``archive_idno``."""
    stored = (data / "tei" / f"{EXISTING}.xml").read_text(encoding="utf-8")
    claimed = stored.replace(f'<idno type="archive">{EXISTING}</idno>',
                             f'<idno type="archive">{archive_idno}</idno>')
    if text is not None:
        claimed = claimed.replace("<p>", f"<p>{text} ", 1)
    assert claimed != stored or archive_idno == EXISTING
    return claimed.encode()


@pytest.fixture
def data(built_archive: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(built_archive, copy)
    return copy


# --- finding 1: ids that cannot escape --------------------------------------------------------

def test_a_foreign_archive_idno_never_leads_an_export_out_of_its_folder(
        data: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "relative.xml").write_bytes(foreign("../../outside/relative"))
    (inputs / "absolute.xml").write_bytes(foreign(f"{outside}/absolute"))
    imported = archive(data, "import", str(inputs))
    assert imported.returncode == 0, imported.stderr
    ids = [line.split("\t")[0] for line in imported.stdout.splitlines()]
    assert all("/" not in doc_id and not doc_id.startswith(".") for doc_id in ids), ids
    out = tmp_path / "exports" / "deep" / "folder"
    exported = archive(data, "export", "--all", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert all(Path(line).parent == out for line in exported.stdout.splitlines())
    assert not outside.exists()
    assert sorted(p.name for p in (tmp_path / "exports").rglob("*.xml")) == sorted(
        p.name for p in out.iterdir())
    bundle = tmp_path / "all.zip"
    zipped = archive(data, "export", "--all", "--format", "zip", "-o", str(bundle))
    assert zipped.returncode == 0, zipped.stderr
    for name in zipfile.ZipFile(bundle).namelist():
        assert ".." not in name.split("/") and not name.startswith("/"), name
    assert archive(data, "reindex").returncode == 0
    checked = archive(data, "check")
    assert checked.returncode == 0, checked.stdout


def test_an_unusable_archive_id_of_ours_is_refused_with_one_line(data: Path,
                                                                 tmp_path: Path) -> None:
    before = snapshot(data)
    for n, claimed in enumerate(["../../../../tmp/x", "/tmp/x", ".hidden", "a b", "x" * 300]):
        path = tmp_path / f"claim{n}.xml"
        path.write_bytes(ours(data, claimed))
        one_line_error(archive(data, "import", str(path)), str(path), "unusable archive id")
    assert snapshot(data) == before


@pytest.mark.parametrize("kind", ["ours", "foreign"])
def test_an_import_claiming_an_existing_id_is_refused_before_anything_is_written(
        data: Path, tmp_path: Path, kind: str) -> None:
    before = snapshot(data)
    original = (data / "tei" / f"{EXISTING}.xml").read_bytes()
    path = tmp_path / "impostor.xml"
    path.write_bytes(ours(data, EXISTING, "Impostor.") if kind == "ours"
                     else foreign(EXISTING, "Impostor."))
    one_line_error(archive(data, "import", str(path)), str(path), repr(EXISTING))
    assert snapshot(data) == before
    assert archive(data, "reindex").returncode == 0
    exported = archive(data, "export", EXISTING)
    assert "Impostor." not in exported.stdout
    assert (data / "tei" / f"{EXISTING}.xml").read_bytes() == original


def test_our_own_export_comes_back_into_its_archive(data: Path, tmp_path: Path) -> None:
    exported = tmp_path / "export" / f"{EXISTING}.xml"
    assert archive(data, "export", EXISTING, "-o", str(exported)).returncode == 0
    before = snapshot(data)
    again = archive(data, "import", str(exported))
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"{EXISTING}\t{exported}\n"
    unchanged = ("tei/", "registry/", "sources/")  # the index and an (empty) imports.json aside
    assert {k: v for k, v in snapshot(data).items() if k.startswith(unchanged)} == {
        k: v for k, v in before.items() if k.startswith(unchanged)}
    # edited elsewhere: refused, unless --replace says so
    edited = exported.read_text(encoding="utf-8").replace("<p>", "<p>Edited. ", 1)
    exported.write_text(edited, encoding="utf-8")
    one_line_error(archive(data, "import", str(exported)), "--replace")
    replaced = archive(data, "import", "--replace", str(exported))
    assert replaced.returncode == 0, replaced.stderr
    assert b"Edited. " in (data / "tei" / f"{EXISTING}.xml").read_bytes()
    assert archive(data, "check").returncode == 0


# --- finding 13: names that map to one id ------------------------------------------------------

def test_non_latin_names_keep_their_letters_and_collisions_are_refused(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    texts = {"日本語.txt": "日本語のテキスト\n\n東京で書かれた。\n",
             "中文.txt": "中文文本\n\n写于北京。\n",
             "Café.txt": "Café\n\nA text about a café in Paris.\n",
             "Cafe.txt": "Cafe\n\nAnother text, about a cafe in Lyon.\n"}
    for name, text in texts.items():
        (sources / name).write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    for name in texts:  # one build each: they must not overwrite each other
        built = archive(data, "build", "--no-annotate", str(sources / name))
        assert built.returncode == 0, built.stderr
    assert sorted(p.stem for p in (data / "tei").glob("*.xml")) == sorted(
        ["日本語", "中文", "café", "cafe"])
    from webui import create_app

    viewer = create_app({"DATA_DIR": str(data), "TESTING": True}).test_client()
    assert "東京で書かれた" in viewer.get("/documents/日本語").get_data(as_text=True)
    download = viewer.get("/documents/中文/export.tei")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith(
        "filename*=UTF-8''%E4%B8%AD%E6%96%87.xml")
    # two names, one id: refused in one run, naming both files ...
    (sources / "CAFÉ.txt").write_text("CAFÉ\n\nShouting.\n", encoding="utf-8")
    before = snapshot(data)
    one_line_error(archive(data, "build", "--no-annotate", str(sources / "Café.txt"),
                           str(sources / "CAFÉ.txt")), "Café.txt", "CAFÉ.txt")
    # ... and across runs, naming the file the id was built from
    one_line_error(archive(data, "build", "--no-annotate", str(sources / "CAFÉ.txt")),
                   "CAFÉ.txt", "Café.txt", "--id")
    assert snapshot(data) == before
    given = archive(data, "build", "--no-annotate", "--id", "café-loud",
                    str(sources / "CAFÉ.txt"))
    assert given.returncode == 0, given.stderr
    assert (data / "tei" / "café-loud.xml").is_file()
    assert hashlib.sha256((data / "tei" / "café.xml").read_bytes()).hexdigest() == before[
        "tei/café.xml"]
    assert archive(data, "check").returncode == 0


# --- finding 18: one line, never a traceback --------------------------------------------------

def sidecar_case(tmp_path: Path, sidecar: bytes, text: str = "Essay\n\nSome text.\n") -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    source = folder / "essay.txt"
    source.write_text(text, encoding="utf-8")
    (folder / "essay.toml").write_bytes(sidecar)
    return source


@pytest.mark.parametrize(("sidecar", "message"), [
    (b"title = " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "nested too deeply"),
    (b'title = "A\\u0000B"\n', "U+0000"),
    (b'title = "A\\u0001B"\n', "U+0001"),
    (b'id = "' + b"a" * 260 + b'"\n', "longer than 120 bytes"),
])
def test_bad_sidecars_end_in_one_line(tmp_path: Path, sidecar: bytes, message: str) -> None:
    source = sidecar_case(tmp_path, sidecar)
    for command in (["build"], ["encode"]):
        result = archive(tmp_path / "data", *command, str(source))
        one_line_error(result, "essay.toml", message)
    assert not (tmp_path / "data" / "tei").exists()


def test_a_sidecar_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    source = sidecar_case(tmp_path, b'\xef\xbb\xbftitle = "With a BOM"\n')
    result = archive(tmp_path / "data", "encode", str(source))
    assert result.returncode == 0, result.stderr
    assert "<title>With a BOM</title>" in result.stdout


def test_control_characters_in_a_source_become_spaces_and_the_tei_is_valid(
        tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    source = folder / "controls.txt"
    source.write_text("A\x01title\x0cline\n\nText\x08 with controls.\n", encoding="utf-8")
    data = tmp_path / "data"
    built = archive(data, "build", "--no-annotate", str(source))
    assert built.returncode == 0, built.stderr
    tei = (data / "tei" / "controls.xml").read_bytes()
    parse_bytes(tei)
    assert b"<title>A title line</title>" in tei
    assert archive(data, "check").returncode == 0


@pytest.mark.parametrize("length", [240, 255, 300])
def test_long_names_are_cut_to_a_bounded_id(tmp_path: Path, length: int) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    stem = "é" * min(length, 250) if length < 250 else "Ab" * (250 // 2)  # NAME_MAX: 255 bytes
    stem = stem[: 250 // len(stem[0].encode())]
    source = folder / f"{stem}.txt"
    source.write_text("Title\n\nSome text.\n", encoding="utf-8")
    data = tmp_path / "data"
    built = archive(data, "build", "--no-annotate", str(source))
    assert built.returncode == 0, built.stderr
    [tei] = (data / "tei").glob("*.xml")
    assert len(tei.stem.encode()) <= 120
    one_line_error(archive(data, "build", "--no-annotate", "--id", "x" * length,
                           str(source)), "longer than 120 bytes")


# --- finding 20: links out of the data directory ----------------------------------------------

def test_links_out_of_the_data_directory_are_not_followed(data: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(foreign("secret", "A secret text outside the archive."))
    (data / "tei" / "secret.xml").symlink_to(secret)
    (data / "registry" / "extra.xml").symlink_to(secret)
    reindexed = archive(data, "reindex", "--full")
    assert reindexed.returncode == 0, reindexed.stderr
    listed = archive(data, "export", "--all", "--format", "teicorpus")
    assert listed.returncode != 0 or "A secret text" not in listed.stdout
    bundle = tmp_path / "all.zip"
    archive(data, "export", "--all", "--format", "zip", "-o", str(bundle))
    if bundle.exists():
        names = zipfile.ZipFile(bundle).namelist()
        assert "tei/secret.xml" not in names and "registry/extra.xml" not in names
    checked = archive(data, "check")
    lines = [line for line in checked.stdout.splitlines() if "symbolic link" in line]
    assert sorted(lines) == sorted(
        f"{data / folder / name}: warning: symbolic link leading out of the data directory: "
        f"not followed (not indexed, shown or exported) [files]"
        for folder, name in (("tei", "secret.xml"), ("registry", "extra.xml")))
    found = archive(data, "query", "--format", "csv", "//tei:p[contains(., 'A secret')]")
    assert "A secret text" not in found.stdout
    validated = archive(data, "validate", "--all", "--format", "json")
    assert "secret.xml" not in validated.stdout and "extra.xml" not in validated.stdout
    # a document replaced by such a link after it was indexed: the viewer does not follow it
    target = data / "tei" / f"{EXISTING}.xml"
    target.unlink()
    target.symlink_to(secret)
    from webui import create_app

    viewer = create_app({"DATA_DIR": str(data), "TESTING": True}).test_client()
    for url in (f"/documents/{EXISTING}", f"/documents/{EXISTING}.xml",
                f"/documents/{EXISTING}/export.tei"):
        response = viewer.get(url)
        assert "A secret text" not in response.get_data(as_text=True), url
