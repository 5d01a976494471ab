"""Citing documents and passages (webui/cite.py): the reading view's Highwire meta tags and
schema.org JSON-LD, its "Cite" box, and the BibTeX and CSL-JSON downloads, read back by the
programs that read them (bibtexparser; citeproc-py formatting the CSL-JSON in a real style).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from lxml import html

from webui import SECURITY_HEADERS

TITLE = "The Lamplighter's Wager & Other Matters"
PUBLISHER = "Thornbury {Press} #1 & Co. ~ 100% $5 ^ \\ the_end"
SECOND_AUTHOR = "Ó Faoláin & Sons_{100%}"


#: The CSL-JSON fields the downloads use, as the CSL input schema (csl-data.json, CSL 1.0.2)
#: defines them: an item's type among CSL's, names as family/given or literal, dates as
#: date-parts or literal, the others strings; no field outside CSL's.
CSL_NAME = {"type": "object", "additionalProperties": False,
            "properties": {"family": {"type": "string"}, "given": {"type": "string"},
                           "literal": {"type": "string"}}}
CSL_DATE = {"type": "object", "additionalProperties": False, "properties": {
    "date-parts": {"type": "array", "minItems": 1, "maxItems": 2, "items": {
        "type": "array", "minItems": 1, "maxItems": 3,
        "items": {"type": ["string", "number"]}}},
    "literal": {"type": "string"}}}
CSL_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["type", "id"], "additionalProperties": False,
    "properties": {
        "type": {"enum": ["document", "manuscript", "webpage", "article", "book", "chapter"]},
        "id": {"type": ["string", "number"]}, "title": {"type": "string"},
        "author": {"type": "array", "items": CSL_NAME}, "issued": CSL_DATE,
        "accessed": CSL_DATE, "publisher": {"type": "string"},
        "container-title": {"type": "string"}, "section": {"type": "string"},
        "language": {"type": "string"}, "URL": {"type": "string"}}}}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def cited_client(cited_data: Path) -> Any:
    from webui import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(cited_data)}).test_client()


def page(client: Any, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200
    return html.fromstring(response.get_data(as_text=True))


def metas(tree: html.HtmlElement) -> list[tuple[str, str]]:
    return [(m.get("name"), m.get("content")) for m in tree.xpath("//head/meta[@name]")
            if m.get("name").startswith("citation_")]


def json_ld(tree: html.HtmlElement) -> dict[str, Any]:
    (script,) = tree.xpath('//head/script[@type="application/ld+json"]')
    return json.loads(script.text)  # type: ignore[no-any-return]


def test_reading_view_carries_highwire_tags_and_json_ld(cited_client: Any) -> None:
    tree = page(cited_client, "/documents/wager")
    assert metas(tree) == [
        ("citation_title", TITLE), ("citation_author", "Quill, Hester"),
        ("citation_author", SECOND_AUTHOR), ("citation_publication_date", "1852/03/09"),
        ("citation_publisher", PUBLISHER),
        ("citation_public_url", "http://localhost/documents/wager"),
        ("citation_language", "en")]
    data = json_ld(tree)
    assert data["@context"] == "https://schema.org" and data["@type"] == "CreativeWork"
    assert data["name"] == TITLE and data["url"] == "http://localhost/documents/wager"
    assert [a["name"] for a in data["author"]] == ["Quill, Hester", SECOND_AUTHOR]
    assert data["publisher"] == {"@type": "Organization", "name": PUBLISHER}
    assert data["dateCreated"] == "1852-03-09" and data["inLanguage"] == "en"
    # the policy still forbids inline script: the JSON-LD is data, not script
    assert "unsafe-inline" not in SECURITY_HEADERS["Content-Security-Policy"]


def test_cite_box_formats_the_citation_with_permalink_and_access_date(cited_client: Any
                                                                      ) -> None:
    tree = page(cited_client, "/documents/wager")
    (box,) = tree.xpath('//aside[@class="legend"]//section[@class="cite-box"]')
    text = box.xpath('string(.//p[@id="ui-citation"])')
    day = today()
    assert text == (f"Quill, Hester and {SECOND_AUTHOR}. “{TITLE}.” TEI Archive, {PUBLISHER},"
                    f" 1852-03-09. http://localhost/documents/wager. Accessed"
                    f" {day.strftime('%B')} {day.day}, {day.year}.")
    assert box.xpath('.//a[@id="ui-cite-bib"]/@href') == ["/documents/wager/cite.bib"]
    assert box.xpath('.//a[@id="ui-cite-csl"]/@href') == ["/documents/wager/cite.json"]


def test_cached_pages_last_a_day_at_most(cited_data: Path) -> None:
    """The response cache keeps a page with its access date until the day changes."""
    from webui import create_app

    app = create_app({"DATA_DIR": str(cited_data)})
    client = app.test_client()
    first = client.get("/documents/wager").get_data()
    assert client.get("/documents/wager").get_data() == first  # from the cache
    assert app.extensions["response_cache"].stamp[-1] == today()
    assert f"Accessed {today().strftime('%B')} {today().day}".encode() in first


def test_passage_citation(cited_client: Any) -> None:
    tree = page(cited_client, "/documents/wager?passage=1.1.3")
    tags = dict(metas(tree))
    assert tags["citation_title"] == f"{TITLE}, passage 1.1.3"
    assert tags["citation_public_url"] == "http://localhost/documents/wager#1.1.3"
    data = json_ld(tree)
    assert data["url"] == "http://localhost/documents/wager#1.1.3"
    assert data["isPartOf"]["@id"] == "http://localhost/documents/wager"
    assert "Passage 1.1.3." in tree.xpath('string(//p[@id="ui-citation"])')
    assert tree.xpath('//a[@id="ui-cite-bib"]/@href') == [
        "/documents/wager/cite.bib?passage=1.1.3"]
    # an address the document does not have: the document's citation, the page as ever
    tree = page(cited_client, "/documents/wager?passage=9.9.9")
    assert dict(metas(tree))["citation_title"] == TITLE
    # the passage's anchor is on the page under that address
    assert tree.xpath('//*[@id="1.1.3"]')


def test_bibtex_reads_back_with_every_special_character(cited_client: Any) -> None:
    response = cited_client.get("/documents/wager/cite.bib")
    assert response.status_code == 200 and response.mimetype == "application/x-bibtex"
    assert response.headers["Content-Disposition"] == 'attachment; filename="wager.bib"'
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "misc" and entry.key == "wager"
    fields = {field.key: field.value for field in entry.fields}
    assert fields["title"] == r"{The Lamplighter's Wager \& Other Matters}"
    assert fields["author"] == r"Quill, Hester and {Ó Faoláin \& Sons\_\{100\%\}}"
    assert fields["publisher"] == (r"Thornbury \{Press\} \#1 \& Co. \textasciitilde{} 100\% \$5"
                                   r" \textasciicircum{} \textbackslash{} the\_end")
    assert fields["year"] == "1852" and fields["date"] == "1852-03-09"
    assert fields["url"] == "http://localhost/documents/wager"
    assert fields["urldate"] == today().isoformat()
    passage = bibtexparser.parse_string(cited_client.get(
        "/documents/wager/cite.bib?passage=1.1.3").get_data(as_text=True))
    (entry,) = passage.entries
    assert entry.key == "wager:1.1.3"
    assert {f.key: f.value for f in entry.fields}["url"] == \
        "http://localhost/documents/wager#1.1.3"


def test_csl_json_formats_in_a_real_style(cited_client: Any) -> None:
    response = cited_client.get("/documents/wager/cite.json?passage=1.1.3")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    items = json.loads(response.get_data())
    jsonschema.validate(items, CSL_SCHEMA)
    (item,) = items
    assert item["type"] == "document" and item["title"] == TITLE
    assert item["author"] == [{"family": "Quill", "given": "Hester"},
                              {"literal": SECOND_AUTHOR}]
    assert item["issued"] == {"date-parts": [[1852, 3, 9]]}
    assert item["URL"] == "http://localhost/documents/wager#1.1.3"
    assert item["section"] == "Passage 1.1.3"
    day = today()
    assert item["accessed"] == {"date-parts": [[day.year, day.month, day.day]]}
    # citeproc-py: the items as a CSL processor reads them, formatted in the bundled style
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    (entry,) = [str(text) for text in bibliography.bibliography()]
    assert "Quill" in entry and "1852" in entry and TITLE in entry
    assert "http://localhost/documents/wager#1.1.3" in entry


def test_unknown_document_or_passage_is_404(cited_client: Any) -> None:
    assert cited_client.get("/documents/wager/cite.json?passage=1.1.3").status_code == 200
    for url in ("/documents/nothing/cite.bib", "/documents/nothing/cite.json",
                "/documents/wager/cite.bib?passage=9.9.9",
                "/documents/wager/cite.json?passage=%3Cscript%3E"):
        response = cited_client.get(url)
        assert response.status_code == 404
        assert "Traceback" not in response.get_data(as_text=True)


def test_hostile_title_stays_data(client: Any) -> None:
    """A title with markup and script: the meta tags escape it, the JSON-LD cannot be closed
    by it and reads back as the same title."""
    response = client.get("/documents/evil")
    body = response.get_data(as_text=True)
    head = body.split("</head>")[0]
    assert head.count("<script") == 2  # viewer.js and the JSON-LD, nothing from the title
    tree = html.fromstring(body)
    assert dict(metas(tree))["citation_title"] == '<script>alert("title")</script>'
    assert json_ld(tree)["name"] == '<script>alert("title")</script>'
