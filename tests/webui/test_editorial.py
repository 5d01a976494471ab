"""The editorial layer of the reading view: notes, choices, apparatus, layout elements."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tei.namespaces import TEI_NS
from tei.parse import parse_bytes
from webui.render import render_text


def render(body: str) -> str:
    xml = f'<TEI xmlns="{TEI_NS}"><teiHeader/><text><body>{body}</body></text></TEI>'
    return str(render_text(parse_bytes(xml.encode()), "doc1", frozenset()).html)


def test_notes_are_numbered_below_the_text_with_links_both_ways() -> None:
    html = render('<p>First<note xml:id="n1">One <hi rend="italic">note</hi>.</note> and'
                  ' second<note>Two<note>nested</note>.</note> end.</p>')
    text, _, notes = html.partition('<section class="notes"')
    # the text carries only the marks, numbered, linking to the notes
    assert "One" not in text and "Two" not in text and "nested" not in text
    assert re.findall(r'<a id="ui-noteref-(\d)" href="#ui-note-(\d)"', text) == [
        ("1", "1"), ("2", "2")]
    assert "First<sup" in text and "</sup> and second<sup" in text and "</sup> end.</p>" in text
    # the notes keep every word and their passage ids, and link back
    assert notes.count("<li id=") == 3
    assert ('<li id="ui-note-1" value="1"><a class="noteback" href="#ui-noteref-1"' in notes)
    assert '<div data-tei="note" id="n1" class="note">' in notes
    assert "One <em" in notes and "Two" in notes and "nested" in notes
    assert 'href="#ui-noteref-3"' in notes and 'id="ui-noteref-3"' in notes
    assert notes.index('id="ui-note-1"') < notes.index('id="ui-note-2"') < notes.index(
        'id="ui-note-3"')


def test_an_inline_note_stays_in_the_text_and_no_link_nests() -> None:
    html = render('<p>a<note place="inline">here</note><ref target="https://x.org/">b'
                  '<note n="*">in a link</note></ref></p>')
    assert '<span data-tei="note" class="note">here</span>' in html
    assert '<sup class="noteref" id="ui-noteref-1">*</sup></a>' in html
    assert "in a link" in html.partition('<section class="notes"')[2]


def test_a_text_without_notes_has_no_notes_section() -> None:
    assert "notes" not in render("<p>plain</p>")


def test_choice_pairs_keep_both_readings_the_source_one_hidden_until_asked() -> None:
    for diplomatic, normalised in (("sic", "corr"), ("orig", "reg"), ("abbr", "expan")):
        html = render(f"<p>It <choice><{normalised}>stayed</{normalised}><{diplomatic}>staid"
                      f"</{diplomatic}></choice>.</p>")
        assert ('<span data-tei="choice" class="choice pair" tabindex="0"' in html), diplomatic
        assert f'<span class="norm"><span data-tei="{normalised}"' in html
        assert re.search(f'<span class="dipl"><(span|abbr) data-tei="{diplomatic}"', html)
        assert "stayed" in html and "staid" in html
    # a choice of two unclear readings is not a pair: both show
    html = render("<p><choice><unclear>a</unclear><unclear>o</unclear></choice></p>")
    assert 'class="choice"><span class="reading">' in html and "tabindex" not in html


def test_the_diplomatic_switch_is_offered_where_a_document_has_pairs(client: FlaskClient
                                                                     ) -> None:
    early = client.get("/documents/b00042").get_data(as_text=True)  # orig/reg, abbr/expan
    assert '<input type="checkbox" id="ui-diplomatic">' in early
    assert '<span class="dipl"><span data-tei="orig" class="orig">riuer</span></span>' in early
    plain = client.get("/documents/stage000001").get_data(as_text=True)
    assert "ui-diplomatic" not in plain


def test_the_critical_text_shows_the_lemma_the_readings_go_to_the_apparatus() -> None:
    html = render('<l>Ho <app xml:id="a1"><lem wit="#A">φύλακας</lem><rdg wit="#B #C">φύλακα'
                  '</rdg><rdg wit="#D"/></app> and <app><rdg wit="#A">x</rdg><rdg wit="#B">y'
                  '</rdg></app>.</l>')
    text, _, apparatus = html.partition('<section class="apparatus"')
    # the text: the lemma only, then a numbered mark linking to the apparatus
    assert ('Ho <span data-tei="app" id="a1" class="app"><span data-tei="lem" class="lem">'
            'φύλακας</span></span><sup class="appref"><a id="ui-appref-1" href="#ui-app-1"'
            in text)
    assert "φύλακα<" not in text.replace("φύλακας", "") and ">y<" not in text
    # without a lemma the first reading stands in the text
    assert '<span data-tei="rdg" class="rdg">x</span></span><sup class="appref">' in text
    # the apparatus: lemma], its witnesses, each reading with its witnesses, omissions; linked
    assert ('<li id="ui-app-1" value="1"><a class="appback" href="#ui-appref-1"' in apparatus)
    assert ('<span class="lemma">φύλακας]</span> <span class="wit">A</span> <span data-tei="rdg"'
            ' class="rdg">φύλακα</span> <span class="wit">B C</span> ' in apparatus)
    assert '<i class="om">om.</i></span> <span class="wit">D</span>' in apparatus
    assert '<li id="ui-app-2" value="2">' in apparatus and ">y</span>" in apparatus


def test_space_page_break_figure_verse_numbers_and_address_lines() -> None:
    html = render('<p>Sie<space quantity="2" unit="chars"/>sehen<pb n="17"/> weiter<pb/>.</p>'
                  '<figure><graphic url="img/plate1.jpg"/><figDesc>A ferry at dusk</figDesc>'
                  '</figure><figure><graphic url="https://x.org/p2.png"/></figure>'
                  '<lg>' + "".join(f'<l n="{n}">line {n}</l>' for n in range(1, 11)) + '</lg>'
                  '<closer><address><addrLine>12 High Street</addrLine><addrLine>Oxford'
                  '</addrLine></address></closer>')
    assert 'Sie<span data-tei="space" class="space"> </span>sehen' in html
    assert '<span data-tei="pb" class="pb" title="page 17" data-n="17"></span> weiter' in html
    assert '<span data-tei="pb" class="pb" title="page break"></span>.' in html
    assert "[page]" not in html and "[graphic]" not in html and "tei-omitted" not in html
    assert ('<span data-tei="graphic" class="graphic" role="img" aria-label="Figure: A ferry at'
            ' dusk"></span><figcaption data-tei="figDesc" id="body.figure1.figDesc">' in html)
    assert 'aria-label="Figure: p2.png"' in html
    numbered = re.findall(r'<div data-tei="l" id="[^"]+" class="l" data-line="(\d+)">', html)
    assert numbered == ["5", "10"] and html.count('data-tei="l"') == 10
    assert ('<div data-tei="address" class="address"><div data-tei="addrLine" class="addr-line">'
            '12 High Street</div><div data-tei="addrLine" class="addr-line">Oxford</div></div>'
            in html)


REGISTER = """<div><listPerson><head>Persons</head>
  <person xml:id="Byron"><persName>Lord Byron</persName><persName>Byron</persName>
    <birth when="1788-01-22"/><death when="1824-04-19"/>
    <idno type="viaf">https://viaf.org/viaf/95230730</idno><idno type="gnd"/>
    <note>Poet.</note></person>
  <listPerson><person xml:id="Henry"><persName>Henry Marsh</persName></person></listPerson>
</listPerson>
<listPlace><place xml:id="Bath"><placeName>Bath</placeName><location><geo>51.381 -2.359</geo>
  </location></place></listPlace>
<p>See <ref target="https://viaf.org/viaf/1"/> and <ptr target="https://x.org/a"/>.</p></div>"""


def test_a_person_and_place_list_in_the_text_is_a_register_table() -> None:
    html = render(REGISTER)
    assert ('<table data-tei="listPerson" class="register"><caption><span data-tei="head"'
            in html)
    assert ('<tr data-tei="person" id="Byron" class="entry"><th scope="row"><span '
            'data-tei="persName" id="Byron.persName1" class="m m-person">Lord Byron</span><br>'
            '<span data-tei="persName" id="Byron.persName2" class="m m-person">Byron</span></th>'
            '<td>' in html)
    assert '<span data-tei="birth" class="birth">* 1788-01-22</span>' in html
    assert '<span data-tei="death" class="death">† 1824-04-19</span>' in html
    assert ('<a data-tei="idno" id="Byron.idno1" class="idno external" '
            'href="https://viaf.org/viaf/95230730" '
            'rel="noopener noreferrer nofollow">https://viaf.org/viaf/95230730</a>' in html)
    assert ('<div data-tei="note" id="Byron.note" class="entry-note">' in html  # in its row
            and 'note</a>Poet.</div> </td></tr>' in html)
    assert 'class="notes"' not in html
    assert '<tr><td colspan="2"><table data-tei="listPerson"' in html  # a nested list
    assert '<tr data-tei="place" id="Bath" class="entry"><th scope="row">' in html
    # no empty links: an empty idno or ref links nowhere; a ptr is named by its URL
    assert not re.search(r"<a [^>]*></a>", html)
    assert '<span data-tei="idno" class="idno" data-type="gnd"></span>' in html
    assert ('<span data-tei="ref" class="ref" title="https://viaf.org/viaf/1"></span>' in html)
    assert '>https://x.org/a</a>' in html


def test_a_register_names_link_to_the_registry() -> None:
    xml = (f'<TEI xmlns="{TEI_NS}"><teiHeader/><text><body>{REGISTER}</body></text></TEI>')
    html = str(render_text(parse_bytes(xml.encode()), "doc1", frozenset({"Byron"})).html)
    assert ('<th scope="row"><a href="/entities/Byron" data-entity="Byron"><span '
            'data-tei="persName"' in html)
