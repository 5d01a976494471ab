"""The viewer only reads: every route refuses other methods and nothing changes; error pages
are escaped and carry the security headers."""

from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from webui import SECURITY_HEADERS, create_app

DOC = "003_717e887f31c42029"
#: A value for each URL variable the routes take.
VALUES = {"doc_id": DOC, "entity_id": "leon-trotsky", "filename": "viewer.js", "kind": "persons",
          "number": "1", "anchor": "p1"}
READ_ONLY = {"GET", "HEAD", "OPTIONS"}
#: Protocols whose clients may send their arguments by POST (OAI-PMH, the reconciliation API):
#: those POSTs only read (docs/PROTOCOLS.md).
READING_POSTS = {"/oai", "/reconcile"}
#: The query a route needs to answer 200 (DTS navigation and document require a resource; the
#: reconciliation preview an entity, its suggestions a prefix).
QUERIES = {"dts.navigation": {"resource": DOC, "down": 1}, "dts.document": {"resource": DOC},
           "reconcile.preview": {"id": "vladimir-lenin"}, "reconcile.suggest": {"prefix": "v"}}


def route_urls(app) -> list[str]:
    """One real URL per route of the app (static included)."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            urls.append(url_for(rule.endpoint, **{name: VALUES[name] for name in rule.arguments},
                                **QUERIES.get(rule.endpoint, {})))
    return sorted(urls)


def snapshot(directory: Path) -> dict[str, str]:
    """Every file below ``directory`` with its SHA-256 (and nothing else may appear).

    SQLite's shared-memory and write-ahead files are left out: any reader opens, updates and
    removes them (a reader of the index in another test may hold them open); the data is in
    index.sqlite itself, which is compared.
    """
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*"))
            if path.is_file() and not path.name.endswith(("-shm", "-wal"))}


def test_no_route_takes_a_method_that_could_change_data(app) -> None:
    """Without ``EDITING`` (`archive serve` without --editing) there is no writing route, no
    login, and none could be added (tests/webui/test_auth.py has the editing side)."""
    assert app.config["EDITING"] is False
    rules = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    assert not {"/login", "/logout", "/account"} & set(rules)
    # 18, robots.txt, /entities and three registers, and their JSON twins; a document's parts;
    # DTS (entry, collection, navigation, document) and the two citation downloads; /oai and
    # /reconcile (its suggest and preview)
    assert len(rules) == 39
    assert {rule: methods - READ_ONLY for rule, methods in rules.items()} == {
        rule: {"POST"} if rule in READING_POSTS else set() for rule in rules}


def test_other_methods_are_405_and_change_nothing(app, data_dir: Path) -> None:
    client = app.test_client()
    before = snapshot(data_dir)
    urls = route_urls(app)
    for url in urls:
        with client.get(url) as response:  # a static file is streamed: close it
            assert response.status_code == 200, url
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            response = client.open(url, method=method, data={"q": "x", "id": DOC})
            if method == "POST" and url in READING_POSTS:  # answered, and nothing changes
                assert response.status_code in (200, 400), url
                continue
            assert response.status_code == 405, (method, url)
            allowed = READ_ONLY | ({"POST"} if url in READING_POSTS else set())
            assert set(response.headers["Allow"].split(", ")) == allowed
            for name, value in SECURITY_HEADERS.items():
                assert response.headers[name] == value
    assert snapshot(data_dir) == before


@pytest.mark.parametrize(("method", "url", "status", "needle"), [
    ("GET", "/documents/<script>alert(1)</script>", 404, "<h1>404 · Not Found</h1>"),
    ("GET", "/documents/<script>alert(1)", 404, "No document &#39;&lt;script&gt;alert(1)&#39;"),
    ("GET", '/entities/"onmouseover=alert(1)', 404,
     "No entity &#39;&#34;onmouseover=alert(1)&#39;"),
    ("GET", "/nothing<script>", 404, "<h1>404 · Not Found</h1>"),
    ("POST", "/documents/<script>alert(1)", 405, "<h1>405 · Method Not Allowed</h1>"),
])
def test_error_pages_are_escaped_and_secured(client, method: str, url: str, status: int,
                                            needle: str) -> None:
    response = client.open(url, method=method)
    assert response.status_code == status and response.mimetype == "text/html"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    body = response.get_data(as_text=True)
    assert needle in body
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/viewer.js" defer>']
    assert re.search(r"<[^>]*\son[a-z]+=", body) is None


@pytest.mark.parametrize(("method", "url", "status", "error"), [
    ("GET", "/api/documents/<script>alert(1)", 404, "No document '<script>alert(1)'"),
    ("DELETE", "/api/entities/leon-trotsky", 405,
     "The method is not allowed for the requested URL."),
])
def test_api_errors_are_json_with_the_headers(client, method: str, url: str, status: int,
                                              error: str) -> None:
    response = client.open(url, method=method)
    assert response.status_code == status and response.mimetype == "application/json"
    assert response.get_json() == {"error": error, "status": status}
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_a_server_error_is_a_page_with_the_headers(tmp_path: Path, index_engine: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # an index file that is not a database: the viewer fails, the reader gets a plain page
    (tmp_path / "index.sqlite").write_text("<script>alert(1)</script> not a database")
    if index_engine.name == "postgresql":  # and a database nobody answers for
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setenv("ARCHIVE_INDEX_URL", f"postgresql://nobody@127.0.0.1:{port}/none")
    app = create_app({"DATA_DIR": str(tmp_path)})  # not TESTING: errors are not propagated
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    body = response.get_data(as_text=True)
    assert "<h1>500 · Internal Server Error</h1>" in body and "alert(1)" not in body
    api = app.test_client().get("/api/documents")
    assert api.status_code == 500 and api.get_json()["status"] == 500
