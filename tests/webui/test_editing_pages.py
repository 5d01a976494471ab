"""The editor's pages (`archive serve --editing`): the review queue, editing and merging
registry entries, the audit log with undo — through Flask's test client on a real copy of the
test data directory, checking the files written (registry and documents), not only answers."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive.accounts import add_user
from archive.config import Settings
from archive.curation import EntryEdit, edit_entry, latest
from archive.registry import load_registry
from webui import create_app

PASSWORDS = {"ed": "ed's long password", "eve": "eve edits as well", "rd": "rd only reads it",
             "ad": "ad administers it all"}
ROLES = {"ed": "editor", "eve": "editor", "rd": "reader", "ad": "admin"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ETAG = re.compile(r'name="etag" value="([^"]+)"')
ERROR = re.compile(r'<p class="auth-error edit-error" role="alert">([^<]*)</p>')
#: Pages (GET) and writing routes (POST) of the editor, with the role each needs.
PAGES = ["/review", "/log", "/entities/leon-trotsky/edit", "/entities/leon-trotsky/merge"]
WRITES = ["/review/audeev/accept", "/review/zinioviev/merge", "/review/fishelev/reject",
          "/entities/leon-trotsky/edit", "/entities/lev-kamenev/merge", "/log/1/undo"]


@pytest.fixture(scope="module")
def users_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's data directory with four users (made once: argon2 is slow)."""
    copy = tmp_path_factory.mktemp("editing-pages") / "data"
    shutil.copytree(data_dir, copy)
    for name, password in PASSWORDS.items():
        add_user(Settings(data_dir=copy), name, ROLES[name], password)
    return copy


@pytest.fixture
def data(users_dir: Path, tmp_path: Path) -> Settings:
    """A fresh copy per test: each writes."""
    shutil.copytree(users_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def app(data: Settings):
    return create_app({"DATA_DIR": str(data.data_dir), "EDITING": True})


def token(client, url: str = "/login") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return TOKEN.search(response.text).group(1)


def logged_in(app, name: str):
    client = app.test_client()
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name],
                                           "csrf_token": token(client)})
    assert response.status_code == 302, response.text
    return client


def snapshot(data: Settings) -> dict[str, bytes]:
    """Every file of the registry and the documents, and the log's records."""
    return {str(path.relative_to(data.data_dir)): path.read_bytes()
            for folder in (data.registry_dir, data.tei_dir, data.data_dir / "history")
            if folder.is_dir() for path in sorted(folder.rglob("*")) if path.is_file()}


def refs(data: Settings, entry_id: str) -> list[str]:
    """The documents that point to ``entry_id``."""
    return sorted(path.name for path in data.tei_dir.glob("*.xml")
                  if f'"#{entry_id}"' in path.read_text(encoding="utf-8"))


def post(client, url: str, page: str, **fields: str):
    return client.post(url, data={"csrf_token": token(client, page), **fields})


def test_every_page_and_writing_route_needs_an_editor(app, data: Settings) -> None:
    before = snapshot(data)
    anonymous = app.test_client()
    reader = logged_in(app, "rd")
    for url in PAGES:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")
        assert reader.get(url).status_code == 403, url
    for url in WRITES:  # with a valid token: refused by the role, not by the CSRF check
        assert anonymous.post(url, data={"csrf_token": token(anonymous)}).status_code == 401
        assert reader.post(url, data={"csrf_token": token(reader, "/account")}
                           ).status_code == 403, url
    assert snapshot(data) == before
    editor = logged_in(app, "ed")
    for url in PAGES:
        assert editor.get(url).status_code == 200, url


def test_no_editing_page_without_editing(data: Settings) -> None:
    client = create_app({"DATA_DIR": str(data.data_dir)}).test_client()
    for url in PAGES:
        assert client.get(url).status_code == 404, url
    for url in WRITES:
        assert client.post(url).status_code in (404, 405), url


@pytest.mark.parametrize("url", WRITES)
def test_a_write_without_the_csrf_token_is_403_and_writes_nothing(app, data: Settings,
                                                                   url: str) -> None:
    editor = logged_in(app, "ed")
    app.url_map.bind("localhost").match(url, method="POST")  # the route is there
    before = snapshot(data)
    for sent in ({}, {"csrf_token": "forged"}):
        response = editor.post(url, data={**sent, "into": "grigory-zinoviev",
                                          "name": "Changed"})
        assert response.status_code == 403, url
    assert snapshot(data) == before


def test_the_review_queue_shows_each_proposal_with_its_contexts_and_pages(app) -> None:
    editor = logged_in(app, "ed")
    page = editor.get("/review")
    assert page.status_code == 200
    total = int(re.search(r"(\d+) names? proposed", page.text).group(1))
    assert total > 20  # the sample proposes more than one page
    first = page.text.count('class="proposal"')
    assert first == 20
    assert 'href="/entities/international-committee"' in page.text
    assert "<mark>International Committee</mark>" in page.text  # a context, the name marked
    second = editor.get("/review?page=2")
    assert second.text.count('class="proposal"') == total - 20
    assert "Zinioviev" in second.text and "Zinioviev" not in page.text
    assert 'rel="prev"' in second.text and 'rel="next"' in page.text


def test_accept_keeps_the_proposal_and_vouches_for_its_mentions(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    documents = refs(data, "audeev")
    assert documents and load_registry(data).require("audeev").proposed
    before = {name: (data.tei_dir / name).read_text(encoding="utf-8") for name in documents}
    response = post(editor, "/review/audeev/accept", "/review")
    assert response.status_code == 302 and response.headers["Location"] == "/review"
    assert not load_registry(data).require("audeev").proposed
    for name in documents:
        text = (data.tei_dir / name).read_text(encoding="utf-8")
        assert text != before[name] and 'resp="#ed-ed"' in text  # vetted by the editor
    assert "Accepted Audeev" in editor.get("/review").text
    change = latest(data)[0]
    assert change.who == "ed" and change.what == "Accepted proposal audeev."
    assert "audeev" not in [p.split("/")[-1] for p in re.findall(
        r'href="(/entities/[^"]+)"', editor.get("/review").text)]


def test_merge_by_a_typed_name_rewrites_every_mention(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    documents = refs(data, "zinioviev")
    assert documents
    response = post(editor, "/review/zinioviev/merge", "/review", into="Gregory Zinoviev")
    assert response.status_code == 302, response.text
    registry = load_registry(data)
    assert registry.get("zinioviev") is None
    assert "Zinioviev" in registry.require("grigory-zinoviev").variants
    assert refs(data, "zinioviev") == []
    assert set(documents) <= set(refs(data, "grigory-zinoviev"))
    assert latest(data)[0].what == "Merged proposal zinioviev into grigory-zinoviev."


@pytest.mark.parametrize(("into", "error"), [
    ("Nobody Atall", "No person named 'Nobody Atall' in the registry"),
    ("moscow", "Moscow (moscow) is a place, not a person"),
    ("", "Choose the entry to merge into"),
    ("audeev", "Audeev (audeev) is itself a proposal"),
])
def test_a_bad_merge_target_is_one_error_and_nothing_written(app, data: Settings, into: str,
                                                             error: str) -> None:
    editor = logged_in(app, "ed")
    before = snapshot(data)
    response = post(editor, "/review/zinioviev/merge", "/review", into=into)
    assert response.status_code == 400
    errors = ERROR.findall(response.text)
    assert len(errors) == 1 and errors[0].startswith(error.replace("'", "&#39;")), errors
    assert snapshot(data) == before


def test_a_proposal_decided_by_another_editor_is_409_naming_the_decision(app,
                                                                         data: Settings) -> None:
    ed, eve = logged_in(app, "ed"), logged_in(app, "eve")
    page = eve.get("/review").text  # eve has the queue open ...
    csrf = TOKEN.search(page).group(1)
    assert post(ed, "/review/audeev/reject", "/review").status_code == 302  # ... ed decides
    before = snapshot(data)
    for action, fields in (("accept", {}), ("merge", {"into": "leon-trotsky"}),
                           ("reject", {})):
        response = eve.post(f"/review/audeev/{action}", data={"csrf_token": csrf, **fields})
        assert response.status_code == 409, action
        assert ERROR.findall(response.text) == [
            "The proposal audeev was decided already; nothing was done."]
        assert 'by <strong class="who">ed</strong>' in response.text
        assert "Rejected proposal audeev (Audeev)." in response.text
    assert snapshot(data) == before


def test_reject_unlinks_every_mention(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    assert refs(data, "fishelev")
    assert post(editor, "/review/fishelev/reject", "/review").status_code == 302
    assert refs(data, "fishelev") == []
    assert "fishelev" not in {e.id for e in load_registry(data).entries.values() if e.proposed}
    assert latest(data)[0].what.startswith("Rejected proposal fishelev")


def edit_form(client, entity_id: str) -> tuple[str, str]:
    """The CSRF token and the ETag of an entry's edit form."""
    page = client.get(f"/entities/{entity_id}/edit")
    assert page.status_code == 200
    etag = ETAG.search(page.text).group(1)
    assert page.headers["ETag"] == f'"{etag}"'
    return TOKEN.search(page.text).group(1), etag


FIELDS = {"name": "Moscow", "variants": "Moskva\nMoscou", "geo": "55.7558, 37.6173",
          "idno-viaf": "", "idno-wikidata": "Q649", "idno-gnd": "", "idno-geonames": "524901",
          "notes": "Capital from 1918.\n\nSeat of the Comintern."}


def test_an_entry_edit_writes_the_registry(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    csrf, etag = edit_form(editor, "moscow")
    response = editor.post("/entities/moscow/edit", data={"csrf_token": csrf, "etag": etag,
                                                          **FIELDS})
    assert response.status_code == 302 and response.headers["Location"] == "/entities/moscow"
    entry = load_registry(data).require("moscow")
    assert entry.variants == ("Moskva", "Moscou") and entry.geo == (55.7558, 37.6173)
    assert ("wikidata", "Q649") in entry.idnos and ("geonames", "524901") in entry.idnos
    assert entry.notes == ("Capital from 1918.", "Seat of the Comintern.")
    page = editor.get("/entities/moscow").text
    assert "Seat of the Comintern." in page and "Saved (change" in page
    assert 'href="https://www.wikidata.org/wiki/Q649"' in page
    assert latest(data)[0].who == "ed"


@pytest.mark.parametrize(("entity_id", "field", "value", "error"), [
    ("leon-trotsky", "birth", "1879-13-01", "Birth must be YYYY, YYYY-MM or YYYY-MM-DD"),
    ("leon-trotsky", "death", "1800", "Registry entry 'leon-trotsky': death 1800 is before"),
    ("moscow", "geo", "95, 10", "Coordinates '95, 10' out of range"),
    ("moscow", "geo", "north", "Coordinates must be LAT,LON"),
    ("moscow", "idno-viaf", "abc", "'abc' is not a viaf id"),
    ("moscow", "idno-wikidata", "javascript:alert(1)", "'javascript:alert(1)' is not a"),
    ("moscow", "name", "   ", "Registry entry 'moscow': the name is empty"),
])
def test_a_bad_value_shows_one_error_and_writes_nothing(app, data: Settings, entity_id: str,
                                                        field: str, value: str,
                                                        error: str) -> None:
    editor = logged_in(app, "ed")
    csrf, etag = edit_form(editor, entity_id)
    page = editor.get(f"/entities/{entity_id}/edit").text
    fields = {name: value for name, value in re.findall(
        r'<input id="ui-[^"]+" name="([^"]+)" type="text" value="([^"]*)"', page)}
    before = snapshot(data)
    response = editor.post(f"/entities/{entity_id}/edit",
                           data={"csrf_token": csrf, "etag": etag, **fields, field: value})
    assert response.status_code == 400
    errors = ERROR.findall(response.text)
    assert len(errors) == 1 and errors[0].startswith(error.replace("'", "&#39;")), errors
    assert f'value="{value}"'.replace("'", "&#39;") in response.text or field == "name"
    assert snapshot(data) == before


def test_a_stale_etag_is_409_with_the_other_change_shown(app, data: Settings) -> None:
    ed, eve = logged_in(app, "ed"), logged_in(app, "eve")
    csrf_ed, etag = edit_form(ed, "leon-trotsky")
    csrf_eve, same = edit_form(eve, "leon-trotsky")
    assert etag == same
    first = eve.post("/entities/leon-trotsky/edit", data={
        "csrf_token": csrf_eve, "etag": same, "name": "Leon Trotsky", "birth": "1879-11-07",
        "notes": "Eve's note."})
    assert first.status_code == 302
    after_eve = snapshot(data)
    second = ed.post("/entities/leon-trotsky/edit", data={
        "csrf_token": csrf_ed, "etag": etag, "name": "Lev Davidovich Bronstein",
        "notes": "Ed's note."})
    assert second.status_code == 409
    assert snapshot(data) == after_eve  # never a lost update
    other = latest(data)[0]
    assert f'by <strong class="who">eve</strong> at <time datetime="{other.when}">' \
        in second.text
    assert "Edited registry entry leon-trotsky (" in second.text
    assert 'value="Lev Davidovich Bronstein"' in second.text  # the form kept
    assert "Ed&#39;s note." in second.text
    assert "<dt>Notes</dt><dd>Eve&#39;s note.</dd>" in second.text  # what eve saved
    assert load_registry(data).require("leon-trotsky").notes == ("Eve's note.",)
    # the form now carries the current ETag: saving again, having seen eve's change, works
    again = ETAG.search(second.text).group(1)
    assert again != etag
    assert ed.post("/entities/leon-trotsky/edit", data={
        "csrf_token": csrf_ed, "etag": again, "name": "Leon Trotsky",
        "notes": "Ed's note."}).status_code == 302
    assert load_registry(data).require("leon-trotsky").notes == ("Ed's note.",)


def test_if_match_from_script_is_checked_too(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    csrf, etag = edit_form(editor, "moscow")
    edit_entry(data, "moscow", EntryEdit(notes=["Changed by the command line."]),
               editor="cli")
    before = snapshot(data)
    response = editor.post("/entities/moscow/edit", data={**FIELDS},
                           headers={"X-CSRFToken": csrf, "If-Match": f'"{etag}"'})
    assert response.status_code == 409 and "by <strong class=\"who\">cli</strong>" \
        in response.text
    assert snapshot(data) == before


def test_a_busy_data_lock_is_503_with_retry_after_and_nothing_written(app,
                                                                     data: Settings) -> None:
    editor = logged_in(app, "ed")
    csrf, etag = edit_form(editor, "moscow")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from archive.store import data_lock\n"
         "with data_lock(Path(sys.argv[1])):\n print('held', flush=True); time.sleep(30)",
         str(data.data_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = snapshot(data)
        response = editor.post("/entities/moscow/edit", data={"csrf_token": csrf,
                                                              "etag": etag, **FIELDS})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
        assert "Another change is being saved just now" in response.text
        assert snapshot(data) == before
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert editor.post("/entities/moscow/edit", data={"csrf_token": csrf, "etag": etag,
                                                      **FIELDS}).status_code == 302


def test_merge_two_entries_rewrites_every_pointer(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    kamenev = refs(data, "lev-kamenev")
    assert kamenev
    page = editor.get("/entities/lev-kamenev/merge")
    assert page.status_code == 200 and 'data-kind="persons"' in page.text
    csrf, etag = TOKEN.search(page.text).group(1), ETAG.search(page.text).group(1)
    response = editor.post("/entities/lev-kamenev/merge", data={
        "csrf_token": csrf, "etag": etag, "into": "grigory-zinoviev"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/entities/grigory-zinoviev"
    assert refs(data, "lev-kamenev") == []
    assert set(kamenev) <= set(refs(data, "grigory-zinoviev"))
    assert load_registry(data).get("lev-kamenev") is None
    assert "Merged Lev Kamenev into Grigory Zinoviev" in editor.get(
        "/entities/grigory-zinoviev").text
    # a stale view of the registry: 409, nothing written
    before = snapshot(data)
    stale = editor.post("/entities/nikolai-bukharin/merge", data={
        "csrf_token": csrf, "etag": etag, "into": "grigory-zinoviev"})
    assert stale.status_code == 409 and "Merged registry entry lev-kamenev" in stale.text
    assert "Changed since you opened it; nothing was saved." in stale.text
    assert snapshot(data) == before


def test_the_log_shows_each_change_and_undoes_it(app, data: Settings) -> None:
    ed, eve, admin = logged_in(app, "ed"), logged_in(app, "eve"), logged_in(app, "ad")
    before = snapshot(data)
    assert post(ed, "/review/fishelev/reject", "/review").status_code == 302
    eves = edit_entry(data, "moscow", EntryEdit(notes=["Eve's."]), editor="eve")
    log = ed.get("/log").text
    assert "Your changes" in log and "Rejected proposal fishelev" in log
    assert "Eve&#39;s" not in log and "Edited registry entry moscow" not in log  # own only
    everything = admin.get("/log").text
    assert everything.index("Edited registry entry moscow") < \
        everything.index("Rejected proposal fishelev")  # the newest first
    # an editor may not undo another's change; its author and an admin may
    response = post(ed, f"/log/{eves.id}/undo", "/log")
    assert response.status_code == 403
    undone = post(eve, f"/log/{eves.id}/undo", "/log")
    assert undone.status_code == 302
    assert load_registry(data).require("moscow").notes == ()
    rejected = latest(data)[-1]
    assert post(admin, f"/log/{rejected.id}/undo", "/log").status_code == 302
    assert refs(data, "fishelev")
    assert {k: v for k, v in snapshot(data).items() if not k.startswith("history")} == \
        {k: v for k, v in before.items() if not k.startswith("history")}
    page = admin.get("/log").text
    assert f"undone by {latest(data)[0].id}" in page
    again = post(admin, f"/log/{rejected.id}/undo", "/log")
    assert again.status_code == 409
    assert f"Change {rejected.id} was undone already" in again.text


def test_the_log_is_paged_newest_first(data: Settings) -> None:
    app = create_app({"DATA_DIR": str(data.data_dir), "EDITING": True, "LOG_PAGE_SIZE": 2})
    for note in ("One.", "Two.", "Three."):
        edit_entry(data, "moscow", EntryEdit(notes=[note]), editor="ad")
    admin = logged_in(app, "ad")
    first, second = admin.get("/log").text, admin.get("/log?page=2").text
    assert re.findall(r'<tr id="change-(\d+)">', first) == ["3", "2"]
    assert re.findall(r'<tr id="change-(\d+)">', second) == ["1"]
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' in second


def test_an_undo_after_a_later_change_is_refused_naming_it(app, data: Settings) -> None:
    admin = logged_in(app, "ad")
    first = edit_entry(data, "moscow", EntryEdit(notes=["One."]), editor="ed")
    second = edit_entry(data, "moscow", EntryEdit(notes=["Two."]), editor="eve")
    before = snapshot(data)
    response = post(admin, f"/log/{first.id}/undo", "/log")
    assert response.status_code == 409
    assert f"Cannot undo change {first.id}" in response.text
    assert f"change {second.id} by <strong class=\"who\">eve</strong>" in response.text
    assert snapshot(data) == before


XSS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']


def test_what_an_editor_types_is_escaped_everywhere(app, data: Settings) -> None:
    editor = logged_in(app, "ed")
    csrf, etag = edit_form(editor, "audeev")
    response = editor.post("/entities/audeev/edit", data={
        "csrf_token": csrf, "etag": etag, "name": XSS[0], "variants": XSS[1],
        "notes": XSS[1], "birth": "", "death": ""})
    assert response.status_code == 302
    entry = load_registry(data).require("audeev")
    assert entry.name == XSS[0] and entry.notes == (XSS[1],)
    for url in ("/entities/audeev", "/entities/audeev/edit", "/entities/audeev/merge",
                "/review", "/log", "/entities/persons?q=alert"):
        page = editor.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert url == "/log" or "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page, url
    assert post(editor, "/review/audeev/reject", "/review").status_code == 302
    log = editor.get("/log").text  # the log names the rejected proposal
    assert "<script>alert" not in log and "&lt;script&gt;alert(&#34;x&#34;)" in log
    # an authority id is checked before it is written, and never made a link unless valid
    shown = editor.get("/entities/evil-person").text
    assert 'href="javascript' not in shown and "javascript:alert(1)</dd>" in shown
    csrf, etag = edit_form(editor, "evil-person")
    refused = editor.post("/entities/evil-person/edit", data={
        "csrf_token": csrf, "etag": etag, "name": "x", "idno-wikidata": "javascript:alert(1)"})
    assert refused.status_code == 400 and 'href="javascript' not in refused.text
