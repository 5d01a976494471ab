"""The behaviours table: TEI in, HTML out, every element kept as data-tei markup."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from tei.namespaces import TEI_NS, TEI_TEXT
from tei.parse import parse_bytes, parse_tei
from webui.render import date_value, render_text, safe_href

#: Five TEI documents of our own, each in the manner of another kind of project.
FOREIGN = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "foreign").glob("*.xml"))
#: The five shared samples (``tei-samples/``), real TEI from other projects.
SAMPLES = ["digitalmitford__1819-01-10-MaryWebb.xml", "eebo-tcp__A00002.xml",
           "eltec-eng__ENG19020_Nesbit.xml", "historyatstate__buildings.xml",
           "shakedracor__macbeth.xml"]


def render(body: str, entities: frozenset[str] = frozenset({"leon-trotsky"})) -> str:
    xml = (f'<TEI xmlns="{TEI_NS}"><teiHeader/><text><body>{body}</body></text></TEI>')
    return str(render_text(parse_bytes(xml.encode()), "doc1", entities).html)


@pytest.mark.parametrize(("body", "html"), [
    ('<p xml:id="p1">Plain text.</p>',
     '<div data-tei="text" class="text"><div data-tei="body" class="body">'
     '<p data-tei="p" id="p1"><a class="cite" href="/documents/doc1#p1" aria-label="Link to p1">'
     'p1</a>Plain text.</p></div></div>'),
])
def test_whole_document_shape(body: str, html: str) -> None:
    assert render(body) == html


def CITE(address: str, label: str) -> str:  # noqa: N802 (reads as a constant in the table)
    """The visible citation anchor of a passage without xml:id (its id is its address)."""
    return (f'<a class="cite" href="/documents/doc1#{address}" aria-label="Link to {address}">'
            f"{label}</a>")


@pytest.mark.parametrize(("body", "fragment"), [
    # headings take their level from div nesting
    ("<div><head>One</head><div><head>Two</head></div></div>",
     '<h2 data-tei="head" id="body.div.head">' + CITE("body.div.head", "head") + 'One</h2>'
     '<section data-tei="div" class="div"><h3 data-tei="head" id="body.div.div.head">'),
    # emphasis by @rend
    ('<p><hi rend="italic">it</hi><hi rend="bold">bo</hi><hi rend="smallcaps">sc</hi></p>',
     '<em data-tei="hi">it</em><strong data-tei="hi">bo</strong>'
     '<span data-tei="hi" class="hi smallcaps">sc</span>'),
    # a list of glosses is a definition list
    ('<list type="gloss"><label>Leader</label><item>Trotsky</item></list>',
     '<dl data-tei="list" class="gloss"><dt data-tei="label" id="body.list.label">'
     + CITE("body.list.label", "label") + 'Leader</dt><dd data-tei="item" id="body.list.item">'
     + CITE("body.list.item", "item") + 'Trotsky</dd></dl>'),
    ("<list><item>a</item></list>",
     '<ul data-tei="list"><li data-tei="item" id="body.list.item">'
     + CITE("body.list.item", "item") + 'a</li></ul>'),
    # a list's head: a list item (a ul holds only items), the heading inside it
    ("<div><list><head>Sources</head><item>a</item></list></div>",
     '<ul data-tei="list"><li class="list-head"><h2 data-tei="head" id="body.div.list.head">'
     + CITE("body.div.list.head", "head") + 'Sources</h2></li>'),
    # xml:lang as a valid BCP 47 tag: an ISO 639-2 code as ISO 639-1, garbage dropped
    ('<p xml:lang="lat">a<foreign xml:lang="x!">b</foreign></p>',
     '<p data-tei="p" id="body.p" lang="la">' + CITE("body.p", "p")
     + 'a<i data-tei="foreign" class="foreign">b</i></p>'),
    ("<div><quote>Block</quote><p>An <quote>inline</quote> one</p></div>",
     '<blockquote data-tei="quote" id="body.div.quote">' + CITE("body.div.quote", "quote")
     + 'Block</blockquote><p data-tei="p" id="body.div.p">' + CITE("body.div.p", "p")
     + 'An <q data-tei="quote">inline</q> one</p>'),
    ('<div><listBibl><bibl xml:id="b1">Book</bibl></listBibl></div>',
     '<section data-tei="listBibl" class="bibls"><ol class="bibls"><li data-tei="bibl" id="b1"'
     ' class="bibl"><a class="cite" href="/documents/doc1#b1" aria-label="Link to b1">b1</a>'
     'Book</li></ol></section>'),
    ("<p>a<lb/>b</p>", '<p data-tei="p" id="body.p">' + CITE("body.p", "p")
     + 'a<br data-tei="lb">b</p>'),
    # an unknown element keeps its text and says what it was
    ("<p>x <fooBar>kept</fooBar> y</p>",
     'x <span data-tei="fooBar" class="tei-unknown">kept</span> y</p>'),
    # a block behaviour inside a paragraph becomes a span that CSS shows as a block
    ("<p>see <list><item>a</item></list></p>",
     '<span data-tei="list" class="blk"><span data-tei="item" class="blk">a</span></span>'),
    # names: linked when the registry knows them, typed, marked when uncertain
    ('<p><persName ref="#leon-trotsky">Trotsky</persName></p>',
     '<a data-tei="persName" class="m m-person" href="/entities/leon-trotsky"'
     ' data-entity="leon-trotsky">Trotsky</a>'),
    ('<p><persName ref="#nobody" cert="medium" resp="#archive-ner">Serge</persName></p>',
     '<span data-tei="persName" class="m m-person uncertain cert-medium"'
     ' title="machine-tagged, certainty medium">Serge</span>'),
    ('<p><placeName>Moscow</placeName><orgName>Comintern</orgName></p>',
     '<span data-tei="placeName" class="m m-place">Moscow</span>'
     '<span data-tei="orgName" class="m m-org">Comintern</span>'),
    ('<p><date when="1923-10-15">15 October 1923</date></p>',
     '<span data-tei="date" class="m m-date" data-when="1923-10-15" tabindex="0"'
     ' aria-describedby="ui-date-1">15 October 1923'
     '<small class="date-value" id="ui-date-1">1923-10-15</small></span>'),
    # in a link: the link takes the focus, the date no tab stop of its own
    ('<p><ref target="https://x.org/"><date when="1923-01">January 1923</date></ref></p>',
     '<a data-tei="ref" class="external" href="https://x.org/" rel="noopener noreferrer nofollow">'
     '<span data-tei="date" class="m m-date" data-when="1923-01" aria-describedby="ui-date-1">'
     'January 1923<small class="date-value" id="ui-date-1">1923-01</small></span></a>'),
    # a value that says no more than the words is not repeated
    ('<p><date when="1923">1923</date></p>',
     '<span data-tei="date" class="m m-date" data-when="1923">1923</span>'),
    # no link inside a link
    ('<p><ref target="https://x.org/"><persName ref="#leon-trotsky">T</persName></ref></p>',
     '<a data-tei="ref" class="external" href="https://x.org/" rel="noopener noreferrer nofollow">'
     '<span data-tei="persName" class="m m-person">T</span></a>'),
    ('<p><ref target="javascript:alert(1)">x</ref></p>',
     '<span data-tei="ref" class="ref" title="javascript:alert(1)">x</span>'),
    ('<p><choice><sic>teh</sic><corr>the</corr></choice></p>',
     '<span data-tei="choice" class="choice pair" tabindex="0" role="button" title="Select to see'
     ' the other reading"><span class="dipl"><span data-tei="sic" class="sic">'
     'teh</span></span><span class="norm"><span data-tei="corr" class="corr">the</span>'
     "</span></span>"),
    ('<p>a<pb n="12"/>b<gap reason="illegible"/></p>',
     'a<span data-tei="pb" class="pb" title="page 12" data-n="12"></span>b'
     '<span data-tei="gap" class="gap" title="illegible">[…]</span></p>'),
])
def test_behaviours(body: str, fragment: str) -> None:
    assert fragment in render(body)


def test_text_and_attributes_are_escaped() -> None:
    html = render('<p>&lt;script&gt;alert(1)&lt;/script&gt; <ref target=\'x" onmouseover="y\'>'
                  '"onmouseover=x</ref><hi rend=\'a" onclick="b\'>h</hi></p>')
    assert html == (
        '<div data-tei="text" class="text"><div data-tei="body" class="body">'
        '<p data-tei="p" id="body.p">' + CITE("body.p", "p")
        + "&lt;script&gt;alert(1)&lt;/script&gt; "
        '<span data-tei="ref" class="ref" title="x&#34; onmouseover=&#34;y">&#34;onmouseover=x'
        '</span><span data-tei="hi" class="hi a--onclick--b">h</span></p></div></div>')


@pytest.mark.parametrize(("target", "href"), [
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    ("http://example.org/", "http://example.org/"),
    ("mailto:someone@example.org", "mailto:someone@example.org"),
    ("#p12", "#p12"),
    ("javascript:alert(1)", None),
    (" JavaScript:alert(1)", None),
    ("java\nscript:alert(1)", None),
    ("data:text/html,<script>", None),
    ("vbscript:x", None),
    ("relative/path.html", None),
    ("", None),
])
def test_safe_href(target: str, href: str | None) -> None:
    assert safe_href(target) == href


@pytest.mark.parametrize(("attributes", "value"), [
    ({"when": "1923-10-15"}, "1923-10-15"),
    ({"from": "1923", "to": "1927"}, "1923 – 1927"),
    ({"notBefore": "1924-09", "notAfter": "1924-12"}, "1924-09 – 1924-12"),
    ({"notBefore": "1924-09"}, "not before 1924-09"),
    ({"to": "1927"}, "to 1927"),
    ({}, None),
])
def test_date_value(attributes: dict[str, str], value: str | None) -> None:
    assert date_value(etree.Element(f"{{{TEI_NS}}}date", attributes)) == value


def moves_below(element: etree._Element) -> bool:
    """Whether the reading view puts ``element`` under the text: a note not placed inline, an
    apparatus's readings but the lemma (else the first reading), its notes (not a register's)."""
    if not isinstance(element.tag, str):
        return False
    name = etree.QName(element).localname
    app = next((a for a in element.iterancestors(f"{{{TEI_NS}}}app")), None)
    if name == "note":
        parent = element.getparent()
        in_register = parent is not None and etree.QName(parent).localname in (
            "person", "personGrp", "place", "org")  # a register's notes stay in their rows
        return (element.get("place") != "inline" and not in_register) or parent is app
    if name == "rdg" and app is not None:
        return app.find(f".//{{{TEI_NS}}}lem") is not None or element is not next(
            app.iter(f"{{{TEI_NS}}}rdg"))
    return False


def drop(element: etree._Element) -> None:
    """Take ``element`` out of its tree, keeping its tail text in place."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def renders_every_element(path: Path) -> None:
    # CETEIcean's round trip: each TEI element of <text> is still there as data-tei markup
    tree = parse_tei(path)
    rendered = render_text(tree, path.stem, frozenset())
    html = etree.HTML(f"<html><body>{rendered.html}</body></html>")
    found = {element.get("data-tei") for element in html.iter() if element.get("data-tei")}
    expected = {etree.QName(element).localname for text in tree.getroot().iter(TEI_TEXT)
                for element in text.iter() if isinstance(element.tag, str)}
    assert expected <= found
    # and no word is lost: the text in order (marks may stand between), the notes' words and
    # the apparatus's readings under it
    outer = copy.deepcopy(next(tree.getroot().iter(TEI_TEXT)))  # nested <text>s are inside
    moved = [element for element in outer.iter() if moves_below(element)]
    below_words = Counter(letter for element in moved for letter in "".join(element.itertext())
                          if not letter.isspace())
    for element in moved:
        drop(element)
    sections = html.xpath("//section[@class='notes' or @class='apparatus']")
    below = Counter(letter for section in sections for letter in "".join(section.itertext())
                    if not letter.isspace())
    assert below_words - below == Counter()
    for mark in [*html.xpath("//sup[@class='noteref' or @class='appref']"), *sections]:
        drop(mark)
    letters = "".join("".join(outer.itertext()).split())
    page = iter("".join("".join(html.itertext()).split()))
    assert all(letter in page for letter in letters)  # in order; page marks may stand between


@pytest.mark.parametrize("path", FOREIGN, ids=lambda path: path.stem)
def test_foreign_documents_render_every_element(path: Path) -> None:
    renders_every_element(path)


@pytest.mark.parametrize("name", SAMPLES)
def test_shared_samples_render_every_element(tei_samples: Path, name: str) -> None:
    renders_every_element(tei_samples / name)


def test_drama_renders_speeches_and_verse() -> None:
    play = next(path for path in FOREIGN if path.name == "stagetexts__engine.xml")
    html = re.sub(r">\s+<", "><", str(render_text(parse_tei(play), "engine", frozenset()).html))
    speech = ('<div data-tei="sp" id="sp-0001" class="sp"><a class="cite" '
              'href="/documents/engine#sp-0001" aria-label="Link to sp-0001">sp-0001</a>'
              '<div data-tei="speaker" id="spk-0001" class="speaker">LOVELACE </div>'
              '<div data-tei="l" id="ftln-0001" class="l">What shall the engine weave when it is '
              'done? </div>')
    assert speech in html
    assert '<ul data-tei="castList" id="cast" class="cast">' in html
    # a castGroup is an item of the list, its members inside it
    assert ('<li data-tei="castGroup" class="cast-group"><div data-tei="castItem" '
            'id="cast.castGroup.castItem1" class="cast-item"><span data-tei="role" '
            'class="role">SERVANT</span>') in html
    # prose inside a speech, a stage direction inside a verse line
    assert ('<p data-tei="p" id="ftln-0005"><a class="cite" href="/documents/engine#ftln-0005" '
            'aria-label="Link to ftln-0005">ftln-0005</a>We see a card with holes in it,'
            '<br data-tei="lb">and a gentleman') in html
    # a stage direction inside a verse line stays in the line (no line break of its own)
    assert '<span data-tei="stage" id="stg-0002" class="stage">He shows a card.</span>' in html


def test_shared_drama_renders_speeches_and_verse(tei_samples: Path) -> None:
    macbeth = tei_samples / "shakedracor__macbeth.xml"
    html = str(render_text(parse_tei(macbeth), "macbeth", frozenset()).html)
    speech = ('<div data-tei="sp" id="sp-0001" class="sp"><a class="cite" '
              'href="/documents/macbeth#sp-0001" aria-label="Link to sp-0001">sp-0001</a>'
              '<div data-tei="speaker" id="spk-0001" class="speaker">FIRST WITCH </div>'
              '<div data-tei="l" id="ftln-0001" class="l">When shall we three meet again? </div>')
    assert speech in re.sub(r">\s+<", "><", html)
    assert '<ul data-tei="castList" class="cast">' in html


@pytest.mark.parametrize("text", ['<a href="x">\'&amp;\'</a>', "plain", "", "&&<<>>\"\"''"])
def test_esc_is_markupsafe_escape(text: str) -> None:
    from markupsafe import escape

    from webui.render import esc

    assert esc(text) == str(escape(text))


@pytest.mark.parametrize(("ref", "html"), [
    # the document's own list entry, registered under the document's namespace
    ("#p1", '<a data-tei="persName" class="m m-person" href="/entities/letter.p1" '
            'data-entity="letter.p1">Mary</a>'),
    # not in its lists: the archive's own registry id
    ("#leon-trotsky", '<a data-tei="persName" class="m m-person" href="/entities/leon-trotsky" '
                      'data-entity="leon-trotsky">Mary</a>'),
    # known to no one: the name stays unlinked
    ("#p2", '<span data-tei="persName" class="m m-person">Mary</span>'),
    ("https://viaf.org/viaf/1", '<span data-tei="persName" class="m m-person">Mary</span>'),
])
def test_names_resolve_through_the_documents_refs(ref: str, html: str) -> None:
    from archive.registry.refs import DocumentRefs

    entities = frozenset({"letter.p1", "leon-trotsky"})
    refs = DocumentRefs("letter", True, ("letter",), entities)
    xml = (f'<TEI xmlns="{TEI_NS}"><teiHeader/><text><body><p>'
           f'<persName ref="{ref}">Mary</persName></p></body></text></TEI>')
    rendered = str(render_text(parse_bytes(xml.encode()), "letter", entities, refs.key).html)
    assert html in rendered
