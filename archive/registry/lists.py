"""Reading other projects' TEI: their person/place/org lists as registry entries, and ids.

Another project's lists may stand anywhere (``particDesc``, ``back``, ``standOff``, a separate
file) and use any mix of ``persName``/``name``/``forename``…; an entry becomes an
:class:`~archive.registry.Entry` whose id is namespaced by its owner (the document or list
file that defines it): ``<owner>.<xml:id>``, so that two projects' ``#p1`` never collide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from lxml import etree

from tei.namespaces import (
    TEI_NAME,
    TEI_ORG,
    TEI_ORG_NAME,
    TEI_PERS_NAME,
    TEI_PERSON,
    TEI_PLACE,
    TEI_PLACE_NAME,
    XML_ID,
    tei,
)

from .authority import NER_RESP, Entry, EntryType
from .merging import authority_id

TEI_PERSON_GROUP = tei("personGrp")
TEI_BIRTH = tei("birth")
TEI_DEATH = tei("death")
TEI_GEO = tei("geo")
TEI_IDNO = tei("idno")

#: entry element → (entry type, the name elements tried in order)
ENTRY_ELEMENTS: dict[str, tuple[EntryType, tuple[str, ...]]] = {
    TEI_PERSON: ("person", (TEI_PERS_NAME, TEI_NAME)),
    TEI_PERSON_GROUP: ("person", (TEI_PERS_NAME, TEI_NAME)),
    TEI_PLACE: ("place", (TEI_PLACE_NAME, tei("settlement"), tei("geogName"), TEI_NAME)),
    TEI_ORG: ("org", (TEI_ORG_NAME, TEI_NAME)),
}
_ISO_DATE = re.compile(r"-?\d{4}(-\d{2}(-\d{2})?)?\Z")
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_WIKIDATA = re.compile(r"https?://(?:www\.)?wikidata\.org/(?:entity|wiki)/(Q\d+)\Z")


def slug(value: str) -> str:
    """A document or list id from an idno or a file stem: lowercase ASCII, NCName-safe.

    ``"1819-01-10 MaryWebb"`` → ``"doc-1819-01-10-marywebb"``; dots become ``-`` so that a
    namespaced entry id ``<owner>.<local>`` splits at its first dot.
    """
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9_-]+", "-", ascii_value.lower()).strip("-")[:80].strip("-")
    if not text:
        return "doc"
    return text if text[0].isalpha() or text[0] == "_" else f"doc-{text}"


def namespaced_id(owner: str, local: str) -> str:
    """The registry id of entry ``local`` of ``owner``: ``"mitford.MRM"`` (ASCII, NCName-safe)."""
    ascii_local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    return f"{owner}.{_NOT_ID.sub('_', ascii_local) or '_'}"


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


#: Name parts: separate words even where the markup has no space between them.
_NAME_PARTS = frozenset(tei(local) for local in (
    "forename", "surname", "roleName", "addName", "genName", "nameLink"))
#: What a name element may hold that is not the name: authority numbers, pointers, notes.
_NOT_NAME = frozenset(tei(local) for local in ("idno", "ptr", "note", "ref", "bibl"))


def name_text(element: etree._Element) -> str:
    """A name as a catalogue gives it: its text without authority numbers, pointers or notes
    (``<idno>``, ``<ptr>``, ``<note>``), name parts as separate words, in their order; a
    surname before the forename is set off by a comma (``Schnitzler, Arthur``).

    ``<persName><forename>Johann</forename><surname>Nestroy</surname></persName>`` →
    ``"Johann Nestroy"``.
    """
    parts: list[str] = [element.text or ""]
    seen: list[str] = []
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _NOT_NAME:
            if child.tag in _NAME_PARTS:
                seen.append(etree.QName(child).localname)
                if seen[-2:] == ["surname", "forename"] and not any(
                        "," in part for part in parts[-1:]):
                    parts.append(",")
                parts.append(f" {name_text(child)} ")
            else:
                parts.append(name_text(child) if len(child) else "".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split()).replace(" ,", ",").strip(" ,;")


def in_entry(element: etree._Element) -> bool:
    """Whether a name stands inside a person/place/org entry (a list, not running text)."""
    return next(element.iterancestors(*ENTRY_ELEMENTS), None) is not None  # lxml's C filter


def iter_entry_elements(root: etree._Element) -> Iterator[etree._Element]:
    """Every person, personGrp, place and org with an ``xml:id``, anywhere in the tree."""
    for element in root.iter(*ENTRY_ELEMENTS):
        if element.get(XML_ID):
            yield element


def read_entries(root: etree._Element, owner: str) -> list[Entry]:
    """The entries a document or list file defines, namespaced by ``owner``.

    :param root: the document's root element.
    :param owner: the id of the document (or list file) that defines them.
    :return: one entry per identified person/place/org, in document order.
    """
    return [read_entry(element, owner) for element in iter_entry_elements(root)]


def read_entry(element: etree._Element, owner: str | None) -> Entry:
    """One entry; its id is ``<owner>.<xml:id>``, or the ``xml:id`` itself when owner is None.

    A name is the text of the first name element of the entry's kind (then ``name``, then any
    text, then the id): other projects do not always mark a preferred form.
    """
    kind, name_tags = ENTRY_ELEMENTS[str(element.tag)]
    local = element.get(XML_ID, "")
    names: list[str] = []
    for tag in name_tags:
        names += [name_text(name) for name in element.iterchildren(tag) if name_text(name)]
        if names:
            break
    preferred = [name_text(n) for n in element.iterchildren(name_tags[0])
                 if n.get("type") == "preferred" and name_text(n)]
    names = list(dict.fromkeys(preferred + names)) or [_text(element)[:200] or local]
    birth = _date(element, TEI_BIRTH) if kind == "person" else None
    death = _date(element, TEI_DEATH) if kind == "person" else None
    return Entry(
        id=namespaced_id(owner, local) if owner else local, type=kind, name=names[0],
        variants=tuple(names[1:]), birth=birth, death=death,
        geo=_geo(element) if kind == "place" else None, idnos=_idnos(element),
        proposed=NER_RESP in (element.get("resp") or "").split(), source=owner)


def _date(element: etree._Element, tag: str) -> str | None:
    found = element.find(tag)
    if found is None:
        return None
    dated = found.find(tei("date"))  # <birth><date when="…"/></birth>, as some projects write
    for holder in (found, *(() if dated is None else (dated,))):
        value = holder.get("when") or holder.get("notBefore") or holder.get("from") or ""
        if _ISO_DATE.match(value):
            return value
    return None


def _geo(element: etree._Element) -> tuple[float, float] | None:
    found = next(element.iter(TEI_GEO), None)
    if found is None:
        return None
    try:
        lat, lon = (float(part) for part in _text(found).replace(",", " ").split())
    except ValueError:
        return None  # another notation (degrees, a GML point): not read
    return lat, lon


def _idnos(element: etree._Element) -> tuple[tuple[str, str], ...]:
    found = [(idno.get("type") or "uri", _text(idno)) for idno in element.iterchildren(TEI_IDNO)
             if _text(idno)]
    # DraCor and others point to Wikidata (GND, VIAF, GeoNames) from @ana/@sameAs/@corresp/@ref
    for attribute in ("ana", "sameAs", "corresp", "ref"):
        for token in (element.get(attribute) or "").split():
            match = _WIKIDATA.match(token)
            authority = ("wikidata", match.group(1)) if match else authority_id("uri", token)
            if authority and authority not in found:
                found.append(authority)
    return tuple(found)
