"""Reading one TEI file into the rows the index holds about it.

:func:`extract` is a pure function of a file's bytes (and the declared facets): the header's
metadata, every passage of the text (see :mod:`tei.passages`) with its text, the mentions each
passage owns, facet values, and the element names and attribute values used to prune queries.
:mod:`archive.index` writes the rows; worker processes call :func:`extract` on many files at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP, TEI_LB, TYPE_FOR_ELEMENT, XML_ID, tei
from tei.parse import parse_bytes, parse_tei
from tei.passages import BLOCKS, Passage, passages, text_roots

from ..registry import ENTRY_ELEMENTS, PLAIN_REFS, DocumentRefs, RefResolver, in_entry
from ..store import valid_id
from .days import day_range
from .facets import Facet, facet_values
from .header import read_header

#: Attributes not recorded per document (unique per element, useless for pruning).
UNINDEXED_ATTRIBUTES = frozenset({XML_ID, "target"})

_IDNO = etree.XPath(
    "string(/tei:TEI/tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno[@type='archive'])",
    namespaces=NSMAP)


#: A mention's row: passage address, type, ref, surface, start, end, the date columns.
MentionRow = tuple[str | None, str, str | None, str, int, int, tuple[str | int | None, ...]]


@dataclass(frozen=True)
class DocumentRows:
    """Everything the index holds about one document, ready to insert."""

    id: str
    header: dict[str, str | int | None]
    # address, element, text (a leaf's; '' for a passage holding others), position, leaf, and
    # the words markup splits (see split_words)
    passages: list[tuple[str, str, str, int, bool, str]]
    # passage address, type, ref, surface, start, end, and the date columns (NO_DATES for names)
    mentions: list[MentionRow]
    facets: list[tuple[str, str | None, str]]  # facet, passage address or None, value
    names: set[str]
    attributes: set[tuple[str, str]]


def extract(path: Path, data: bytes, facets: tuple[Facet, ...],
            resolver: RefResolver | None = None) -> DocumentRows:
    """Read one TEI file's bytes into index rows.

    :raise tei.errors.TeiError: not a well-formed TEI document.
    """
    tree = parse_bytes(data, str(path))
    root = tree.getroot()
    header = read_header(tree)
    doc_id = _document_id(tree, path)
    # imported documents' own pointers: #p1 → <doc>.p1
    refs = PLAIN_REFS if resolver is None else resolver.for_document(doc_id)
    walk = _TextWalk(refs, passages(root))
    for text_root in text_roots(root):
        walk.run(text_root)
    names: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    for element in root.iter(etree.Element):  # elements only
        names.add(str(element.tag))  # (elements only: a str)
        attributes.update(element.items())  # (no attribute proxy made)
    attributes = {pair for pair in attributes if pair[0] not in UNINDEXED_ATTRIBUTES}
    return DocumentRows(doc_id, header, walk.passages, walk.mentions,
                        facet_values(facets, tree, str(path), refs=refs, leaves=walk.leaves),
                        names, attributes)


class _TextWalk:
    """One pass over each text root (see :func:`tei.passages.text_roots`): the text of every
    passage (``<lb/>`` as a newline) and each mention with offsets into its nearest passage
    (names outside any passage: passage None, offsets into the whole text root). Names of
    person/place/org entries (lists, not running text) are no mentions.
    """

    def __init__(self, refs: DocumentRefs, found: list[Passage]) -> None:
        self.refs = refs
        self.found = {passage.element: number for number, passage in enumerate(found)}
        self.passages: list[tuple[str, str, str, int, bool, str]] = [
            (passage.address, "", "", 0, passage.leaf, "") for passage in found]
        self.mentions: list[MentionRow] = []
        self.leaves = [passage for passage in found if passage.leaf]
        self.parts: list[str] = []
        self.length = 0
        self.glued = 0  # element boundaries met inside a word (see split_words)

    def run(self, text_root: etree._Element) -> None:
        self.parts, self.length = [], 0
        self._visit(text_root, str(text_root.tag), (None, 0), in_entry(text_root))

    def _visit(self, element: etree._Element, tag: str, owner: tuple[str | None, int],
               entry: bool) -> None:
        """Read ``element`` (its tag given: lxml makes a new string at each reading)."""
        parts = self.parts
        start, first_part = self.length, len(parts)
        number = self.found.get(element)
        if number is not None:
            owner = (self.passages[number][0], start)
        elif tag in BLOCKS:  # a block inside a leaf's text (a note, a quoted verse): words apart
            parts.append(" ")
            self.length += 1
        glued = self.glued
        text = "\n" if tag == TEI_LB else element.text
        if text:
            if parts and text[0].isalnum() and parts[-1][-1].isalnum():
                self.glued += 1
            parts.append(text)
            self.length += len(text)
        inner_entry = entry or tag in ENTRY_ELEMENTS
        apart = tag in ALTERNATIVES
        found = self.found
        for child in element:
            child_tag = child.tag
            if child_tag.__class__ is str:  # an element (not a comment or a processing instruction)
                if child_tag in _READ_APART or len(child) or child in found:
                    self._visit(child, child_tag, owner, inner_entry)
                else:  # most elements: a highlight, a word (what _visit reads of them, here)
                    inner = child.text
                    if inner:
                        if parts and inner[0].isalnum() and parts[-1][-1].isalnum():
                            self.glued += 1
                        parts.append(inner)
                        self.length += len(inner)
                if apart:  # "wch which", not "wchwhich": each reading is found
                    parts.append(" ")
                    self.length += 1
            tail = child.tail
            if tail:
                if tail[0].isalnum() and parts and parts[-1][-1].isalnum():
                    self.glued += 1
                parts.append(tail)
                self.length += len(tail)
        if number is None and tag in BLOCKS:
            parts.append(" ")
            self.length += 1
        if number is not None:
            address, _, _, _, leaf, _ = self.passages[number]
            # only a leaf's text is kept: a passage holding others has none of its own, and
            # its leaves' texts are in the index already (as long again, kept twice before)
            text = "".join(parts[first_part:]) if leaf else ""
            self.passages[number] = (address, tag.rpartition("}")[2], text, number + 1, leaf,
                                     split_words(element, text)
                                     if leaf and self.glued != glued else "")
        kind = TYPE_FOR_ELEMENT.get(tag)
        if kind is not None and not entry:
            ref = next(filter(None, map(self.refs.key, (element.get("ref") or "").split())),
                       None) or (element.get("key") or "").strip() or None
            surface = " ".join("".join(parts[first_part:]).split())
            self.mentions.append((owner[0], kind, ref, surface, start - owner[1],
                                  self.length - owner[1],
                                  _mention_dates(element) if kind == "date" else NO_DATES))


_WORD = re.compile(r"\w+")


def split_words(element: etree._Element, text: str) -> str:
    """The words of ``element`` read with every element boundary as a break that its ``text``
    (markup read as it joins) lacks, space-separated: ``prov inciae`` of
    ``<expan><abbr>prov</abbr><ex>inciae</ex></expan>``, the abbreviation as the stone has it;
    ``castro`` of ``castro<supplied>r</supplied>um``. Usually none: ``""``.

    Indexed beside the text, so that a search finds the parts markup makes of a word too."""
    if len(element) == 0:
        return ""
    split = set(_WORD.findall(" ".join(element.itertext(etree.Element)).casefold()))
    if not split:
        return ""
    split.difference_update(_WORD.findall(text.casefold()))
    return " ".join(sorted(split))


#: Elements whose children are alternative readings (an abbreviation and its expansion, a
#: lemma and its variants): their words are kept apart in a passage's text.
ALTERNATIVES = frozenset(tei(name) for name in ("choice", "app", "subst", "rdgGrp"))


#: Elements a text walk reads more of than their text, even without children: blocks (words
#: apart), line breaks (a newline) and names (mentions).
_READ_APART = frozenset({*BLOCKS, TEI_LB, *TYPE_FOR_ELEMENT})


#: A name's date columns (when, from, to, notBefore, notAfter, first and last day): none.
NO_DATES: tuple[None, ...] = (None,) * 7


DATE_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")


def _mention_dates(element: etree._Element) -> tuple[str | int | None, ...]:
    when, from_, to, not_before, not_after = map(element.get, DATE_ATTRIBUTES)
    if when:
        days = day_range(when)
    else:
        days = day_range(from_ or not_before)[0], day_range(to or not_after)[1]
    return (when, from_, to, not_before, not_after, *days)


def file_id(path: Path) -> str:
    """A file's document id (its archive idno, else its name), read from the file itself."""
    return _document_id(parse_tei(path), path)


def _document_id(tree: etree._ElementTree, path: Path) -> str:
    """The document id of ``tree`` stored at ``path``: its archive idno, else the file's name
    (an unusable idno never becomes an id)."""
    idno = " ".join(str(_IDNO(tree)).split())
    return idno if valid_id(idno) else path.stem
