"""The editor's pages in the real Chromium against a real `archive serve --editing` on a copy
of the test archive, its users made by `archive users add --password-stdin`: the review queue
(accept, merge by typing into the search, reject), editing and merging registry entries, the
log with undo, two editors colliding; axe finds nothing on these pages."""

from __future__ import annotations

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
from archive.registry import load_registry

from .conftest import _load_builder
from .test_access import violations

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"ellen": "ellen edits in the browser", "otto": "otto edits at the same time"}
SHOTS = Path(os.environ.get("ARCHIVE_SCREENSHOTS", "/tmp"))


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the test data directory with two editors, added by the command line."""
    built = _load_builder()(tmp_path_factory.getbasetemp() / "webui")
    data = tmp_path_factory.mktemp("editing-pages") / "data"
    shutil.copytree(built, data)
    for name, password in PASSWORDS.items():
        subprocess.run([sys.executable, "-m", "archive", "--data", str(data), "users", "add",
                        name, "--role", "editor", "--password-stdin"], input=password + "\n",
                       text=True, check=True, cwd=ROOT, capture_output=True)
    return data


@pytest.fixture(scope="module")
def server(archive_dir: Path) -> Iterator[str]:
    """`archive serve --editing` over the archive (a real process)."""
    port = free_port()
    log = archive_dir.parent / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(archive_dir), "serve", "--editing",
             "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


class Editor:
    """A logged-in editor's browser context and page; console errors are collected."""

    def __init__(self, browser, base: str, name: str) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1280,
                                                                    "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto("/login?next=/review")
        self.page.fill("#ui-login-name", name)
        self.page.fill("#ui-login-password", PASSWORDS[name])
        self.page.click("form.auth-form button[type=submit]")
        self.page.wait_for_url("**/review")

    def close(self, expected: tuple[int, ...] = ()) -> None:
        """Close; console errors other than the answers ``expected`` (409 …) fail."""
        self.context.close()
        left = [error for error in self.errors
                if not any(f"status of {code}" in error for code in expected)]
        assert left == []


@pytest.fixture
def ellen(browser, server: str) -> Iterator[Editor]:
    editor = Editor(browser, server, "ellen")
    yield editor
    editor.close(expected=(400,))  # the form sent back with a bad value


def refs(data: Path, entry_id: str) -> list[str]:
    return sorted(path.name for path in (data / "tei").glob("*.xml")
                  if f'"#{entry_id}"' in path.read_text(encoding="utf-8"))


def proposal(page, name: str):
    """The review queue's section of the proposal named ``name`` (on whichever page)."""
    for number in range(1, 5):
        page.goto(f"/review?page={number}")
        section = page.locator("section.proposal", has=page.locator(f"h2 a:text-is('{name}')"))
        if section.count():
            return section
    raise AssertionError(f"no proposal {name!r} in the queue")


@pytest.mark.browser
def test_review_accept_merge_reject(ellen: Editor, archive_dir: Path) -> None:
    page = ellen.page
    assert page.locator("h1").inner_text() == "Review the recogniser's proposals"
    assert page.locator("section.proposal").count() == 20
    assert violations(page) == []
    page.screenshot(path=str(SHOTS / "editing-review.png"), full_page=False)
    settings = Settings(data_dir=archive_dir)
    # accept
    section = proposal(page, "International Committee")
    assert section.locator("li.kwic mark").count() == 3  # its three contexts
    section.locator("button:text('Accept as a new entry')").click()
    page.wait_for_load_state()
    assert "Accepted International Committee" in page.locator("p[role=status]").inner_text()
    assert not load_registry(settings).require("international-committee").proposed
    # merge, choosing the target by typing into the search
    section = proposal(page, "Zinioviev")
    documents = refs(archive_dir, "zinioviev")
    assert documents
    search = section.locator("input[name=into]")
    search.press_sequentially("Zinov", delay=50)
    choice = section.locator("button.suggestion[data-id='grigory-zinoviev']")
    choice.wait_for()
    page.screenshot(path=str(SHOTS / "editing-review-search.png"))
    choice.click()
    assert search.input_value() == "grigory-zinoviev"
    section.locator("button:text('Merge')").click()
    page.wait_for_load_state()
    assert "Merged Zinioviev into Grigory Zinoviev" in page.locator("p[role=status]").inner_text()
    assert refs(archive_dir, "zinioviev") == []
    assert set(documents) <= set(refs(archive_dir, "grigory-zinoviev"))
    # reject
    section = proposal(page, "Fishelev")
    assert refs(archive_dir, "fishelev")
    section.locator("button:text('Reject')").click()
    page.wait_for_load_state()
    assert "Rejected Fishelev" in page.locator("p[role=status]").inner_text()
    assert refs(archive_dir, "fishelev") == []
    page.goto("/log")
    log = page.locator("table.log-table").inner_text()
    for what in ("Accepted proposal international-committee.",
                 "Merged proposal zinioviev into grigory-zinoviev.",
                 "Rejected proposal fishelev"):
        assert what in log


@pytest.mark.browser
def test_edit_and_merge_entries_see_them_in_the_log_and_undo(ellen: Editor,
                                                             archive_dir: Path) -> None:
    page = ellen.page
    settings = Settings(data_dir=archive_dir)
    page.goto("/entities/moscow")
    page.click(".edit-tools a:text('Edit')")
    page.wait_for_url("**/entities/moscow/edit")
    assert violations(page) == []
    page.fill("#ui-idno-wikidata", "Q649")
    page.fill("#ui-notes", "Capital from 1918.\n\n<script>alert(1)</script>")
    page.fill("#ui-geo", "95, 10")
    page.click("form.edit-form button:text('Save')")
    assert page.locator(".edit-error").inner_text() == \
        "Coordinates '95, 10' out of range (latitude -90..90, longitude -180..180)"
    assert page.locator("#ui-idno-wikidata").input_value() == "Q649"  # the form kept
    assert load_registry(settings).require("moscow").notes == ()
    page.screenshot(path=str(SHOTS / "editing-edit-error.png"), full_page=True)
    page.fill("#ui-geo", "55.7558, 37.6173")
    page.click("form.edit-form button:text('Save')")
    page.wait_for_url("**/entities/moscow")
    notes = page.locator("dd.entry-note")
    assert notes.nth(1).inner_text() == "<script>alert(1)</script>"  # shown as text
    assert page.locator("a[href='https://www.wikidata.org/wiki/Q649']").count() == 1
    assert load_registry(settings).require("moscow").geo == (55.7558, 37.6173)
    assert violations(page) == []  # the entity page with the editor's links
    page.screenshot(path=str(SHOTS / "editing-entity.png"), full_page=True)
    # merge two entries: Lev Kamenev into Nikolai Bukharin, chosen by typing
    kamenev = refs(archive_dir, "lev-kamenev")
    page.goto("/entities/lev-kamenev")
    page.click(".edit-tools a:text('Merge into another entry')")
    page.wait_for_url("**/entities/lev-kamenev/merge")
    assert violations(page) == []
    page.locator("#ui-into").press_sequentially("Bukh", delay=50)
    page.locator("button.suggestion[data-id='nikolai-bukharin']").click()
    page.click("form.merge-form button[type=submit]")
    page.wait_for_url("**/entities/nikolai-bukharin")
    assert "Merged Lev Kamenev into Nikolai Bukharin" in page.locator(
        "p[role=status]").inner_text()
    assert refs(archive_dir, "lev-kamenev") == []
    assert set(kamenev) <= set(refs(archive_dir, "nikolai-bukharin"))
    # the log shows both acts, newest first; undo the merge
    page.goto("/log")
    assert violations(page) == []
    rows = page.locator("table.log-table tbody tr")
    assert "Merged registry entry lev-kamenev into nikolai-bukharin." in rows.nth(0).inner_text()
    assert "Edited registry entry moscow (geo, idnos, notes)." in rows.nth(1).inner_text()
    page.screenshot(path=str(SHOTS / "editing-log.png"), full_page=True)
    rows.nth(0).locator("button:text('Undo')").click()
    page.wait_for_load_state()
    assert "Undid change" in page.locator("p[role=status]").inner_text()
    assert refs(archive_dir, "lev-kamenev") == kamenev
    assert load_registry(settings).require("lev-kamenev").name == "Lev Kamenev"
    assert "undone by" in page.locator("table.log-table tbody tr").nth(1).inner_text()


@pytest.mark.browser
def test_two_editors_collide_and_the_second_sees_the_conflict(browser, server: str,
                                                              archive_dir: Path) -> None:
    ellen, otto = Editor(browser, server, "ellen"), Editor(browser, server, "otto")
    try:
        for editor in (ellen, otto):
            editor.page.goto("/entities/leon-trotsky/edit")
        ellen.page.fill("#ui-notes", "Ellen's note.")
        ellen.page.click("form.edit-form button:text('Save')")
        ellen.page.wait_for_url("**/entities/leon-trotsky")
        otto.page.fill("#ui-notes", "Otto's note.")
        otto.page.click("form.edit-form button:text('Save')")
        conflict = otto.page.locator(".edit-conflict")
        conflict.wait_for()
        assert otto.page.locator(".edit-error").inner_text().startswith(
            "Changed since you opened it; nothing was saved.")
        assert re.search(r"change \d+ by ellen at \d{4}-\d\d-\d\dT[\d:]+Z: Edited registry "
                         r"entry leon-trotsky \(notes\)\.", conflict.inner_text())
        assert otto.page.locator("#ui-notes").input_value() == "Otto's note."  # kept
        assert otto.page.locator(".conflict-saved").inner_text().split("\n") == [
            "Notes", "Ellen's note."]  # what ellen saved
        assert load_registry(Settings(data_dir=archive_dir)).require(
            "leon-trotsky").notes == ("Ellen's note.",)
        assert violations(otto.page) == []
        otto.page.screenshot(path=str(SHOTS / "editing-conflict.png"), full_page=True)
    finally:
        ellen.close()
        otto.close(expected=(409,))
