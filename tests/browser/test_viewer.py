"""The viewer in a real browser: facets, reading view toggles, registry card, XPath console."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DOC = "003_717e887f31c42029"


def test_select_two_facets_then_remove_one(page, tmp_path: Path) -> None:
    page.goto("/")
    page.click('section[data-facet="person"] a:has-text("Leon Trotsky")')
    page.click('section[data-facet="place"] a:has-text("Moscow")')
    assert page.url.endswith("/?person=leon-trotsky&place=moscow")
    chips = page.locator(".selected .chip")
    assert chips.count() == 2
    page.screenshot(path=tmp_path / "browse-two-facets.png", full_page=True)
    page.click('.chip:has-text("Moscow")')
    assert page.url.endswith("/?person=leon-trotsky")
    page.click(f'a.title[href="/documents/{DOC}"]')
    assert page.locator("h1").inner_text() == "In Honor of the Left Opposition"


def test_toggle_a_type_off_and_on(page, tmp_path: Path) -> None:
    page.goto(f"/documents/{DOC}")
    stalin = page.locator('article a[data-entity="joseph-stalin"]').first

    def decoration() -> str:
        return stalin.evaluate("e => getComputedStyle(e).textDecorationLine")

    assert decoration() == "underline"
    page.uncheck("#ui-show-person")
    assert decoration() == "none"
    page.screenshot(path=tmp_path / "persons-off.png")
    page.check("#ui-show-person")
    assert decoration() == "underline"
    place = page.locator("article .m-place").first
    assert place.evaluate("e => getComputedStyle(e).textDecorationStyle") == "double"


def test_registry_card_opens_on_a_name(page, tmp_path: Path) -> None:
    page.goto(f"/documents/{DOC}")
    page.locator('article a[data-entity="leon-trotsky"]').first.click()
    card = page.locator("#ui-card")
    card.wait_for(state="visible")
    assert page.locator("#ui-card-name").inner_text() == "Leon Trotsky"
    fields = page.locator("#ui-card-fields").inner_text()
    assert "1879-11-07 – 1940-08-21" in fields and "Q33391" in fields
    page.screenshot(path=tmp_path / "registry-card.png")
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    page.locator('article a[data-entity="leon-trotsky"]').first.click()
    page.click("#ui-card-link")
    assert page.url.endswith("/entities/leon-trotsky")
    assert page.locator("h1").inner_text() == "Leon Trotsky"


def test_xpath_query_to_paragraph(page, tmp_path: Path) -> None:
    page.goto("/query")
    page.fill("#ui-xpath", "//tei:p[.//tei:persName[@ref = '#victor-serge']]")
    page.click("text=Run")
    assert "/query?q=" in page.url
    hits = page.locator("ol.hits li.kwic a")
    assert hits.count() >= 1
    page.screenshot(path=tmp_path / "xpath.png")
    href = hits.first.get_attribute("href")
    hits.first.click()
    target = href.split("#", 1)[1]
    assert page.url.endswith(href)
    paragraph = page.locator(f'[id="{target}"]')
    assert paragraph.evaluate("e => e.matches(':target')")
    assert "Serge" in paragraph.inner_text()
    page.screenshot(path=tmp_path / "paragraph.png")


def test_keyboard_focus_is_visible(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def tab_to(page, text: str, limit: int = 200) -> None:
    """Press Tab until the focused element's text is ``text`` (the keyboard reaches it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


def test_downloads_of_the_selection_by_keyboard(page, tmp_path: Path) -> None:
    page.goto("/?person=leon-trotsky&place=moscow")
    tab_to(page, "Zip for deposit")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.screenshot(path=tmp_path / "browse-downloads.png", full_page=True)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "selection.zip"
    assert download.value.url.endswith("/export.zip?person=leon-trotsky&place=moscow")
    with page.expect_download() as download:
        page.click("text=Mentions as CSV")
    assert download.value.suggested_filename == "selection-mentions.csv"


def test_reading_view_offers_the_tei_export(page, tmp_path: Path) -> None:
    page.goto(f"/documents/{DOC}")
    tab_to(page, "Download TEI export")
    page.screenshot(path=tmp_path / "reading-downloads.png")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == f"{DOC}.xml"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert '<standOff type="archive-registry">' in text


def test_imported_letter_opens_its_own_registry_card(page, tmp_path: Path) -> None:
    letter = "letters__1851-06-14-marsh"  # tests/fixtures/foreign
    page.goto(f"/documents/{letter}")
    page.locator(f'article a[data-entity="{letter}.Byron"]').first.click()
    page.locator("#ui-card").wait_for(state="visible")
    assert "Byron" in page.locator("#ui-card-name").inner_text()
    page.screenshot(path=tmp_path / "imported-card.png")
    page.click("#ui-card-link")
    assert page.url.endswith(f"/entities/{letter}.Byron")
    with page.expect_download() as download:
        page.click("text=mentions as CSV")
    assert download.value.suggested_filename == f"{letter}.Byron-mentions.csv"


def test_a_printed_reading_view_keeps_its_citation_and_licence(page) -> None:
    doc = "000_cc213c6dc1d17911"  # a sample with a licence
    page.goto(f"/documents/{doc}")
    cite = page.locator(".print-cite")
    assert not cite.is_visible()  # on screen the legend says it
    page.emulate_media(media="print")
    assert not page.locator(".legend").is_visible()
    assert cite.is_visible()
    printed = cite.inner_text()
    assert f"/documents/{doc}" in printed and "Licence: CC BY-SA" in printed
    page.emulate_media(media="screen")
