"""``/api/query?corpus=1``: one expression asked once of the whole corpus (issue 21)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP


def test_the_api_asks_a_corpus_query_once(client, data_dir: Path) -> None:
    trees = [etree.parse(str(file)) for file in sorted((data_dir / "tei").glob("*.xml"))]
    refs = {str(ref) for tree in trees
            for ref in tree.xpath("//tei:persName/@ref", namespaces=NSMAP)}
    holding = [tree for tree in trees if tree.xpath("//tei:persName", namespaces=NSMAP)]
    expression = "count(distinct-values(//tei:persName/@ref))"
    data = client.get("/api/query", query_string={"q": expression, "corpus": "1"}).get_json()
    assert data["corpus"] is True and data["error"] is None
    assert [(hit["value"], hit["doc"], hit["url"]) for hit in data["hits"]] == [
        (str(len(refs)), "", None)]
    assert data["count"] == 1 and data["documents"] == len(holding) > 1  # only those read


def test_the_api_refuses_what_cannot_be_asked_of_the_corpus(client) -> None:
    response = client.get("/api/query", query_string={"q": "(//tei:p)[1]", "corpus": "1"})
    assert response.status_code == 400
    assert "whole corpus" in response.get_json()["error"]["message"]


def test_the_console_asks_a_corpus_query_once(client) -> None:
    page = client.get("/query", query_string={"q": "count(//tei:persName)", "corpus": "1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="corpus" value="1" checked' in html
    assert "<strong>1</strong> result in" in html and "whole corpus" in html
