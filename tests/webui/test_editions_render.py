"""What real editions showed wrong in the reading view (DraCor plays, the Schnitzler letters, a
Propertius critical edition), each on a fixture written in their shape (tests/fixtures/reading);
the browser tests (tests/browser/test_editions.py) look at the same documents laid out."""

from __future__ import annotations

import re
from pathlib import Path

from tei.parse import parse_bytes
from webui.render import render_text

READING = Path(__file__).resolve().parents[1] / "fixtures" / "reading"


def rendered(name: str) -> str:
    tree = parse_bytes((READING / name).read_bytes(), name)
    return str(render_text(tree, name, frozenset()).html)


def test_a_stage_direction_or_salute_inside_running_text_stays_in_the_line() -> None:
    play = rendered("play.xml")
    # inside a verse line and inside a speech's prose: a phrase, no block of its own
    assert re.search(r'Gräfin! <span data-tei="stage" [^>]*class="stage">Er verbeugt sich.'
                     r'</span> So früh', play)
    assert re.search(r'Stadt! <span data-tei="stage" [^>]*class="stage">Er reicht', play)
    # between speeches, or a speech's first words: a line of its own
    assert re.search(r'<div data-tei="stage" [^>]*class="stage">Orsina. Valer, am Ufer.', play)
    assert re.search(r'<div data-tei="stage" [^>]*class="stage">liest.</div>', play)
    letter = rendered("letter.xml")
    assert re.search(r'Thank you, <span data-tei="salute" [^>]*class="salute">my good friend,'
                     r'</span> for', letter)
    assert re.search(r'<div data-tei="salute" [^>]*class="salute">Dear Bruno,</div>', letter)


def test_a_cast_lists_heading_is_an_item_of_the_list() -> None:
    assert re.search(r'<ul data-tei="castList" [^>]*class="cast">\s*<li class="list-head">'
                     r'<span data-tei="head" ', rendered("play.xml"))


def test_apparatus_entries_name_conjectures_and_cite_the_lemma_as_the_text_has_it() -> None:
    html = rendered("apparatus.xml")
    apparatus = html.partition('<section class="apparatus"')[2]
    entries = re.findall(r'<li id="ui-app-\d+".*?</li>', apparatus)
    assert len(entries) == 9

    def words(entry: str) -> str:
        entry = re.sub(r'<a class="cite".*?</a>', "", entry)  # a note's citation anchor
        return " ".join(re.sub(r"<[^>]+>", " ", entry).split())

    # a reading's @source (an editor's conjecture) named like a witness
    assert words(entries[2]) == "3 quanto] quanta Marklandus"
    # a lemma of two lines holding an apparatus of its own: first … last word of the text,
    # not every reading of the inner apparatus run together
    assert words(entries[5]).startswith("6 et … lapillis] A B om. C C omits lines")
    assert "quaere" not in words(entries[5])
    # a note before a reading keeps its last word apart
    assert "copyists. " in words(entries[3]) + " "
    # a reading without words (here a proposed lacuna) has no lemma: no "]"
    assert words(entries[7]) == "8 Marklandus a lacuna after line 10."


def test_a_registers_life_dates_are_signed_and_its_events_folded() -> None:
    html = rendered("letter.xml")
    # birth with a date and a place, death with only a dated child: both signed
    assert re.search(r'<span data-tei="birth" [^>]*class="birth">\* <span data-tei="date"', html)
    assert re.search(r'<span data-tei="death" [^>]*class="death">† 1890-09-30<span', html)
    # a place's coordinates: marked as such (set apart from the name by the style)
    assert re.search(r'<span data-tei="geo" [^>]*class="geo">51.38 -2.36</span>', html)
    # a person's events: a folded list with its count, each event dated
    assert re.search(r'<details data-tei="listEvent" [^>]*class="events"><summary>3 events'
                     r'</summary><ul>\s*<li data-tei="event" [^>]*class="event"><span class='
                     r'"event-date">1849-06-01</span> ', html)


def test_a_list_of_witnesses_in_the_text_is_a_nested_list() -> None:
    html = rendered("apparatus.xml")
    assert re.search(r'<ul data-tei="listWit" [^>]*class="list-wit">\s*<li class="list-head">',
                     html)
    assert re.search(r'<li data-tei="witness" id="Omega" class="witness">.*?<ul data-tei='
                     r'"listWit" [^>]*class="list-wit">\s*<li data-tei="witness" id="A" ',
                     html, re.S)
