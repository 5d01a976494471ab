"""Issue 16 on the viewer, through the Flask test client: bounded XPath answers, the heavy-request
pool, cached exports, bounded and ignored parameters, sandboxed raw files, the Host header, and
NUL bytes in ``q``. (Waitress's own behaviour: tests/webui/test_server.py, a real server.)"""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import pytest

from webui import SECURITY_HEADERS, create_app
from webui import cache as cache_module
from webui.downloads import RAW_FILE_HEADERS

DOC = "003_717e887f31c42029"
#: The console's amplification: a 100 KB string, 200 times per document (20 MB a document).
AMPLIFY = "let $k := string-join((1 to 10000) ! 'abcdefghij') return (1 to 200) ! $k"


# --- 5: the XPath console cannot amplify memory ----------------------------------------------

def test_an_amplifying_query_answers_within_its_bounds(client) -> None:
    response = client.get("/api/query", query_string={"q": AMPLIFY})
    assert response.status_code == 200
    assert len(response.data) < 2 * 2_000_000 + 100_000  # value and kwic of each hit at most
    data = response.get_json()
    assert data["truncated"] is True
    assert "answer size limit of 2,000,000 bytes" in data["message"]
    assert "longer than 16,000 bytes are cut" in data["message"]
    assert data["count"] > len(data["hits"]) > 0
    assert all(len(hit["value"].encode()) <= 16_000 for hit in data["hits"])
    assert sum(len(hit["value"].encode()) + len(hit["context"].encode())
               for hit in data["hits"]) <= 2_000_000


def test_the_console_page_says_the_answer_was_cut(client) -> None:
    response = client.get("/query", query_string={"q": AMPLIFY})
    assert response.status_code == 200
    assert len(response.data) < 2 * 2_000_000 + 100_000
    note = re.search(r'<p class="warning">([^<]*)</p>', response.get_data(as_text=True))
    assert note is not None and "answer size limit" in note[1]


def test_bounds_are_configurable(data_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "QUERY_HIT_BYTES": 100,
                      "QUERY_ANSWER_BYTES": 1000})
    data = app.test_client().get("/api/query", query_string={"q": AMPLIFY}).get_json()
    assert data["truncated"] is True
    assert [len(hit["value"].encode()) for hit in data["hits"]] == [100] * 10
    assert data["hits"][0]["value"].endswith("…")


def test_an_ordinary_query_is_not_cut(client) -> None:
    data = client.get("/api/query", query_string={"q": "//tei:persName"}).get_json()
    assert data["truncated"] is False and data["message"] is None and data["hits"]


# --- 6: heavy requests share a bounded pool; exports are cached ------------------------------

def test_beyond_the_heavy_pool_queries_and_downloads_are_503(data_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "HEAVY_REQUESTS": 1,
                      "HEAVY_WAITING": 1, "HEAVY_WAIT": 0.2, "QUERY_TIMEOUT": 3})
    client = app.test_client()
    gate = app.extensions["heavy_gate"]
    with gate.slot(1):  # the running place taken
        for url in ("/api/query?q=count(//tei:p)", "/query?q=count(//tei:p)",
                    "/export.zip?person=leon-trotsky", f"/documents/{DOC}/export.tei"):
            response = client.get(url)  # waits 0.2 s for the running place, in vain
            assert response.status_code == 503, url
            assert response.headers["Retry-After"] == "3"
            assert "busy" in response.get_data(as_text=True)
        assert gate.admitted.acquire(blocking=False)  # the waiting place too: refused at once
        try:
            assert client.get("/api/query?q=count(//tei:p)").status_code == 503
        finally:
            gate.admitted.release()
        # pages that are not heavy still answer, the empty console included
        for url in ("/", f"/documents/{DOC}", "/query", "/search?q=trotsky"):
            assert client.get(url).status_code == 200, url
    assert client.get("/api/query?q=count(//tei:p)").status_code == 200  # places free again


def test_a_selection_export_is_built_once_per_data_stamp(data_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # pages over 50 KB are not kept; this corpus's zip (100 KB) stands for a big one
    monkeypatch.setattr(cache_module, "MAX_BODY", 50_000)
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "HEAVY_REQUESTS": 2,
                      "HEAVY_WAITING": 2})
    client = app.test_client()
    first = client.get("/export.zip")  # every document: the largest download
    assert first.status_code == 200 and len(first.data) > 50_000
    cache = app.extensions["response_cache"]
    assert "http://localhost/export.zip?" in cache.items
    gate = app.extensions["heavy_gate"]
    with ExitStack() as held:  # the heavy pool full: the cached export still answers
        for _ in range(4):
            assert gate.admitted.acquire(blocking=False)
            held.callback(gate.admitted.release)
        assert client.get("/export.teicorpus").status_code == 503  # not cached yet
        second = client.get("/export.zip")
    assert second.status_code == 200 and second.data == first.data


# --- 8: unknown parameters are ignored, and their number and length bounded -------------------

def test_unknown_parameters_are_not_copied_into_links(client) -> None:
    response = client.get("/", query_string={"person": "leon-trotsky", "q": "opposition",
                                             **{f"junk{n}": "x" * 50 for n in range(90)}})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "junk" not in page
    assert "person=leon-trotsky" in page  # the selection itself is carried on


@pytest.mark.parametrize("query", [
    "&".join(f"p{n}=1" for n in range(10_000)),
    "person=" + "x" * 4001,
    "x" * 101 + "=1",
])
@pytest.mark.parametrize("path", ["/", "/api/facets", "/search", "/query", "/export.csv"])
def test_too_many_or_too_long_parameters_are_400(client, path: str, query: str) -> None:
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "Too many or too long query parameters: at most 100" in response.get_data(
        as_text=True)
    assert len(response.data) < 10_000


# --- 9: raw files are sandboxed ----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"/documents/{DOC}.xml", f"/documents/{DOC}.xml?download=1", f"/documents/{DOC}/export.tei",
    "/export.teicorpus?person=leon-trotsky", "/export.zip?person=leon-trotsky",
    "/export.csv?person=leon-trotsky", "/entities/leon-trotsky/mentions.csv",
])
def test_raw_files_are_served_sandboxed(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert RAW_FILE_HEADERS["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_pages_keep_their_own_policy(client) -> None:
    response = client.get(f"/documents/{DOC}")
    assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS[
        "Content-Security-Policy"]


# --- 10: the Host header cannot poison the cache ----------------------------------------------

def permalink(response) -> str:
    found = re.search(r'<p class="permalink"><a href="[^"]*">([^<]*)</a>',
                      response.get_data(as_text=True))
    assert found is not None
    return found[1]


def test_a_page_asked_by_another_host_is_not_served_to_this_one(data_dir: Path) -> None:
    client = create_app({"TESTING": True, "DATA_DIR": str(data_dir)}).test_client()
    poisoned = client.get(f"/documents/{DOC}", headers={"Host": "evil.example"})
    assert permalink(poisoned) == f"http://evil.example/documents/{DOC}"
    mine = client.get(f"/documents/{DOC}", headers={"Host": "archive.example.org"})
    assert permalink(mine) == f"http://archive.example.org/documents/{DOC}"


def test_only_trusted_hosts_are_answered(data_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir),
                      "TRUSTED_HOSTS": "archive.example.org, localhost"})
    client = app.test_client()
    for url in ("/", f"/documents/{DOC}", "/api/documents", "/static/viewer.js"):
        response = client.get(url, headers={"Host": "evil.example"})
        assert response.status_code == 400, url
        assert "Host 'evil.example' is not trusted" in response.get_data(as_text=True)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert client.get("/", headers={"Host": "archive.example.org:8080"}).status_code == 200
    assert client.get("/").status_code == 200  # localhost
    assert all("evil" not in key for key in app.extensions["response_cache"].items)


def test_the_configured_base_url_makes_the_permalinks(data_dir: Path) -> None:
    client = create_app({"TESTING": True, "DATA_DIR": str(data_dir),
                         "BASE_URL": "https://archive.example.org/"}).test_client()
    response = client.get(f"/documents/{DOC}", headers={"Host": "evil.example"})
    assert permalink(response) == f"https://archive.example.org/documents/{DOC}"


def test_trusted_hosts_come_from_the_environment(data_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_TRUSTED_HOSTS", "archive.example.org,.example.net")
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    assert app.config["TRUSTED_HOSTS"] == ["archive.example.org", ".example.net"]
    client = app.test_client()
    assert client.get("/", headers={"Host": "www.example.net"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


# --- 16: a NUL byte in q -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/search", "/api/documents", "/api/facets", "/api/search",
                                  "/export.teicorpus", "/export.zip", "/export.csv"])
@pytest.mark.parametrize("words", ["opposition\x00", "\x00", 'opposition"\x00"trotsky', "\x00*"])
def test_a_nul_in_the_words_is_a_separator(client, path: str, words: str) -> None:
    response = client.get(path, query_string={"q": words})
    assert response.status_code in (200, 404), response.get_data(as_text=True)[:300]
    if response.status_code == 404:  # a download of nothing: said so
        assert "No document matches the selection" in response.get_data(as_text=True)
    if words == "opposition\x00":
        assert response.status_code == 200


@pytest.mark.parametrize("path", ["/query", "/api/query"])
def test_a_nul_in_an_xpath_expression_is_an_error_not_a_crash(client, path: str) -> None:
    response = client.get(path, query_string={"q": "//tei:p[. = 'a\x00b']"})
    assert response.status_code in (200, 400)


def test_nul_words_match_as_the_words_without_it(client) -> None:
    plain = client.get("/api/search", query_string={"q": "opposition"}).get_json()
    nul = client.get("/api/search", query_string={"q": "\x00opposition\x00"}).get_json()
    assert plain["total"] > 0 and nul["total"] == plain["total"]

