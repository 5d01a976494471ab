"""Manuscript records, genetic transcripts, bibliographies and facsimiles in a real browser,
on the documents of ``tests/fixtures/reading`` imported with the real ``archive import``.

The facsimile images come from a second local server (another origin, as a remote image
site is): the test checks that the browser asks it for nothing until the reader switches
images on, and that the page's policy then lets exactly those images in.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import checked_page, serving

READING = Path(__file__).resolve().parents[1] / "fixtures" / "reading"


def png(width: int, height: int) -> bytes:
    """A grey PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + b"\xa0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class ImageSite:
    """A second web server (another origin) holding the facsimile images; it counts requests."""

    def __init__(self, root: Path) -> None:
        self.requests: list[str] = []
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=root))
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageSite]:
    root = tmp_path_factory.mktemp("image-site")
    (root / "p1.png").write_bytes(png(60, 80))
    (root / "p2.png").write_bytes(png(60, 80))
    site = ImageSite(root)
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture(scope="module")
def reading_server(tmp_path_factory: pytest.TempPathFactory, images: ImageSite) -> Iterator[str]:
    """The viewer of an archive made by ``archive import`` of the reading fixtures (the page
    with facsimiles pointed at the local image site)."""
    sources = tmp_path_factory.mktemp("reading-sources")
    for path in READING.glob("*.xml"):
        shutil.copy(path, sources / path.name)
    pages = sources / "pages.xml"
    pages.write_text(pages.read_text(encoding="utf-8").replace(
        "https://images.example.org/book", images.origin), encoding="utf-8")
    data = tmp_path_factory.mktemp("reading-archive") / "data"
    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "import",
                           str(sources)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with serving(data) as base:
        yield base


@pytest.fixture
def reader(browser, reading_server: str) -> Iterator[object]:
    """A fresh page on the reading archive; console errors (a refused image among them) fail
    the test."""
    with checked_page(browser, reading_server) as page:
        yield page


def test_a_manuscript_description_reads_as_a_catalogue_record(reader, tmp_path: Path) -> None:
    reader.goto("/documents/ms-lyell-99")
    record = reader.locator("article.tei section.ms-desc").first
    assert record.locator("h2").first.inner_text().split("\n") == [
        "MANUSCRIPT", "Oxford, Test Library, Lyell, MS. Lyell 99"]
    assert reader.locator("article.tei h3.ms-section-head").all_inner_texts() == [
        "CONTENTS", "PHYSICAL DESCRIPTION", "HISTORY", "ADDITIONAL INFORMATION"]
    incipit = reader.locator(".field", has=reader.locator(".field-label", has_text="Incipit"))
    label, value = incipit.locator(".field-label"), incipit.locator(".field-value")
    # label and value side by side, as in a catalogue
    assert label.bounding_box()["x"] < value.bounding_box()["x"]
    assert abs(label.bounding_box()["y"] - value.bounding_box()["y"]) < 8
    assert value.inner_text() == "Ianuarius habet dies xxxi"
    assert record.is_visible() and record.bounding_box()["height"] > 600  # no blank page
    assert reader.locator("a.cite[href$='#body.p']").is_hidden()  # the empty text after it
    reader.screenshot(path=tmp_path / "msdesc.png", full_page=True)


def test_a_genetic_transcript_shows_lines_deletions_and_additions(reader,
                                                                  tmp_path: Path) -> None:
    reader.goto("/documents/draft-notebook")
    surface = reader.locator("section.surface").first
    lines = surface.locator(".zone-main .line")
    assert lines.count() == 6
    tops = [lines.nth(i).bounding_box()["y"] for i in range(6)]
    assert tops == sorted(tops) and len(set(tops)) == 6  # one line per written line
    deleted = surface.locator("del", has_text="accomplishment")
    assert "line-through" in deleted.evaluate("e => getComputedStyle(e).textDecorationLine")
    added = surface.locator("ins.add", has_text="completion")
    assert added.evaluate("e => getComputedStyle(e).verticalAlign") == "super"
    fifth = lines.nth(4)
    assert fifth.evaluate("e => getComputedStyle(e, '::before').content") == '"5"'
    assert surface.locator(".zone-label").all_inner_texts() == ["MAIN", "LEFT MARGIN"]
    surface.screenshot(path=tmp_path / "genetic.png")


def test_a_bibliography_is_a_numbered_register(reader, tmp_path: Path) -> None:
    reader.goto("/documents/works-cited")
    entries = reader.locator("ol.bibls > li")
    assert entries.count() == 4
    assert entries.first.inner_text().endswith(
        "Mary Shelley, Frankenstein, London, Lackington, 1818, https://example.org/frankenstein")
    article = entries.nth(2).locator("q.title-a")  # an article's title, in quotation marks
    assert article.inner_text() == "Frankenstein and the Tradition of Realism"
    assert article.evaluate("e => getComputedStyle(e, '::before').content") == '"“"'

    assert entries.nth(3).locator("a").count() == 1  # the citation anchor; javascript: is none
    reader.locator("section.bibls").screenshot(path=tmp_path / "bibliography.png")


def test_facsimiles_are_links_until_the_reader_shows_the_images(reader, images: ImageSite,
                                                                tmp_path: Path) -> None:
    images.requests.clear()
    reader.goto("/documents/pages-and-lines")
    links = reader.locator("a.facs")
    assert links.count() == 2 and reader.locator("article.tei img").count() == 0
    assert links.first.get_attribute("href") == f"{images.origin}/p1.png"
    assert links.first.get_attribute("target") == "_blank"
    assert images.requests == []  # nothing asked of the image site
    reader.get_by_role("link", name="Show facsimile images").click()
    reader.wait_for_url("**/documents/pages-and-lines?facsimiles=show")
    shown = reader.locator("article.tei a.facs img")
    assert shown.count() == 2
    shown.first.scroll_into_view_if_needed()
    reader.wait_for_function(
        "() => [...document.querySelectorAll('article.tei img')].every(i => i.complete)")
    shown.nth(1).scroll_into_view_if_needed()
    reader.wait_for_function(
        "() => [...document.querySelectorAll('article.tei img')].every("
        "i => i.complete && i.naturalWidth === 60)")
    assert sorted(images.requests) == ["/p1.png", "/p2.png"]
    reader.screenshot(path=tmp_path / "facsimiles.png", full_page=True)
    reader.get_by_role("link", name="Hide facsimile images").click()
    reader.wait_for_url("**/documents/pages-and-lines")
    assert reader.locator("article.tei img").count() == 0


def test_line_numbers_stand_beside_the_fifth_line_of_prose_and_of_a_speech(reader) -> None:
    reader.goto("/documents/pages-and-lines")
    number = reader.locator(".lb-n")
    assert number.count() == 1
    box = number.evaluate("""e => { const r = document.createRange();
        r.selectNodeContents(e.nextSibling); const t = r.getBoundingClientRect();
        return {text: t.top, number: e.getBoundingClientRect().top}; }""")
    assert abs(box["text"] - box["number"]) < 6  # on its own line, not the next
    verse = reader.locator(".sp .l[data-line='5']")
    assert verse.inner_text() == "How weary, stale, flat and unprofitable"
    assert verse.evaluate("e => getComputedStyle(e, '::before').content") == '"5"'
    # a long number stands wholly left of its line (not over its words)
    long = reader.locator(".sp .l[data-line='6175']")
    assert long.evaluate("e => getComputedStyle(e, '::before').content") == '"6175"'
    right_edge = long.evaluate("""e => {
        const style = getComputedStyle(e, '::before'), probe = document.createElement('span');
        probe.textContent = style.content.replace(/"/g, '');
        probe.style.font = style.font;
        probe.style.position = 'absolute';
        document.body.append(probe);
        const width = probe.getBoundingClientRect().width;
        probe.remove();
        return parseFloat(style.left) + Math.max(parseFloat(style.width), width); }""")
    assert right_edge <= 0  # the line's words start at its box's left edge
