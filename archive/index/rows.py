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

from tei.namespaces import NSMAP, TEI_LB, TEI_TEXT, TYPE_FOR_ELEMENT, XML_ID, XML_LANG
from tei.parse import parse_bytes, parse_tei

from ..registry import ENTRY_ELEMENTS, PLAIN_REFS, DocumentRefs, RefResolver, in_entry
from ..store import valid_id
from .facets import Facet, facet_values

#: Attributes not recorded per document (unique per element, useless for pruning).
UNINDEXED_ATTRIBUTES = frozenset({XML_ID, "target"})

_H = "/tei:TEI/tei:teiHeader"
_HEADER = {
    name: etree.XPath(f"string({expression})", namespaces=NSMAP)
    for name, expression in {
        "idno": f"{_H}/tei:fileDesc/tei:publicationStmt/tei:idno[@type='archive']",
        "title": f"{_H}/tei:fileDesc/tei:titleStmt/tei:title[1]",
        "publication": f"({_H}/tei:fileDesc/tei:sourceDesc/tei:bibl/tei:title[@level='j'])[1]",
        "publisher": f"({_H}/tei:fileDesc/tei:sourceDesc/tei:bibl/tei:publisher)[1]",
        "date": f"({_H}/tei:fileDesc/tei:sourceDesc/tei:bibl/tei:date)[1]/@when",
        "kind": f"({_H}/tei:profileDesc/tei:textClass//tei:term[@type='kind'])[1]",
        "language": f"({_H}/tei:profileDesc/tei:langUsage/tei:language/@ident)[1]",
        "licence": f"({_H}/tei:fileDesc/tei:publicationStmt/tei:availability/tei:licence)[1]",
    }.items()
}
_AUTHORS = etree.XPath(f"{_H}/tei:fileDesc/tei:titleStmt/tei:author", namespaces=NSMAP)


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
    header: dict[str, str | int | None] = {
        name: " ".join(str(xpath(tree)).split()) or None for name, xpath in _HEADER.items()}
    idno = str(header.pop("idno") or "")
    doc_id = idno if valid_id(idno) else path.stem  # an unusable idno never becomes an id
    header["author"] = "; ".join(" ".join("".join(a.itertext()).split())
                                 for a in _AUTHORS(tree)) or None
    header["language"] = header["language"] or root.get(XML_LANG)
    header["publication"] = header["publication"] or header["publisher"]
    header["start_day"], header["end_day"] = day_range(header["date"])  # type: ignore[arg-type]
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


def day_range(value: str | None) -> tuple[int | None, int | None]:
    """The first and last day (days since 1970-01-01) an ISO date may mean.

    ``"1924"`` → all of 1924, ``"1924-09"`` → all of September; ``None`` or an unreadable
    value → ``(None, None)``, an open end.
    """
    if not value:
        return None, None
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("-").split("-")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        return None, None
    if not 1 <= len(numbers) <= 3 or len(parts[0]) < 4:
        return None, None
    year = sign * numbers[0]
    if len(numbers) == 1:
        return _days(year, 1, 1), _days(year, 12, 31)
    month = numbers[1]
    if not 1 <= month <= 12:
        return None, None
    last = _month_length(year, month)
    if len(numbers) == 2:
        return _days(year, month, 1), _days(year, month, last)
    if not 1 <= numbers[2] <= last:
        return None, None
    day = _days(year, month, numbers[2])
    return day, day


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days(year: int, month: int, day: int) -> int:
    # Days from civil (proleptic Gregorian, astronomical years), valid for negative years too.
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def file_id(path: Path) -> str:
    """A file's document id (its archive idno, else its name), read from the file itself."""
    idno = str(_HEADER["idno"](parse_tei(path)))
    return idno if valid_id(idno) else path.stem
