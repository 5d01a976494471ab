"""Editions made elsewhere, read in a real browser: a play, a letter with its person list, a
critical apparatus (tests/fixtures/reading, written in the shapes of DraCor, the Schnitzler
letters and a Latin/Greek critical edition), imported with the real ``archive import`` into a
fresh archive; and the sample archive's reading view. Each test saves a screenshot
(``$ARCHIVE_SCREENSHOTS`` keeps them, else the test's temporary folder)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

READING = Path(__file__).resolve().parents[1] / "fixtures" / "reading"
FIXTURES = {"play.xml": "reading-play", "letter.xml": "reading-letter",
            "apparatus.xml": "reading-apparatus"}


@pytest.fixture(scope="module")
def editions_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh archive holding the three editions, imported by the CLI, served."""
    from .conftest import serving

    data = tmp_path_factory.mktemp("editions") / "data"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "archive"), "--data", str(data), "import",
         *(str(READING / name) for name in FIXTURES)],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(line.split("\t")[0] for line in result.stdout.splitlines()) == sorted(
        FIXTURES.values())
    with serving(data) as base:
        yield base


@pytest.fixture
def reader(browser, editions_server: str) -> Iterator[object]:
    """A fresh page on the editions' archive; console errors fail the test."""
    from .conftest import checked_page

    with checked_page(browser, editions_server) as page:
        yield page


def screenshot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    folder = Path(os.environ.get("ARCHIVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def texts(locator) -> list[str]:
    """The texts of the elements found as they show, without their citation anchors."""
    return list(locator.evaluate_all(
        "es => es.map(e => { let out = ''; const walk = document.createTreeWalker(e, "
        "NodeFilter.SHOW_TEXT); while (walk.nextNode()) { const up = walk.currentNode"
        ".parentElement; if (!up.closest('.cite') && up.checkVisibility()) out += "
        "walk.currentNode.textContent; } return out.replace(/\\s+/g, ' ').trim(); })"))


def top(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return float(box["y"])


def test_a_play_shows_speakers_stage_directions_line_numbers_and_heads(reader, tmp_path
                                                                        ) -> None:
    page = reader
    page.goto("/documents/reading-play")
    text = page.locator("article.tei")
    # acts and scenes as headings of two levels
    assert texts(page.locator("article.tei h2")) == ["Erster Aufzug.",
                                                                "Zweyter Aufzug."]
    assert texts(page.locator("article.tei h3")) == [
        "Erster Auftritt.", "Zweyter Auftritt.", "Erster Auftritt."]
    assert page.locator(".speaker").all_inner_texts()[:2] == ["ORSINA.", "VALER."]
    assert page.locator(".cast-item").count() == 3
    assert texts(page.locator("ul.cast > li.list-head")) == ["Personen."]
    # a stage direction between speeches is a line of its own, in italics
    alone = page.locator(".stage", has_text="Orsina. Valer, am Ufer.")
    assert alone.evaluate("e => getComputedStyle(e).display") == "block"
    assert alone.evaluate("e => getComputedStyle(e).fontStyle") == "italic"
    # one inside a verse line or a speech's prose stays in the line
    for words, before in (("Er verbeugt sich.", "Gräfin!"),
                          ("Er reicht ihn hin", "Gnädige Frau")):
        stage = page.locator(".stage", has_text=words)
        assert stage.evaluate("e => getComputedStyle(e).display") == "inline"
        line = stage.locator("xpath=..")
        assert before in line.inner_text()
        assert abs(top(stage) - top(line)) < 12  # on the line's first row
    # every fifth line numbered, beside the line and outside its text
    numbered = page.locator(".l[data-line]")
    assert numbered.evaluate_all("ls => ls.map(l => l.dataset.line)") == ["5", "10"]
    five = numbered.first
    assert five.inner_text().startswith("Ich selbst will")  # the number is not text
    assert five.evaluate("e => getComputedStyle(e, '::before').content") == '"5"'
    assert float(five.evaluate("e => parseFloat(getComputedStyle(e, '::before').left)")) < 0
    assert page.locator(".l:not([data-line])").count() == 9
    assert page.locator('.pb[data-n="8"]').count() == 1
    assert "Thau liegt" in text.inner_text()
    screenshot(page, tmp_path, "play")


def test_a_letter_keeps_its_lines_its_person_list_notes_and_readings(reader, tmp_path
                                                                      ) -> None:
    page = reader
    page.goto("/documents/reading-letter")
    # address lines, dateline and salutation, the closing lines: each on a line of its own
    lines = page.locator(".addr-line")
    assert lines.all_inner_texts() == ["Mr Bruno Kessler", "12 Quay Street", "Leith"]
    tops = [top(lines.nth(n)) for n in range(3)]
    assert tops[0] < tops[1] < tops[2]
    assert top(page.locator(".opener .dateline")) < top(page.locator(".opener .salute"))
    assert top(page.locator(".closer .salute")) < top(page.locator(".closer .signed"))
    # a salutation inside a paragraph stays in the sentence
    inline = page.locator("p .salute")
    assert inline.evaluate("e => getComputedStyle(e).display") == "inline"
    assert abs(top(inline) - top(inline.locator("xpath=.."))) < 12
    # the person list as a table whose names lead to their registry pages
    register = page.locator("table.register").first
    assert register.locator("tr.entry").count() == 4
    link = register.locator("tr.entry th a").first
    href = link.get_attribute("href")
    assert href and href.startswith("/entities/")
    # a name in the letter leads to the same registry entry as its row
    pike = page.locator("p a.m-person", has_text="Pike")
    assert pike.get_attribute("href") == register.locator(
        "tr.entry", has_text="Pike, Josiah").locator("th a").get_attribute("href")
    # no empty authority links: a VIAF idno without a number links nowhere
    empties = page.locator("article.tei a").evaluate_all(
        "links => links.filter(a => !a.textContent.trim() && !a.getAttribute('aria-label'))"
        ".length")
    assert empties == 0
    assert page.locator('article.tei a[data-tei="idno"]').count() == 4
    # life dates signed; a person's events folded, a click away
    assert texts(page.locator(".death")) == ["† 1890-09-30"]
    assert texts(page.locator(".birth"))[0].startswith("* 1818-02-11")
    assert top(page.locator(".birth").first) < top(page.locator(".death").first)  # two lines
    events = page.locator("details.events")
    assert not events.locator("li").first.is_visible()
    events.locator("summary").click()
    assert events.locator("li").first.inner_text() == "1849-06-01 Voyage to Hamburg"
    # notes numbered below the text, with links there and back
    marks = page.locator("sup.noteref a")
    assert marks.all_inner_texts() == ["1", "2"]
    # (numbered once: by the back-link, no list marker beside it)
    assert page.locator("ol.notes").evaluate("e => getComputedStyle(e).listStyleType") == "none"
    marks.first.click()
    assert page.evaluate("location.hash") == "#ui-note-1"
    note = page.locator("#ui-note-1")
    assert "is lost" in note.inner_text()
    note.locator("a.noteback").click()
    assert page.evaluate("location.hash") == "#ui-noteref-1"
    # choice pairs: the editor's reading, the source's one click or key away, or all at once
    pair = page.locator(".choice.pair").first
    assert pair.inner_text() == "stayed"
    pair.click()
    assert pair.inner_text() == "staid"
    pair.focus()
    page.keyboard.press("Enter")
    assert pair.inner_text() == "stayed"
    page.check("#ui-diplomatic")
    assert page.locator(".choice.pair").all_inner_texts() == ["staid", "kinde", "Revd"]
    screenshot(page, tmp_path, "letter-diplomatic")
    page.uncheck("#ui-diplomatic")
    assert page.locator(".choice.pair").all_inner_texts() == ["stayed", "kind", "Reverend"]
    # the source's marks: a deletion struck through, an addition, a gap, a space, emphasis
    assert "line-through" in page.locator("del").evaluate(
        "e => getComputedStyle(e).textDecorationLine")
    assert page.locator("ins").inner_text() == "swore"
    body = page.locator("article.tei").inner_text()
    assert "Thursday and" in body and "[…]" in body
    assert page.locator("article.tei em").first.inner_text() == "Journal"
    assert page.locator("article.tei strong").inner_text() == "great"
    assert page.locator("article.tei u").inner_text() == "every"
    screenshot(page, tmp_path, "letter")
    response = page.goto(href)  # (a click opens the name's registry card)
    assert response is not None and response.ok
    assert "Hale" in page.locator("h1").inner_text()


def test_a_critical_apparatus_stands_under_a_clean_text(reader, tmp_path) -> None:
    page = reader
    page.goto("/documents/reading-apparatus")
    apparatus = page.locator("section.apparatus")
    text = page.locator("article.tei").inner_text().split("Apparatus")[0]
    # the critical text: lemmata only, no variant in it
    for variant in ("brevitatis", "Cinthia", "externos", "φύλακας", "immota", "copyists"):
        assert variant not in text
    assert "Τὸν φύλακα" in text
    # numbered entries under the text, each with its witnesses
    entries = apparatus.locator("li")
    assert entries.count() == 9
    assert top(apparatus) > top(page.locator('[data-tei="p"][lang="grc"]'))
    first = entries.first.inner_text()
    assert "levitatis]" in first and "A B" in first and "brevitatis C" in first
    assert "quanto] A" not in entries.nth(2).inner_text()
    assert "quanta Marklandus" in entries.nth(2).inner_text()  # a conjecture's author
    omission = entries.nth(5).inner_text()  # lines 6-7, with an apparatus of their own
    assert "et … lapillis]" in omission and "om. C" in omission and "quaere" not in omission
    note = entries.nth(3).inner_text()
    assert "copyists." in note
    assert "immota B" in entries.nth(6).inner_text()
    assert "commota C" in entries.nth(6).inner_text()
    # mark and entry linked both ways
    page.locator("sup.appref a").first.click()
    assert page.evaluate("location.hash") == "#ui-app-1"
    # languages as the edition gives them
    assert page.locator('[data-tei="text"]').get_attribute("lang") == "la"
    assert page.locator('h2[data-tei="head"]').get_attribute("lang") == "en"
    # the list of witnesses in the front: one witness a line, a group's members indented
    witnesses = page.locator("li.witness")
    assert witnesses.count() == 4
    assert texts(page.locator("ul.list-wit > li.list-head")) == ["Sigla"]
    group, a, b, c = (witnesses.nth(n) for n in range(4))
    assert top(group) < top(a) < top(b) < top(c)
    assert a.bounding_box()["x"] > group.bounding_box()["x"]  # type: ignore[index]
    assert page.locator('[data-tei="p"]').get_attribute("lang") == "grc"
    screenshot(page, tmp_path, "apparatus")


def test_the_hidden_readings_are_found_by_search(reader) -> None:
    """A word only in the source's reading (sic, orig, abbr) or only in a variant (rdg) leads
    to its document from the search page."""
    page = reader
    for word, doc in (("staid", "reading-letter"), ("kinde", "reading-letter"),
                      ("Revd", "reading-letter"), ("brevitatis", "reading-apparatus"),
                      ("φύλακας", "reading-apparatus"), ("Marklandus", None)):
        page.goto(f"/search?q={word}")
        hrefs = page.locator("main a[href^='/documents/reading']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))")
        if doc is None:  # a header's bibliography is no text
            assert hrefs == [], word
        else:
            assert any(href.startswith(f"/documents/{doc}") for href in hrefs), word


def test_the_samples_read_with_their_names_linked(page, tmp_path) -> None:
    # (the JSON by request: a JSON page in a tab asks for /favicon.ico, a 404)
    rows = page.request.get("/api/documents?page_size=100").json()["documents"]
    samples = [row["id"] for row in rows if row["id"][:3].isdigit()]  # 000_cc21…: a sample
    assert samples
    page.goto(f"/documents/{samples[0]}")
    article = page.locator("article.tei")
    assert len(article.inner_text()) > 200
    person = article.locator("a.m-person").first
    href = person.get_attribute("href")
    assert href and href.startswith("/entities/")
    assert page.locator("a.cite").count() > 0
    screenshot(page, tmp_path, "sample", full_page=False)  # (a long article: its first screen)
    response = page.goto(href)
    assert response is not None and response.ok
    assert page.locator("h1").inner_text().strip()
