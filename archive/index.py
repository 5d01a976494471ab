"""The index: a derived, always rebuildable SQLite database of the TEI files.

``update_index`` is the entry point (the build calls it after writing files). It is incremental
by content hash: only new or changed files are read again, each document's rows are replaced
inside one transaction, and files that are gone are dropped. A change of schema or of the
declared facets rebuilds everything. :func:`archive.lookup.lookup` answers selections from these
tables with plain SQL; no XML is parsed per request.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP, TEI_LB, TEI_TEXT, TYPE_FOR_ELEMENT, XML_ID, XML_LANG
from tei.parse import parse_bytes

from .config import Settings
from .errors import ArchiveError
from .facets import Facet, facet_values, facets_signature, load_facets, registry_labels
from .importer import PLAIN_REFS, DocumentRefs, refs_for_file
from .index_workers import CHUNK, map_on_cores, parallel, start_early, workers
from .readers.tei import ENTRY_ELEMENTS, in_entry
from .store import iter_tei_files

SCHEMA_VERSION = "5"  # 2: path is the file name in tei/; 3: facet_values_value holds passage;
# 4: no index on facet_values (passage, ...), which nothing read; 5: element_names and
# attribute_values kept in document order (rows appended as documents are, deleted by range),
# their lookup indexes made at the end of a rebuild
#: Documents written per transaction.
BATCH = 50
#: Attributes not recorded per document (unique per element, useless for pruning).
UNINDEXED_ATTRIBUTES = frozenset({XML_ID, "target"})

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL, hash TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, title TEXT, author TEXT,
    publication TEXT, publisher TEXT, date TEXT, start_day INTEGER, end_day INTEGER,
    kind TEXT, language TEXT, licence TEXT);
CREATE TABLE passages (
    passage INTEGER PRIMARY KEY, doc INTEGER NOT NULL, xml_id TEXT NOT NULL,
    element TEXT NOT NULL, text TEXT NOT NULL, position INTEGER NOT NULL, leaf INTEGER NOT NULL,
    UNIQUE (doc, xml_id));
CREATE TABLE mentions (
    doc INTEGER NOT NULL, passage INTEGER, type TEXT NOT NULL, ref TEXT, surface TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, "when" TEXT, "from" TEXT, "to" TEXT,
    not_before TEXT, not_after TEXT, start_day INTEGER, end_day INTEGER);
CREATE INDEX mentions_doc ON mentions (doc);
CREATE INDEX mentions_ref ON mentions (ref, doc);
CREATE INDEX mentions_days ON mentions (type, start_day, end_day);
CREATE TABLE facet_values (
    facet TEXT NOT NULL, level TEXT NOT NULL, doc INTEGER NOT NULL, passage INTEGER,
    value TEXT NOT NULL);
CREATE INDEX facet_values_value ON facet_values (facet, value, doc, passage);
CREATE INDEX facet_values_doc ON facet_values (doc);
CREATE TABLE facet_totals (facet TEXT NOT NULL, value TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (facet, value)) WITHOUT ROWID;
CREATE TABLE labels (value TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE element_names (doc INTEGER NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (doc, name)) WITHOUT ROWID;
CREATE INDEX element_names_name ON element_names (name, doc);
CREATE TABLE attribute_values (doc INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (doc, name, value)) WITHOUT ROWID;
CREATE INDEX attribute_values_value ON attribute_values (name, value, doc);
CREATE VIRTUAL TABLE passage_text USING fts5 (
    text, content='passages', content_rowid='passage', tokenize='unicode61 remove_diacritics 2');
"""
_INDEXES = [statement.strip() for statement in SCHEMA.split(";")
            if statement.strip().startswith("CREATE INDEX")]
_INDEX_NAMES = [statement.split()[2] for statement in _INDEXES]
_TABLES = ("meta", "documents", "passages", "mentions", "facet_values", "facet_totals", "labels",
           "element_names", "attribute_values", "passage_text")

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


@dataclass(frozen=True)
class IndexReport:
    """What :func:`update_index` did."""

    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float
    full: bool


@dataclass(frozen=True)
class DocumentRows:
    """Everything the index holds about one document, ready to insert."""

    id: str
    header: dict[str, str | int | None]
    passages: list[tuple[str, str, str, int, bool]]  # xml:id, element, text, position, leaf
    mentions: list[tuple[str | None, str, str | None, str, int, int, tuple[str | None, ...]]]
    facets: list[tuple[str, str | None, str]]  # facet, passage xml:id or None, value
    names: set[str]
    attributes: set[tuple[str, str]]


def connect(settings: Settings) -> sqlite3.Connection:
    """Open the index (created empty when missing)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(settings.index_path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    # a large page cache: a rebuild's index pages stay in memory instead of being re-read
    db.execute("PRAGMA cache_size = -65536")
    db.execute("PRAGMA temp_store = MEMORY")
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        _create(db, "")
    return db


#: Each thread's read-only connection to the index it read last (see reader).
_READER = threading.local()


def reader(settings: Settings) -> sqlite3.Connection:
    """This thread's read-only connection to the index (an empty index is made when missing).

    Kept open between calls (opening one costs more than most lookups and queries) while the
    index file is the same file in the same process: a new file (a new inode) gets a new
    connection. Each read transaction sees the last committed state, so a kept connection is
    never stale; read only, it never checkpoints or deletes the write-ahead log when closed.
    """
    path = settings.index_path
    try:
        stat = path.stat()
    except FileNotFoundError:
        connect(settings).close()
        stat = path.stat()
    key = (str(path), stat.st_dev, stat.st_ino, os.getpid())
    kept = getattr(_READER, "kept", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    if kept is not None:
        kept[1].close()
    # a URI keeps odd characters of the path literal
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    _READER.kept = (key, db)
    return db


def _create(db: sqlite3.Connection, signature: str) -> None:
    db.execute("BEGIN")
    for table in _TABLES:
        db.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema', ?), ('facets', ?)", (SCHEMA_VERSION, signature))
    db.execute("COMMIT")


def update_index(
    settings: Settings, *, full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Bring the index up to date with the TEI files of the data directory.

    :param full: drop everything and index every file again.
    :param progress: called as ``progress(done, total)`` for each file that is (re)indexed.
    :return: counts of added, updated, removed and unchanged documents.
    :raise tei.errors.TeiError: a file is not a well-formed TEI document.
    :raise ArchiveError: two files carry the same document id, or facets.toml is wrong.
    """
    started = time.perf_counter()
    facets = load_facets(settings)
    signature = facets_signature(facets)
    db = connect(settings)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        full = full or meta.get("schema") != SCHEMA_VERSION or meta.get("facets") != signature
        if full:
            _create(db, signature)
            db.execute(f"PRAGMA threads = {workers()}")  # the sorts of CREATE INDEX, at the end
            for name in _INDEX_NAMES:  # created once at the end: a sort beats a B-tree per row
                db.execute(f"DROP INDEX {name}")
        known = {path: (doc, digest) for doc, path, digest in
                 db.execute("SELECT doc, path, hash FROM documents")}
        work: list[tuple[Path, bytes, str, int | None]] = []
        unchanged = 0
        files = list(iter_tei_files(settings.tei_dir))
        if parallel(len(files)) and (full or not known):  # a rebuild on cores is coming
            start_early()
        for path in files:
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            old = known.pop(path.name, None)
            if old is not None and old[1] == digest:
                unchanged += 1
                _touch(db, old[0], path)
                continue
            work.append((path, data, digest, old[0] if old else None))
        for doc, _ in known.values():  # files that are gone
            with _transaction(db):
                _delete(db, doc)
        ids = dict(db.execute("SELECT id, path FROM documents"))
        if parallel(len(work)):
            _write_on_cores(db, work, facets, ids, progress, fts=not full)
        else:
            _write_here(db, work, facets, ids, progress, fts=not full)
        with _transaction(db):
            if full:  # one pass of the full-text indexer over every leaf passage (quicker)
                db.execute("INSERT INTO passage_text (rowid, text)"
                           " SELECT passage, text FROM passages WHERE leaf")
            for statement in _INDEXES:
                db.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
            _refresh_totals(db, settings, facets)
        if work or known:
            # statistics for the query planner, from a sample of each index (quick at any size)
            db.execute("PRAGMA analysis_limit = 1000")
            db.execute("ANALYZE")
            # Write the changes back into index.sqlite itself, so that its modification time
            # tells readers (the viewer's response cache) that the index changed.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    added = sum(1 for item in work if item[3] is None)
    return IndexReport(added, len(work) - added, len(known), unchanged,
                       time.perf_counter() - started, full)


Work = list[tuple[Path, bytes, str, "int | None"]]  # path, bytes, digest, old doc


def _write_here(db: sqlite3.Connection, work: Work, facets: tuple[Facet, ...],
                ids: dict[str, str], progress: Callable[[int, int], None] | None,
                fts: bool) -> None:
    # A commit costs more than a document's rows: documents are written in batches, each
    # batch one transaction, so every document is replaced whole or not at all.
    for start in range(0, len(work), BATCH):
        with _transaction(db):
            for path, data, digest, doc in work[start:start + BATCH]:
                _replace(db, path, digest, extract(path, data, facets), doc, ids, fts)
        if progress:
            progress(min(start + BATCH, len(work)), len(work))


def _write_on_cores(db: sqlite3.Connection, work: Work, facets: tuple[Facet, ...],
                    ids: dict[str, str], progress: Callable[[int, int], None] | None,
                    fts: bool) -> None:
    # Workers extract the rows of a chunk of files and write them into a scratch database each;
    # here each scratch database is copied in with INSERT ... SELECT (SQLite's C, no Python per
    # row), one transaction per chunk. A file a worker could not index is indexed here again,
    # so that its error is raised in this process, with its own type and message.
    done = 0
    chunks = [[(path, data, digest) for path, data, digest, _ in work[start:start + CHUNK]]
              for start in range(0, len(work), CHUNK)]
    # the workers stop (closing) before their scratch folder goes, even when a chunk raises
    with tempfile.TemporaryDirectory(prefix="index-") as scratch, \
            closing(map_on_cores(_write_shard, chunks, facets, scratch)) as shards:
        for number, (shard, failed) in enumerate(shards):
            items = work[number * CHUNK:(number + 1) * CHUNK]
            db.execute("ATTACH DATABASE ? AS shard", (shard,))  # not possible in a transaction
            try:
                with _transaction(db):
                    for _, _, _, doc in items:
                        if doc is not None:
                            _delete(db, doc)
                    _copy_shard(db, {path.name: path for path, *_ in items}, ids, fts)
                    for path, data, digest, _ in (items[position] for position in failed):
                        _replace(db, path, digest, extract(path, data, facets), None, ids,
                                 fts)
            finally:
                db.execute("DETACH DATABASE shard")
            Path(shard).unlink()
            done += len(items)
            if progress:
                progress(done, len(work))


def _replace(db: sqlite3.Connection, path: Path, digest: str, rows: DocumentRows,
             doc: int | None, ids: dict[str, str], fts: bool) -> None:
    _claim(ids, rows.id, path)
    if doc is not None:
        _delete(db, doc)
    _insert(db, path, digest, rows, fts)


def _claim(ids: dict[str, str], doc_id: str, path: Path) -> None:
    other = ids.get(doc_id)
    if other is not None and other != path.name:
        raise ArchiveError(f"document id {doc_id!r} is also the id of {other}", str(path))
    ids[doc_id] = path.name


#: Tables a scratch database holds, in the order they are copied.
_SHARD_TABLES = ("documents", "passages", "mentions", "facet_values", "element_names",
                 "attribute_values")


def _write_shard(chunk: list[tuple[Path, bytes, str]], facets: tuple[Facet, ...],
                 folder: str) -> tuple[str, list[int]]:
    """In a worker: a chunk's rows in a new scratch database.

    :return: the database's path, and the positions in the chunk of the files not written
        (not well-formed, or a document id the chunk already holds).
    """
    handle, shard = tempfile.mkstemp(suffix=".sqlite", dir=folder)
    os.close(handle)
    db = sqlite3.connect(shard, isolation_level=None)
    failed = []
    try:
        db.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        for statement in SCHEMA.split(";"):
            if statement.split()[2:3] and statement.split()[2] in _SHARD_TABLES:
                db.execute(statement)
        for position, (path, data, digest) in enumerate(chunk):
            try:
                rows = extract(path, data, facets)
                db.execute("SAVEPOINT file")
                _insert(db, path, digest, rows, fts=False)
                db.execute("RELEASE file")
            except sqlite3.IntegrityError:
                db.execute("ROLLBACK TO file")
                db.execute("RELEASE file")
                failed.append(position)
            except Exception:  # noqa: BLE001 - raised again, whole, by the parent
                failed.append(position)
        db.execute("COMMIT")
    finally:
        db.close()
    return shard, failed


def _copy_shard(db: sqlite3.Connection, paths: dict[str, Path], ids: dict[str, str],
                fts: bool) -> None:
    """Copy the attached scratch database's rows in, document and passage numbers moved past
    ours."""
    for doc_id, name in db.execute("SELECT id, path FROM shard.documents").fetchall():
        _claim(ids, doc_id, paths[name])
    docs, passages = db.execute("SELECT (SELECT COALESCE(MAX(doc), 0) FROM main.documents),"
                                " (SELECT COALESCE(MAX(passage), 0) FROM main.passages)"
                                ).fetchone()
    moved = {"doc": f"doc + {docs:d}", "passage": f"passage + {passages:d}"}
    for table in _SHARD_TABLES:
        columns = [row[1] for row in db.execute(f"PRAGMA shard.table_info({table})")]
        names = ", ".join(f'"{column}"' for column in columns)
        values = ", ".join(moved.get(column, f'"{column}"') for column in columns)
        db.execute(f"INSERT INTO main.{table} ({names}) SELECT {values} FROM shard.{table}")
    if fts:  # else filled for every document at once, at the end of a rebuild
        db.execute(f"INSERT INTO main.passage_text (rowid, text) SELECT passage + {passages:d},"
                   " text FROM shard.passages WHERE leaf")


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _touch(db: sqlite3.Connection, doc: int, path: Path) -> None:
    stat = path.stat()
    db.execute("UPDATE documents SET mtime_ns = ?, size = ? WHERE doc = ? AND "
               "(mtime_ns != ? OR size != ?)",
               (stat.st_mtime_ns, stat.st_size, doc, stat.st_mtime_ns, stat.st_size))


def _delete(db: sqlite3.Connection, doc: int) -> None:
    # An external-content FTS table forgets a row only when told its old text.
    db.execute("INSERT INTO passage_text (passage_text, rowid, text) SELECT 'delete', passage, "
               "text FROM passages WHERE doc = ? AND leaf", (doc,))
    for table in ("passages", "mentions", "facet_values", "element_names", "attribute_values",
                  "documents"):
        db.execute(f"DELETE FROM {table} WHERE doc = ?", (doc,))


def _insert(db: sqlite3.Connection, path: Path, digest: str, rows: DocumentRows,
            fts: bool = True) -> None:
    stat = path.stat()
    header = rows.header
    doc = db.execute(
        "INSERT INTO documents (id, path, hash, mtime_ns, size, title, author, publication,"
        " publisher, date, start_day, end_day, kind, language, licence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (rows.id, path.name, digest, stat.st_mtime_ns, stat.st_size, header["title"],
         header["author"], header["publication"], header["publisher"], header["date"],
         header["start_day"], header["end_day"], header["kind"], header["language"],
         header["licence"])).lastrowid
    first = db.execute("SELECT COALESCE(MAX(passage), 0) + 1 FROM passages").fetchone()[0]
    passage_ids = {xml_id: first + number for number, (xml_id, *_) in enumerate(rows.passages)}
    db.executemany("INSERT INTO passages (passage, doc, xml_id, element, text, position, leaf)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [(passage_ids[xml_id], doc, xml_id, element, text, position, leaf)
                    for xml_id, element, text, position, leaf in rows.passages])
    if fts:  # else filled for every document at once, at the end of a rebuild
        db.executemany("INSERT INTO passage_text (rowid, text) VALUES (?, ?)",
                       [(passage_ids[xml_id], text)
                        for xml_id, _, text, _, leaf in rows.passages if leaf])
    db.executemany(
        'INSERT INTO mentions (doc, passage, type, ref, surface, start, "end", "when", "from",'
        ' "to", not_before, not_after, start_day, end_day)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(doc, passage_ids.get(passage) if passage else None, kind, ref, surface, start, end,
          *dates) for passage, kind, ref, surface, start, end, dates in rows.mentions])
    db.executemany(
        "INSERT INTO facet_values (facet, level, doc, passage, value) VALUES (?, ?, ?, ?, ?)",
        [(facet, "passage" if passage else "document", doc,
          passage_ids.get(passage) if passage else None, value)
         for facet, passage, value in rows.facets])
    db.executemany("INSERT INTO element_names (doc, name) VALUES (?, ?)",
                   [(doc, name) for name in sorted(rows.names)])
    db.executemany("INSERT INTO attribute_values (doc, name, value) VALUES (?, ?, ?)",
                   [(doc, name, value) for name, value in sorted(rows.attributes)])


def _refresh_totals(db: sqlite3.Connection, settings: Settings,
                    facets: Sequence[Facet]) -> None:
    # Counts with nothing selected: the most frequent request, answered from one small table.
    # a new generation tells lookups in long-running processes to reload their postings
    db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(time.time_ns()),))
    db.execute("DELETE FROM facet_totals")
    db.execute("INSERT INTO facet_totals SELECT facet, value, COUNT(*) FROM facet_values"
               " GROUP BY facet, value")
    db.execute("DELETE FROM labels")
    if any(facet.labels == "registry" for facet in facets):
        db.executemany("INSERT INTO labels VALUES (?, ?)", registry_labels(settings).items())


# --- reading one document --------------------------------------------------------------------

def extract(path: Path, data: bytes, facets: tuple[Facet, ...]) -> DocumentRows:
    """Read one TEI file's bytes into index rows.

    :raise tei.errors.TeiError: not a well-formed TEI document.
    """
    tree = parse_bytes(data, str(path))
    root = tree.getroot()
    header: dict[str, str | int | None] = {
        name: " ".join(str(xpath(tree)).split()) or None for name, xpath in _HEADER.items()}
    doc_id = str(header.pop("idno") or path.stem)
    header["author"] = "; ".join(" ".join("".join(a.itertext()).split())
                                 for a in _AUTHORS(tree)) or None
    header["language"] = header["language"] or root.get(XML_LANG)
    header["publication"] = header["publication"] or header["publisher"]
    header["start_day"], header["end_day"] = day_range(header["date"])  # type: ignore[arg-type]
    refs = refs_for_file(path, doc_id)  # imported documents' own pointers: #p1 → <doc>.p1
    passages, mentions = _passages(root, refs)
    names: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    for element in root.iter(etree.Element):  # elements only
        names.add(element.tag)
        attributes.update(element.attrib.items())
    attributes = {pair for pair in attributes if pair[0] not in UNINDEXED_ATTRIBUTES}
    return DocumentRows(doc_id, header, passages, mentions,
                        facet_values(facets, tree, str(path), refs=refs), names, attributes)


def _passages(root: etree._Element, refs: DocumentRefs = PLAIN_REFS,
              ) -> tuple[list[tuple[str, str, str, int, bool]], list]:
    """Every identified element of the text as a passage, and the mentions each one owns."""
    walk = _TextWalk(refs)
    for text_element in root.iter(TEI_TEXT):
        if not any(a.tag == TEI_TEXT for a in text_element.iterancestors()):  # outermost
            walk.run(text_element)
    return walk.passages, walk.mentions


class _TextWalk:
    """One pass over a ``<text>``: the text of every identified element (``<lb/>`` as a newline)
    and each mention with offsets into its nearest identified ancestor-or-self (names outside
    any identified element, as in other projects' TEI: passage None, offsets into the whole
    ``<text>``). Names of person/place/org entries (lists, not running text) are no mentions.
    """

    def __init__(self, refs: DocumentRefs) -> None:
        self.refs = refs
        self.passages: list[tuple[str, str, str, int, bool]] = []
        self.mentions: list = []
        self.parts: list[str] = []
        self.length = 0

    def run(self, text_element: etree._Element) -> None:
        self.parts, self.length = [], 0
        self._visit(text_element, (None, 0), in_entry(text_element))

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def _visit(self, element: etree._Element, owner: tuple[str | None, int],
               entry: bool) -> bool:
        """Read ``element``; :return: whether it or an element below it has an xml:id."""
        start, first_part = self.length, len(self.parts)
        xml_id = element.get(XML_ID)
        if xml_id is not None:
            owner = (xml_id, start)
            number = len(self.passages)
            self.passages.append((xml_id, "", "", 0, False))  # filled in below
        if element.tag == TEI_LB:
            self._add("\n")
        elif element.text:
            self._add(element.text)
        identified_below = False
        inner_entry = entry or element.tag in ENTRY_ELEMENTS
        for child in element:
            if isinstance(child.tag, str):
                identified_below = self._visit(child, owner, inner_entry) or identified_below
            if child.tail:
                self._add(child.tail)
        if xml_id is not None:
            self.passages[number] = (xml_id, etree.QName(element).localname,
                                     "".join(self.parts[first_part:]), number + 1,
                                     not identified_below)
        kind = TYPE_FOR_ELEMENT.get(element.tag)
        if kind is not None and not entry:
            ref = next(filter(None, map(self.refs.key, (element.get("ref") or "").split())),
                       None) or (element.get("key") or "").strip() or None
            dates = tuple(element.get(name) for name in ("when", "from", "to", "notBefore",
                                                         "notAfter"))
            surface = " ".join("".join(self.parts[first_part:]).split())
            self.mentions.append((owner[0], kind, ref, surface, start - owner[1],
                                  self.length - owner[1], (*dates, *_mention_days(dates))))
        return identified_below or xml_id is not None


def _mention_days(dates: tuple[str | None, ...]) -> tuple[int | None, int | None]:
    when, from_, to, not_before, not_after = dates
    if when:
        return day_range(when)
    low = from_ or not_before
    high = to or not_after
    return day_range(low)[0], day_range(high)[1]


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


# --- used by the query module ----------------------------------------------------------------

def document_files(settings: Settings) -> list[tuple[str, Path]]:
    """(doc id, path) of every TEI file, in id order (ids read from the index when current)."""
    indexed: dict[str, str] = {}
    if settings.index_path.is_file():
        db = connect(settings)
        try:
            indexed = dict(db.execute("SELECT path, id FROM documents"))
        finally:
            db.close()
    files = [(indexed.get(path.name) or _file_id(path), path)
             for path in iter_tei_files(settings.tei_dir)]
    return sorted(files)


def _file_id(path: Path) -> str:
    from tei.parse import parse_tei

    return str(_HEADER["idno"](parse_tei(path))) or path.stem
