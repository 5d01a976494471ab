"""Issue 22: the reconciliation service (W3C Entity Reconciliation API 0.2, as OpenRefine speaks
it) over the registry. The manifest, the answers and the suggestions are checked against the
specification's own JSON Schemas (vendored in tests/fixtures/reconcile with their provenance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from webui import create_app

#: The hostile registry entry of tests/webui/conftest.py (``evil-person``): its name, a variant.
EVIL_NAME = '<script>alert("name")</script>'
EVIL_VARIANT = '"onmouseover=alert(1) x="'

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "reconcile"
_LOADED = {path.name: json.loads(path.read_text(encoding="utf-8"))
           for path in SCHEMAS.glob("*.json")}
_REGISTRY: Registry[Any] = Registry().with_resources(
    (schema["$id"], DRAFT7.create_resource(schema)) for schema in _LOADED.values())


def check(instance: Any, schema: str) -> None:
    """``instance`` is valid under the spec's schema ``schema`` (all errors listed)."""
    validator = Draft7Validator(_LOADED[schema], registry=_REGISTRY)
    errors = [f"{list(error.absolute_path)}: {error.message}"
              for error in validator.iter_errors(instance)]
    assert errors == []


def reconcile(client, queries: dict[str, Any], method: str = "GET") -> dict[str, Any]:
    check(queries, "reconciliation-query-batch.json")
    payload = json.dumps(queries)
    response = (client.post("/reconcile", data={"queries": payload}) if method == "POST"
                else client.get(f"/reconcile?queries={quote(payload)}"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    answer = response.get_json()
    check(answer, "reconciliation-result-batch.json")
    assert set(answer) == set(queries)
    return answer


def test_the_manifest(client) -> None:
    response = client.get("/reconcile")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    manifest = response.get_json()
    check(manifest, "manifest.json")
    assert manifest["versions"] == ["0.2"]
    assert [kind["id"] for kind in manifest["defaultTypes"]] == ["person", "place", "org"]
    assert manifest["view"]["url"] == "http://localhost/entities/{{id}}"
    assert manifest["preview"]["url"] == "http://localhost/reconcile/preview?id={{id}}"
    suggest = manifest["suggest"]["entity"]
    assert suggest["service_url"] + suggest["service_path"] == (
        "http://localhost/reconcile/suggest/entity")
    # the view template leads to the entity's page
    assert client.get(manifest["view"]["url"].replace("{{id}}", "vladimir-lenin")
                      .removeprefix("http://localhost")).status_code == 200


def test_no_jsonp(client) -> None:
    """A ``callback`` is ignored: the answer stays JSON, never script naming the caller's
    function."""
    for url in ("/reconcile?callback=alert", "/reconcile?query=London&callback=alert"):
        response = client.get(url)
        assert response.mimetype == "application/json"
        assert response.get_data(as_text=True).startswith("{")


def test_the_manifest_under_base_url(data_dir: Path) -> None:
    client = create_app({"TESTING": True, "DATA_DIR": str(data_dir),
                         "BASE_URL": "https://archive.example.org"}).test_client()
    manifest = client.get("/reconcile").get_json()
    assert manifest["identifierSpace"] == "https://archive.example.org/entities/"
    assert manifest["view"]["url"] == "https://archive.example.org/entities/{{id}}"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_scores_order_exact_variant_fuzzy(client, method: str) -> None:
    answer = reconcile(client, {
        "name": {"query": "Vladimir Lenin"},
        "variant": {"query": "v. i. lenin"},  # case aside
        "fuzzy": {"query": "Vladimir Lenn"},
        "word": {"query": "Lenin", "type": "person"},
    }, method)
    best = {key: value["result"][0] for key, value in answer.items()}
    assert {candidate["id"] for candidate in best.values()} == {"vladimir-lenin"}
    assert best["name"]["score"] == 100 and best["name"]["match"] is True
    assert best["variant"]["score"] == 95 and best["variant"]["match"] is True
    assert best["fuzzy"]["score"] < 95 and best["fuzzy"]["match"] is False
    assert best["name"]["type"] == [{"id": "person", "name": "Person"}]
    for value in answer.values():
        scores = [candidate["score"] for candidate in value["result"]]
        assert scores == sorted(scores, reverse=True)
        assert sum(candidate["match"] for candidate in value["result"]) <= 1


def test_an_ambiguous_name_is_no_match(client) -> None:
    """Two registry entries called London: both score high, neither is a certain match."""
    result = reconcile(client, {"q0": {"query": "London"}})["q0"]["result"]
    exact = [candidate for candidate in result if candidate["score"] == 100]
    assert len(exact) == 2
    assert not any(candidate["match"] for candidate in result)


def test_type_filter_and_limit(client) -> None:
    answer = reconcile(client, {
        "places": {"query": "London", "type": "place"},
        "persons": {"query": "London", "type": ["person"]},
        "one": {"query": "Vladimir", "limit": 1},
        "two": {"query": "Vladimir", "limit": 2.0},
        "many": {"query": "Vladimir", "limit": 1000},
    })
    assert answer["places"]["result"]
    assert all(c["type"][0]["id"] == "place" for c in answer["places"]["result"])
    assert all(c["type"][0]["id"] == "person" for c in answer["persons"]["result"])
    assert not any(c["name"] == "London" for c in answer["persons"]["result"])
    assert len(answer["one"]["result"]) == 1
    assert len(answer["two"]["result"]) == 2
    assert 1 < len(answer["many"]["result"]) <= 25  # RECONCILE_LIMIT


def test_the_single_query_form(client) -> None:
    plain = client.get("/reconcile?query=Vladimir%20Lenin").get_json()
    as_json = client.get("/reconcile?query=" + quote(json.dumps(
        {"query": "Vladimir Lenin", "type": "person"}))).get_json()
    for answer in (plain, as_json):
        check({"q": answer}, "reconciliation-result-batch.json")
        assert answer["result"][0]["id"] == "vladimir-lenin"


@pytest.mark.parametrize("queries, status", [
    ("not json", 400),
    ("[1, 2]", 400),
    (json.dumps({"q0": {"type": "person"}}), 400),  # no query
    (json.dumps({"q0": {"query": ""}}), 400),
    (json.dumps({"q0": {"query": "x" * 501}}), 400),
    (json.dumps({"q0": {"query": "London", "limit": 0}}), 400),
    (json.dumps({"q0": {"query": "London", "limit": "3"}}), 400),
    ('{"q0": {"query": "London", "limit": Infinity}}', 400),
    ('{"q0": {"query": "London", "limit": NaN}}', 400),
    (json.dumps({"q0": {"query": "London", "limit": 2.5}}), 400),
    (json.dumps({"q0": {"query": "London", "limit": True}}), 400),
    (json.dumps({"q0": {"query": "London", "type": 3}}), 400),
    (json.dumps({f"q{n}": {"query": "London"} for n in range(51)}), 413),  # RECONCILE_BATCH
])
def test_bad_queries_are_refused_in_json(client, queries: str, status: int) -> None:
    response = client.post("/reconcile", data={"queries": queries})
    assert response.status_code == status
    assert response.get_json()["status"] == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_preview_escapes_names(client) -> None:
    response = client.get("/reconcile/preview?id=evil-person")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page
    assert EVIL_NAME not in page and EVIL_VARIANT not in page
    assert "&#34;onmouseover=alert(1) x=&#34;" in page
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src" not in policy
    assert "default-src 'none'" in policy
    # the preview of a real entry names it and links its page
    lenin = client.get("/reconcile/preview?id=vladimir-lenin").get_data(as_text=True)
    assert "Vladimir Lenin" in lenin and 'href="http://localhost/entities/vladimir-lenin"' in lenin


def test_preview_of_nothing_is_a_404(client) -> None:
    for query in ("id=no-such-entity", "id=../../etc/passwd", ""):
        response = client.get(f"/reconcile/preview?{query}")
        assert response.status_code == 404
        assert response.get_json()["status"] == 404


def test_suggest(client) -> None:
    answer = client.get("/reconcile/suggest/entity?prefix=lovel").get_json()
    check(answer, "suggest-entities-response.json")
    assert [entry["name"] for entry in answer["result"]] == ["Ada Lovelace"]  # a word's start
    places = client.get("/reconcile/suggest/entity?prefix=lo&type=place").get_json()["result"]
    assert places and all(entry["notable"][0]["id"] == "place" for entry in places)
    for query in ("prefix=", "prefix=a&cursor=-1", "prefix=a&cursor=x"):
        response = client.get(f"/reconcile/suggest/entity?{query}")
        assert response.status_code == 400
        assert response.get_json()["status"] == 400


def test_suggest_pages_by_cursor(data_dir: Path) -> None:
    client = create_app({"TESTING": True, "DATA_DIR": str(data_dir),
                         "RECONCILE_LIMIT": 5}).test_client()
    pages = [client.get(f"/reconcile/suggest/entity?prefix=v&cursor={cursor}").get_json()
             for cursor in (0, 5, 10)]
    assert [len(page["result"]) for page in pages[:2]] == [5, 5]  # RECONCILE_LIMIT
    found = [entry["id"] for page in pages for entry in page["result"]]
    assert len(found) == len(set(found)) > 10
    names = [entry["name"].casefold() for page in pages for entry in page["result"]]
    assert names == sorted(names)
