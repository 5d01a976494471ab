"""Correcting tags through the viewer's HTTP routes (`archive serve --editing`, webui/tagging.py):
the offsets the reading view marks are the ones archive.curation counts; every route refuses
the anonymous and readers and a request without its CSRF token, writing nothing; each edit
changes the file exactly as archive.curation does, and the document still validates and
round-trips; a stale ETag is 409 with the other's change; a busy data directory is 503 with
Retry-After; the apply-all preview is exactly what is applied; an edit can be undone."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import lxml.html
import pytest

from archive.accounts import add_user
from archive.config import Settings
from archive.curation import (
    add_tag,
    document_etag,
    join_tags,
    latest,
    list_tags,
    preview_apply_all,
    relink_tag,
    remove_tag,
    retype_tag,
    split_tag,
)
from archive.interchange import export_tei, import_files, stored_bytes_equal
from archive.validation import load_registry_ids, validate_document
from tei.parse import parse_tei
from tei.passages import passages
from tei.read import text_of
from webui import create_app

DOC = "letters__1851-06-14-marsh"  # a letter: a note, a choice, dates, a quotation
P2 = "body.div.p2"  # "Papa read aloud from Lord Byron ... <choice> <q> <note/> Of P. Shelley"
P3 = "body.div.p3"  # "We hope to come to Bath between <date from to>..."
PASSWORDS = {"ellen": "ellen edits the letters", "rita": "rita reads everything"}
ROLES = {"ellen": "editor", "rita": "reader"}
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')
ETAG = re.compile(r'name="archive-document" content="[^"]*" data-etag="([0-9a-f]+)"')
BYRON = f"{DOC}.Byron"


@pytest.fixture(scope="module")
def users_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's data directory with an editor and a reader (copied again per test)."""
    copy = tmp_path_factory.mktemp("tagging") / "data"
    shutil.copytree(data_dir, copy)
    for name, password in PASSWORDS.items():
        add_user(Settings(data_dir=copy), name, ROLES[name], password)
    return copy


def fresh(users_dir: Path, tmp_path: Path, name: str = "data") -> Settings:
    shutil.copytree(users_dir, tmp_path / name)
    return Settings(data_dir=tmp_path / name)


@pytest.fixture
def data(users_dir: Path, tmp_path: Path) -> Settings:
    return fresh(users_dir, tmp_path)


def client_for(settings: Settings, user: str | None = "ellen"):
    app = create_app({"DATA_DIR": str(settings.data_dir), "EDITING": True})
    client = app.test_client()
    if user is not None:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = client.post("/login", data={"name": user, "password": PASSWORDS[user],
                                             "csrf_token": token})
        assert answer.status_code == 302
    return client


def page_state(client, doc: str = DOC) -> tuple[str, str]:
    """(CSRF token, ETag) of the editor's reading view of ``doc``."""
    page = client.get(f"/documents/{doc}").text
    return TOKEN.search(page).group(1), ETAG.search(page).group(1)


def post(client, url: str, body: dict, etag: str | None = None, token: str | None = None):
    headers = {}
    if token is not None:
        headers["X-CSRFToken"] = token
    if etag is not None:
        headers["If-Match"] = f'"{etag}"'
    return client.post(url, json=body, headers=headers)


def edit(client, body: dict, doc: str = DOC):
    token, etag = page_state(client, doc)
    return post(client, f"/api/edit/documents/{doc}/tags", body, etag, token)


def path_of(settings: Settings, doc: str = DOC) -> Path:
    return settings.tei_dir / f"{doc}.xml"


def tag(settings: Settings, passage: str, text: str) -> dict:
    """A tag as the page names it: its offsets and type."""
    found = next(t for t in list_tags(settings, DOC, passage) if t.text == text)
    return {"start": found.start, "end": found.end, "type": found.type}


def number(settings: Settings, passage: str, text: str) -> int:
    return next(t.number for t in list_tags(settings, DOC, passage) if t.text == text)


def body_text(settings: Settings) -> str:
    return text_of(parse_tei(path_of(settings)).getroot().find("{*}text"))


def errors(settings: Settings, doc: str = DOC) -> list[str]:
    report = validate_document(path_of(settings, doc).read_bytes(), settings,
                               load_registry_ids(settings))
    return [issue.message for issue in report.issues if issue.severity == "error"]


def check_valid_and_round_trips(settings: Settings, tmp_path: Path, doc: str = DOC,
                                known: int = 0) -> None:
    """The document validates (an imported one: with no error beyond the ``known`` it had, as
    the schema gate holds imported TEI only to well-formedness) and round-trips."""
    data = path_of(settings, doc).read_bytes()
    assert len(errors(settings, doc)) <= known, errors(settings, doc)[:3]
    exported = tmp_path / "export" / f"{doc}.xml"
    exported.parent.mkdir(exist_ok=True)
    exported.write_bytes(export_tei(settings, doc))
    again = Settings(data_dir=tmp_path / "again")
    shutil.rmtree(again.data_dir, ignore_errors=True)
    [(stored, _)] = import_files(again, [exported])
    assert stored_bytes_equal((again.tei_dir / f"{stored}.xml").read_bytes(), data)


# --- offsets ------------------------------------------------------------------------------------

def test_the_page_marks_every_tag_at_the_offsets_curation_counts(data: Settings) -> None:
    page = lxml.html.fromstring(client_for(data).get(f"/documents/{DOC}").text)
    leaves = page.xpath("//*[@data-passage]")
    assert P2 in [leaf.get("id") for leaf in leaves]
    compared = 0
    for leaf in leaves:
        tags = {(t.start, t.end, t.type) for t in list_tags(data, DOC, leaf.get("id"))}
        for element in leaf.xpath(".//*[@data-tei][@data-o]"):
            kind = {"persName": "person", "placeName": "place", "orgName": "org",
                    "date": "date"}.get(element.get("data-tei"))
            if kind is not None:
                assert (int(element.get("data-o")), int(element.get("data-e")), kind) in tags
                compared += 1
    assert compared >= 10
    p2 = page.get_element_by_id(P2)
    text = [t for t in list_tags(data, DOC, P2)]
    # after the choice (both readings count) and the note (its words count where it stands)
    shelley = p2.xpath(".//*[@data-tei='persName'][. = 'P. Shelley']")[0]
    assert (int(shelley.get("data-o")), int(shelley.get("data-e"))) == next(
        (t.start, t.end) for t in text if t.text == "P. Shelley")
    mark = p2.xpath(".//sup[@data-atom]")[0]  # the note mark stands for the note's words
    passage = next(p for p in passages(parse_tei(path_of(data)).getroot()) if p.address == P2)
    note = passage.element.find(".//{*}note")
    whole = text_of(passage.element)
    assert whole[int(mark.get("data-o")):int(mark.get("data-e"))] == text_of(note)
    # the date's value and the citation label stand outside the offsets
    assert not page.xpath("//*[@class='date-value'][@data-o] | //a[@class='cite'][@data-o]")
    # only an editor's view carries them
    for user in (None, "rita"):
        assert "data-o=" not in client_for(data, user).get(f"/documents/{DOC}").text


# --- who may write -------------------------------------------------------------------------------

def routes(client) -> list[tuple[str, str]]:
    app = client.application
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("tagging."):
            url = rule.rule.replace("<doc_id>", DOC).replace("<change>", "1")
            found.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return found


def test_anonymous_and_readers_reach_no_tagging_route_and_nothing_is_written(
        data: Settings) -> None:
    before = path_of(data).read_bytes()
    anonymous = client_for(data, None)
    reader = client_for(data, "rita")
    listed = routes(anonymous)
    assert len(listed) == 5
    reader_token = TOKEN.search(reader.get(f"/documents/{DOC}").text).group(1)
    body = {"op": "remove", "passage": P2, "tag": tag(data, P2, "Lord Byron")}
    for method, url in listed:
        assert anonymous.open(url, method=method, json=body).status_code in (401, 403), url
        answer = reader.open(url, method=method, json=body,
                             headers={"X-CSRFToken": reader_token})
        assert answer.status_code == 403, (url, answer.status_code)
    assert path_of(data).read_bytes() == before
    # the reading view loads the tagging script for editors only
    assert "tagging.js" not in reader.get(f"/documents/{DOC}").text
    assert "tagging.js" not in anonymous.get(f"/documents/{DOC}").text
    assert "tagging.js" in client_for(data, "ellen").get(f"/documents/{DOC}").text
    # without --editing there is no such route at all
    plain = create_app({"DATA_DIR": str(data.data_dir)}).test_client()
    assert plain.post(f"/api/edit/documents/{DOC}/tags", json=body).status_code in (404, 405)


def test_without_the_csrf_token_an_edit_is_403_and_writes_nothing(data: Settings) -> None:
    client = client_for(data)
    before = path_of(data).read_bytes()
    _, etag = page_state(client)
    body = {"op": "remove", "passage": P2, "tag": tag(data, P2, "Lord Byron")}
    for token in (None, "not-the-token"):
        answer = post(client, f"/api/edit/documents/{DOC}/tags", body, etag, token)
        assert answer.status_code == 403
    assert path_of(data).read_bytes() == before
    assert latest(data) == []


# --- the edits ------------------------------------------------------------------------------------

def test_each_edit_through_http_writes_what_curation_writes(users_dir: Path,
                                                            tmp_path: Path) -> None:
    web, direct = fresh(users_dir, tmp_path, "web"), fresh(users_dir, tmp_path, "direct")
    client = client_for(web)
    words = body_text(web)
    known = len(errors(web))

    def both(body: dict, call) -> None:
        answer = edit(client, body)
        assert answer.status_code == 200, answer.get_json()
        call()
        assert path_of(web).read_bytes() == path_of(direct).read_bytes(), body
        assert answer.get_json()["etag"] == document_etag(web, DOC)

    ed = {"editor": "ellen", "seen": None}
    both({"op": "add", "passage": P2, "start": 0, "end": 4, "text": "Papa", "type": "person",
          "new": "Papa Marsh"},
         lambda: add_tag(direct, DOC, passage=P2, kind="person", start=0, end=4,
                         new_name="Papa Marsh", **ed))
    shelley = tag(web, P2, "P. Shelley")
    both({"op": "retype", "passage": P2, "tag": shelley, "type": "org"},
         lambda: retype_tag(direct, DOC, passage=P2, number=number(direct, P2, "P. Shelley"),
                            kind="org", **ed))
    both({"op": "relink", "passage": P2, "tag": tag(web, P2, "Henry"), "entity": BYRON},
         lambda: relink_tag(direct, DOC, passage=P2, number=number(direct, P2, "Henry"),
                            entity=BYRON, **ed))
    both({"op": "split", "passage": P2, "tag": tag(web, P2, "Lord Byron"), "at": 5},
         lambda: split_tag(direct, DOC, passage=P2, number=number(direct, P2, "Lord Byron"),
                           at=5, **ed))
    both({"op": "join", "passage": P2, "tag": tag(web, P2, "Lord")},
         lambda: join_tags(direct, DOC, passage=P2, number=number(direct, P2, "Lord"), **ed))
    both({"op": "remove", "passage": P2, "tag": tag(web, P2, "Lord Byron")},
         lambda: remove_tag(direct, DOC, passage=P2, number=number(direct, P2, "Lord Byron"),
                            **ed))
    # the date normaliser's proposal for a date the editor selects
    proposal = client.get(f"/api/edit/documents/{DOC}/date?text=Saturday 14th June 1851")
    assert proposal.get_json()["attributes"] == {"when": "1851-06-14"}
    assert body_text(web) == words  # tagging never changes a character of the text
    check_valid_and_round_trips(web, tmp_path, known=known)
    assert [c.who for c in latest(web)] == ["ellen"] * 6


def test_an_archive_document_edited_in_the_browser_stays_valid(data: Settings,
                                                                tmp_path: Path) -> None:
    doc, passage = "000_cc213c6dc1d17911", "p1"
    client = client_for(data)
    text = next(p for p in passages(parse_tei(path_of(data, doc)).getroot())
                if p.address == passage)
    start = text_of(text.element).index("faction")
    answer = edit(client, {"op": "add", "passage": passage, "start": start,
                           "end": start + 7, "text": "faction", "type": "org"}, doc)
    assert answer.status_code == 200, answer.get_json()
    found = next(t for t in list_tags(data, doc, passage) if t.text == "faction")
    answer = edit(client, {"op": "retype", "passage": passage, "type": "place",
                           "tag": {"start": found.start, "end": found.end}}, doc)
    assert answer.status_code == 200, answer.get_json()
    assert '<placeName resp="#ed-ellen">faction</placeName>' in path_of(data, doc).read_text()
    check_valid_and_round_trips(data, tmp_path, doc)


def test_a_date_is_tagged_with_the_value_the_editor_confirms(data: Settings) -> None:
    client = client_for(data)
    passage_text = "We hope to come to Bath between the 20th and the 27th of next month"
    whole = tag(data, P3, "the 20th and the 27th of next month")
    answer = edit(client, {"op": "remove", "passage": P3, "tag": whole})
    assert answer.status_code == 200
    start = passage_text.index("the 27th")
    answer = edit(client, {"op": "add", "passage": P3, "start": start, "end": start + 8,
                           "text": "the 27th", "type": "date", "when": "1851-07-27"})
    assert answer.status_code == 200, answer.get_json()
    assert '<date when="1851-07-27" resp="#ed-ellen">the 27th</date>' in \
        path_of(data).read_text()


def test_words_that_are_not_at_the_offsets_are_refused(data: Settings) -> None:
    client = client_for(data)
    before = path_of(data).read_bytes()
    answer = edit(client, {"op": "add", "passage": P2, "start": 0, "end": 4, "text": "Mama",
                           "type": "person"})
    assert answer.status_code == 409 and "reload" in answer.get_json()["error"]
    answer = edit(client, {"op": "add", "passage": P2, "start": 2, "end": 25,
                           "text": "pa read aloud from Lord", "type": "person"})
    assert answer.status_code == 400 and "crosses the boundary" in answer.get_json()["error"]
    assert path_of(data).read_bytes() == before


def test_a_stale_etag_is_409_with_the_other_editors_change(data: Settings) -> None:
    ellen = client_for(data)
    token, seen = page_state(ellen)
    add_user(data, "anna", "editor", "anna also edits letters")
    first = edit(ellen, {"op": "remove", "passage": P2, "tag": tag(data, P2, "Henry")})
    assert first.status_code == 200
    after = path_of(data).read_bytes()
    stale = post(ellen, f"/api/edit/documents/{DOC}/tags",
                 {"op": "retype", "passage": P2, "tag": tag(data, P2, "Lord Byron"),
                  "type": "org"}, seen, token)
    assert stale.status_code == 409
    body = stale.get_json()
    assert [c["who"] for c in body["changes"]] == ["ellen"]
    assert "Removed the person tag" in body["changes"][0]["what"]
    assert body["changes"][0]["when"]
    assert path_of(data).read_bytes() == after
    missing = post(ellen, f"/api/edit/documents/{DOC}/tags", {"op": "remove", "passage": P2,
                   "tag": tag(data, P2, "Lord Byron")}, None, token)
    assert missing.status_code == 428


def test_a_busy_data_directory_is_503_with_retry_after(data: Settings) -> None:
    client = client_for(data)
    token, etag = page_state(client)
    before = path_of(data).read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from archive.store import data_lock\nwith data_lock(Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)", str(data.data_dir)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        answer = post(client, f"/api/edit/documents/{DOC}/tags",
                      {"op": "remove", "passage": P2, "tag": tag(data, P2, "Henry")}, etag,
                      token)
        assert answer.status_code == 503
        assert int(answer.headers["Retry-After"]) >= 1
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert path_of(data).read_bytes() == before
    time.sleep(0.1)
    again = post(client, f"/api/edit/documents/{DOC}/tags",
                 {"op": "remove", "passage": P2, "tag": tag(data, P2, "Henry")}, etag, token)
    assert again.status_code == 200


def test_apply_all_applies_exactly_the_preview(data: Settings) -> None:
    client = client_for(data)
    token, _ = page_state(client)
    body = {"form": "Byron", "type": "person", "entity": BYRON, "scope": "archive"}
    preview = post(client, "/api/edit/apply-all/preview", body, token=token)
    assert preview.status_code == 200
    places = preview.get_json()["places"]
    assert places and places == [
        {**vars(p)} for p in preview_apply_all(data, "Byron", "person", BYRON, "archive")]
    assert all(p["before"] is not None and p["text"] == "Byron" for p in places)
    applied = post(client, "/api/edit/apply-all", {**body, "places": places}, token=token)
    assert applied.status_code == 200, applied.get_json()
    assert f"Tagged {len(places)} occurrence(s)" in applied.get_json()["what"]
    assert preview_apply_all(data, "Byron", "person", BYRON, "archive") == []
    # a preview that is stale by then is refused, nothing written
    before = {p: p.read_bytes() for p in data.tei_dir.glob("*.xml")}
    again = post(client, "/api/edit/apply-all", {**body, "places": places}, token=token)
    assert again.status_code == 409
    assert {p: p.read_bytes() for p in data.tei_dir.glob("*.xml")} == before


def test_an_edit_is_undone_by_its_editor(data: Settings) -> None:
    client = client_for(data)
    before = path_of(data).read_bytes()
    answer = edit(client, {"op": "remove", "passage": P2, "tag": tag(data, P2, "Henry")})
    assert answer.status_code == 200
    token, _ = page_state(client)
    undone = post(client, answer.get_json()["undo"], {}, token=token)
    assert undone.status_code == 200, undone.get_json()
    assert path_of(data).read_bytes() == before
    # the page shows the text again as it was (not a cached page)
    assert 'data-entity="letters__1851-06-14-marsh.Marsh_Henry"' in \
        client.get(f"/documents/{DOC}").text
