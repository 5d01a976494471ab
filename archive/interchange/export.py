"""Export: documents other archives and tools can take, and the mentions as tables.

- :func:`export_tei`: one self-contained document. The registry entries its ``@ref="#…"``
  point to are carried in ``<standOff type="archive-registry">`` after ``text`` (with the
  ``xml:id`` the pointer uses, so every pointer resolves within the file), and a
  ``<change type="archive-export">`` records the export. A document the archive made always
  gets the change; an imported document is returned exactly as stored when its pointers already
  resolve within it (so import → export gives back the same document).
- :func:`export_corpus`: a ``teiCorpus``: a corpus header, the registry entries once, then the
  documents, their ``xml:id``s prefixed with ``<doc>.`` so that ids stay unique in one file.
- :func:`export_zip`: a deposit bundle (documents, registry, schemas, validation report,
  mentions as CSV and JSON Lines, README, SHA-256 manifest).
- :func:`export_mentions_csv` / :func:`export_mentions_jsonl`: one row per indexed mention.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from tei.build import E
from tei.namespaces import TEI_NS, TEI_ROOT, XML_ID, tei
from tei.parse import parse_bytes
from tei.serialize import serialize

from .. import __version__
from ..config import ARCHIVE_NAME, SAMPLE_REGISTRY_DIR, SCHEMAS_DIR, Settings, today
from ..errors import ArchiveError
from ..index import document_files, mentions_of
from ..registry import (
    SHAPES,
    DocumentRefs,
    Entry,
    RefResolver,
    Registry,
    entry_element,
    load_registry,
    ref_resolver,
)
from ..store import check_id, file_name, member_path
from ..validation import ARCHIVE_RNG, ARCHIVE_SCH, load_registry_ids
from .importer import EXPORT_CHANGE, EXPORT_STAND_OFF, document_bytes

MENTION_FIELDS = ("document", "passage", "type", "ref", "name", "surface", "when", "from", "to",
                  "not_before", "not_after")
_NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


# --- which documents ---------------------------------------------------------------------------

def document_ids(settings: Settings) -> list[str]:
    """Every document id of the archive, in id order."""
    return [doc_id for doc_id, _ in document_files(settings)]


def _paths(settings: Settings) -> dict[str, Path]:
    return dict(document_files(settings))


def check_ids(settings: Settings, ids: Iterable[str],
              known: Mapping[str, Path] | None = None) -> None:
    """:param known: the archive's documents when already listed (see :func:`_paths`).
    :raise ArchiveError: an id names no document of the archive."""
    known = _paths(settings) if known is None else known
    unknown = [doc_id for doc_id in ids if doc_id not in known]
    if unknown:
        raise ArchiveError(f"no document {', '.join(map(repr, unknown))} in the archive",
                           str(settings.data_dir))


def _context(settings: Settings,
             ids: Iterable[str]) -> tuple[dict[str, Path], Registry, RefResolver]:
    """The documents (``ids`` checked against them), the registry and the ref resolver."""
    paths = _paths(settings)
    check_ids(settings, ids, paths)
    registry = load_registry(settings)
    return paths, registry, ref_resolver(settings)


# --- one document ------------------------------------------------------------------------------

def export_tei(settings: Settings, doc_id: str) -> bytes:
    """One self-contained TEI document (see the module docstring).

    :raise ArchiveError: no such document.
    """
    paths, registry, resolver = _context(settings, [doc_id])
    return _export_one(paths[doc_id], resolver.for_document(doc_id), registry)


def export_each(settings: Settings, ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """(id, :func:`export_tei` of it) for each of ``ids``, in that order: the documents, the
    registry and the resolver read once for all (a harvester's page of records).

    :raise ArchiveError: an id names no document (before anything is yielded).
    """
    paths, registry, resolver = _context(settings, ids)
    for doc_id in ids:
        yield doc_id, _export_one(paths[doc_id], resolver.for_document(doc_id), registry)


def _export_one(path: Path, refs: DocumentRefs, registry: Registry) -> bytes:
    data = path.read_bytes()
    tree = parse_bytes(data, str(path))
    needed = _needed_entries(tree.getroot(), refs, registry)
    if refs.imported and not needed:
        return data  # their document, whole: every pointer already resolves within it
    root = tree.getroot()
    if needed:
        _insert_after_text(root, _stand_off(needed))
    _add_change(root, f"Exported from {ARCHIVE_NAME} (archive {__version__}); the registry "
                f"entries the document points to are carried in its standOff.")
    return document_bytes(tree) if refs.imported else serialize(tree)


def _needed_entries(root: etree._Element, refs: DocumentRefs,
                    registry: Registry) -> dict[str, Entry]:
    """``@ref="#x"`` targets missing from the document that the registry holds: x → entry."""
    ids = {element.get(XML_ID) for element in root.iter() if isinstance(element.tag, str)}
    needed: dict[str, Entry] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or not element.get("ref"):
            continue
        for token in element.get("ref", "").split():
            local = token[1:] if token.startswith("#") else None
            if not local or local in ids or local in needed:
                continue
            key = refs.key(token)
            entry = registry.get(key) if key else None
            if entry is not None:
                needed[local] = entry
    return dict(sorted(needed.items()))


def _stand_off(entries: dict[str, Entry]) -> etree._Element:
    stand_off = E.standOff(type=EXPORT_STAND_OFF)
    for kind, shape in SHAPES.items():
        chosen = [(local, entry) for local, entry in entries.items() if entry.type == kind]
        if not chosen:
            continue
        entry_list = etree.SubElement(stand_off, shape.list_tag)
        for local, entry in chosen:
            element = entry_element(entry)
            element.set(XML_ID, local)
            entry_list.append(element)
    return stand_off


def _insert_after_text(root: etree._Element, element: etree._Element) -> None:
    # TEI: teiHeader, then text/standOff/facsimile/… in any order, then nested TEI
    position = len(root)
    for index, child in enumerate(root):
        if child.tag == TEI_ROOT:
            position = index
            break
    root.insert(position, element)


def _add_change(root: etree._Element, note: str) -> None:
    header = root.find(tei("teiHeader"))
    if header is None:
        return
    change = E.change(note, type=EXPORT_CHANGE, when=today())
    revision = header.find(tei("revisionDesc"))
    if revision is None:
        header.append(E.revisionDesc(change))
    elif (changes := revision.find(tei("listChange"))) is not None:
        changes.append(change)
    elif revision.find(tei("change")) is not None or not len(revision):
        revision.append(change)
    # a revisionDesc holding a <list> takes no change: it is left as it is


# --- a corpus ---------------------------------------------------------------------------------

def export_corpus(settings: Settings, ids: Sequence[str]) -> bytes:
    """A ``teiCorpus``: corpus header, the registry entries referred to (once), the documents.

    :raise ArchiveError: an id names no document, or no id is given.
    """
    if not ids:
        raise ArchiveError("no documents to export")
    paths, registry, resolver = _context(settings, ids)
    members: list[etree._Element] = []
    entries: dict[str, Entry] = {}
    for doc_id in ids:
        root = parse_bytes(paths[doc_id].read_bytes(), str(paths[doc_id])).getroot()
        entries.update(_prefix_ids(root, _member_prefix(doc_id), resolver.for_document(doc_id),
                                   registry))
        members.append(root)
    header = _corpus_header(len(ids))
    corpus = etree.Element(tei("teiCorpus"), nsmap={None: TEI_NS})
    corpus.append(header)
    if entries:
        corpus.append(_stand_off({entry_id: entries[entry_id] for entry_id in sorted(entries)}))
    corpus.extend(members)
    return serialize(corpus, reindent=False)


def _member_prefix(doc_id: str) -> str:
    return doc_id if _NCNAME.match(doc_id) else f"doc-{doc_id}"


def _prefix_ids(root: etree._Element, prefix: str, refs: DocumentRefs,
                registry: Registry) -> dict[str, Entry]:
    """Prefix a member's ids and its pointers to them; point names to registry ids.

    :return: the registry entries the member points to, by id.
    """
    ids = {element.get(XML_ID) for element in root.iter() if isinstance(element.tag, str)}
    ids.discard(None)
    used: dict[str, Entry] = {}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get(XML_ID):
            element.set(XML_ID, f"{prefix}.{element.get(XML_ID)}")
        for name, value in element.attrib.items():
            if name == XML_ID or "#" not in value:
                continue
            tokens = []
            for token in value.split():
                if token.startswith("#") and token[1:] in ids:
                    token = f"#{prefix}.{token[1:]}"
                elif token.startswith("#") and name == "ref":
                    key = refs.key(token)
                    entry = registry.get(key) if key else None
                    if entry is not None:
                        used[entry.id] = entry
                        token = f"#{entry.id}"
                tokens.append(token)
            element.set(name, " ".join(tokens))
    return used


def _corpus_header(count: int) -> etree._Element:
    return E.teiHeader(
        E.fileDesc(
            E.titleStmt(E.title(f"{ARCHIVE_NAME}: {count} document{'s' if count != 1 else ''}"),
                        E.respStmt(E.resp("Exported by"), E.name(ARCHIVE_NAME))),
            E.publicationStmt(E.publisher(ARCHIVE_NAME), E.date(today(), when=today())),
            E.sourceDesc(E.p("Born digital: the documents of the archive, each with its own "
                             "header, and the registry entries they point to."))),
        E.encodingDesc(E.projectDesc(E.p(
            "Each document keeps its encoding; its xml:ids are prefixed with its archive id "
            "and a dot, so that they are unique in the corpus. Names point to the registry "
            "entries in the corpus standOff."))),
        E.revisionDesc(E.change(f"Exported from {ARCHIVE_NAME} (archive {__version__}).",
                                when=today())))


# --- mentions ---------------------------------------------------------------------------------

def mention_rows(settings: Settings, ids: Sequence[str] | None = None,
                 entity: str | None = None) -> list[dict[str, Any]]:
    """One dict per indexed mention (fields :data:`MENTION_FIELDS`), in document order.

    :param ids: only these documents (None: all).
    :param entity: only mentions of this registry id (or other key).
    :raise ArchiveError: the archive has no index yet.
    """
    if not settings.index_path.is_file():
        raise ArchiveError("no index: run `archive reindex`", str(settings.index_path))
    names = {entry.id: entry.name for entry in load_registry(settings).entries.values()}
    rows = mentions_of(settings, ids, entity)
    return [dict(zip(MENTION_FIELDS, (doc, passage, kind, ref, names.get(ref or "", ""),
                                      surface, *dates), strict=True))
            for doc, passage, kind, ref, surface, *dates in rows]


def export_mentions_csv(settings: Settings, ids: Sequence[str] | None = None,
                        entity: str | None = None) -> str:
    """The mentions as CSV (header row first; empty fields for what a mention lacks)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, MENTION_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(value) for key, value in row.items()}
                     for row in mention_rows(settings, ids, entity))
    return out.getvalue()


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-\d+(?:\.\d+)?\Z|-\d{4,}(?:-\d{2}){0,2}\Z")


def spreadsheet_safe(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula.

    A cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
    (OWASP's advice against CSV injection): a source text could smuggle in
    ``-2+3+cmd|' /C calc'!A0``. A negative number or a year before the common era
    (``-0044-03-15``) is data, not a formula, and is left as it is.
    """
    if (isinstance(value, str) and value[:1] in FORMULA_STARTS
            and not _PLAIN_NUMBER.match(value)):
        return "'" + value
    return value


def export_mentions_jsonl(settings: Settings, ids: Sequence[str] | None = None,
                          entity: str | None = None) -> str:
    """The mentions as JSON Lines (null for what a mention lacks)."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n"
                   for row in mention_rows(settings, ids, entity))


# --- a deposit bundle -------------------------------------------------------------------------

def export_zip(settings: Settings, ids: Sequence[str]) -> bytes:
    """A zip for deposit: ``tei/``, ``registry/``, ``schemas/``, ``validation.txt``,
    ``mentions.csv``, ``mentions.jsonl``, ``README.md`` and ``manifest-sha256.txt``."""
    if not ids:
        raise ArchiveError("no documents to export")
    paths, registry, resolver = _context(settings, ids)
    files: dict[str, bytes] = {}
    for doc_id in ids:
        files[entry_name("tei", f"{check_id(doc_id)}.xml")] = _export_one(
            paths[doc_id], resolver.for_document(doc_id), registry)
    registry_dir = settings.registry_dir if settings.registry_dir.is_dir() else SAMPLE_REGISTRY_DIR
    for path in sorted(registry_dir.glob("*.xml")):
        if not path.name.startswith("."):  # links out of the folder are refused
            files[entry_name("registry", path.name)] = member_path(registry_dir,
                                                                   path.name).read_bytes()
    for name in ("archive.odd", "archive.rng", "archive.sch"):
        files[f"schemas/{name}"] = (SCHEMAS_DIR / name).read_bytes()
    files["validation.txt"] = _validation_report(settings, files, resolver, ids).encode()
    files["mentions.csv"] = export_mentions_csv(settings, ids).encode()
    files["mentions.jsonl"] = export_mentions_jsonl(settings, ids).encode()
    files["README.md"] = _readme(ids).encode()
    manifest = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                       for name, data in sorted(files.items()))
    files["manifest-sha256.txt"] = manifest.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        # every name was made by entry_name: relative, no "..", no separator in a part
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return out.getvalue()


def entry_name(folder: str, name: str) -> str:
    """The zip entry ``folder/name``: ``name`` is one plain file name (no ``..``, no
    separator, no leading dot), so that unpacking the bundle cannot write outside it.

    :raise ArchiveError: ``name`` is not a plain file name.
    """
    return f"{folder}/{file_name(name, 'export.zip')}"


def _validation_report(settings: Settings, files: dict[str, bytes], resolver: RefResolver,
                       ids: Sequence[str]) -> str:
    from tei.validate import validate_bytes

    registry_ids = load_registry_ids(settings)
    lines = ["Validation of the exported documents.",
             "Documents the archive made: schemas/archive.rng + schemas/archive.sch.",
             "Imported documents: well-formed namespaced TEI (their own project's rules apply)"
             + (", and tei_all.rng." if settings.tei_all_rng else "."), ""]
    for doc_id in ids:
        name = f"tei/{doc_id}.xml"
        if resolver.for_document(doc_id).imported:
            rng = settings.tei_all_rng
            report = validate_bytes(files[name], name, rng=rng) if rng else \
                validate_bytes(files[name], name)
        else:
            report = validate_bytes(files[name], name, rng=ARCHIVE_RNG, sch=ARCHIVE_SCH,
                                    registry_ids=registry_ids)
        lines.append(f"{name}: {'valid' if report.valid else 'INVALID'}")
        lines += [f"  {issue}" for issue in report.issues]
    return "\n".join(lines) + "\n"


def _readme(ids: Sequence[str]) -> str:
    return f"""# {ARCHIVE_NAME}: deposit bundle

Exported on {today()} by archive {__version__}: {len(ids)} document(s).

- `tei/`: the TEI P5 documents, each self-contained: the registry entries it points to
  (`@ref="#id"`) are carried in `<standOff type="{EXPORT_STAND_OFF}">`.
- `registry/`: the archive's authority files (persons, places, organisations).
- `schemas/`: the archive's TEI customisation (`archive.odd`) and the RELAX NG grammar and
  Schematron rules generated from it.
- `validation.txt`: the result of validating each document.
- `mentions.csv`, `mentions.jsonl`: one row per tagged name or date: {", ".join(MENTION_FIELDS)}.
- `manifest-sha256.txt`: SHA-256 of every other file (`sha256sum -c manifest-sha256.txt`).
"""
