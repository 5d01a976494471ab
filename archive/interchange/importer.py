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

Ids: a document's id is its ``<idno type="archive">`` when that is a usable id (the index
reads it), else a slug of its first idno or file name. An id that is another document's
(not the same file imported again) is refused before anything is written; so is a document
of ours whose archive id is unusable. An import is a transaction: it takes the data lock,
rolls back what a dead writer left, chooses ids, records in a journal what it will change,
writes, saves ``imports.json`` and drops the journal. A kill or a full disk at any point
leaves nothing or everything (the next writer or ``archive check --repair`` rolls back).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.errors import TeiStructureError
from tei.namespaces import NSMAP, TEI_CORPUS, TEI_TEXT, tei
from tei.parse import parse_tei_bytes, read_file
from tei.serialize import serialize
from tei.validate import validate_bytes

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
    merge_imported,
    namespaced_id,
    project_of,
    read_entries,
    read_entry,
    save_imports,
    slug,
)
from ..store import (
    atomic_write,
    begin_journal,
    data_lock,
    end_journal,
    recover,
    tei_path,
    valid_id,
)

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
    sha256: str = ""  # of the input file as read


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
                 replace: bool = False, progress: Callable[[str], None] | None = None,
                 ) -> list[tuple[str, Path]]:
    """Import TEI files into the data directory, then update the index.

    Every file is read and checked first, and every id chosen: a bad file or an id that is
    another document's raises before anything is written. The writes are one transaction
    (see the module docstring).

    :param annotate_names: also tag names and dates in text that carries no tags.
    :param replace: a document of ours (an export) may replace the archive's document of the
        same id when they differ (else that is refused).
    :return: ``(id, path)`` per file, in input order.
    :raise tei.errors.TeiError: a file is not well-formed namespaced TEI.
    :raise ArchiveError: a file is a teiCorpus, or an id cannot be given.
    :raise OSError: the disk is full or read-only (nothing of this import is left).
    """
    files = input_files(paths)
    prepared = [_read(path) for path in files]
    with data_lock(settings.data_dir):
        imports = load_imports(settings)  # read under the lock: ids cannot be taken twice
        _assign_ids(settings, prepared, imports, replace)
        _link_lists(prepared, imports)
        registry = load_registry(settings)
        _merge_entries(registry, prepared, imports)
        if annotate_names:
            _annotate(settings, registry, [p for p in prepared if p.kind == "document"])
        targets = {tei_path(settings.tei_dir, item.id): item.data for item in prepared
                   if item.kind != "list"}
        for item in prepared:
            imports.pop(item.id, None)
            if item.kind != "native":
                imports[item.id] = ImportRecord(
                    item.id, str(item.path.resolve()), item.sha256,
                    "list" if item.kind == "list" else "document", item.lists, annotate_names)
        begin_journal(settings.data_dir, "import",
                      [*targets, settings.data_dir / IMPORTS_FILE], [settings.registry_dir])
        try:
            for item in prepared:
                if item.kind != "list":
                    atomic_write(tei_path(settings.tei_dir, item.id), item.data)
                if progress:
                    progress(item.id)
            registry.save(settings.registry_dir)
            save_imports(settings, imports)
        except BaseException:  # a full disk, an interrupt: take back what was written
            try:
                recover(settings.data_dir)
            except (OSError, ArchiveError):
                pass  # the journal stays: the next writer rolls back
            raise
        end_journal(settings.data_dir)
        update_index(settings)
    return [(item.id, item.path) for item in prepared]


def _read(path: Path) -> Prepared:
    data = read_file(path)
    sha256 = hashlib.sha256(data).hexdigest()
    tree = parse_tei_bytes(data, str(path))
    root = tree.getroot()
    if root.tag == TEI_CORPUS:
        raise TeiStructureError("a teiCorpus: import its TEI documents one by one", str(path))
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
    return Prepared(path, "", data, kind, [], carried, tree=tree, sha256=sha256)


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
                imports: Mapping[str, ImportRecord], replace: bool) -> None:
    """Give each input its id (see the module docstring); refuse ids that are taken.

    :raise ArchiveError: an id is unusable, or another document's (named in the message).
    """
    taken = {path.stem for path in settings.tei_dir.glob("*.xml")} | set(imports)
    given: dict[str, Path] = {}
    for item in prepared:
        assert item.tree is not None
        resolved = str(item.path.resolve())
        archive_id = _archive_idno(item.tree)
        if item.kind == "native" or (archive_id is not None and valid_id(archive_id)):
            # the index will read this id from the document: it is the id, or nothing is
            item.id = archive_id or ""
            if not valid_id(item.id):
                shown = item.id if len(item.id) <= 60 else f"{item.id[:57]}..."
                raise ArchiveError(f"unusable archive id {shown!r} in <idno type=\"archive\">",
                                   str(item.path))
            if item.id in given:
                raise ArchiveError(f"document id {item.id!r} is also the id of "
                                   f"{given[item.id]}", str(item.path))
            _check_not_taken(settings, item, imports.get(item.id), item.id in taken, replace,
                             resolved)
        else:
            idnos = [(i.text or "").strip() for i in _PUBLICATION_IDNOS(item.tree)]
            base = slug(next((i for i in idnos if i), "") or item.path.stem)
            item.id, number = base, 1
            while item.id in given or (item.id in taken and (
                    item.id not in imports or imports[item.id].path != resolved)):
                number += 1
                item.id = f"{base}-{number}"
        given[item.id] = item.path
        if item.kind != "native":
            item.entries = read_entries(item.tree.getroot(), item.id)


def _check_not_taken(settings: Settings, item: Prepared, record: ImportRecord | None,
                     taken: bool, replace: bool, resolved: str) -> None:
    """Refuse an id the input does not own: a document of ours may come back over itself
    (unchanged, or with ``replace``), an imported file over its own earlier import."""
    if not taken:
        return
    if record is not None:
        if item.kind != "native" and record.path == resolved:
            return  # the same file imported again
        raise ArchiveError(f"document id {item.id!r} is already the id of {record.path} "
                           f"(imported): not imported", str(item.path))
    if item.kind != "native":
        raise ArchiveError(f"document id {item.id!r} (its <idno type=\"archive\">) is already "
                           f"the id of a document of the archive: not imported", str(item.path))
    stored = tei_path(settings.tei_dir, item.id)
    if not replace and (not stored.is_file() or stored.read_bytes() != item.data):
        raise ArchiveError(f"document {item.id!r} is already in the archive and differs: not "
                           f"imported (give --replace to replace it)", str(item.path))


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


def _merge_entries(registry: Registry, prepared: Sequence[Prepared],
                   imports: Mapping[str, ImportRecord]) -> None:
    """Entries of the inputs' lists into the registry: one entry per entity across the files
    of an edition (see :func:`archive.registry.merge_imported`); a re-import replaces what the
    same owner brought."""
    owners = {key: project_of(record) for key, record in imports.items()}
    owners.update({item.id: str(item.path.resolve().parent) for item in prepared})
    roles = {namespaced_id(item.id, token.lstrip("#")) for item in prepared if item.tree is not None
             for sp in item.tree.iter(tei("sp")) for token in (sp.get("who") or "").split()}
    merge_imported(registry, [e for item in prepared for e in item.entries],
                   {item.id for item in prepared}, owners, roles)
    for item in prepared:
        for entry in item.carried:  # an export of ours: the registry's own entries
            if registry.get(entry.id) is None:
                registry.add(entry)


def _annotate(settings: Settings, registry: Registry, documents: Sequence[Prepared]) -> None:
    """Tag names and dates in text without tags (never inside or around existing ones)."""
    # link to the archive's own entries only: another project's names stay theirs
    own = Registry({k: e for k, e in registry.entries.items() if e.source is None},
                   set(registry.rejected))
    recogniser = Recogniser.for_archive(own, settings)
    for item in documents:
        assert item.tree is not None
        if annotate(item.tree, recogniser.recognise, recogniser.components):
            tagged = document_bytes(item.tree)
            _tagging_gate(settings, item.path, item.data, tagged)
            item.data = tagged
    for surface, kind, _ in recogniser.proposals():
        registry.propose(surface, kind)


def _tagging_gate(settings: Settings, path: Path, before: bytes, after: bytes) -> None:
    """Tagging may not make an imported document invalid: with tei_all configured
    (``ARCHIVE_TEI_ALL_RNG``), the tagged document may have no error the input did not have.

    :raise ArchiveError: it has one (then nothing of the import is written).
    """
    rng = settings.tei_all_rng
    if rng is None:
        return
    old = Counter(i.message for i in validate_bytes(before, str(path), rng=rng).issues
                  if i.severity == "error")
    new = [i for i in validate_bytes(after, str(path), rng=rng).issues
           if i.severity == "error" and not _seen(old, i.message)]
    if new:
        raise ArchiveError(f"not imported: tagging made it invalid TEI (line {new[0].line}: "
                           f"{new[0].message}); import it without --annotate", str(path))


def _seen(known: Counter[str], message: str) -> bool:
    """Whether an error of this message is one the input had (each counts once)."""
    if known[message] > 0:
        known[message] -= 1
        return True
    return False


def stored_bytes_equal(first: bytes, second: bytes) -> bool:
    """Whether two documents are equal under XML canonicalisation (C14N 2.0, comments kept)."""
    return _c14n(first) == _c14n(second)


def _c14n(data: bytes) -> str:
    import io

    from tei.parse import parse_bytes

    parse_bytes(data)  # the safe parser first: no entities, no DTD reach canonicalize
    return etree.canonicalize(from_file=io.BytesIO(data), with_comments=True)

