"""Reading one TEI file into the rows the index holds about it.

:func:`extract` is a pure function of a file's bytes (and the declared facets): the header's
metadata, every identified element of the text as a passage with its text, the mentions each
passage owns, facet values, and the element names and attribute values used to prune queries.
:mod:`archive.index` writes the rows; worker processes call :func:`extract` on many files at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP, TEI_LB, TEI_TEXT, TYPE_FOR_ELEMENT, XML_ID
from tei.parse import parse_bytes, parse_tei

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


#: A mention's row: passage xml:id, type, ref, surface, start, end, the date columns.
MentionRow = tuple[str | None, str, str | None, str, int, int, tuple[str | int | None, ...]]


@dataclass(frozen=True)
class DocumentRows:
    """Everything the index holds about one document, ready to insert."""

    id: str
    header: dict[str, str | int | None]
    passages: list[tuple[str, str, str, int, bool]]  # xml:id, element, text, position, leaf
    # passage xml:id, type, ref, surface, start, end, and the date columns (NO_DATES for names)
    mentions: list[MentionRow]
    facets: list[tuple[str, str | None, str]]  # facet, passage xml:id or None, value
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
    idno = " ".join(str(_IDNO(tree)).split())
    doc_id = idno if valid_id(idno) else path.stem  # an unusable idno never becomes an id
    # imported documents' own pointers: #p1 → <doc>.p1
    refs = PLAIN_REFS if resolver is None else resolver.for_document(doc_id)
    walk = _TextWalk(refs)
    for text_element in root.iter(TEI_TEXT):
        if not any(a.tag == TEI_TEXT for a in text_element.iterancestors()):  # outermost
            walk.run(text_element)
    names: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    for element in root.iter(etree.Element):  # elements only
        names.add(str(element.tag))  # (elements only: a str)
        attributes.update(element.items())  # (no attribute proxy made)
    attributes = {pair for pair in attributes if pair[0] not in UNINDEXED_ATTRIBUTES}
    passages = list({p[0]: p for p in walk.passages[::-1]}.values())[::-1]  # a duplicate id: 1st
    return DocumentRows(doc_id, header, passages, walk.mentions,
                        facet_values(facets, tree, str(path), refs=refs, passages=walk.leaves),
                        names, attributes)


class _TextWalk:
    """One pass over a ``<text>``: the text of every identified element (``<lb/>`` as a newline)
    and each mention with offsets into its nearest identified ancestor-or-self (names outside
    any identified element, as in other projects' TEI: passage None, offsets into the whole
    ``<text>``). Names of person/place/org entries (lists, not running text) are no mentions.
    Also the leaf passages inside it (as :func:`archive.index.facets.leaf_passages` finds them).
    """

    def __init__(self, refs: DocumentRefs) -> None:
        self.refs = refs
        self.passages: list[tuple[str, str, str, int, bool]] = []
        self.mentions: list[MentionRow] = []
        self.leaves: list[etree._Element] = []
        self.parts: list[str] = []
        self.length = 0

    def run(self, text_element: etree._Element) -> None:
        self.parts, self.length = [], 0
        self._visit(text_element, str(text_element.tag), (None, 0), in_entry(text_element))
        if self.leaves and self.leaves[-1] is text_element:
            self.leaves.pop()  # the <text> itself is no passage inside <text>

    def _visit(self, element: etree._Element, tag: str, owner: tuple[str | None, int],
               entry: bool) -> bool:
        """Read ``element`` (its tag given: lxml makes a new string at each reading);
        :return: whether it or an element below it has an xml:id."""
        parts = self.parts
        start, first_part = self.length, len(parts)
        xml_id = element.get(XML_ID)
        if xml_id is not None:
            owner = (xml_id, start)
            number = len(self.passages)
            self.passages.append((xml_id, "", "", 0, False))  # filled in below
        text = "\n" if tag == TEI_LB else element.text
        if text:
            parts.append(text)
            self.length += len(text)
        identified_below = False
        inner_entry = entry or tag in ENTRY_ELEMENTS
        for child in element:
            child_tag = child.tag
            if child_tag.__class__ is str:  # an element (not a comment or a processing instruction)
                identified_below = self._visit(child, child_tag, owner, inner_entry) \
                    or identified_below
            tail = child.tail
            if tail:
                parts.append(tail)
                self.length += len(tail)
        if xml_id is not None:
            self.passages[number] = (xml_id, tag.rpartition("}")[2], "".join(parts[first_part:]),
                                     number + 1, not identified_below)
            if not identified_below:
                self.leaves.append(element)  # leaves do not nest: in document order
        kind = TYPE_FOR_ELEMENT.get(tag)
        if kind is not None and not entry:
            ref = next(filter(None, map(self.refs.key, (element.get("ref") or "").split())),
                       None) or (element.get("key") or "").strip() or None
            surface = " ".join("".join(parts[first_part:]).split())
            self.mentions.append((owner[0], kind, ref, surface, start - owner[1],
                                  self.length - owner[1],
                                  _mention_dates(element) if kind == "date" else NO_DATES))
        return identified_below or xml_id is not None


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
    idno = " ".join(str(_IDNO(parse_tei(path))).split())
    return idno if valid_id(idno) else path.stem
