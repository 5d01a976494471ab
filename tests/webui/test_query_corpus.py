"""``/api/query?corpus=1``: one expression asked once of the whole corpus (issue 21)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP


def test_the_api_asks_a_corpus_query_once(client, data_dir: Path) -> None:
    refs = {str(ref) for file in sorted((data_dir / "tei").glob("*.xml"))
            for ref in etree.parse(str(file)).xpath("//tei:persName/@ref", namespaces=NSMAP)}
    expression = "count(distinct-values(//tei:persName/@ref))"
    data = client.get("/api/query", query_string={"q": expression, "corpus": "1"}).get_json()
    assert data["corpus"] is True and data["error"] is None
    assert [(hit["value"], hit["doc"], hit["url"]) for hit in data["hits"]] == [
        (str(len(refs)), "", None)]
    per_document = client.get("/api/query", query_string={"q": expression}).get_json()
    assert per_document["count"] == data["documents"] > 1


def test_the_api_refuses_what_cannot_be_asked_of_the_corpus(client) -> None:
    response = client.get("/api/query", query_string={"q": "(//tei:p)[1]", "corpus": "1"})
    assert response.status_code == 400
    assert "whole corpus" in response.get_json()["error"]["message"]
