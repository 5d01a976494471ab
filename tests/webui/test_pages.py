"""Every route and its JSON twin, on the session's real data directory."""

from __future__ import annotations

import re

import pytest

from webui import SECURITY_HEADERS
from webui.downloads import RAW_FILE_HEADERS

DOC = "003_717e887f31c42029"  # "In Honor of the Left Opposition", the sample with most names
#: The five documents of tests/fixtures/foreign, imported (ids as the importer gives them).
FOREIGN = ["letters__1851-06-14-marsh", "stage000001", "b00042", "bridges",
           "variorum__the-ferryman"]


@pytest.mark.parametrize("url", [
    "/", "/?person=leon-trotsky&year=1923", "/?q=opposition", "/?page=2",
    f"/documents/{DOC}", f"/documents/{DOC}.xml", "/entities/leon-trotsky",
    "/query", "/query?q=//tei:persName", "/search", "/search?q=trotsky&person=leon-trotsky",
    "/api/documents", "/api/facets", f"/api/documents/{DOC}", "/api/entities/leon-trotsky",
    "/api/query?q=count(//tei:p)", "/api/search?q=trotsky",
    *[f"/documents/{doc}" for doc in FOREIGN],
])
def test_pages_answer_with_security_headers(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    # the TEI file itself is sandboxed (tests/webui/test_hardening.py)
    expected = {**SECURITY_HEADERS, **(RAW_FILE_HEADERS if url.endswith(".xml") else {})}
    for name, value in expected.items():
        assert response.headers[name] == value


def test_browse_lists_documents_with_metadata(client) -> None:
    data = client.get("/api/documents").get_json()
    assert data["total"] == 11  # 5 built samples, 5 foreign documents, 1 hostile
    honour = next(d for d in data["documents"] if d["id"] == DOC)
    assert honour == {"id": DOC, "title": "In Honor of the Left Opposition",
                      "author": "Paul Le Blanc", "publication": "Against the Current",
                      "date": "1997-03", "kind": "essay",
                      "url": f"/documents/{DOC}"}


def test_facets_narrow_and_keep_selections_removable(client) -> None:
    both = client.get("/api/facets?person=leon-trotsky&place=moscow").get_json()
    one = client.get("/api/facets?person=leon-trotsky").get_json()
    assert 0 < both["total"] <= one["total"] < 11
    assert [s["facet"] + "=" + s["value"] for s in both["selections"]] == [
        "person=leon-trotsky", "place=moscow"]
    assert both["selections"][0]["remove_url"] == "/?place=moscow"
    person = next(f for f in both["facets"] if f["name"] == "person")
    trotsky = next(v for v in person["results"] if v["value"] == "leon-trotsky")
    assert trotsky["label"] == "Leon Trotsky" and trotsky["selected"]
    assert trotsky["toggle_url"] == "/?place=moscow"
    assert [f["name"] for f in both["facets"]] == [
        "person", "place", "org", "year", "decade", "author", "publication", "kind",
        "passage_person"]
    assert both["facets_failed"] == []


def test_browse_page_shows_selection_chips_facets_and_timeline(client) -> None:
    html = client.get("/?person=leon-trotsky&year=1923").get_data(as_text=True)
    assert 'aria-label="Remove Person: Leon Trotsky"' in html
    assert '<svg class="timeline"' in html and "<rect" in html
    assert html.count('class="on"') == 2


def test_values_of_one_facet_combine_with_or(client) -> None:
    one = client.get("/api/documents?place=moscow").get_json()["total"]
    either = client.get("/api/documents?place=moscow&place=berlin").get_json()["total"]
    assert one <= either


def test_unknown_parameters_are_ignored(client) -> None:
    assert client.get("/api/documents?nofacet=x").get_json()["total"] == 11


def test_full_text_filters_documents(client) -> None:
    data = client.get("/api/documents?q=Preobrazhensky").get_json()
    assert 0 < data["total"] < 11
    assert client.get("/api/documents?q=zzzqqqxx").get_json()["total"] == 0


def test_search_hits_are_kwic_with_marks(client) -> None:
    data = client.get("/api/search?q=Serge").get_json()
    assert data["total"] >= 1
    hit = data["hits"][0]
    assert set(hit) == {"doc", "title", "target", "element", "url", "text"}
    assert hit["url"] == f"/documents/{hit['doc']}#{hit['target']}"
    html = client.get("/search?q=Serge").get_data(as_text=True)
    assert "<mark>Serge</mark>" in html


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR NOT", "col:umn", "*", "NEAR("])
def test_search_words_never_reach_fts_syntax(client, query: str) -> None:
    assert client.get("/api/search", query_string={"q": query}).status_code == 200


def test_reading_view(client) -> None:
    html = client.get(f"/documents/{DOC}").get_data(as_text=True)
    assert "<h1>In Honor of the Left Opposition</h1>" in html
    assert (f'<a class="cite" href="/documents/{DOC}#p1" aria-label="Link to p1">p1</a>' in html)
    assert re.search(r'<a data-tei="persName" class="m m-person" href="/entities/joseph-stalin"'
                     r' data-entity="joseph-stalin">Joseph Stalin</a>', html)
    for kind in ("person", "place", "org", "date"):
        assert f'<input type="checkbox" id="ui-show-{kind}" class="toggle"' in html
    # a date's normalised value, shown on focus or tap
    assert re.search(r'<small class="date-value" id="ui-date-\d+">\d{4}[^<]+</small>', html)
    assert "uncertain" in html
    assert f'href="/documents/{DOC}.xml?download=1" download' in html


def test_source_is_the_tei_file(client, data_dir) -> None:
    response = client.get(f"/documents/{DOC}.xml?download=1")
    assert response.data == (data_dir / "tei" / f"{DOC}.xml").read_bytes()
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == f"attachment; filename={DOC}.xml"


def test_document_json(client) -> None:
    data = client.get(f"/api/documents/{DOC}").get_json()
    assert data["title"] == "In Honor of the Left Opposition"
    assert data["tei_url"] == f"/documents/{DOC}.xml"
    assert data["passages"][0]["url"] == f"/documents/{DOC}#{data['passages'][0]['id']}"
    assert set(data["mentions"]) == {"person", "place", "org", "date"}


def test_entity_page_and_json(client) -> None:
    data = client.get("/api/entities/leon-trotsky").get_json()
    assert {key: data[key] for key in ("id", "type", "name", "birth", "death", "idnos")} == {
        "id": "leon-trotsky", "type": "person", "name": "Leon Trotsky",
        "birth": "1879-11-07", "death": "1940-08-21",
        "idnos": [{"type": "wikidata", "value": "Q33391",
                   "url": "https://www.wikidata.org/wiki/Q33391"}]}
    assert data["mentions"] == len(data["mention_list"]) > 10
    first = data["mention_list"][0]
    assert first["hit"] and first["url"].startswith("/documents/")
    assert any(c["id"] == "joseph-stalin" for c in data["companions"])
    assert data["years"] and all(1800 < y["year"] < 2100 for y in data["years"])
    html = client.get("/entities/leon-trotsky").get_data(as_text=True)
    assert "<h1>Leon Trotsky</h1>" in html and '<svg class="timeline"' in html


def test_xpath_console(client) -> None:
    data = client.get("/api/query", query_string={
        "q": "//tei:persName[@ref = '#leon-trotsky']"}).get_json()
    assert data["count"] > 10 and data["error"] is None and data["timeout"] == 5.0
    hit = data["hits"][0]
    assert hit["url"] == f"/documents/{hit['doc']}#{hit['target']}"
    html = client.get("/query", query_string={"q": "//tei:date"}).get_data(as_text=True)
    assert "Time limit 5 s" in html and 'class="kwic"' in html


def test_xpath_syntax_error_shows_its_position(client) -> None:
    response = client.get("/api/query", query_string={"q": "//tei:p[@x = ]"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "message": "XPath error XPST0003 at line 1, column 14: unexpected ']' symbol",
        "line": 1, "column": 14}
    html = client.get("/query", query_string={"q": "//tei:p[@x = ]"}).get_data(as_text=True)
    assert '<span class="mark">             ^</span>' in html


@pytest.mark.parametrize("url", [
    "/documents/nope", "/documents/nope.xml", "/api/documents/nope", "/entities/nope",
    "/api/entities/nope", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/..",
    "/documents/%2e%2e", "/documents/..%2Findex.sqlite", "/documents/index.sqlite",
    "/documents/../../etc/passwd", "/entities/..%2F..%2Fetc%2Fpasswd", "/documents/a%00b",
    "/documents/" + "x" * 300,
])
def test_unknown_ids_and_path_tricks_are_404(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_404_names_the_id(client) -> None:
    assert client.get("/api/documents/nope").get_json() == {
        "error": "No document 'nope'", "status": 404}
    assert "No document &#39;nope&#39;" in client.get("/documents/nope").get_data(as_text=True)


def test_hostile_source_is_escaped_everywhere(client) -> None:
    pages = [client.get(url).get_data(as_text=True) for url in (
        "/documents/evil", "/", "/?q=alert", "/search?q=alert", "/entities/evil-person",
        "/query?q=//tei:title", "/?person=evil-person")]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
        # no event-handler attribute (quoted values left out: an escaped title may read "onerror=")
        assert re.search(r"<[^>]*\son[a-z]+=", re.sub(r'"[^"]*"', '""', html)) is None
    reading = pages[0]
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in reading
    assert '<span data-tei="unknownThing" class="tei-unknown">kept text</span>' in reading
    entity = pages[4]
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in entity
    assert "javascript:alert(1)</dd>" in entity  # an unknown-shaped authority id is not a link


def test_hostile_registry_name_in_json_is_data(client) -> None:
    data = client.get("/api/entities/evil-person").get_json()
    assert data["name"] == '<script>alert("name")</script>'
    assert data["idnos"] == [{"type": "wikidata", "value": "javascript:alert(1)", "url": None}]


def test_no_inline_script_or_style(client) -> None:
    for url in ("/", f"/documents/{DOC}", "/entities/leon-trotsky", "/query?q=//tei:p"):
        html = client.get(url).get_data(as_text=True)
        # and the reading view's citation as JSON-LD: data a browser does not run
        data = ['<script type="application/ld+json">'] if url.startswith("/documents/") else []
        assert re.findall(r"<script[^>]*>", html) == [
            '<script src="/static/viewer.js" defer>', *data]
        assert " style=" not in html


def test_missing_index_is_a_clear_503(tmp_path) -> None:
    from webui import create_app

    client = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)}).test_client()
    response = client.get("/")
    assert response.status_code == 503
    assert "run `archive build` first" in response.get_data(as_text=True)


def test_config_from_environment(monkeypatch, data_dir) -> None:
    from webui import create_app

    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ARCHIVE_QUERY_TIMEOUT", "2.5")
    app = create_app()
    assert app.config["DATA_DIR"] == str(data_dir) and app.config["QUERY_TIMEOUT"] == 2.5
    assert create_app({"QUERY_TIMEOUT": 1}).config["QUERY_TIMEOUT"] == 1


def test_facets_past_the_time_limit_are_named_on_the_page(client, monkeypatch) -> None:
    monkeypatch.setenv("ARCHIVE_FACET_TIME_LIMIT_MS", "0")
    data = client.get("/api/facets?q=Trotsky&uncounted=1").get_json()
    assert data["facets"] == [] and "person" in data["facets_failed"]
    page = client.get("/search?q=Trotsky&uncounted=1").get_data(as_text=True)
    assert "Facets not available: person, place" in page


def test_a_dated_range_gives_the_time_element_a_valid_datetime(tmp_path) -> None:
    """A letter dated by a range: the page shows the range, ``<time datetime>`` its start
    (an HTML time element takes no intervals)."""
    from pathlib import Path

    from archive.config import Settings
    from archive.interchange import import_files
    from webui import create_app

    letter = Path(__file__).resolve().parents[1] / "fixtures" / "editions" / "letters" / "L0002.xml"
    settings = Settings(data_dir=tmp_path / "data")
    [(doc_id, _)] = import_files(settings, [letter])
    client = create_app({"DATA_DIR": str(settings.data_dir), "TESTING": True}).test_client()
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert '<time datetime="1891-03-05">1891-03-05/1891-03-31</time>' in page
