"""What the index knows of each document, for the rest of the archive and for the viewer.

The corpus query runner asks which documents may match and what they were when indexed;
``archive check`` compares the indexed hashes with the files; the export reads the mentions;
the viewer reads a document's row, its passages and its mention counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ArchiveError
from ..store import iter_tei_files
from . import passagerows
from .db import Database, as_dicts, dialect, read_only, reader
from .rows import UNINDEXED_ATTRIBUTES, file_id
from .texts import document_texts


@contextmanager
def _read_only(settings: Settings) -> Iterator[Database]:
    """A connection of its own to an existing index, read only, closed after the block (on
    PostgreSQL: the thread's, see :func:`archive.index.db.reader`).

    :raise ArchiveError: the index is missing or cannot be read.
    """
    if settings.index_url:
        yield reader(settings)
        return
    if not settings.index_path.is_file():
        raise ArchiveError("no index: run `archive reindex`", str(settings.index_path))
    try:
        with closing(read_only(settings.index_path)) as db:
            yield db
    except sqlite3.Error as error:
        raise ArchiveError(f"unreadable index ({error})", str(settings.index_path)) from None


def document_files(settings: Settings) -> list[tuple[str, Path]]:
    """(doc id, path) of every TEI file, in id order (ids read from the index when current)."""
    indexed: dict[str, str] = {}
    if settings.index_path.is_file():
        with _read_only(settings) as db:
            indexed = dict(db.execute("SELECT path, id FROM documents"))
    files = [(indexed.get(path.name) or file_id(path), path)
             for path in iter_tei_files(settings.tei_dir)]
    return sorted(files)


def indexed_hashes(settings: Settings) -> dict[str, str]:
    """The SHA-256 of each indexed file as it was indexed, by its name in ``tei/``.

    :raise ArchiveError: the index is missing or cannot be read.
    """
    with _read_only(settings) as db:
        return dict(db.execute("SELECT path, hash FROM documents"))


# --- the query runner's -----------------------------------------------------------------------

def index_generation(settings: Settings) -> tuple[Any, ...] | None:
    """What changes whenever the index does: its generation, last document number and count
    (None: there is no index)."""
    if not settings.index_url and not settings.index_path.is_file():
        return None
    return tuple(reader(settings).execute(
        "SELECT (SELECT value FROM meta WHERE key = 'generation'),"
        " (SELECT MAX(doc) FROM documents), (SELECT COUNT(*) FROM documents)").fetchone())


def indexed_files(settings: Settings) -> dict[str, tuple[int, tuple[int, int]]]:
    """Each indexed file's document number and (mtime_ns, size) when indexed, by file name."""
    return {path: (doc, (mtime, size)) for doc, path, mtime, size in
            reader(settings).execute("SELECT doc, path, mtime_ns, size FROM documents")}


def documents_holding(settings: Settings, names: Collection[str],
                      attributes: Collection[tuple[str, str]]) -> set[int] | None:
    """The numbers of the documents holding every element name (Clark notation) and every
    attribute (name, value) pair; None when nothing is asked (every document may match).
    Attributes the index does not keep are no condition."""
    db = reader(settings)
    possible: set[int] | None = None
    conditions: list[tuple[str, tuple[str, ...]]] = [
        ("SELECT doc FROM element_names WHERE name = ?", (name,)) for name in names]
    conditions += [("SELECT doc FROM attribute_values WHERE name = ? AND value = ?", pair)
                   for pair in attributes if pair[0] not in UNINDEXED_ATTRIBUTES]
    for sql, params in conditions:
        docs = {row[0] for row in db.execute(sql, params)}
        possible = docs if possible is None else possible & docs
    return possible


# --- the export's ------------------------------------------------------------------------------

def mentions_of(settings: Settings, ids: Sequence[str] | None = None,
                entity: str | None = None) -> list[tuple[Any, ...]]:
    """(doc id, passage address, type, ref, surface, when, from, to, notBefore, notAfter) of every
    mention, in document then text order.

    :param ids: only these documents' mentions.
    :param entity: only the mentions of this registry id.
    :raise ArchiveError: the index is missing or cannot be read.
    """
    conditions, params = [], []
    if ids is not None:
        conditions.append(f"d.id IN ({', '.join('?' for _ in ids)})")
        params += list(ids)
    if entity is not None:
        conditions.append("m.ref = ?")
        params.append(entity)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    with _read_only(settings) as db:
        if dialect(db) == "postgresql":
            return db.execute(
                'SELECT d.id, p.xml_id, m.type, m.ref, m.surface, m."when", m."from", m."to",'
                " m.not_before, m.not_after FROM mentions m JOIN documents d ON d.doc = m.doc"
                f" LEFT JOIN passages p ON p.passage = m.passage {where}"
                " ORDER BY d.id, m.mention", params).fetchall()
        # (a document's passages are one record: its addresses read once, by position)
        rows = db.execute(
            'SELECT d.id, m.doc, m.passage - r.first_passage, m.type, m.ref, m.surface,'
            ' m."when", m."from", m."to", m.not_before, m.not_after'
            " FROM mentions m JOIN documents d ON d.doc = m.doc"
            f" LEFT JOIN passage_docs r ON r.doc = m.doc {where}"
            " ORDER BY d.id, m.mention", params)
        addresses: tuple[str, ...] = ()
        found, last = [], None
        for doc_id, doc, number, *rest in rows:
            if doc != last:
                addresses = tuple(address for address, _, _ in passagerows.of_document(db, doc))
                last = doc
            found.append((doc_id, None if number is None else addresses[number], *rest))
        return found


# --- the viewer's ------------------------------------------------------------------------------

def document_record(settings: Settings, doc_id: str) -> dict[str, Any] | None:
    """The index row of document ``doc_id`` (its number as ``doc``, its header's fields, the
    file's name as ``path``), or None."""
    found = as_dicts(reader(settings).execute("SELECT * FROM documents WHERE id = ?", (doc_id,)))
    return found[0] if found else None


def mention_counts(settings: Settings, doc: int) -> dict[str, int]:
    """How many mentions of each type document number ``doc`` holds."""
    return dict(reader(settings).execute(
        "SELECT type, COUNT(*) FROM mentions WHERE doc = ? GROUP BY type", (doc,)).fetchall())


def leaf_passages(settings: Settings, doc: int) -> list[dict[str, Any]]:
    """The leaf passages of document number ``doc`` in order: ``id`` (the citation address,
    see :mod:`tei.passages`), ``element``, ``text``."""
    db = reader(settings)
    texts = document_texts(db, [doc]).get(doc, [])
    if dialect(db) == "postgresql":  # (a row a passage, indexed by document)
        found = db.execute("SELECT xml_id, element, position FROM passages"
                           " WHERE doc = ? AND leaf ORDER BY position", (doc,)).fetchall()
    else:  # (one record a document: archive.index.passagerows)
        found = [(xml_id, element, number + 1) for number, (xml_id, element, leaf)
                 in enumerate(passagerows.of_document(db, doc)) if leaf]
    return [{"id": xml_id, "element": element, "text": texts[position - 1][0]}
            for xml_id, element, position in found]


def document_catalogue(settings: Settings) -> list[dict[str, Any]]:
    """Every indexed document's id, file time when indexed (``mtime_ns``) and header fields
    (``title``, ``author``, ``publisher``, ``publication``, ``date``, ``kind``, ``language``,
    ``licence``), in id order: what a harvester (OAI-PMH) lists."""
    return as_dicts(reader(settings).execute(
        "SELECT id, mtime_ns, title, author, publisher, publication, date, kind, language,"
        " licence FROM documents ORDER BY id"))
