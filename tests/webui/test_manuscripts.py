"""Manuscript descriptions, genetic transcripts, bibliographies, facsimiles and line numbers in
the reading view, on the documents of ``tests/fixtures/reading`` (written for these tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from archive.config import Settings
from archive.interchange.importer import import_files
from tei.namespaces import TEI_NS
from tei.parse import parse_bytes, parse_tei
from webui import create_app
from webui.render import render_text

READING = Path(__file__).resolve().parents[1] / "fixtures" / "reading"


def rendered(name: str, images: bool = False) -> str:
    tree = parse_tei(READING / name)
    return str(render_text(tree, "doc1", frozenset(), images=images).html)


def body(xml: str) -> str:
    text = f'<TEI xmlns="{TEI_NS}"><teiHeader/><text><body>{xml}</body></text></TEI>'
    return str(render_text(parse_bytes(text.encode()), "doc1", frozenset()).html)


def words(html: str) -> str:
    """The page's words (tags out, white space collapsed)."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def test_a_manuscript_description_alone_is_a_catalogue_record() -> None:
    html = rendered("msdesc.xml")
    # the record is the page: the empty text after it hidden (its passage's anchor kept)
    assert html.startswith('<section data-tei="msDesc" id="lyell99" lang="en" class="ms-desc '
                           'msDesc">')
    assert html.endswith('<div class="blank" hidden><div data-tei="text" class="text"><div '
                         'data-tei="body" class="body"><p data-tei="p" id="body.p">'
                         '<a class="cite" href="/documents/doc1#body.p" aria-label="Link to '
                         'body.p">p</a></p></div></div></div>')
    # the identifier is the heading: settlement, repository, collection, shelfmark
    heading = re.search(r'<h2 data-tei="msIdentifier"[^>]*>(.*?)</h2>', html)
    assert heading is not None
    assert words(heading[1]) == "Manuscript Oxford, Test Library, Lyell, MS. Lyell 99"
    assert '<p class="ms-more">' in html  # the rest below it
    assert words(html).count("United Kingdom · 31234") == 1
    # sections with headings, in the source's order
    assert re.findall(r'<h3 class="ms-section-head">([^<]+)</h3>', html) == [
        "Contents", "Physical description", "History", "Additional information"]
    assert '<h4 class="ms-section-head">Contents</h4>' in html  # of the part, one level down
    # labelled fields
    fields: dict[str, str] = {}  # each label's first field
    for label, value in re.findall(r'<span class="field-label">([^<]+)</span> <div class='
                                   r'"field-value">(.*?)</div></div>', html):
        fields.setdefault(label, value)
    for label, value in (("Summary", "A book of hours, with a calendar."), ("Language", "Latin"),
                         ("Author", "Anonymous"), ("Title", "Calendar"),
                         ("Incipit", "Ianuarius habet dies xxxi"), ("Explicit", "et luna xxix"),
                         ("Support", "parchment"), ("Acquisition", "Bequeathed in 1948."),
                         ("Note", "Use of Sarum.")):
        assert words(fields[label]) == value, label
    assert "Extent</span>" in html and "160 × 110 mm" in words(html)
    for label in ("Layout", "Hands", "Decoration", "Binding", "Provenance"):
        assert f'<span class="field-label">{label}</span>' in html
    assert "third quarter of the 15th century; England" in words(html)
    assert 'title="1450 – 1475"' in html  # origDate's normalised value
    # its bibliography is a register, its part a record of its own with its own heading
    assert "N. R. Ker, Medieval Manuscripts, Oxford, 1969" in words(html)
    assert re.search(r'<h3 data-tei="msIdentifier"[^>]*><span class="ms-kind">Part</span> '
                     r'<span data-tei="altIdentifier"', html)
    assert "tei-unknown" not in html and "notes" not in html  # every element known, notes kept


def test_a_header_manuscript_description_stands_above_the_text() -> None:
    html = rendered("genetic.xml")
    assert html.index('class="ms-desc') < html.index('data-tei="sourceDoc"')
    assert "Manuscript Weimar, Test Archive, GSA 25/W 1" in words(html)
    # a text with words is kept below the record
    xml = (f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><sourceDesc><msDesc><msIdentifier>'
           "<idno>MS 1</idno></msIdentifier></msDesc></sourceDesc></fileDesc></teiHeader>"
           "<text><body><p>Words.</p></body></text></TEI>")
    html = str(render_text(parse_bytes(xml.encode()), "d", frozenset()).html)
    assert html.index("Manuscript") < html.index("Words.")


def test_a_genetic_transcript_is_surfaces_of_zones_of_numbered_lines() -> None:
    html = rendered("genetic.xml")
    surfaces = re.findall(r'<h2 class="surface-label">(Surface [^<]+?)(?:<a|</h2>)', html)
    assert surfaces == ["Surface 1r", "Surface 1v"]
    assert ('<span class="zone-label">main</span>' in html
            and '<span class="zone-label">left margin</span>' in html)
    lines = re.findall(r'<div data-tei="line" id="[^"]+" class="line"( data-line="\d+")?>', html)
    assert len(lines) == 11  # one line per written line
    # every fifth line numbered: by place on a surface, or by @n
    assert [n for n in lines if n] == [' data-line="5"', ' data-line="10"']
    assert ('the <del data-tei="del">accomplishment</del><ins data-tei="add" class="add above" '
            'title="added above">completion</ins> of my toils.' in html)
    assert '<span data-tei="mod" class="mod"><del data-tei="del">agony</del>' in html
    assert '<span data-tei="retrace" class="retrace">instruments</span>' in html
    assert '<span data-tei="metamark" class="metamark" title="metamark: insertion"></span>' in html
    # the surface's image is its facsimile, linked from its heading
    assert ('Surface 1r<a class="facs" href="https://images.example.org/notebook/1r.jpg"'
            in html)
    assert "Figure" not in html


def test_a_bibliography_is_a_numbered_register_of_punctuated_references() -> None:
    html = rendered("bibliography.xml")
    assert '<section data-tei="listBibl" class="bibls"><h3 data-tei="head"' in html
    entries = re.findall(r'<li data-tei="(?:bibl|biblStruct)"[^>]*>(.*?)</li>', html)
    assert [words(re.sub(r'<a class="cite".*?</a>', "", e)) for e in entries] == [
        "Mary Shelley, Frankenstein, London, Lackington, 1818, https://example.org/frankenstein",
        "Robinson, Charles E., ed. The Frankenstein Notebooks. New York: Garland, 1996.",
        "George Levine, Frankenstein and the Tradition of Realism. Novel, 1973, 14–30. "
        "doi:10.2307/1344954",
        "A bad link, click"]
    assert '<ol class="bibls">' in html
    assert '<q data-tei="title" class="title-a">Frankenstein and' in html  # an article: quoted
    assert 'href="https://doi.org/10.2307/1344954"' in html
    assert 'href="https://example.org/frankenstein"' in html
    assert "javascript" not in html.replace('title="javascript:alert(1)"', "")


def test_page_breaks_link_to_their_facsimiles_and_show_them_only_when_asked() -> None:
    html = rendered("pages.xml")
    links = re.findall(r'<a class="facs" href="([^"]+)" target="_blank"', html)
    # a URL, and #f2 resolved through <facsimile>; a relative path and javascript: link nowhere
    assert links == ["https://images.example.org/book/p1.png",
                     "https://images.example.org/book/p2.png"]
    assert "<img" not in html and "javascript" not in html and "scans/p3.jpg" not in html
    assert 'aria-label="Facsimile of page 1 (opens in a new tab)"' in html
    shown = render_text(parse_tei(READING / "pages.xml"), "d", frozenset(), images=True)
    assert shown.facsimiles == 2 and shown.image_origins == ("https://images.example.org",)
    assert str(shown.html).count('<img src="https://images.example.org/book/p') == 2


@pytest.mark.parametrize("url, origin", [
    ("https://images.example.org/a.png", "https://images.example.org"),
    ("http://127.0.0.1:8123/a.png", "http://127.0.0.1:8123"),
    ("https://user@Images.Example.org:8443/a.png", "https://images.example.org:8443"),
    ("https://[::1]/a.png", None), ("https://exa'mple.org/a.png", None),
])
def test_an_image_is_shown_only_from_an_origin_the_policy_can_name(url: str,
                                                                  origin: str | None) -> None:
    from webui.render import image_origin

    assert image_origin(url) == origin


def test_line_numbers_every_fifth_line_in_prose_and_in_speeches() -> None:
    html = rendered("pages.xml")
    # a line beginning a paragraph is no empty line; lb n=5 numbers its line
    assert re.search(r'<p data-tei="p"[^>]*>(<a class="cite"[^>]*>[^<]*</a>)?<span data-tei='
                     r'"lb" class="lb"></span>The first line', html)
    assert re.findall(r'<span class="lb-n" data-line="(\d+)"></span>([^<,]+)', html) == [
        ("5", "and the fifth line of prose")]
    # a speech's lines numbered by the last number of act.scene.line
    assert re.findall(r'<div data-tei="l"[^>]*data-line="(\d+)">([^<]+)', html) == [
        ("5", "How weary, stale, flat and unprofitable"),
        ("6175", "Im dichten, bunten Hofgedränge")]
    assert body('<p>a<lb n="10"/>b<lb n="11"/>c</p>').count('class="lb-n"') == 1


@pytest.fixture(scope="module")
def reading_app(tmp_path_factory: pytest.TempPathFactory):
    """A viewer of an archive holding only the reading fixtures, imported."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("reading") / "data")
    import_files(settings, sorted(READING.glob("*.xml")))
    return create_app({"TESTING": True, "DATA_DIR": str(settings.data_dir)})


def test_the_reader_switches_facsimile_images_on_and_the_policy_allows_only_then(
        reading_app) -> None:
    client: FlaskClient = reading_app.test_client()
    plain = client.get("/documents/pages-and-lines")
    page = plain.get_data(as_text=True)
    assert "<img" not in page and "Show facsimile images" in page
    assert 'href="/documents/pages-and-lines?facsimiles=show"' in page
    assert "img-src 'self' data:;" in plain.headers["Content-Security-Policy"]
    shown = client.get("/documents/pages-and-lines?facsimiles=show")
    page = shown.get_data(as_text=True)
    assert page.count("<img src=") == 2 and "Hide facsimile images" in page
    policy = shown.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://images.example.org;" in policy
    assert policy.startswith("default-src 'self'; script-src 'self'")
    # asked again (from the response cache) and without the switch: as before
    assert client.get("/documents/pages-and-lines?facsimiles=show").headers[
        "Content-Security-Policy"] == policy
    assert "images.example.org" not in client.get("/documents/pages-and-lines").headers[
        "Content-Security-Policy"]
    # a document without facsimiles offers no switch
    assert "facsimile" not in client.get("/documents/works-cited").get_data(as_text=True)


def test_a_facsimile_named_relative_to_an_xml_base_links_to_the_whole_url() -> None:
    xml = (f'<TEI xmlns="{TEI_NS}"><teiHeader/><facsimile xml:base="https://iiif.example.org/b/">'
           '<surface xml:id="s1"><graphic url="p1.jpg"/></surface></facsimile>'
           '<text xml:base="https://img.example.org/scans/"><body><pb n="1" facs="#s1"/><p>a</p>'
           '<pb n="2" facs="p2.jpg"/><p>b</p></body></text></TEI>')
    html = str(render_text(parse_bytes(xml.encode()), "d", frozenset()).html)
    assert re.findall(r'class="facs" href="([^"]+)"', html) == [
        "https://iiif.example.org/b/p1.jpg", "https://img.example.org/scans/p2.jpg"]
