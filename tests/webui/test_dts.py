"""DTS 1.0 (webui/dts.py): every answer checked against JSON schemas written from the spec's
tables (tests/fixtures/dts), and field by field against what the spec's examples say.

Two data directories: the session's (the samples and the foreign documents: citation trees of
passages) and ``cited_data`` (conftest), documents that declare ``citeStructure`` (a play
cited act.scene.line) and others, served here with two documents a page so that paging shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import uritemplate
from lxml import etree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMA = json.loads((FIXTURES / "dts" / "dts-1.0.schema.json").read_text(encoding="utf-8"))
TEI = "{http://www.tei-c.org/ns/1.0}"
DTS = "{https://w3id.org/api/dts#}"


def valid(data: dict[str, Any], definition: str) -> dict[str, Any]:
    """``data`` when the schema's ``definition`` accepts it."""
    jsonschema.validate(data, {**SCHEMA, "$ref": f"#/$defs/{definition}"})
    return data


def ld(client: Any, url: str, definition: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    return valid(json.loads(response.get_data()), definition)


def error(client: Any, url: str, status: int) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status and "Traceback" not in body["error"]
    return str(body["error"])


@pytest.fixture
def cited_client(cited_data: Path) -> Any:
    from webui import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(cited_data), "PAGE_SIZE": 2}
                      ).test_client()


def test_entry_point_names_the_three_endpoints_by_uri_template(client: Any) -> None:
    for url in ("/api/dts", "/api/dts/"):
        entry = ld(client, url, "EntryPoint")
        assert entry["@type"] == "EntryPoint" and entry["dtsVersion"] == "1.0"
        assert entry["collection"] == "http://localhost/api/dts/collection{?id,page,nav}"
        assert entry["navigation"].endswith(
            "/api/dts/navigation{?resource,ref,start,end,down,tree,page}")
        assert entry["document"].endswith(
            "/api/dts/document{?resource,ref,start,end,tree,mediaType}")


def test_collections_root_kinds_resources_parents(client: Any) -> None:
    root = ld(client, "/api/dts/collection", "Collection")
    assert root == ld(client, "/api/dts/collection/?id=archive:collection", "Collection")
    assert root["@type"] == "Collection" and root["totalParents"] == 0
    assert root["totalChildren"] == len(root["member"]) > 1
    kinds = {member["title"]: member for member in root["member"]}
    # every kind's own template leads to it (a kind with a space: its id percent-encoded)
    assert kinds["encyclopedia article"]["@id"] == "archive:kind:encyclopedia%20article"
    for member in root["member"]:
        found = ld(client, uritemplate.expand(member["collection"], {}), "Collection")
        assert found["@id"] == member["@id"]
        assert found["totalChildren"] == member["totalChildren"] == len(found["member"])
    drama = kinds["drama"]
    assert drama["@type"] == "Collection" and drama["totalParents"] == 1
    assert drama["collection"].endswith(f"?id={drama['@id']}{{&page,nav}}")
    listed = ld(client, f"/api/dts/collection?id={drama['@id']}", "Collection")
    assert listed["totalChildren"] == len(listed["member"]) == drama["totalChildren"]
    play = next(m for m in listed["member"] if m["@id"] == "stage000001")
    assert play["@type"] == "Resource" and play["mediaTypes"] == ["application/tei+xml"]
    assert play["dublinCore"]["title"] == [{"lang": "en", "value": "The Engine: a scene"}]
    assert play["document"].endswith("/api/dts/document?resource=stage000001"
                                      "{&ref,start,end,tree,mediaType}")
    # the resource itself: its citation tree (the passages: no citeStructure in it)
    resource = ld(client, "/api/dts/collection?id=stage000001", "Collection")
    trees = resource["citationTrees"]
    assert len(trees) == 1 and "identifier" not in trees[0]
    assert "sp" in {s["citeType"] for s in trees[0]["citeStructure"]}
    parents = ld(client, "/api/dts/collection?id=stage000001&nav=parents", "Collection")
    assert [m["@id"] for m in parents["member"]] == [drama["@id"]]
    up = ld(client, f"/api/dts/collection?id={drama['@id']}&nav=parents", "Collection")
    assert [m["@id"] for m in up["member"]] == ["archive:collection"]


def test_collection_members_come_in_pages(cited_client: Any) -> None:
    first = ld(cited_client, "/api/dts/collection?id=archive:kind:drama", "Collection")
    assert first["totalChildren"] == 3 and [m["@id"] for m in first["member"]] == [
        "cited", "drama"]
    view = first["view"]
    assert view["@type"] == "Pagination"
    assert view["@id"].endswith("?id=archive%3Akind%3Adrama&page=1")
    assert view["next"] == view["last"] and view["last"].endswith("&page=2")
    second = ld(cited_client, "/api/dts/collection?id=archive:kind:drama&page=2", "Collection")
    assert [m["@id"] for m in second["member"]] == ["wager"]
    assert second["view"]["previous"] == view["first"]
    root = ld(cited_client, "/api/dts/collection", "Collection")
    assert root["totalChildren"] == 4
    assert [m["@id"] for m in root["member"]] == ["archive:kind:drama", "archive:kind:prose"]
    more = ld(cited_client, root["view"]["next"], "Collection")
    assert [m["@id"] for m in more["member"]] == ["archive:kind:verse", "archive:unclassified"]
    # documents without a kind: a collection of their own, in pages too
    loose = ld(cited_client, "/api/dts/collection?id=archive:unclassified", "Collection")
    assert loose["title"] == "Documents of no kind" and loose["totalChildren"] == 2
    assert [m["@id"] for m in loose["member"]] == ["corpus", "empty"]
    assert "view" not in loose


def test_navigation_of_a_play_by_act_scene_line(cited_client: Any) -> None:
    base = "/api/dts/navigation?resource=wager"
    top = ld(cited_client, f"{base}&down=1", "Navigation")
    trees = top["resource"]["citationTrees"]
    assert [t.get("identifier") for t in trees] == [None, "passages"]
    assert trees[0]["citeStructure"] == [{"@type": "CiteStructure", "citeType": "act",
                                          "citeStructure": [{
                                              "@type": "CiteStructure", "citeType": "scene",
                                              "citeStructure": [{"@type": "CiteStructure",
                                                                 "citeType": "line"}]}]}]
    assert [(m["identifier"], m["level"], m["parent"], m["citeType"]) for m in top["member"]] \
        == [("1", 1, None, "act"), ("2", 1, None, "act")]
    assert top["member"][0]["dublinCore"] == {"title": [{"lang": "en", "value": "Act One"}]}
    assert top["@id"] == f"http://localhost{base}&down=1"
    assert "ref" not in top and "start" not in top
    two = ld(cited_client, f"{base}&down=2", "Navigation")
    assert [m["identifier"] for m in two["member"]] == ["1", "1.1", "1.2", "2", "2.1"]
    every = ld(cited_client, f"{base}&down=-1", "Navigation")
    assert [m["identifier"] for m in every["member"]] == [
        "1", "1.1", "1.1.1", "1.1.2", "1.1.3", "1.2", "1.2.1", "1.2.2", "2", "2.1", "2.1.1",
        "2.1.2"]
    # ref alone: that unit, no member; ref with down
    one = ld(cited_client, f"{base}&ref=1.2", "Navigation")
    assert one["ref"]["identifier"] == "1.2" and one["ref"]["parent"] == "1"
    assert "member" not in one
    below = ld(cited_client, f"{base}&ref=1&down=1", "Navigation")
    assert [m["identifier"] for m in below["member"]] == ["1", "1.1", "1.2"]
    siblings = ld(cited_client, f"{base}&ref=1.1.2&down=0", "Navigation")
    assert [m["identifier"] for m in siblings["member"]] == ["1.1.1", "1.1.2", "1.1.3"]
    # a range: start and end given back, members down from the deeper of the two
    span = ld(cited_client, f"{base}&start=1.2&end=2.1&down=1", "Navigation")
    assert span["start"]["identifier"] == "1.2" and span["end"]["identifier"] == "2.1"
    assert [m["identifier"] for m in span["member"]] == [
        "1.2", "1.2.1", "1.2.2", "2", "2.1", "2.1.1", "2.1.2"]
    bare = ld(cited_client, f"{base}&start=1.1.1&end=1.1.3", "Navigation")
    assert "member" not in bare and bare["end"]["identifier"] == "1.1.3"
    # the second tree: the reading view's passage addresses
    passages = ld(cited_client, f"{base}&down=-1&tree=passages", "Navigation")
    assert "1.1.3" in [m["identifier"] for m in passages["member"]]


def test_citations_as_the_declaration_builds_them(cited_client: Any) -> None:
    """Delimiters as declared (a space, ``:``, ``#``), positions as values: the identifiers a
    reader of the edition cites (what the DTS reference implementation gives such a file)."""
    every = ld(cited_client, "/api/dts/navigation?resource=books&down=-1", "Navigation")
    assert [(m["identifier"], m["level"], m["parent"], m["citeType"])
            for m in every["member"]] == [
        ("Amos", 1, None, "book"), ("Amos 1", 2, "Amos", "chapter"),
        ("Amos 1:1", 3, "Amos 1", "verse"), ("Amos 1:2", 3, "Amos 1", "verse"),
        ("Amos 1#1", 3, "Amos 1", "line"),
        ("Ruth", 1, None, "book"), ("Ruth 1", 2, "Ruth", "chapter"),
        ("Ruth 1:1", 3, "Ruth 1", "verse"), ("Ruth 1:2", 3, "Ruth 1", "verse"),
        ("Ruth 1#1", 3, "Ruth 1", "line"), ("Ruth 1:3", 3, "Ruth 1", "verse")]
    assert every["resource"]["citationTrees"][0]["citeStructure"][0]["citeStructure"][0][
        "citeStructure"] == [{"@type": "CiteStructure", "citeType": "verse"},
                             {"@type": "CiteStructure", "citeType": "line"}]
    verse = cited_client.get("/api/dts/document?resource=books&ref=Amos%201%3A2")
    wrapper = etree.fromstring(verse.get_data()).find(f"{DTS}wrapper")
    assert "".join(wrapper.itertext()) == "A late frost spares the patient bud."
    line = ld(cited_client, "/api/dts/navigation?resource=books&ref=Ruth%201%231&down=0",
              "Navigation")
    assert [m["identifier"] for m in line["member"]] == [
        "Ruth 1:1", "Ruth 1:2", "Ruth 1#1", "Ruth 1:3"]


def test_navigation_pages_and_samples(client: Any, cited_data: Path, data_dir: Path,
                                      index_engine: Any) -> None:
    from webui import create_app

    index_engine.use(cited_data)  # (on PostgreSQL one database holds one archive's index)
    paged = create_app({"TESTING": True, "DATA_DIR": str(cited_data),
                        "DTS_NAVIGATION_PAGE_SIZE": 5}).test_client()
    first = ld(paged, "/api/dts/navigation?resource=wager&down=-1", "Navigation")
    assert len(first["member"]) == 5 and first["view"]["last"].endswith("page=3")
    last = ld(paged, "/api/dts/navigation?resource=wager&down=-1&page=3", "Navigation")
    assert [m["identifier"] for m in last["member"]] == ["2.1.1", "2.1.2"]
    # a sample document: passages by xml:id, parents by nesting
    index_engine.use(data_dir)
    root = ld(client, "/api/dts/collection", "Collection")
    kind = root["member"][0]["@id"]
    doc_id = ld(client, f"/api/dts/collection?id={kind}", "Collection")["member"][0]["@id"]
    every = ld(client, f"/api/dts/navigation?resource={doc_id}&down=-1", "Navigation")
    units = every["member"]
    assert units and units[0]["level"] == 1
    ids = {u["identifier"] for u in units}
    assert all(u["parent"] is None or u["parent"] in ids for u in units)
    assert len(ids) == len(units)


def test_document_whole_passage_and_range(cited_client: Any) -> None:
    whole = cited_client.get("/api/dts/document?resource=wager")
    assert whole.status_code == 200 and whole.mimetype == "application/tei+xml"
    assert whole.headers["Link"] == \
        '<http://localhost/api/dts/collection?id=wager>; rel="collection"'
    assert whole.get_data() == (FIXTURES / "dts" / "play.xml").read_bytes()
    part = cited_client.get("/api/dts/document?resource=wager&ref=1.2")
    assert part.mimetype == "application/tei+xml"
    root = etree.fromstring(part.get_data())
    assert root.tag == f"{TEI}TEI"
    assert root[0].tag == f"{TEI}teiHeader"
    (wrapper,) = root.findall(f"{DTS}wrapper")
    assert [(e.tag, e.get("n")) for e in wrapper] == [(f"{TEI}div", "2")]
    assert "Count them twice." in "".join(wrapper.itertext())
    span = etree.fromstring(cited_client.get(
        "/api/dts/document?resource=wager&start=1.1.3&end=2.1.1").get_data())
    wrapper = span.find(f"{DTS}wrapper")
    assert [(e.tag.rpartition("}")[2], e.get("n")) for e in wrapper] == [
        ("l", "3"), ("div", "2"), ("l", "1")]
    text = "".join(wrapper.itertext())
    assert "Not every wick" in text and "Thirty lamps" in text
    assert "Then the wager" not in text and "every wick is mine" not in text
    by_passage = etree.fromstring(cited_client.get(
        "/api/dts/document?resource=drama&ref=body.div.div.sp2.p").get_data())
    assert "wrangleberry" in "".join(by_passage.find(f"{DTS}wrapper").itertext())


def test_a_client_follows_the_uri_templates(cited_client: Any) -> None:
    """What a DTS client does: expand the templates (RFC 6570, ``uritemplate``) and follow."""
    def follow(template: str, definition: str, **values: Any) -> dict[str, Any]:
        return ld(cited_client, uritemplate.expand(template, values), definition)

    entry = ld(cited_client, "/api/dts", "EntryPoint")
    root = follow(entry["collection"], "Collection")
    kind = root["member"][0]
    assert follow(entry["collection"], "Collection", id=kind["@id"])["@id"] == kind["@id"]
    second = follow(kind["collection"], "Collection", page=2)
    resource = second["member"][0]
    assert resource["@id"] == "wager"
    assert follow(resource["collection"], "Collection", nav="parents")["member"][0]["@id"] \
        == kind["@id"]
    top = follow(resource["navigation"], "Navigation", down=1)
    assert follow(entry["navigation"], "Navigation", resource="wager", down=1) == top
    scene = follow(resource["navigation"], "Navigation", ref="1", down=1)["member"][1]
    passage = cited_client.get(uritemplate.expand(resource["document"],
                                                  {"ref": scene["identifier"]}))
    assert passage.status_code == 200
    assert "A lane at dusk" in passage.get_data(as_text=True)
    ranged = cited_client.get(uritemplate.expand(
        entry["document"], {"resource": "wager", "start": "1.1.1", "end": "1.1.2",
                            "mediaType": "application/tei+xml"}))
    assert ranged.status_code == 200 and "every wick is mine" in ranged.get_data(as_text=True)


def test_a_corpus_and_a_document_without_text(cited_client: Any) -> None:
    # a teiCorpus: DTS wants a TEI root, so the corpus comes wrapped in one
    whole = etree.fromstring(cited_client.get("/api/dts/document?resource=corpus").get_data())
    assert whole.tag == f"{TEI}TEI"
    assert [e.tag for e in whole.find(f"{DTS}wrapper")] == [f"{TEI}teiCorpus"]
    units = ld(cited_client, "/api/dts/navigation?resource=corpus&down=-1", "Navigation")
    assert [m["identifier"] for m in units["member"]] == ["TEI1.body.p", "TEI2.body.p"]
    second = etree.fromstring(cited_client.get(
        "/api/dts/document?resource=corpus&ref=TEI2.body.p").get_data())
    # the header of the member document the passage is in
    assert second.findtext(f"{TEI}teiHeader//{TEI}title") == "Second"
    assert "".join(second.find(f"{DTS}wrapper").itertext()) == \
        "The second answers with the alder."
    # no passage at all: no citation tree, an empty member and no error
    resource = ld(cited_client, "/api/dts/collection?id=empty", "Collection")
    assert resource["citationTrees"] == []
    for query in ("down=1", "down=-1", "ref=x", "start=a&end=b&down=1"):
        empty = ld(cited_client, f"/api/dts/navigation?resource=empty&{query}", "Navigation")
        assert empty["member"] == [] and empty["resource"]["citationTrees"] == []


@pytest.mark.parametrize(("url", "status", "says"), [
    ("/api/dts/navigation", 400, "resource is required"),
    ("/api/dts/navigation?resource=wager", 400, "Give ref"),
    ("/api/dts/navigation?resource=wager&ref=1&start=1&end=2", 400, "ref cannot"),
    ("/api/dts/navigation?resource=wager&start=1", 400, "start and end go together"),
    ("/api/dts/navigation?resource=wager&down=0", 400, "down=0"),
    ("/api/dts/navigation?resource=wager&down=-2", 400, "down must be an integer"),
    ("/api/dts/navigation?resource=wager&down=two", 400, "'two'"),
    ("/api/dts/navigation?resource=wager&start=2&end=1&down=1", 400, "comes after"),
    ("/api/dts/navigation?resource=wager&down=1&page=0", 400, "page must be"),
    ("/api/dts/navigation?resource=wager&down=1&page=9", 404, "No page 9"),
    ("/api/dts/navigation?resource=nothing&down=1", 404, "No document 'nothing'"),
    ("/api/dts/navigation?resource=wager&ref=9.9", 404, "No citable unit '9.9'"),
    ("/api/dts/navigation?resource=wager&down=1&tree=bekker", 404, "No citation tree 'bekker'"),
    ("/api/dts/navigation?resource=drama&down=1&tree=passages", 404, "'passages'"),
    ("/api/dts/document", 400, "resource is required"),
    ("/api/dts/document?resource=wager&end=1", 400, "start and end go together"),
    ("/api/dts/document?resource=wager&ref=1&end=1", 400, "ref cannot"),
    ("/api/dts/document?resource=nothing", 404, "No document 'nothing'"),
    ("/api/dts/document?resource=../etc/passwd", 404, "No document"),
    ("/api/dts/document?resource=wager&ref=3", 404, "No citable unit '3'"),
    ("/api/dts/document?resource=wager&mediaType=text/html", 404, "not 'text/html'"),
    ("/api/dts/document?resource=wager&ref=1&tree=nope", 404, "No citation tree 'nope'"),
    ("/api/dts/collection?nav=siblings", 400, "nav must be"),
    ("/api/dts/collection?page=x", 400, "page must be"),
    ("/api/dts/collection?page=7", 404, "No page 7"),
    ("/api/dts/collection?id=archive:kind:poetry", 404, "No collection"),
    ("/api/dts/collection?id=nothing", 404, "No document 'nothing'"),
])
def test_bad_requests_are_json_errors(cited_client: Any, url: str, status: int, says: str
                                      ) -> None:
    assert says in error(cited_client, url, status)


def test_read_only(cited_client: Any) -> None:
    for url in ("/api/dts", "/api/dts/collection", "/api/dts/navigation?resource=wager&down=1",
                "/api/dts/document?resource=wager"):
        assert cited_client.get(url).status_code == 200
        assert cited_client.post(url).status_code in (404, 405)
        assert cited_client.delete(url).status_code in (404, 405)
