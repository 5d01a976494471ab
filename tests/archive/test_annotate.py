from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from lxml import etree

from archive.annotate.apply import (
    annotate,
    build_tag,
    document_date,
    tagged_dates,
    text_units,
    wrap,
)
from archive.annotate.dates import DateContext, find_dates
from archive.model import Mention
from tei.read import text_of
from tei.serialize import serialize

NS = 'xmlns="http://www.tei-c.org/ns/1.0"'


def unit(xml: str) -> etree._Element:
    return etree.fromstring(f"<p {NS}>{xml}</p>")


def person(start: int, end: int, text: str, key: str | None = "leon-trotsky") -> Mention:
    return Mention(start, end, text, "person", key=key)


def inner(element: etree._Element) -> str:
    raw = etree.tostring(element, encoding="unicode")
    return raw[raw.index(">") + 1:raw.rindex("<")].replace(f" {NS}", "")


@pytest.mark.parametrize("xml, span, expected", [
    # inside one text node, possessive left outside the tag
    ("Leon Trotsky's book", (0, 12),
     '<persName ref="#leon-trotsky" resp="#archive-registry">Leon Trotsky</persName>\'s book'),
    # in a tail after an element
    ("<hi rend=\"italic\">x</hi> and Trotsky.", (6, 13),
     '<hi rend="italic">x</hi> and <persName ref="#leon-trotsky" resp="#archive-registry">'
     "Trotsky</persName>."),
    # the whole of an hi: the name goes around it
    ("See <hi rend=\"italic\">Leon Trotsky</hi>.", (4, 16),
     'See <persName ref="#leon-trotsky" resp="#archive-registry"><hi rend="italic">Leon Trotsky'
     "</hi></persName>."),
    # part of an hi: tagged inside it
    ("<hi rend=\"italic\">On Leon Trotsky</hi>", (3, 15),
     '<hi rend="italic">On <persName ref="#leon-trotsky" resp="#archive-registry">Leon Trotsky'
     "</persName></hi>"),
    # around a whole hi: the hi moves inside the name, unsplit
    ("By <hi rend=\"bold\">Leon</hi> Trotsky now", (3, 15),
     'By <persName ref="#leon-trotsky" resp="#archive-registry"><hi rend="bold">Leon</hi> Trotsky'
     "</persName> now"),
])
def test_wrap(xml: str, span: tuple[int, int], expected: str) -> None:
    element = unit(xml)
    before = text_of(element)
    assert wrap(element, *span, build_tag(person(*span, before[span[0]:span[1]])))
    assert inner(element) == expected
    assert text_of(element) == before


@pytest.mark.parametrize("xml, span", [
    ("<hi>Leon Trotsky, a</hi> man", (5, 19)),  # across the end of hi: would split it
    ("Le<hi>on</hi>", (0, 3)),  # across the start of hi
    ("<persName>Leon Trotsky</persName>", (5, 12)),  # inside an existing name
    ("a <persName>Leon</persName> Trotsky", (2, 14)),  # around an existing name
    ("Leon<lb/>Trotsky", (0, 12)),  # across a line break
])
def test_wrap_leaves_alone_what_it_cannot_tag_cleanly(xml: str, span: tuple[int, int]) -> None:
    element = unit(xml)
    before = etree.tostring(element)
    assert not wrap(element, *span, build_tag(person(*span, "x")))
    assert etree.tostring(element) == before


@pytest.mark.parametrize("key", ["#ilo", "a b", "1abc", "x#y", ""])
def test_a_ref_is_only_ever_one_well_formed_pointer(key: str) -> None:
    tag = build_tag(Mention(0, 3, "ILO", "org", key=key))
    assert tag.get("ref") is None
    assert build_tag(Mention(0, 3, "ILO", "org", key="ilo.2")).get("ref") == "#ilo.2"


def test_date_tag_attributes() -> None:
    mention = Mention(0, 9, "late 1924", "date", not_before="1924-09", not_after="1924-12",
                      resp="dates", cert="medium", inferred=True)
    tag = build_tag(mention)
    assert dict(tag.attrib) == {"notBefore": "1924-09", "notAfter": "1924-12",
                                "resp": "#archive-dates", "cert": "medium"}


DOC = f"""<TEI {NS}><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt></fileDesc>
<encodingDesc><appInfo/></encodingDesc></teiHeader><text><body><div>
<head>Trotsky in 1923</head><p>In 1923 <hi rend="italic">Trotsky</hi> wrote.</p>
<list type="gloss"><label>Leader</label><item>Trotsky</item></list></div></body></text></TEI>"""


def fake_recognise(texts: Sequence[str], languages: Sequence[str | None] | None = None,
                   context: object = None) -> list[list[Mention]]:
    """A deterministic stand-in for the recogniser: every 'Trotsky' and '1923'."""
    found = []
    for text in texts:
        mentions = []
        for word, kind in (("Trotsky", "person"), ("1923", "date")):
            start = text.find(word)
            if start >= 0:
                extra = {"key": "leon-trotsky"} if kind == "person" else {"when": "1923",
                                                                          "resp": "dates"}
                mentions.append(Mention(start, start + len(word), word, kind, **extra))
        found.append(mentions)
    return found


def test_annotate_tags_every_unit_and_declares_components() -> None:
    tree = etree.ElementTree(etree.fromstring(DOC))
    body = tree.find(".//{*}body")
    before = text_of(body)
    assert [text_of(u) for u in text_units(tree)] == ["Trotsky in 1923", "In 1923 Trotsky wrote.",
                                                      "Trotsky"]
    assert annotate(tree, fake_recognise) == 5  # 2 in head, 2 in p, 1 in item
    assert text_of(body) == before
    apps = [a.get("{http://www.w3.org/XML/1998/namespace}id") for a in tree.iter("{*}application")]
    assert apps == ["archive-dates", "archive-registry"]
    # annotating again adds nothing inside existing tags and keeps the text
    assert annotate(tree, fake_recognise) == 0
    assert serialize(tree) == serialize(etree.ElementTree(etree.fromstring(serialize(tree))))


@pytest.mark.parametrize("pattern", [
    r"\w+(?: \w+)?",  # words and pairs of words: overlapping mentions, every edge
    r"[A-Z]\w+(?: [A-Z]\w+)*",  # names: apart, as the recogniser gives them
])
def test_many_mentions_in_one_long_unit_tag_as_one_at_a_time(pattern: str) -> None:
    """``annotate`` lists a unit's slots once and keeps its texts out of lxml until it is done:
    the result is that of wrapping the same mentions one by one, each walking the tree again;
    across ``hi``, ``lb`` and existing names, at element edges, and refused ones."""
    piece = ('Leon Trotsky met <hi rend="italic">Lev Kamenev</hi> in Moscow<lb/>in 1923; '
             '<persName>Stalin</persName> and <hi>the Left</hi> Opposition, <hi>Iv</hi>an. ')
    xml = f"<TEI {NS}><teiHeader/><text><body><p>{piece * 100}</p></body></text></TEI>"
    one_pass = etree.ElementTree(etree.fromstring(xml))
    one_by_one = etree.ElementTree(etree.fromstring(xml))
    text = text_of(text_units(one_pass)[0])
    spans = [m.span() for m in re.finditer(pattern, text)]
    mentions = [person(s, e, text[s:e]) for s, e in spans]
    tagged = annotate(one_pass, lambda texts, languages=None, context=None: [mentions])
    paragraph = text_units(one_by_one)[0]
    expected = sum(wrap(paragraph, m.start, m.end, build_tag(m))
                   for m in sorted(mentions, key=lambda m: m.start, reverse=True))
    assert tagged == expected > 300
    assert text_of(text_units(one_pass)[0]) == text
    body = etree.tostring(one_pass.find(".//{*}body"))
    assert body == etree.tostring(one_by_one.find(".//{*}body"))


def _dated(header: str, body: str) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(
        f"<TEI {NS}><teiHeader><fileDesc><sourceDesc>{header}</sourceDesc></fileDesc>"
        f"</teiHeader><text><body>{body}</body></text></TEI>"))


def test_the_header_date_places_diary_days_in_the_body() -> None:
    """The date of the source in the header reaches the date resolver (here the real one)."""
    tree = _dated('<bibl><title>Journal</title><date when="1820-05">May 1820</date></bibl>',
                  "<div><head>Monday 1</head><p>Rain.</p><head>Tuesday the 2nd</head>"
                  "<p>Letters of the 30th ult. came.</p></div>")
    assert document_date(tree) == DateContext(1820, (1820, 5, None))
    assert annotate(tree, lambda texts, languages=None, context=None: find_dates(texts, context=context)) == 3
    dates = [(d.text, d.get("when"), d.get("cert")) for d in tree.iter("{*}date")
             if d.getparent().tag != "{http://www.tei-c.org/ns/1.0}bibl"]
    assert dates == [("Monday 1", "1820-05-01", "medium"), ("Tuesday the 2nd", "1820-05-02",
                                                            "medium"),
                     ("30th ult.", "1820-04-30", "medium")]


def test_document_date_prefers_when_the_text_was_made() -> None:
    tree = etree.ElementTree(etree.fromstring(
        f'<TEI {NS}><teiHeader><fileDesc><sourceDesc><bibl><date when="1901">1901</date></bibl>'
        '</sourceDesc></fileDesc><profileDesc><creation><date notBefore="1820-05-02" '
        'notAfter="1820-06">spring</date></creation></profileDesc></teiHeader><text/></TEI>'))
    assert document_date(tree) == DateContext(1820, (1820, 5, 2))
    assert document_date(_dated("<bibl><date>undated</date></bibl>", "<p/>")) == DateContext()


def test_dates_the_document_already_tags_place_the_days_after_them() -> None:
    """An imported edition's own ``date/@when`` moves the context, as a found date would:
    the untagged day after it is placed by it (3 February 1819 was a Wednesday)."""
    tree = _dated("<bibl><title>Journal</title></bibl>",
                  '<div><head><date when="1819-02-01">Monday 1</date></head>'
                  "<p>Rain.<lb/>On <hi>Wednesday</hi> we walked; on Wednesday the 3rd we dined."
                  "</p></div>")
    assert tagged_dates(text_units(tree)) == {0: [(0, 8, "1819-02-01")]}
    assert annotate(tree, lambda texts, languages=None, context=None: find_dates(texts, context=context)) == 1
    dates = [(d.text, d.get("when"), d.get("cert")) for d in tree.iter("{*}date")]
    assert dates == [("Monday 1", "1819-02-01", None), ("Wednesday the 3rd", "1819-02-03",
                                                        "medium")]


def test_names_never_cut_or_cross_a_line_break_inside_a_word() -> None:
    from archive.annotate import Recogniser
    from archive.registry import Registry

    doc = (f'<TEI {NS}><teiHeader/><text><body><p>Then Henry Wil<lb break="no"/>son rode from '
           'Lon<lb break="no"/>don to York with Mary<lb/>Jones. Later Mr. Henry Wilson went '
           'home.</p></body></text></TEI>')
    tree = etree.ElementTree(etree.fromstring(doc))
    recogniser = Recogniser(Registry())
    annotate(tree, recogniser.recognise)
    p = tree.find(".//{*}p")
    assert p is not None
    tagged = [(etree.QName(e).localname, "".join(e.itertext())) for e in p]
    assert ("persName", "Henry Wil") not in tagged and ("placeName", "Lon") not in tagged
    assert ("persName", "Henry Wilson") in tagged  # the same name written whole is tagged
    breaks = [e for e in p.iter("{*}lb") if e.get("break") == "no"]
    assert all(lb.getparent() is p for lb in breaks)  # no tag around a broken word
    # the recogniser read the joined words: no half word is proposed to the registry
    assert not {"Wil", "Henry Wil", "Lon"} & {s for s, _, _ in recogniser.proposals()}
