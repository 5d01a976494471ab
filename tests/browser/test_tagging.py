"""Correcting tags in the real browser, against a real `archive serve --editing` with editors made
by `archive users add --password-stdin`: select words with the mouse and tag them as a person
linked to a registry entry; retype, relink and remove a tag from the keyboard and by Alt+click;
undo; apply a tag to every occurrence after its preview; two editors change one document and
the second is shown the first one's change. axe finds nothing with the editing dialog open."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_tests_servers import free_port, wait_for_port

from archive.config import Settings
from archive.curation import list_tags, preview_apply_all
from tei.parse import parse_tei
from tei.passages import passages
from tei.read import text_of

from .conftest import _load_builder
from .test_access import violations
from .test_long_documents import LONG, LONG_DOCS

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ARCHIVE_SCREENSHOTS", "/tmp"))
PASSWORDS = {"ellen": "ellen corrects the tags", "anna": "anna corrects them too"}
LETTER = "letters__1851-06-14-marsh"
P2 = "body.div.p2"
ESSAY = "000_cc213c6dc1d17911"


@contextlib.contextmanager
def editing(data: Path) -> Iterator[tuple[str, Settings]]:
    """`archive serve --editing` over ``data``, with two editors made on the command line."""
    command = [sys.executable, "-m", "archive", "--data", str(data)]
    for name, password in PASSWORDS.items():
        subprocess.run([*command, "users", "add", name, "--role", "editor",
                        "--password-stdin"], input=password + "\n", text=True, check=True,
                       cwd=ROOT, capture_output=True)
    port = free_port()
    log = data.parent / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([*command, "serve", "--editing", "--port", str(port)],
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}", Settings(data_dir=data)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The test data (a copy), served for editing."""
    built = _load_builder()(tmp_path_factory.getbasetemp() / "webui")
    data = tmp_path_factory.mktemp("tagging") / "data"
    shutil.copytree(built, data)
    with editing(data) as served:
        yield served


class Editor:
    """One editor's browser context, logged in; console errors are collected."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1280,
                                                                    "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto("/login")
        self.page.fill("#ui-login-name", name)
        self.page.fill("#ui-login-password", PASSWORDS[name])
        self.page.click("form.auth-form button[type=submit]")
        self.page.wait_for_url(base + "/")

    def open(self, doc: str) -> None:
        self.page.goto(f"/documents/{doc}")
        self.page.wait_for_selector("#ui-tag-selection")

    def drag_over(self, passage: str, words: str, occurrence: int = 0) -> None:
        """Select ``words`` in ``passage`` with the mouse: press before its first character,
        move, release after its last one."""
        box = self.page.evaluate("""([id, words, occurrence]) => {
            const passage = document.getElementById(id);
            const walker = document.createTreeWalker(passage, NodeFilter.SHOW_TEXT);
            let seen = 0;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              let at = node.data.indexOf(words);
              while (at >= 0) {
                if (seen++ === occurrence) {
                  const range = document.createRange();
                  range.setStart(node, at); range.setEnd(node, at + 1);
                  const first = range.getBoundingClientRect();
                  range.setStart(node, at + words.length - 1);
                  range.setEnd(node, at + words.length);
                  const last = range.getBoundingClientRect();
                  return [first.left + 1, first.top + first.height / 2,
                          last.right - 1, last.top + last.height / 2];
                }
                at = node.data.indexOf(words, at + 1);
              }
            }
            return null;
        }""", [passage, words, occurrence])
        assert box is not None, words
        mouse = self.page.mouse
        mouse.move(box[0], box[1])
        mouse.down()
        mouse.move((box[0] + box[2]) / 2, box[3], steps=4)
        mouse.move(box[2], box[3], steps=4)
        mouse.up()
        assert self.page.evaluate("getSelection().toString()") == words

    def save(self) -> None:
        """Press Save and wait for the page that shows the change."""
        with self.page.expect_navigation():
            self.page.click("#ui-tag-save")
        self.page.wait_for_selector("#ui-tag-status:not(:empty)")

    def close(self) -> None:
        self.context.close()
        real = [e for e in self.errors if "status of 409" not in e]
        assert real == []


def file_text(settings: Settings, doc: str) -> str:
    return (settings.tei_dir / f"{doc}.xml").read_text(encoding="utf-8")


@pytest.mark.browser
def test_the_page_maps_a_selection_to_the_offsets_curation_counts(browser, server) -> None:
    base, settings = server
    ellen = Editor(browser, base, "ellen")
    try:
        for doc in (LETTER, "bridges", "variorum__the-ferryman", ESSAY):
            ellen.open(doc)
            # every tag of the text selected whole, as the script maps a selection
            found = ellen.page.evaluate("""() => [...document.querySelectorAll(
                ['persName', 'placeName', 'orgName', 'date'].map(
                  name => `[data-passage] [data-tei=${name}][data-o]`).join(', '))]
                .filter(m => !m.closest('.dipl'))
                .map(m => { const range = document.createRange(); range.selectNodeContents(m);
                  const selection = getSelection(); selection.removeAllRanges();
                  selection.addRange(range);
                  return archiveTagging.selected(); })""")
            assert found, doc
            for item in found:
                tags = {(t.start, t.end): t.text.strip() for t in
                        list_tags(settings, doc, item["passage"])}
                assert tags.get((item["start"], item["end"])) == item["text"], (doc, item)
    finally:
        ellen.close()


@pytest.mark.browser
def test_tag_retype_relink_remove_and_undo(browser, server) -> None:
    base, settings = server
    ellen = Editor(browser, base, "ellen")
    page = ellen.page
    try:
        ellen.open(LETTER)
        ellen.drag_over(P2, "Papa")
        page.click("#ui-tag-selection")
        dialog = page.locator("#ui-tag-dialog")
        assert dialog.is_visible()
        assert page.evaluate("document.activeElement.id") == "ui-tag-type-person"
        page.fill("#ui-tag-search", "Henry")
        page.locator("#ui-tag-suggestions [role=option]").first.wait_for()
        page.screenshot(path=str(SHOTS / "tagging-new-tag.png"))
        assert violations(page) == []
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert "Henry Marsh" in page.locator("#ui-tag-chosen").inner_text()
        ellen.save()
        henry = f"{LETTER}.Marsh_Henry"
        assert re.search(rf'<persName ref="#{re.escape(henry)}" resp="#ed-ellen">Papa</persName>',
                         file_text(settings, LETTER))
        assert "Saved: Tagged" in page.locator("#ui-tag-status").inner_text()
        page.screenshot(path=str(SHOTS / "tagging-saved.png"))

        # retype from the keyboard: Tab to the tag, E
        papa = page.locator(f'[id="{P2}"] [data-tei=persName]:text-is("Papa")')
        papa.focus()
        page.keyboard.press("e")
        assert page.locator("#ui-tag-title").inner_text() == "Change the tag of \u201cPapa\u201d"
        page.check("#ui-tag-type-org")
        ellen.save()
        assert '<orgName resp="#ed-ellen">Papa</orgName>' in file_text(settings, LETTER)

        # relink by Alt+click, searching the register of organisations
        page.locator(f'[id="{P2}"] [data-tei=orgName]:text-is("Papa")').click(modifiers=["Alt"])
        page.fill("#ui-tag-search", "Exhibition")
        page.locator("#ui-tag-suggestions [role=option]", has_text="1851").first.click()
        ellen.save()
        assert re.search(r'<orgName ref="#[^"]*RoyalCommission" resp="#ed-ellen">Papa</orgName>',
                         file_text(settings, LETTER)), re.findall(
                             "<orgName[^>]*>Papa</orgName>", file_text(settings, LETTER))
        relinked = file_text(settings, LETTER)

        # remove, then undo the removal
        page.locator(f'[id="{P2}"] [data-tei=orgName]:text-is("Papa")').focus()
        page.keyboard.press("e")
        with page.expect_navigation():
            page.click("#ui-tag-remove")
        assert ">Papa</orgName>" not in file_text(settings, LETTER)
        assert "Papa read aloud" in file_text(settings, LETTER)
        with page.expect_navigation():
            page.click("#ui-tag-undo")
        page.wait_for_selector("#ui-tag-status:not(:empty)")
        assert page.locator("#ui-tag-status").inner_text().startswith("Undone: Removed")
        changes = file_text(settings, LETTER).split("<revisionDesc")[1].count("<change")
        assert changes == 3  # as before the removal
        body = file_text(settings, LETTER).split("<text")[1]
        assert body == relinked.split("<text")[1]
    finally:
        ellen.close()


@pytest.mark.browser
def test_apply_to_every_occurrence_after_the_preview(browser, server) -> None:
    base, settings = server
    ellen = Editor(browser, base, "ellen")
    page = ellen.page
    try:
        expected = preview_apply_all(settings, "faction", "org", None, "archive")
        assert len(expected) > 3
        ellen.open(ESSAY)
        ellen.drag_over("p1", "faction")
        page.keyboard.press("t")
        page.check("#ui-tag-type-org")
        page.click("#ui-tag-none")
        page.check("#ui-tag-every")
        page.select_option("#ui-tag-scope", "archive")
        page.click("#ui-tag-save")
        page.wait_for_selector("#ui-tag-preview ol.kwic li")
        items = page.locator("#ui-tag-preview ol.kwic li")
        assert items.count() == len(expected)
        assert page.locator("#ui-tag-save").inner_text() == f"Apply to {len(expected)} places"
        assert "faction" in items.first.locator("mark").inner_text()
        page.screenshot(path=str(SHOTS / "tagging-preview.png"))
        assert violations(page) == []
        ellen.save()
        assert preview_apply_all(settings, "faction", "org", None, "archive") == []
        tagged = {place.doc for place in expected}
        for doc in tagged:
            assert '<orgName resp="#ed-ellen">faction</orgName>' in file_text(settings, doc)
    finally:
        ellen.close()


@pytest.mark.browser
def test_the_second_editor_sees_the_first_ones_change(browser, server) -> None:
    base, settings = server
    ellen, anna = Editor(browser, base, "ellen"), Editor(browser, base, "anna")
    try:
        ellen.open(LETTER)
        anna.open(LETTER)
        ellen.page.locator(f'[id="{P2}"] [data-tei=persName]:text-is("Henry")').focus()
        ellen.page.keyboard.press("e")
        ellen.page.check("#ui-tag-type-place")
        ellen.save()
        before = file_text(settings, LETTER)
        anna.page.locator(f'[id="{P2}"] [data-tei=persName]:text-is("Henry")').focus()
        anna.page.keyboard.press("e")
        anna.page.click("#ui-tag-remove")
        message = anna.page.locator("#ui-tag-message")
        message.locator("li").first.wait_for()
        text = message.inner_text()
        assert "Someone else changed this document" in text
        assert "ellen" in text and "from person to place" in text
        assert anna.page.locator("#ui-tag-reload").is_visible()
        anna.page.screenshot(path=str(SHOTS / "tagging-conflict.png"))
        assert file_text(settings, LETTER) == before
        anna.page.keyboard.press("Escape")
        assert not anna.page.locator("#ui-tag-dialog").is_visible()
        # reloaded, anna sees ellen's change and can make hers on it
        anna.page.reload()
        henry = anna.page.locator(f'[id="{P2}"] [data-tei=placeName]:text-is("Henry")')
        henry.focus()
        anna.page.keyboard.press("e")
        with anna.page.expect_navigation():
            anna.page.click("#ui-tag-remove")
        assert ">Henry</placeName>" not in file_text(settings, LETTER)
    finally:
        ellen.close()
        anna.close()


@pytest.mark.browser
def test_a_word_in_a_part_loaded_on_scroll_is_tagged(browser, tmp_path_factory) -> None:
    data = LONG_DOCS.build_long_data(tmp_path_factory.getbasetemp() / "long")
    copy = tmp_path_factory.mktemp("long-tagging") / "data"
    shutil.copytree(data, copy)
    with editing(copy) as (base, settings):
        address = "chapter20.p1"
        passage = next(p for p in passages(parse_tei(settings.tei_dir / f"{LONG}.xml")
                                           .getroot()) if p.address == address)
        word = next(w for w in re.findall(r"\b[a-z]{7,}\b", text_of(passage.element))
                    if text_of(passage.element).count(w) == 1)
        ellen = Editor(browser, base, "ellen")
        page = ellen.page
        try:
            ellen.open(LONG)
            assert page.locator(f'[id="{address}"]').count() == 0  # not loaded yet
            page.goto(f"/documents/{LONG}#{address}")
            page.wait_for_selector(f'[id="{address}"][data-passage]')
            page.locator(f'[id="{address}"]').scroll_into_view_if_needed()
            ellen.drag_over(address, word)
            page.click("#ui-tag-selection")
            page.check("#ui-tag-type-place")
            page.click("#ui-tag-new")
            ellen.save()
            assert re.search(rf'<placeName ref="#[^"]+" resp="#ed-ellen">{word}</placeName>',
                             file_text(settings, LONG))
        finally:
            ellen.close()
