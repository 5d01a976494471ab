"""Annotation: put recognised mentions into a TEI tree as persName/placeName/orgName/date.

Tagging never changes a character of the text and never splits an existing element: a
mention is wrapped only when its start and end stand in the same parent (a mention that
would cross the boundary of ``hi``, ``ref`` or another element is left alone), and never
inside or around an existing name or date (imported documents keep their own tags).
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from lxml import etree

from tei.build import Application, E
from tei.namespaces import ELEMENT_FOR_TYPE, NSMAP, TEI_LB, XML_ID, tei
from tei.read import text_of

from .. import __version__
from ..model import Mention
from .dates import DateContext
from .language import declared_languages

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
#: Elements whose TEI content holds no names (tokens, identifiers and code, manuscript loci):
#: a name is never tagged inside one (the document would be invalid), only around whole ones.
NO_NAMES_INSIDE = NO_TAG_INSIDE | frozenset(tei(name) for name in (
    "w c pc ident code gi val att tag locus locusGrp formula").split())

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

#: An id a ``@ref`` may point at: an XML name without a colon (what ``xml:id`` holds).
POINTER_ID_RE = re.compile(r"[^\W\d][\w.\-]*")


class Recognise(Protocol):
    """What :func:`annotate` tags with, e.g. ``Recogniser.recognise``: unit texts (and their
    declared languages, and the document's date context) → mentions per unit."""

    def __call__(self, blocks: Sequence[str],
                 languages: Sequence[str | None] | None = None, *,
                 context: DateContext | None = None) -> list[list[Mention]]: ...


#: Where a TEI document's own date is written, in this order: when it was made, else the
#: date of the source it transcribes (not the edition's publication date).
_DOCUMENT_DATES = tuple(etree.XPath(
    f"/tei:TEI/tei:teiHeader/{where}/@*[local-name() = 'when' or local-name() = 'from'"
    " or local-name() = 'notBefore']", namespaces=NSMAP) for where in (
        "tei:profileDesc/tei:creation//tei:date", "tei:fileDesc/tei:sourceDesc/tei:bibl/tei:date",
        "tei:fileDesc/tei:sourceDesc//tei:origDate"))


def document_date(tree: etree._ElementTree) -> DateContext:
    """The calendar context of a TEI document: its creation date, else its source's date.

    :return: :meth:`DateContext.of` the first such date that is ``YYYY[-MM[-DD]]``, or an
        empty context.
    """
    for where in _DOCUMENT_DATES:
        for value in where(tree):
            context = DateContext.of(str(value))
            if context.year is not None:
                return context
    return DateContext()

_TEXT_UNITS = etree.XPath(
    "//tei:text//*[" + " or ".join(f"self::tei:{n}" for n in sorted(TEXT_BEARING)) + "]",
    namespaces=NSMAP,
)


def text_units(tree: etree._ElementTree) -> list[etree._Element]:
    """The text-bearing elements of ``text``, in document order, outermost only."""
    units = _TEXT_UNITS(tree)
    chosen = set(units)
    return [el for el in units if not any(a in chosen for a in el.iterancestors())]


def annotate(tree: etree._ElementTree, recognise: Recognise,
             components: Mapping[str, Application] | None = None) -> int:
    """Recognise mentions in every text unit and tag them in place.

    :param tree: a TEI document; changed in place.
    :param recognise: e.g. ``Recogniser.recognise``: unit texts → mentions per unit; it is
        given the document's date (:func:`document_date`) for dates without year or month.
    :param components: applications that replace those of :data:`RESP_COMPONENTS` in
        ``appInfo`` (``Recogniser.components``: the NER model it loaded).
    :return: the number of tags added.
    """
    units = text_units(tree)
    breaks = [word_breaks(unit) for unit in units]
    texts = [_joined(text_of(unit), at) for unit, at in zip(units, breaks, strict=True)]
    context = document_date(tree)
    context.tagged = {number: [(_joined_offset(start, breaks[number]),
                                _joined_offset(end, breaks[number]), value)
                               for start, end, value in dates]
                      for number, dates in tagged_dates(units).items()}
    found = recognise(texts, declared_languages(tree, units), context=context)
    added = 0
    used: set[str] = set()
    for unit, mentions, at in zip(units, found, breaks, strict=True):
        if at:
            mentions = _unjoined(mentions, at)
        for resp in _tag_unit(unit, sorted(mentions, key=lambda m: m.start, reverse=True)):
            added += 1
            used.add(resp)
    declare_components(tree, sorted(used), components)
    return added


def tagged_dates(units: Sequence[etree._Element]) -> dict[int, list[tuple[int, int, str]]]:
    """The normalised dates the units already tag, for :class:`DateContext` ``tagged``.

    :return: per unit number, ``(start, end, value)`` in the unit's text, ``value`` the
        date's ``@when``, else ``@from``, else ``@notBefore``.
    """
    found: dict[int, list[tuple[int, int, str]]] = {}
    for number, unit in enumerate(units):
        dates = [(date, value) for date in unit.iter(tei("date"))
                 if (value := date.get("when") or date.get("from") or date.get("notBefore"))]
        if not dates:
            continue
        offsets = {(slot.owner, slot.which): slot.offset
                   for slot in _slots(unit, sys.maxsize, _Texts())}
        found[number] = [(offsets[date, "text"], offsets[date, "tail"], value)
                         for date, value in dates if (date, "tail") in offsets]
    return found


def word_breaks(unit: etree._Element) -> list[int]:
    """Where a unit's text (as :func:`tei.read.text_of` gives it) has an ``<lb break="no"/>``:
    the offset of the newline that stands for a line break inside a word ("Lon-|don")."""
    found: list[int] = []
    position = 0

    def walk(element: etree._Element) -> None:
        nonlocal position
        if element.tag == TEI_LB:
            if element.get("break") == "no":
                found.append(position)
            position += 1
        elif isinstance(element.tag, str):
            position += len(element.text or "")
            for child in element:
                walk(child)
                position += len(child.tail or "")

    walk(unit)
    return found


def _joined(text: str, breaks: Sequence[int]) -> str:
    """The text with the newlines of line breaks inside words taken out: what is read."""
    if not breaks:
        return text
    cuts = [-1, *breaks, len(text)]
    return "".join(text[a + 1:b] for a, b in zip(cuts, cuts[1:], strict=False))


def _unjoined(mentions: Sequence[Mention], breaks: Sequence[int]) -> list[Mention]:
    """Mentions of the joined text (:func:`_joined`) at their offsets in the unit's text.

    A name never crosses a line break inside a word, nor starts or ends at one: such a
    mention is dropped (its tag would split the word, or hold an ``lb``).
    """
    joins = [b - n for n, b in enumerate(breaks)]  # where each break stands in the joined text
    out: list[Mention] = []
    for m in mentions:
        if any(m.start <= j <= m.end for j in joins):
            continue
        shift = bisect_right(joins, m.start)
        out.append(replace(m, start=m.start + shift, end=m.end + shift))
    return out


def _joined_offset(offset: int, breaks: Sequence[int]) -> int:
    """Where an offset of a unit's text stands in its joined text (:func:`_joined`)."""
    return offset - bisect_left(breaks, offset)


def build_tag(mention: Mention) -> etree._Element:
    """The empty TEI element for a mention, with ``@ref``/date attributes, ``@resp``, ``@cert``."""
    element = E(etree.QName(ELEMENT_FOR_TYPE[mention.type]).localname)
    if mention.key and POINTER_ID_RE.fullmatch(mention.key):
        element.set("ref", f"#{mention.key}")  # one well-formed pointer, or none
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


def declare_components(tree: etree._ElementTree, resps: Sequence[str],
                       components: Mapping[str, Application] | None = None) -> None:
    """Name each component that made tags in ``appInfo``, once, so ``@resp`` resolves."""
    known = {**RESP_COMPONENTS, **(components or {})}
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
        component = known.get(resp)
        if component and component.id not in present:
            app_info.append(E.application(E.label(component.label), {XML_ID: component.id},
                                          ident=component.ident, version=component.version))


class _Texts:
    """The texts of a unit's nodes while its mentions are wrapped; :meth:`flush` writes them.

    A long paragraph is one text node; wrapping its mentions from the last one cuts that node
    shorter each time. Reading and writing it through lxml each time would copy the whole
    text per mention, so the node's text is kept here as ``(source, length)`` (the text is
    ``source[:length]``) and written once at the end. Keys are ``(element, "text" | "tail")``.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[etree._Element, str], tuple[str, int]] = {}
        self._changed: set[tuple[etree._Element, str]] = set()

    def get(self, element: etree._Element, which: str) -> tuple[str, int]:
        key = (element, which)
        if key not in self._known:
            text = (element.text if which == "text" else element.tail) or ""
            self._known[key] = (text, len(text))
        return self._known[key]

    def set(self, element: etree._Element, which: str, source: str, length: int) -> None:
        self._known[(element, which)] = (source, length)
        self._changed.add((element, which))

    def flush(self) -> None:
        """Write the changed texts into the tree."""
        for element, which in self._changed:
            source, length = self._known[(element, which)]
            setattr(element, which, source[:length] or None)
        self._changed.clear()


@dataclass
class _Slot:
    """A text slot: ``owner.text`` (``which == "text"``, then ``owner`` is ``parent``) or
    ``owner.tail`` (``owner`` a child of ``parent``), at ``offset``, ``seq``-th in document order.

    Its text is ``source[:length]`` (see :class:`_Texts`).
    """

    parent: etree._Element
    owner: etree._Element
    which: str
    seq: int
    offset: int
    source: str
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


def _slots(unit: etree._Element, until: int, texts: _Texts) -> list[_Slot]:
    """The text slots of ``unit`` in document order, up to the first one starting after ``until``.

    Every text position, including empty ones before and after each child, so that a mention
    starting or ending at an element boundary can be placed in the outer parent.
    """
    slots: list[_Slot] = []
    position = 0

    def add(parent: etree._Element, owner: etree._Element, which: str) -> bool:
        nonlocal position
        if position > until:
            return False
        source, length = texts.get(owner, which)
        slots.append(_Slot(parent, owner, which, len(slots), position, source, length))
        position += length
        return True

    def walk(element: etree._Element) -> bool:
        nonlocal position
        if not add(element, element, "text"):
            return False
        for child in element:
            if child.tag == TEI_LB:
                position += 1
            elif isinstance(child.tag, str) and not walk(child):
                return False
            if not add(element, child, "tail"):
                return False
        return True

    walk(unit)
    return slots


def _tag_unit(unit: etree._Element, mentions: Sequence[Mention]) -> list[str]:
    """Wrap a unit's mentions, given from the last one; the ``resp`` of each one tagged.

    The unit's slots are listed once. Wrapping a mention changes the tree only from its start
    on, so while mentions end before the leftmost start wrapped so far (``frontier``: always,
    for the recogniser's non-overlapping mentions) the slots they need are found in that first
    list by bisection, with their texts as they are now; otherwise the slots are listed again.
    A long paragraph costs linear time, however many mentions and inline elements it has.
    """
    texts = _Texts()
    listed = _slots(unit, sys.maxsize, texts)
    offsets = [slot.offset for slot in listed]
    frontier = sys.maxsize
    done: list[str] = []
    for mention in mentions:
        start, end = mention.start, mention.end
        if start >= end:
            continue
        if end < frontier:
            last = bisect_right(offsets, end)
            first = last
            while first > 0 and listed[first - 1].offset + texts.get(
                    listed[first - 1].owner, listed[first - 1].which)[1] >= start:
                first -= 1
            near = [_current(slot, texts) for slot in listed[first:last]]
        else:
            near = _slots(unit, end, texts)
        if _wrap(near, start, end, build_tag(mention), texts):
            done.append(mention.resp)
            frontier = min(frontier, start)
    texts.flush()
    return done


def _current(slot: _Slot, texts: _Texts) -> _Slot:
    source, length = texts.get(slot.owner, slot.which)
    return _Slot(slot.parent, slot.owner, slot.which, slot.seq, slot.offset, source, length)


def _depth(element: etree._Element) -> int:
    return sum(1 for _ in element.iterancestors())


def _endpoints(slots: list[_Slot], start: int, end: int) -> tuple[_Slot, _Slot] | None:
    """The outermost pair of slots with one parent that hold ``start`` and ``end``."""
    firsts = [s for s in slots if s.offset <= start <= s.end]
    lasts = [s for s in slots if s.offset <= end <= s.end]
    pairs = [(f, la) for f in firsts for la in lasts
             if f.parent is la.parent and f.seq <= la.seq]
    if not pairs:
        return None
    return min(pairs, key=lambda pair: _depth(pair[0].parent))


def wrap(unit: etree._Element, start: int, end: int, tag: etree._Element) -> bool:
    """Wrap characters ``start:end`` of ``unit``'s text in ``tag`` without splitting elements.

    :return: False (and the tree unchanged) when the range cannot be wrapped cleanly.
    """
    if start >= end:
        return False
    texts = _Texts()
    try:
        return _wrap(_slots(unit, end, texts), start, end, tag, texts)
    finally:
        texts.flush()


def _wrap(slots: list[_Slot], start: int, end: int, tag: etree._Element, texts: _Texts) -> bool:
    """:func:`wrap` among ``slots`` (all the slots that may hold ``start`` or ``end``)."""
    found = _endpoints(slots, start, end)
    if found is None:
        return False
    first, last = found
    parent = first.parent
    if parent.tag in NO_NAMES_INSIDE or any(
            a.tag in NO_NAMES_INSIDE for a in parent.iterancestors()):
        return False
    moved: list[etree._Element] = []
    if first is not last:  # the children from after ``first`` to ``last``'s owner
        child = parent[0] if first.which == "text" else first.owner.getnext()
        while child is not None:
            moved.append(child)
            if child is last.owner:
                break
            child = child.getnext()
    if any(child.tag in NO_TAG_INSIDE or child.tag == TEI_LB for child in moved):
        return False
    a, b = start - first.offset, end - last.offset
    if first is last:
        tag.text, tail = first.source[a:b], first.source[b:first.length]
    else:
        tag.text, tail = first.source[a:first.length], last.source[:b]
    for child in moved:
        tag.append(child)  # moves the child, with its tail
    if moved:
        texts.set(moved[-1], "tail", tail, len(tail))
        tail = last.source[b:last.length]
    tag.tail = tail or None
    texts.set(first.owner, first.which, first.source, a)
    if first.which == "text":
        parent.insert(0, tag)
    else:
        first.owner.addnext(tag)
    return True
