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

Every TEI document is imported whatever its genre: a ``TEI`` with a ``text``, a ``sourceDoc``
(a genetic transcript), only a header, or a whole ``teiCorpus`` (stored as one document). A
``TEI`` with no ``text`` or ``sourceDoc`` but person/place/org entries is a *list file*: its
entries go to the registry and its bytes to ``lists/<id>.xml`` (exported as they are). A
document with a DOCTYPE is read with :class:`tei.parse.DtdAccess` (its own folder, the folder
imported, ``--dtd-path``); what its DTD needs is kept in its DTD snapshot beside it.

Ids: a document's id is its ``<idno type="archive">`` when that is a usable id (the index
reads it), else a slug of the root's ``xml:id``, else of the first ``publicationStmt/idno``
that is neither a URL nor a placeholder (``xxxx``), else of the file name: the same file
always gets the same id, whatever else is imported and in which order. An id that is another
document's (not the same file imported again) is refused, with the other file named, unless
``id_prefix`` is given (``PREFIX-<id>``) or ``rename`` (``<id>-<hash of the file>``); so is a
document of ours whose archive id is unusable. Without ``refused`` the first bad file stops
the run before anything is written; with it, bad files are listed there and the rest imported.
An import is a transaction: it takes the data lock,
rolls back what a dead writer left, chooses ids, records in a journal what it will change,
writes, saves ``imports.json`` and drops the journal. A kill or a full disk at any point
leaves nothing or everything (the next writer or ``archive check --repair`` rolls back).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.errors import TeiError
from tei.namespaces import NSMAP, TEI_CORPUS, TEI_TEXT, XML_ID, tei
from tei.parse import (
    Doctype,
    DtdAccess,
    check_tei_root,
    duplicate_ids,
    read_doctype,
    read_file,
    snapshot_path,
)
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
    LISTS_DIR,
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
    doctype: bytes | None = None  # the DTD snapshot to store beside it (a DOCTYPE's files)


def list_path(settings: Settings, list_id: str) -> Path:
    """Where an imported list file's bytes are kept: ``lists/<id>.xml``."""
    return tei_path(settings.data_dir / LISTS_DIR, list_id)


def stored_path(settings: Settings, item: Prepared) -> Path:
    return list_path(settings, item.id) if item.kind == "list" else tei_path(
        settings.tei_dir, item.id)


def input_files(paths: Iterable[Path]) -> dict[Path, Path]:
    """The files to import: each file, and every ``*.xml`` below each folder, in name order,
    each with the folder tree its DOCTYPE's files may come from (the folder given, or the
    file's own folder).

    :raise ArchiveError: a path does not exist, or nothing is left to import.
    """
    files: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*.xml") if not p.name.startswith(".")):
                files.setdefault(found, path)
        elif path.exists():
            files.setdefault(path, path.parent)
        else:
            raise ArchiveError("no such file or directory", str(path))
    if not files:
        raise ArchiveError("no TEI files to import")
    return files


def import_files(settings: Settings, paths: Sequence[Path], *, annotate_names: bool = False,
                 replace: bool = False, progress: Callable[[str], None] | None = None,
                 dtd_path: Sequence[Path] = (), id_prefix: str | None = None,
                 rename: bool = False, refused: list[str] | None = None,
                 warnings: list[str] | None = None) -> list[tuple[str, Path]]:
    """Import TEI files into the data directory, then update the index.

    Every file is read and checked first, and every id chosen: a bad file or an id that is
    another document's raises before anything is written. The writes are one transaction
    (see the module docstring).

    :param annotate_names: also tag names and dates in text that carries no tags.
    :param replace: a document of ours (an export) may replace the archive's document of the
        same id when they differ (else that is refused).
    :param dtd_path: folders where a DOCTYPE's files are also looked up by name.
    :param id_prefix: ``PREFIX-`` before each id of a foreign file.
    :param rename: an id that is taken gets ``-<8 hex digits of the file's SHA-256>``.
    :param refused: when given, a bad file is not an error: ``"<file>: <reason>"`` is added
        here and the other files are imported.
    :param warnings: when given, gets one line per imported file with a validity problem
        (a duplicate ``xml:id``), which ``archive validate`` reports in full.
    :return: ``(id, path)`` per imported file, in input order.
    :raise tei.errors.TeiError: a file is not well-formed namespaced TEI (without ``refused``).
    :raise ArchiveError: an id cannot be given (without ``refused``).
    :raise OSError: the disk is full or read-only (nothing of this import is left).
    """
    if id_prefix is not None and not valid_id(id_prefix):
        raise ArchiveError(f"unusable --id-prefix {id_prefix!r}: letters, digits, '_', '-'")
    files = input_files(paths)
    prepared: list[Prepared] = []
    for path, folder in files.items():
        access = DtdAccess(tuple(dict.fromkeys((path.parent, folder))), tuple(dtd_path))
        try:
            prepared.append(_read(path, access))
        except (TeiError, ArchiveError) as error:
            if refused is None:
                raise
            refused.append(str(error))
    with data_lock(settings.data_dir):
        imports = load_imports(settings)  # read under the lock: ids cannot be taken twice
        prepared = _assign_ids(settings, prepared, imports, replace, id_prefix, rename, refused)
        if not prepared:
            return []
        if warnings is not None:
            warnings += [line for item in prepared for line in _validity_warnings(item)]
        _link_lists(prepared, imports)
        registry = load_registry(settings)
        _merge_entries(registry, prepared, imports)
        if annotate_names:
            _annotate(settings, registry, [p for p in prepared if p.kind == "document"])
        targets = {stored_path(settings, item): item.data for item in prepared}
        snapshots = {snapshot_path(path): item.doctype for item in prepared
                     for path in [stored_path(settings, item)]
                     if item.doctype is not None or snapshot_path(path).exists()}
        for item in prepared:
            imports.pop(item.id, None)
            if item.kind != "native":
                imports[item.id] = ImportRecord(
                    item.id, str(item.path.resolve()), item.sha256,
                    "list" if item.kind == "list" else "document", item.lists, annotate_names)
        begin_journal(settings.data_dir, "import",
                      [*targets, *snapshots, settings.data_dir / IMPORTS_FILE],
                      [settings.registry_dir])
        try:
            for snapshot, doctype in snapshots.items():
                if doctype is None:
                    snapshot.unlink(missing_ok=True)  # the file no longer has a DOCTYPE
                else:
                    atomic_write(snapshot, doctype)
            for item in prepared:
                atomic_write(stored_path(settings, item), item.data)
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


def _read(path: Path, access: DtdAccess) -> Prepared:
    data = read_file(path)
    sha256 = hashlib.sha256(data).hexdigest()
    tree, doctype = read_doctype(data, str(path), access)
    check_tei_root(tree, str(path))
    root = tree.getroot()
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
    kind = "native" if native else "document"
    if (root.tag != TEI_CORPUS and root.find(TEI_TEXT) is None
            and root.find(tei("sourceDoc")) is None
            and any(True for _ in iter_entry_elements(root))):
        kind = "list"  # lists only: their entries go to the registry
    snapshot = None if doctype is None else _snapshot(data, path, doctype)
    return Prepared(path, "", data, kind, [], carried, tree=tree, sha256=sha256,
                    doctype=snapshot)


def _snapshot(data: bytes, path: Path, doctype: Doctype) -> bytes:
    """The DTD snapshot to keep beside the stored document: the files its DOCTYPE read,
    when the document needs them (else none, so that it never reads its stored folder)."""
    try:
        read_doctype(data, str(path), DtdAccess())  # nothing read: still the same tree?
        needed = False
    except TeiError:
        needed = True
    return Doctype(doctype.base, doctype.files if needed else {}).to_json()


def _validity_warnings(item: Prepared) -> list[str]:
    if item.tree is None:
        return []
    found = list(duplicate_ids(item.tree.getroot()))
    if not found:
        return []
    value, line, first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return [f"{item.path}:{line}: warning: duplicate xml:id {value!r} (first at line {first})"
            f"{more}: imported as it is; `archive validate` lists every one"]


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
                imports: Mapping[str, ImportRecord], replace: bool, id_prefix: str | None,
                rename: bool, refused: list[str] | None) -> list[Prepared]:
    """Give each input its id (see the module docstring); refuse ids that are taken.

    :return: the inputs that have an id (all of them, or without ``refused``, an error).
    :raise ArchiveError: an id is unusable, or another document's (named in the message).
    """
    taken = {path.stem for path in settings.tei_dir.glob("*.xml")} | set(imports)
    wanted: dict[str, list[Prepared]] = {}
    accepted: list[Prepared] = []
    for item in prepared:
        try:
            item.id = _own_id(settings, item, imports, taken, replace, id_prefix, rename)
        except ArchiveError as error:
            if refused is None:
                raise
            refused.append(str(error))
            continue
        wanted.setdefault(item.id, []).append(item)
        accepted.append(item)
    for doc_id, items in wanted.items():  # two inputs, one id: neither is chosen over the other
        if len(items) > 1 and not rename:
            for item in items:
                others = ", ".join(str(other.path) for other in items if other is not item)
                clash = ArchiveError(f"document id {doc_id!r} is also the id of {others}: not "
                                     f"imported (give --id-prefix or --rename)", str(item.path))
                if refused is None:
                    raise clash
                refused.append(str(clash))
                accepted.remove(item)
        elif len(items) > 1:
            for item in items:
                item.id = _renamed(item)
    for item in accepted:
        if item.kind != "native":
            assert item.tree is not None
            item.entries = read_entries(item.tree.getroot(), item.id)
    return accepted


def _own_id(settings: Settings, item: Prepared, imports: Mapping[str, ImportRecord],
            taken: set[str], replace: bool, id_prefix: str | None, rename: bool) -> str:
    """The id of one input (see the module docstring).

    :raise ArchiveError: unusable, or another document's.
    """
    assert item.tree is not None
    resolved = str(item.path.resolve())
    archive_id = _archive_idno(item.tree)
    if item.kind == "native" or (archive_id is not None and valid_id(archive_id)):
        # the index will read this id from the document: it is the id, or nothing is
        doc_id = archive_id or ""
        if not valid_id(doc_id):
            shown = doc_id if len(doc_id) <= 60 else f"{doc_id[:57]}..."
            raise ArchiveError(f"unusable archive id {shown!r} in <idno type=\"archive\">",
                               str(item.path))
        _check_not_taken(settings, item, imports.get(doc_id), doc_id in taken, replace,
                         resolved, doc_id)
        return doc_id
    doc_id = slug(readable_id(item.tree, item.path))
    if id_prefix:
        doc_id = f"{id_prefix}-{doc_id}"
    record = imports.get(doc_id)
    if doc_id in taken and (record is None or record.path != resolved):
        if rename:
            return _renamed(item, doc_id)
        owner = record.path if record is not None else "a document of the archive"
        raise ArchiveError(f"document id {doc_id!r} is already the id of {owner}: not "
                           f"imported (give --id-prefix PREFIX or --rename)", str(item.path))
    return doc_id


def _renamed(item: Prepared, doc_id: str | None = None) -> str:
    return f"{doc_id or item.id}-{item.sha256[:8]}"


_URL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
_PLACEHOLDERS = frozenset({"n/a", "na", "none", "null", "unknown", "tbd", "tba", "todo",
                           "placeholder", "id", "idno", "test", "dummy"})


def readable_id(tree: etree._ElementTree, path: Path) -> str:
    """What a foreign document's id is made from: the root's ``xml:id``, else the first
    ``publicationStmt/idno`` that is not a URL (``https://dracor.org``, ``urn:…``) nor a
    placeholder (``xxxx``, ``0000``, ``n/a``), else the file name without ``.xml``."""
    root_id = (tree.getroot().get(XML_ID) or "").strip()
    if root_id:
        return root_id
    for idno in _PUBLICATION_IDNOS(tree):
        value = " ".join((idno.text or "").split())
        if value and not _URL.match(value) and not _placeholder(value):
            return value
    return path.name[:-4] if path.name.lower().endswith(".xml") else path.name


def _placeholder(value: str) -> bool:
    letters = [char.lower() for char in value if char.isalnum()]
    return len(set(letters)) <= 1 or value.strip().lower() in _PLACEHOLDERS


def _check_not_taken(settings: Settings, item: Prepared, record: ImportRecord | None,
                     taken: bool, replace: bool, resolved: str, doc_id: str) -> None:
    """Refuse an id the input does not own: a document of ours may come back over itself
    (unchanged, or with ``replace``), an imported file over its own earlier import."""
    if not taken:
        return
    if record is not None:
        if item.kind != "native" and record.path == resolved:
            return  # the same file imported again
        raise ArchiveError(f"document id {doc_id!r} is already the id of {record.path} "
                           f"(imported): not imported", str(item.path))
    if item.kind != "native":
        raise ArchiveError(f"document id {doc_id!r} (its <idno type=\"archive\">) is already "
                           f"the id of a document of the archive: not imported", str(item.path))
    stored = tei_path(settings.tei_dir, doc_id)
    if not replace and (not stored.is_file() or stored.read_bytes() != item.data):
        raise ArchiveError(f"document {doc_id!r} is already in the archive and differs: not "
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

