"""Long documents in Chromium: the table of contents, find-in-document (next/previous, the
count, folded case and accents, Greek), parts loaded on scroll, an anchor into a part not yet
loaded, and the ``c`` key that copies the permalink of the passage in view.

On the two novels of tests/webui/test_long_documents.py (a generated one of 28 chapters, read
in parts, and tests/fixtures/reading/novel.xml, read whole), served by a real viewer."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

HERE = Path(__file__).resolve().parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LONG_DOCS = _load(HERE.parent / "webui" / "test_long_documents.py", "_long_documents")
LONG, SHORT, CHAPTERS = LONG_DOCS.LONG, LONG_DOCS.SHORT, LONG_DOCS.CHAPTERS


@pytest.fixture(scope="module")
def long_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    serving = _load(HERE / "conftest.py", "_browser_conftest").serving
    with serving(LONG_DOCS.build_long_data(tmp_path_factory.getbasetemp() / "long")) as base:
        yield base


@pytest.fixture
def reader(browser, long_server: str) -> Iterator[object]:
    """A fresh page on the novels' viewer, the clipboard allowed; console errors fail."""
    checked_page = _load(HERE / "conftest.py", "_browser_conftest").checked_page
    with checked_page(browser, long_server, ("clipboard-read", "clipboard-write")) as page:
        yield page


def in_view(page, anchor: str) -> bool:
    return page.evaluate("""(id) => { const e = document.getElementById(id);
        if (!e) return false; const box = e.getBoundingClientRect();
        return box.top >= -2 && box.top < window.innerHeight; }""", anchor)


def test_contents_take_the_reader_into_a_part_not_loaded(reader, tmp_path: Path) -> None:
    reader.goto(f"/documents/{LONG}")
    toc = reader.get_by_role("navigation", name="Contents")
    assert toc.is_visible()
    assert reader.locator(f'[id="chapter{CHAPTERS - 2}"]').count() == 0
    link = toc.get_by_role("link", name=re.compile(f"^Chapter {CHAPTERS - 2}\\."))
    link.focus()  # by keyboard
    reader.keyboard.press("Enter")
    reader.locator(f'[id="chapter{CHAPTERS - 2}"]').wait_for()
    reader.wait_for_url(f"**/documents/{LONG}#chapter{CHAPTERS - 2}")
    reader.wait_for_timeout(200)
    assert in_view(reader, f"chapter{CHAPTERS - 2}")
    reader.screenshot(path=str(tmp_path / "contents.png"))
    # the contents fold away
    toc.locator("summary").click()
    assert not link.is_visible()


def test_parts_load_as_the_reader_scrolls(reader) -> None:
    reader.goto(f"/documents/{LONG}")
    stubs = reader.locator(".part-stub").count()
    assert stubs >= 4 and reader.locator("#ui-part-2.part-stub").count() == 1
    reader.locator("#ui-part-1 > section").last.scroll_into_view_if_needed()
    reader.mouse.wheel(0, 3000)
    expect(reader.locator("#ui-part-2.part-stub")).to_have_count(0)
    assert reader.locator("#ui-part-2 section").first.get_attribute("id") is not None
    assert reader.locator(".part-stub").count() < stubs
    assert reader.locator(f"#ui-part-{stubs + 1}.part-stub").count() == 1  # the last: not yet


def test_a_link_to_a_passage_in_an_unloaded_part_reaches_it(reader) -> None:
    reader.goto(f"/documents/{LONG}#chapter20.p3")
    passage = reader.locator('[id="chapter20.p3"]')
    passage.wait_for()
    reader.wait_for_timeout(200)
    assert in_view(reader, "chapter20.p3")
    assert passage.evaluate("e => e.closest('.part').dataset.part") != "1"  # a part loaded
    # and a note's back-link inside a part works too (numbering as in the whole)
    number = reader.locator('[id="chapter20.p7"] sup.noteref a').inner_text()
    assert int(number) > 20


def test_find_counts_steps_and_loads_the_whole_text(reader, tmp_path: Path) -> None:
    reader.goto(f"/documents/{LONG}")
    expected = len(re.findall(f"note on chapter {CHAPTERS},", LONG_DOCS.novel_tei(
        CHAPTERS, 700_000, title="The Long Novel")))
    assert expected >= 2
    box = reader.get_by_role("searchbox", name="Find in this document")
    box.fill(f"NOTE ON CHAPTER {CHAPTERS},")  # case ignored; in the last part, not loaded
    count = reader.locator("#ui-find-count")
    expect(count).to_have_text(f"1 of {expected}")  # found as one types
    assert reader.locator(".part-stub").count() == 0
    assert reader.evaluate("CSS.highlights.get('find').size") == expected
    box.press("Enter")
    expect(count).to_have_text(f"2 of {expected}")
    box.press("Shift+Enter")
    box.press("Shift+Enter")
    expect(count).to_have_text(f"{expected} of {expected}")
    assert reader.evaluate("String(CSS.highlights.get('find-current').values().next().value)"
                           ) == f"note on chapter {CHAPTERS},"
    reader.get_by_role("button", name="Next match").click()
    expect(count).to_have_text(f"1 of {expected}")
    reader.screenshot(path=str(tmp_path / "find.png"))
    box.fill("no such words anywhere")
    box.press("Enter")
    expect(count).to_have_text("No matches")


def test_find_ignores_accents_and_reads_greek(reader) -> None:
    reader.goto(f"/documents/{SHORT}")
    box = reader.get_by_role("searchbox", name="Find in this document")
    count = reader.locator("#ui-find-count")
    for words, found in (("naive", "1 of 1"), ("CAFE IN", "1 of 1"), ("λογοσ", "1 of 2"),
                         ("ἦν", "1 of 2"), ("skerrin   rock", "1 of 2")):
        box.fill("")
        expect(count).to_have_text("")
        box.fill(words)
        expect(count).to_have_text(found)
    box.press("Enter")
    expect(count).to_have_text("2 of 2")
    # what was found is what the text says
    assert reader.evaluate("[...CSS.highlights.get('find')].map(String)") == [
        "Skerrin Rock", "Skerrin Rock"]


def test_c_copies_the_permalink_of_the_passage_in_view(reader, long_server: str,
                                                       tmp_path: Path) -> None:
    reader.goto(f"/documents/{LONG}")
    box = reader.get_by_role("searchbox", name="Find in this document")
    box.press("c")  # typing: no copy
    assert reader.locator("#ui-copied").inner_text() == ""
    reader.evaluate("document.activeElement.blur()")
    reader.evaluate("document.getElementById('chapter1.p5').scrollIntoView()")
    reader.keyboard.press("c")
    status = reader.get_by_role("status")
    link = f"{long_server}/documents/{LONG}#chapter1.p5"
    expect(status.filter(has_text=link)).to_have_text(f"Copied: {link}")
    assert reader.evaluate("navigator.clipboard.readText()") == link
    reader.screenshot(path=str(tmp_path / "copied.png"))
    assert "c</kbd> to copy" in reader.content()  # the help says so


def test_axe_finds_nothing_on_long_documents(reader) -> None:
    """The contents, the find box, part links, a loaded part and the copied link: clean."""
    violations = _load(HERE / "test_access.py", "_access").violations
    reader.goto(f"/documents/{SHORT}")
    assert violations(reader) == []
    reader.goto(f"/documents/{LONG}")
    reader.locator("#ui-part-1 > section").last.scroll_into_view_if_needed()
    reader.mouse.wheel(0, 3000)
    expect(reader.locator("#ui-part-2.part-stub")).to_have_count(0)
    reader.get_by_role("searchbox", name="Find in this document").fill("eleanor")
    expect(reader.locator("#ui-find-count")).to_contain_text(" of ")
    reader.evaluate("document.activeElement.blur()")
    reader.keyboard.press("c")
    expect(reader.locator("#ui-copied")).to_contain_text("Copied")
    assert violations(reader) == []
