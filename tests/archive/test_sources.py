"""read_source: formats, decoding, sidecars, overrides, and every kind of bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from archive.config import SAMPLES_DIR
from archive.errors import SourceError
from archive.ingest.sources import format_for, read_source, slugify_id
from archive.model import Metadata, Span

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
SAMPLE_METADATA = {
    "000_cc213c6dc1d17911": ("text", "Left Opposition", None, None, "CC BY-SA"),
    "001_2150701daa3a8e63": ("text", "Left Opposition", None, None, None),
    "002_03e551045637ca3f": (
        "text", "100 years since the founding of the Left Opposition: in defence of Trotskyism",
        None, "2023-10", None),
    "003_717e887f31c42029": ("text", "In Honor of the Left Opposition", "Paul Le Blanc",
                             "1997-03", None),
    "004_50eb6e51b711ced3": ("markdown", "On the Founding of the Left Opposition",
                             "David North", "2023-10-08", None),
}


@pytest.mark.parametrize("stem", sorted(SAMPLE_METADATA))
def test_samples_read_with_their_sidecars(stem: str) -> None:
    path = SAMPLES_DIR / f"{stem}.txt"
    source = read_source(path)
    meta = source.metadata
    assert (source.format, meta.title, meta.author, meta.date, meta.licence) == \
        SAMPLE_METADATA[stem]
    assert (meta.id, meta.language, source.path) == (stem, "en", str(path))
    assert source.text == path.read_text(encoding="utf-8")
    for block in source.blocks:
        for span in block.label + block.spans:
            assert span.start is not None
            assert source.text[span.start:span.end] == span.text


def test_003_sidecar_metadata_in_full() -> None:
    assert read_source(SAMPLES_DIR / "003_717e887f31c42029.txt").metadata == Metadata(
        id="003_717e887f31c42029", title="In Honor of the Left Opposition",
        author="Paul Le Blanc", publisher="Solidarity", periodical="Against the Current",
        issue="67", date="1997-03", language="en", kind="essay",
        note="Published in Against the Current, No. 67, March/April 1997 (ATC 67).")


def test_without_sidecar_metadata_comes_from_the_text(tmp_path: Path) -> None:
    copy = tmp_path / "In Honor (ATC 67).txt"
    shutil.copyfile(SAMPLES_DIR / "003_717e887f31c42029.txt", copy)
    assert read_source(copy).metadata == Metadata(
        id="in-honor-atc-67", title="In Honor of the Left Opposition", author="Paul Le Blanc",
        periodical="Against the Current", issue="67", date="1997-03")


def test_without_sidecar_or_title_line_the_first_line_is_the_title(tmp_path: Path) -> None:
    copy = tmp_path / "002_03e551045637ca3f.txt"
    shutil.copyfile(SAMPLES_DIR / "002_03e551045637ca3f.txt", copy)
    assert read_source(copy).metadata == Metadata(
        id="002_03e551045637ca3f",
        title="A century ago, on 15 October 1923, the Left Opposition was established by a…")


def test_markdown_sample_without_sidecar_needs_the_format(tmp_path: Path) -> None:
    copy = tmp_path / "north.txt"
    shutil.copyfile(SAMPLES_DIR / "004_50eb6e51b711ced3.txt", copy)
    assert read_source(copy).format == "text"
    source = read_source(copy, format="markdown")
    assert (source.format, source.metadata.title) == (
        "markdown", "On the Founding of the Left Opposition")


def test_overrides_win_over_sidecar_and_none_is_ignored() -> None:
    source = read_source(SAMPLES_DIR / "003_717e887f31c42029.txt",
                         overrides={"title": "Honouring the Opposition", "date": "1997",
                                    "author": None, "licence": "All rights reserved"})
    meta = source.metadata
    assert (meta.title, meta.date, meta.author, meta.licence) == (
        "Honouring the Opposition", "1997", "Paul Le Blanc", "All rights reserved")


def test_sidecar_named_after_the_full_file_name_wins(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Heading\n\nBody text.\n", encoding="utf-8")
    (tmp_path / "notes.toml").write_text('title = "From the stem"\n', encoding="utf-8")
    assert read_source(tmp_path / "notes.md").metadata.title == "From the stem"
    (tmp_path / "notes.md.toml").write_text(
        'title = "From the name"\ndate = 1923-10-15\nissue = 4\n', encoding="utf-8")
    meta = read_source(tmp_path / "notes.md").metadata
    assert (meta.title, meta.date, meta.issue) == ("From the name", "1923-10-15", "4")


def test_explicit_format_wins_over_sidecar_format(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text("# Heading\n\nBody *text*.\n", encoding="utf-8")
    (tmp_path / "page.toml").write_text('format = "markdown"\n', encoding="utf-8")
    assert read_source(tmp_path / "page.txt").blocks[1].spans[1] == Span("text", 17, "italic")
    assert read_source(tmp_path / "page.txt", format="text").format == "text"


@pytest.mark.parametrize(("name", "fmt"), [
    ("a.txt", "text"), ("a.TEXT", "text"), ("a.md", "markdown"), ("a.markdown", "markdown"),
    ("a.html", "html"), ("a.htm", "html"),
])
def test_format_for(name: str, fmt: str) -> None:
    assert format_for(name) == fmt


@pytest.mark.parametrize(("stem", "slug"), [
    ("000_cc213c6dc1d17911", "000_cc213c6dc1d17911"),
    ("Trotsky: Écrits 1923", "trotsky-écrits-1923"),  # letters kept (issue 16.13)
    ("  ...", "source"),
])
def test_slugify_id(stem: str, slug: str) -> None:
    assert slugify_id(stem) == slug


@pytest.mark.parametrize(("name", "data"), [
    ("crlf.txt", b"Title line\r\n\r\nA paragraph about Moscow in 1923.\r\n"),
    ("cr.txt", b"Title line\r\rA paragraph about Moscow in 1923.\r"),
])
def test_line_ends_become_newlines_as_open_reads_them(tmp_path: Path, name: str,
                                                      data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    source = read_source(path)
    assert source.text == path.read_text(encoding="utf-8")
    assert source.text == "Title line\n\nA paragraph about Moscow in 1923.\n"
    assert [(b.kind, b.spans) for b in source.blocks] == [
        ("title", (Span("Title line", 0),)),
        ("p", (Span("A paragraph about Moscow in 1923.", 12),))]


@pytest.mark.parametrize("data", [
    "\ufeffTitle line\n\nA paragraph.\n".encode(),
    "Title line\n\nA paragraph.\n".encode("utf-16"),  # with its BOM
    "\ufeffTitle line\n\nA paragraph.\n".encode("utf-16-be"),
])
def test_byte_order_marks_are_dropped(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    source = read_source(path)
    assert source.text == "Title line\n\nA paragraph.\n"
    assert source.blocks[1].spans == (Span("A paragraph.", 12),)


BAD_INPUTS = [
    ("empty.txt", b"", "empty file (nothing but whitespace)"),
    ("blank.txt", b"  \n\t\n \r\n", "empty file (nothing but whitespace)"),
    ("latin1.txt", "Caf\u00e9 in Paris\n".encode("latin-1"),
     "not valid UTF-8 at byte 3 (line 1): invalid continuation byte; convert the file to UTF-8"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (a PNG image), not a text "
     "source"),
    ("book.md", b"PK\x03\x04\x14\x00\x00\x00", "binary file (a ZIP archive (or DOCX/EPUB)), not a "
     "text source"),
    ("nul.txt", b"Some text\x00with a NUL\n",
     "binary file (contains NUL bytes), not a text source"),
    ("data.csv", b"a,b\n1,2\n", "unknown source format '.csv'; expected one of .htm, .html, "
     ".markdown, .md, .text, .txt, or give the format"),
    ("script.html", b"<html><script>var a = 1;</script></html>", "no text found in the file"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_INPUTS)
def test_bad_input_raises_one_clear_error(tmp_path: Path, name: str, data: bytes,
                                          message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as missing:
        read_source(tmp_path / "gone.txt")
    assert str(missing.value) == f"{tmp_path / 'gone.txt'}: no such file"
    with pytest.raises(SourceError) as directory:
        read_source(tmp_path)
    assert str(directory.value) == f"{tmp_path}: is a directory, not a source file"


def test_unknown_explicit_format(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some text.\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_source(path, format="docx")
    assert str(caught.value) == f"{path}: unknown source format 'docx'; known: html, markdown, text"


@pytest.mark.parametrize(("sidecar", "message"), [
    ('title = "Left Opposition"\nauthor = \n',
     "malformed metadata sidecar: Invalid value (at line 2, column 10)"),
    ('title = "A"\nauthors = "B"\n', "unknown sidecar metadata key 'authors'; known: id, title, "
     "author, publisher, periodical, issue, date, language, kind, licence, note"),
    ('date = "October 1923"\n', "sidecar metadata date 'October 1923' is not ISO 8601 (YYYY, "
     "YYYY-MM or YYYY-MM-DD)"),
    ('date = "1923-02-30"\n', "sidecar metadata date '1923-02-30' is not ISO 8601 (YYYY, "
     "YYYY-MM or YYYY-MM-DD)"),
    ('title = ["A", "B"]\n', "sidecar metadata 'title' must be a non-empty string"),
    ('id = "My Essay"\n', "sidecar metadata id 'My Essay' may hold only lower-case letters, "
     "digits, '_', '.', '-' (try 'my-essay')"),
    ('format = "docx"\n', "unknown format 'docx' in sidecar; known: html, markdown, text"),
])
def test_bad_sidecar_names_the_sidecar(tmp_path: Path, sidecar: str, message: str) -> None:
    path = tmp_path / "essay.txt"
    path.write_text("Essay\n\nSome text of the essay.\n", encoding="utf-8")
    (tmp_path / "essay.toml").write_text(sidecar, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert str(caught.value) == f"{tmp_path / 'essay.toml'}: {message}"


def test_unknown_override_key_names_the_source(tmp_path: Path) -> None:
    path = tmp_path / "essay.txt"
    path.write_text("Essay\n\nSome text of the essay.\n", encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_source(path, overrides={"year": "1997"})
    assert str(caught.value).startswith(f"{path}: unknown override metadata key 'year'")


def test_sources_fixture_files_read_by_extension() -> None:
    markdown = read_source(FIXTURES / "emphasis_links_lists.md")
    page = read_source(FIXTURES / "page_with_nav.html")
    assert (markdown.format, markdown.metadata.id, markdown.metadata.author) == (
        "markdown", "emphasis_links_lists", "Ada Lovelace")
    assert (page.format, page.metadata.title) == ("html", "The Platform of the 46")
