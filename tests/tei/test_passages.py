"""Passages from the structure: every word in one leaf passage, each with a stable address."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tei.passages import passages, text_roots

STRUCTURE = Path(__file__).resolve().parents[1] / "fixtures" / "structure"


def addresses(name: str) -> dict[str, bool]:
    root = etree.parse(str(STRUCTURE / name)).getroot()
    return {passage.address: passage.leaf for passage in passages(root)}


def words(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("name", sorted(path.name for path in STRUCTURE.glob("*.xml")))
def test_every_word_is_in_exactly_one_leaf_passage(name: str) -> None:
    root = etree.parse(str(STRUCTURE / name)).getroot()
    leaves = [p.element for p in passages(root) if p.leaf]
    assert not any(a in leaves for leaf in leaves for a in leaf.iterancestors())  # no nesting
    everything = "".join(words("".join(r.itertext())) for r in text_roots(root))
    assert everything  # the fixture has words
    assert "".join(words("".join(leaf.itertext())) for leaf in leaves) == everything


def test_drama_without_identifiers_has_speeches_lines_and_stage_directions() -> None:
    found = addresses("drama.xml")
    assert found == {
        "front.titlePage": False, "front.titlePage.docTitle": True,
        "front.castList.head": True, "front.castList.castItem1": True,
        "front.castList.castItem2": True, "body.div.head": True, "body.div.div.head": True,
        "body.div.div.stage": True, "body.div.div.sp1": False,
        "body.div.div.sp1.speaker": True, "body.div.div.sp1.l1": True,
        "body.div.div.sp1.l2": True, "body.div.div.sp2": False,
        "body.div.div.sp2.speaker": True, "body.div.div.sp2.p": True}


def test_a_note_inside_running_text_is_part_of_its_paragraph() -> None:
    found = addresses("novel.xml")
    assert list(found) == ["body.div1.head", "body.div1.p1", "body.div1.p2", "body.div2.head",
                           "body.div2.p"]
    assert all(found.values())


def test_verse_groups_hold_their_lines() -> None:
    found = addresses("verse.xml")
    assert found["body.lg"] is False and found["body.lg.lg2"] is False
    assert found["body.lg.lg2.l2"] is True


def test_loose_text_beside_blocks_becomes_a_passage_of_its_own() -> None:
    # an apparatus (app, lem, rdg are no blocks) beside an edition's <ab>
    assert list(addresses("inscription.xml")) == [
        "body.div1.ab", "body.div2.listApp.app.lem", "body.div2.listApp.app.rdg",
        "body.div2.listApp.app.note", "body.div3.p"]


def test_source_doc_zones_and_lines() -> None:
    found = addresses("genetic.xml")
    assert found["sourceDoc.surface1.zone1.line2"] is True
    assert found["sourceDoc.surface2.zone.line"] is True
    assert found["sourceDoc.surface1.zone1"] is False


def test_manuscript_description_in_the_header() -> None:
    found = addresses("msdesc.xml")
    assert {"msDesc.msIdentifier", "msDesc.msContents.summary", "msDesc.msContents.msItem1",
            "msDesc.msContents.msItem2", "body.p"} <= set(found)


def test_letter_opener_and_closer() -> None:
    found = addresses("letter.xml")
    assert found["body.div.opener.dateline"] and found["body.div.closer.signed"]
    assert found["body.div.postscript.p"]


def test_each_tei_of_a_corpus_is_read() -> None:
    assert list(addresses("corpus.xml")) == ["TEI1.body.p", "TEI2.body.p"]


def test_a_declared_cite_structure_gives_the_addresses() -> None:
    found = addresses("cited.xml")
    assert list(found) == ["1.2.sp", "1.2.sp.speaker", "1.2.13", "1.2.14", "1.2.stage"]


def test_xml_id_wins_and_a_path_never_takes_an_existing_id() -> None:
    root = etree.fromstring(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
        b'<div xml:id="d1"><p>one</p><p xml:id="body.p">two</p></div>'
        b'<p>three</p><ab xml:id="x">four</ab></body></text></TEI>')
    assert [p.address for p in passages(root)] == ["d1", "d1.p1", "body.p", "body.p~2", "x"]


def test_addresses_do_not_change_with_a_new_parse_of_the_same_bytes() -> None:
    for path in STRUCTURE.glob("*.xml"):
        first = [p.address for p in passages(etree.parse(str(path)).getroot())]
        again = [p.address for p in passages(etree.fromstring(path.read_bytes()))]
        assert first == again
        assert len(set(first)) == len(first)  # unique in the document


def test_an_identified_milestone_is_no_passage() -> None:
    root = etree.fromstring(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div>'
        b'<pb xml:id="pb1"/><lb xml:id="l-1"/>Dear friend, <lb xml:id="l-2"/>come soon.'
        b'<ab>signed</ab></div></body></text></TEI>')
    found = passages(root)
    assert [(p.address, p.leaf) for p in found] == [("body.div", True)]


def test_an_identified_entry_of_a_register_keeps_its_names_beside_its_notes() -> None:
    # an edition's register as a document: each org's name and description are passages of
    # their own beside its notes, whether the org has an xml:id or not
    found = addresses("register.xml")
    assert found == {"o17": False, "o17.orgName": True, "o17.desc": True, "o17.note1": True,
                     "o17.note2": True, "o18": False, "o18.orgName": True, "o18.desc": True,
                     "o18.note": True}


@pytest.mark.parametrize(("body", "expected"), [
    # words of its own first: one leaf, the blocks in it part of its text
    ("<p>Words <note><p>a note</p></note> and more.</p>", [("body.p", True)]),
    # words of its own only after markup (a highlight, a comment): one leaf all the same
    ("<p><hi>Dear</hi> sir, <q><l>a line</l></q></p>", [("body.p", True)]),
    ("<p><!-- a comment -->Words<lg><l>one</l><l>two</l></lg></p>", [("body.p", True)]),
    # only white space beside the blocks: they are the leaves
    ("<p> <note><p>one</p></note>\n <note><p>two</p></note> </p>",
     [("body.p", False), ("body.p.note1", False), ("body.p.note1.p", True),
      ("body.p.note2", False), ("body.p.note2.p", True)]),
    # words in a highlight beside a block in it: the highlight is the leaf
    ("<p><hi>Words <note>a note</note></hi></p>", [("body.p", False), ("body.p.hi", True)]),
])
def test_a_block_holding_words_of_its_own_is_one_leaf(body: str,
                                                     expected: list[tuple[str, bool]]) -> None:
    root = etree.fromstring(
        f'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>{body}</body></text></TEI>')
    assert [(p.address, p.leaf) for p in passages(root)] == expected


def test_paths_number_each_name_among_its_siblings() -> None:
    root = etree.fromstring(
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div xml:id="d1">'
        b'<head>One</head><p>a</p><pb/><p>b</p><p>c</p></div><div><head>Two</head><p>d</p>'
        b'</div><div><p xml:id="d1.p2">taken</p><p>e</p><p>f</p></div></body></text></TEI>')
    assert [p.address for p in passages(root)] == [
        "d1", "d1.head", "d1.p1", "d1.p2~2", "d1.p3", "body.div2.head", "body.div2.p",
        "d1.p2", "body.div3.p2", "body.div3.p3"]  # (d1.p2: an xml:id, its path takes ~2)
