"""``archive import``: TEI documents made by other projects, kept exactly as they are.

An imported document is stored byte for byte as ``tei/<id>.xml`` (with ``--annotate``, our
tags are added only in untagged text and the tree is written back without reindenting). Its
own person/place/org lists (anywhere in it, or in a separate list file imported with it) go to
the registry as entries namespaced by their owner (``<owner>.<xml:id>``, ``Entry.source`` =
owner). ``imports.json`` in the data directory records what was imported from where: the
index resolves refs with it (:class:`RefResolver`), ``archive check`` and ``validate --all``
hold imported documents to TEI, not to the archive's own rules.

Our own exports (:mod:`archive.interchange.export`) come back as they left: the ``standOff`` and the
``change`` an export adds are removed, the registry entries they carry are kept under their
own ids, and a document the archive made is stored canonically again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.errors import TeiStructureError
from tei.namespaces import NSMAP, TEI_CORPUS, TEI_TEXT, tei
from tei.parse import parse_tei
from tei.serialize import serialize

from ..annotate import Recogniser, annotate
from ..config import Settings
from ..errors import ArchiveError
from ..index import update_index
from ..registry import (
    Entry,
    ImportRecord,
    Registry,
    iter_entry_elements,
    load_imports,
    load_registry,
    read_entries,
    read_entry,
    save_imports,
    slug,
)
from ..store import atomic_write, data_lock, tei_path

IMPORTS_FILE = "imports.json"
#: ``standOff/@type`` and ``change/@type`` of what an export adds (removed again on import).
EXPORT_STAND_OFF = "archive-registry"
EXPORT_CHANGE = "archive-export"
#: ``application/@ident`` of the archive's encoder: a document the archive made.
ARCHIVE_APPLICATION = "tei-archive"

_PUBLICATION_IDNOS = etree.XPath(
    "/tei:TEI/tei:teiHeader/tei:fileDesc/tei:publicationStmt/tei:idno", namespaces=NSMAP)
_OURS = etree.XPath(f"/tei:TEI/tei:teiHeader/tei:encodingDesc/tei:appInfo/tei:application"
                    f"[@ident = '{ARCHIVE_APPLICATION}']", namespaces=NSMAP)
_EXPORT_PARTS = etree.XPath(
    f"/tei:TEI/tei:standOff[@type = '{EXPORT_STAND_OFF}'] | "
    f"/tei:TEI/tei:teiHeader/tei:revisionDesc//tei:change[@type = '{EXPORT_CHANGE}']",
    namespaces=NSMAP)


# --- importing --------------------------------------------------------------------------------

@dataclass
class Prepared:
    """One input, read and ready to write."""

    path: Path
    id: str
    data: bytes  # what is stored (the input's bytes unless annotated or an export)
    kind: str  # "document", "list" or "native" (a document the archive made)
    entries: list[Entry]  # namespaced entries of its own lists
    carried: list[Entry]  # registry entries an export of ours carried (their own ids)
    lists: tuple[str, ...] = ()
    tree: etree._ElementTree | None = None


def input_files(paths: Iterable[Path]) -> list[Path]:
    """The files to import: each file, and every ``*.xml`` below each folder, in name order.

    :raise ArchiveError: a path does not exist, or nothing is left to import.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.xml") if not p.name.startswith("."))
        elif path.exists():
            files.append(path)
        else:
            raise ArchiveError("no such file or directory", str(path))
    if not files:
        raise ArchiveError("no TEI files to import")
    return list(dict.fromkeys(files))


def import_files(settings: Settings, paths: Sequence[Path], *, annotate_names: bool = False,
                 progress: Callable[[str], None] | None = None) -> list[tuple[str, Path]]:
    """Import TEI files into the data directory, then update the index.

    Every file is read and checked first: a bad one raises before anything is written.

    :param annotate_names: also tag names and dates in text that carries no tags.
    :return: ``(id, path)`` per file, in input order.
    :raise tei.errors.TeiError: a file is not well-formed namespaced TEI.
    :raise ArchiveError: a file is a teiCorpus, or an id cannot be given.
    """
    files = input_files(paths)
    imports = load_imports(settings)
    prepared = [_read(path) for path in files]
    _assign_ids(settings, prepared, imports)
    _link_lists(prepared, imports)
    with data_lock(settings.data_dir):
        registry = load_registry(settings)
        _merge_entries(registry, prepared)
        if annotate_names:
            _annotate(settings, registry, [p for p in prepared if p.kind == "document"])
        for item in prepared:
            if item.kind != "list":
                atomic_write(tei_path(settings.tei_dir, item.id), item.data)
            if progress:
                progress(item.id)
        registry.save(settings.registry_dir)
        for item in prepared:
            imports.pop(item.id, None)
            if item.kind != "native":
                imports[item.id] = ImportRecord(
                    item.id, str(item.path.resolve()), hashlib.sha256(
                        item.path.read_bytes()).hexdigest(),
                    "list" if item.kind == "list" else "document", item.lists, annotate_names)
        save_imports(settings, imports)
        update_index(settings)
    return [(item.id, item.path) for item in prepared]


def _read(path: Path) -> Prepared:
    tree = parse_tei(path)
    root = tree.getroot()
    if root.tag == TEI_CORPUS:
        raise TeiStructureError("a teiCorpus: import its TEI documents one by one", str(path))
    data = path.read_bytes()
    carried: list[Entry] = []
    parts = _EXPORT_PARTS(tree)
    if parts:  # an export of ours: take back what the export added
        carried = [read_entry(e, None) for part in parts if part.tag == tei("standOff")
                   for e in iter_entry_elements(part)]
        for part in parts:
            parent = part.getparent()
            parent.remove(part)
            if not len(parent) and parent.tag == tei("revisionDesc"):
                parent.getparent().remove(parent)
    native = bool(_OURS(tree)) and _archive_idno(tree) is not None
    if native:
        data = serialize(tree)
    elif parts:
        data = document_bytes(tree)
    kind = "native" if native else "document" if root.find(TEI_TEXT) is not None else "list"
    if kind == "list" and not any(True for _ in iter_entry_elements(root)):
        raise TeiStructureError("neither a <text> nor person/place/org lists to import",
                                str(path))
    return Prepared(path, "", data, kind, [], carried, tree=tree)


def document_bytes(tree: etree._ElementTree) -> bytes:
    """The whole document as UTF-8, not reindented: comments and PIs around the root stay."""
    return etree.tostring(tree, encoding="UTF-8", xml_declaration=True) + b"\n"


def _archive_idno(tree: etree._ElementTree) -> str | None:
    idno: etree._Element
    for idno in _PUBLICATION_IDNOS(tree):
        if idno.get("type") == "archive" and (idno.text or "").strip():
            return (idno.text or "").strip()
    return None


def _assign_ids(settings: Settings, prepared: list[Prepared],
                imports: Mapping[str, ImportRecord]) -> None:
    taken = {path.stem for path in settings.tei_dir.glob("*.xml")} | set(imports)
    given: dict[str, Path] = {}
    for item in prepared:
        assert item.tree is not None
        if item.kind == "native":
            item.id = _archive_idno(item.tree) or ""
            try:
                tei_path(settings.tei_dir, item.id)
            except ValueError:
                raise ArchiveError(f"unusable archive id {item.id!r}", str(item.path)) from None
            if item.id in given:
                raise ArchiveError(f"document id {item.id!r} is also the id of "
                                   f"{given[item.id]}", str(item.path))
        else:
            idnos = [(i.text or "").strip() for i in _PUBLICATION_IDNOS(item.tree)]
            base = slug(next((i for i in idnos if i), "") or item.path.stem)
            item.id, number = base, 1
            resolved = str(item.path.resolve())
            while item.id in given or (item.id in taken and (
                    item.id not in imports or imports[item.id].path != resolved)):
                number += 1
                item.id = f"{base}-{number}"
        given[item.id] = item.path
        if item.kind != "native":
            item.entries = read_entries(item.tree.getroot(), item.id)


def _link_lists(prepared: list[Prepared], imports: Mapping[str, ImportRecord]) -> None:
    """Record which list files each document points into (``persons.xml#p1``)."""
    lists = {Path(r.path).name: key for key, r in imports.items() if r.kind == "list"}
    lists.update({item.path.name: item.id for item in prepared if item.kind == "list"})
    for item in prepared:
        if item.kind != "document" or item.tree is None:
            continue
        named = set()
        for element in item.tree.getroot().iter():
            if not isinstance(element.tag, str):
                continue
            for value in element.attrib.values():
                for token in value.split():
                    name = Path(token.partition("#")[0]).name if "#" in token else ""
                    if name in lists:
                        named.add(lists[name])
        item.lists = tuple(sorted(named))


def _merge_entries(registry: Registry, prepared: Sequence[Prepared]) -> None:
    owners = {item.id for item in prepared}
    for entry_id in [e.id for e in registry.entries.values() if e.source in owners]:
        registry.remove(entry_id)  # a re-import replaces what the same owner brought
    for item in prepared:
        for entry in item.entries:
            registry.add(entry)
        for entry in item.carried:  # an export of ours: the registry's own entries
            if registry.get(entry.id) is None:
                registry.add(entry)


def _annotate(settings: Settings, registry: Registry, documents: Sequence[Prepared]) -> None:
    """Tag names and dates in text without tags (never inside or around existing ones)."""
    # link to the archive's own entries only: another project's names stay theirs
    own = Registry({k: e for k, e in registry.entries.items() if e.source is None},
                   set(registry.rejected))
    recogniser = Recogniser(own)
    for item in documents:
        assert item.tree is not None
        if annotate(item.tree, recogniser.recognise):
            item.data = document_bytes(item.tree)
    for surface, kind, _ in recogniser.proposals():
        registry.propose(surface, kind)
    del settings


def stored_bytes_equal(first: bytes, second: bytes) -> bool:
    """Whether two documents are equal under XML canonicalisation (C14N 2.0, comments kept)."""
    return _c14n(first) == _c14n(second)


def _c14n(data: bytes) -> str:
    import io

    from tei.parse import parse_bytes

    parse_bytes(data)  # the safe parser first: no entities, no DTD reach canonicalize
    return etree.canonicalize(from_file=io.BytesIO(data), with_comments=True)

