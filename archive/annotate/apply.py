"""Annotation: put recognised mentions into a TEI tree as persName/placeName/orgName/date.

Tagging never changes a character of the text and never splits an existing element: a
mention is wrapped only when its start and end stand in the same parent (a mention that
would cross the boundary of ``hi``, ``ref`` or another element is left alone), and never
inside or around an existing name or date (imported documents keep their own tags).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lxml import etree

from tei.build import Application, E
from tei.namespaces import ELEMENT_FOR_TYPE, NSMAP, TEI_LB, XML_ID, tei
from tei.read import text_of

from .. import __version__
from ..model import Mention

#: TEI elements whose text the recogniser reads, one unit each, in document order.
#: (Not ``label``: a gloss list's labels are keys such as "Leader", not running text.)
TEXT_BEARING = frozenset({"head", "p", "ab", "item", "quote", "bibl", "l", "note",
                          "cell", "dateline", "byline", "salute", "signed", "trailer",
                          "docTitle", "titlePart", "docAuthor", "speaker", "stage", "seg"})
#: Elements inside which nothing is tagged: existing names and dates, and non-text matter.
NO_TAG_INSIDE = frozenset(tei(name) for name in (
    "persName placeName orgName date name rs geogName roleName idno num measure "
    "orig abbr sic reg corr expan gap"
).split())

RESP_COMPONENTS = {
    "registry": Application(
        "archive-registry", "tei-archive-registry", __version__,
        "registry name matcher (Aho-Corasick over preferred names and variants)"),
    "ner": Application("archive-ner", "spacy-en_core_web_sm", "3.8.0",
                       "statistical named-entity recogniser (spaCy en_core_web_sm 3.8.0)"),
    "coref": Application("archive-coref", "tei-archive-coref", __version__,
                         "within-document coreference of short name forms"),
    "dates": Application("archive-dates", "tei-archive-dates", __version__,
                         "rule-based date recogniser and normaliser"),
}

Recognise = Callable[[Sequence[str]], list[list[Mention]]]

_TEXT_UNITS = etree.XPath(
    "//tei:text//*[" + " or ".join(f"self::tei:{n}" for n in sorted(TEXT_BEARING)) + "]",
    namespaces=NSMAP,
)


def text_units(tree: etree._ElementTree) -> list[etree._Element]:
    """The text-bearing elements of ``text``, in document order, outermost only."""
    units = _TEXT_UNITS(tree)
    chosen = set(units)
    return [el for el in units if not any(a in chosen for a in el.iterancestors())]


def annotate(tree: etree._ElementTree, recognise: Recognise) -> int:
    """Recognise mentions in every text unit and tag them in place.

    :param tree: a TEI document; changed in place.
    :param recognise: e.g. ``Recogniser.recognise``: unit texts → mentions per unit.
    :return: the number of tags added.
    """
    units = text_units(tree)
    found = recognise([text_of(unit) for unit in units])
    added = 0
    used: set[str] = set()
    for unit, mentions in zip(units, found, strict=True):
        for mention in sorted(mentions, key=lambda m: m.start, reverse=True):
            if wrap(unit, mention.start, mention.end, build_tag(mention)):
                added += 1
                used.add(mention.resp)
    declare_components(tree, sorted(used))
    return added


def build_tag(mention: Mention) -> etree._Element:
    """The empty TEI element for a mention, with ``@ref``/date attributes, ``@resp``, ``@cert``."""
    element = E(etree.QName(ELEMENT_FOR_TYPE[mention.type]).localname)
    if mention.key:
        element.set("ref", f"#{mention.key}")
    for attribute, value in (("when", mention.when), ("from", mention.from_), ("to", mention.to),
                             ("notBefore", mention.not_before), ("notAfter", mention.not_after)):
        if value:
            element.set(attribute, value)
    component = RESP_COMPONENTS.get(mention.resp)
    if component:
        element.set("resp", f"#{component.id}")
    if mention.cert != "high":
        element.set("cert", mention.cert)
    return element


def declare_components(tree: etree._ElementTree, resps: Sequence[str]) -> None:
    """Name each component that made tags in ``appInfo``, once, so ``@resp`` resolves."""
    header = tree.getroot().find(tei("teiHeader"))
    if header is None:
        return
    encoding_desc = header.find(tei("encodingDesc"))
    if encoding_desc is None:
        encoding_desc = E.encodingDesc()
        header.insert(1, encoding_desc)
    app_info = encoding_desc.find(tei("appInfo"))
    if app_info is None:
        app_info = E.appInfo()
        encoding_desc.append(app_info)
    present = {app.get(XML_ID) for app in app_info.iter(tei("application"))}
    for resp in resps:
        component = RESP_COMPONENTS.get(resp)
        if component and component.id not in present:
            app_info.append(E.application(E.label(component.label), {XML_ID: component.id},
                                          ident=component.ident, version=component.version))


@dataclass
class _Slot:
    """A text slot: ``parent.text`` (index -1) or ``parent[index].tail``, at ``offset``."""

    parent: etree._Element
    index: int
    offset: int
    text: str


def _slots(unit: etree._Element) -> list[_Slot]:
    # Every text position, including empty ones before and after each child, so that a
    # mention starting or ending at an element boundary can be placed in the outer parent.
    slots: list[_Slot] = []
    position = 0

    def walk(element: etree._Element) -> None:
        nonlocal position
        slots.append(_Slot(element, -1, position, element.text or ""))
        position += len(element.text or "")
        for index, child in enumerate(element):
            if child.tag == TEI_LB:
                position += 1
            elif isinstance(child.tag, str):
                walk(child)
            slots.append(_Slot(element, index, position, child.tail or ""))
            position += len(child.tail or "")

    walk(unit)
    return slots


def _depth(element: etree._Element) -> int:
    return sum(1 for _ in element.iterancestors())


def _endpoints(slots: list[_Slot], start: int, end: int) -> tuple[_Slot, _Slot] | None:
    """The outermost pair of slots with one parent that hold ``start`` and ``end``."""
    firsts = [s for s in slots if s.offset <= start <= s.offset + len(s.text)]
    lasts = [s for s in slots if s.offset <= end <= s.offset + len(s.text)]
    pairs = [(f, la) for f in firsts for la in lasts
             if f.parent is la.parent and (f.index, f.offset) <= (la.index, la.offset)]
    if not pairs:
        return None
    return min(pairs, key=lambda pair: _depth(pair[0].parent))


def wrap(unit: etree._Element, start: int, end: int, tag: etree._Element) -> bool:
    """Wrap characters ``start:end`` of ``unit``'s text in ``tag`` without splitting elements.

    :return: False (and the tree unchanged) when the range cannot be wrapped cleanly.
    """
    if start >= end:
        return False
    found = _endpoints(_slots(unit), start, end)
    if found is None:
        return False
    first, last = found
    parent = first.parent
    if parent.tag in NO_TAG_INSIDE or any(a.tag in NO_TAG_INSIDE for a in parent.iterancestors()):
        return False
    moved = list(parent)[first.index + 1:last.index + 1]
    if any(child.tag in NO_TAG_INSIDE or child.tag == TEI_LB for child in moved):
        return False
    a, b = start - first.offset, end - last.offset
    head_text = first.text[:a]
    if first is last:
        tag.text, tail = first.text[a:b], first.text[b:]
    else:
        tag.text, tail = first.text[a:], last.text[:b]
    for child in moved:
        tag.append(child)  # moves the child, with its tail
    if moved:
        moved[-1].tail, tail = tail, last.text[b:]
    tag.tail = tail or None
    if first.index == -1:
        parent.text = head_text or None
    else:
        parent[first.index].tail = head_text or None
    parent.insert(first.index + 1, tag)
    return True
