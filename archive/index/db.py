"""The index database: its schema, connections, and write transactions.

The index is a derived, always rebuildable SQLite database of the TEI files
(:func:`archive.index.update_index` fills it). Every SQL statement of the archive lives in this
package: the rest of the archive and the viewer ask its functions.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..config import Settings
from ..errors import ArchiveError
from .facetrows import with_facet_rows
from .passagerows import with_passage_rows
from .texts import with_texts
from .version import MENTION_ORDER
from .version import SCHEMA_VERSION as SCHEMA_VERSION  # (its history there)

#: The columns of a mention's key (all but its place: numbered once in mention_keys).
MENTION_COLUMNS = ("type", "ref", "surface", "when", "from", "to", "not_before", "not_after",
                   "start_day", "end_day")
#: What a mention's key is told apart by (NULL being a value of its own, as '').
MENTION_KEY = ", ".join(f'ifnull("{column}", \'\')' for column in MENTION_COLUMNS)

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL, hash TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, title TEXT, author TEXT,
    publication TEXT, publisher TEXT, date TEXT, start_day INTEGER, end_day INTEGER,
    kind TEXT, language TEXT, licence TEXT);
CREATE TABLE passage_docs (doc INTEGER PRIMARY KEY, first_passage INTEGER NOT NULL,
    last_passage INTEGER NOT NULL, data BLOB NOT NULL);
CREATE INDEX passage_docs_first ON passage_docs (first_passage);
CREATE VIEW passages (passage, doc, xml_id, element, position, leaf) AS
    SELECT d.first_passage + p.key, d.doc, json_extract(p.value, '$[0]'),
           json_extract(p.value, '$[1]'), p.key + 1, json_extract(p.value, '$[2]')
    FROM passage_docs d, json_each(passage_rows_json(d.data)) p;
CREATE TABLE texts (doc INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE mention_keys (
    key INTEGER PRIMARY KEY, type TEXT NOT NULL, ref TEXT, surface TEXT NOT NULL, "when" TEXT,
    "from" TEXT, "to" TEXT, not_before TEXT, not_after TEXT, start_day INTEGER, end_day INTEGER);
CREATE UNIQUE INDEX mention_keys_all ON mention_keys (MENTION_KEY);
CREATE INDEX mention_keys_ref ON mention_keys (ref) WHERE ref IS NOT NULL;
CREATE INDEX mention_keys_days ON mention_keys (start_day, end_day) WHERE type = 'date';
CREATE TABLE mention_rows (doc INTEGER NOT NULL, passage INTEGER NOT NULL,
    seq INTEGER NOT NULL, key INTEGER NOT NULL, start INTEGER NOT NULL, length INTEGER NOT NULL,
    PRIMARY KEY (doc, passage, seq)) WITHOUT ROWID;
CREATE INDEX mention_rows_key ON mention_rows (key, doc, passage);
CREATE VIEW mentions (doc, passage, type, ref, surface, start, "end", "when", "from", "to",
                      not_before, not_after, start_day, end_day, mention) AS
    SELECT r.doc, NULLIF(r.passage, 0), k.type, k.ref, k.surface, r.start, r.start + r.length,
           k."when", k."from", k."to", k.not_before, k.not_after, k.start_day, k.end_day,
           MENTION_ORDER
    FROM mention_rows r JOIN mention_keys k ON k.key = r.key;
CREATE TABLE facet_keys (key INTEGER PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0, UNIQUE (facet, value));
CREATE TABLE facet_docs (doc INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE VIEW facet_rows (doc, key, passage) AS
    SELECT d.doc, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]')
    FROM facet_docs d, json_each(facet_rows_json(d.data)) r;
CREATE VIEW facet_values (facet, level, doc, passage, value) AS
    SELECT k.facet, CASE WHEN r.passage THEN 'passage' ELSE 'document' END, r.doc,
           NULLIF(r.passage, 0), k.value
    FROM facet_rows r JOIN facet_keys k ON k.key = r.key;
CREATE VIEW facet_totals (facet, value, count) AS
    SELECT facet, value, count FROM facet_keys WHERE count > 0;
CREATE TABLE labels (value TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE postings (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE element_keys (key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE element_rows (doc INTEGER NOT NULL, key INTEGER NOT NULL,
    PRIMARY KEY (doc, key)) WITHOUT ROWID;
CREATE INDEX element_rows_key ON element_rows (key, doc);
CREATE VIEW element_names (doc, name) AS
    SELECT r.doc, k.name FROM element_rows r JOIN element_keys k ON k.key = r.key;
CREATE TABLE attribute_keys (key INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL,
    UNIQUE (name, value));
CREATE TABLE attribute_rows (doc INTEGER NOT NULL, key INTEGER NOT NULL,
    PRIMARY KEY (doc, key)) WITHOUT ROWID;
CREATE INDEX attribute_rows_key ON attribute_rows (key, doc);
CREATE VIEW attribute_values (doc, name, value) AS
    SELECT r.doc, k.name, k.value FROM attribute_rows r JOIN attribute_keys k ON k.key = r.key;
CREATE VIRTUAL TABLE passage_text USING fts5 (
    text, words, content='', tokenize='unicode61 remove_diacritics 2');
""".replace("MENTION_KEY", MENTION_KEY).replace("MENTION_ORDER", MENTION_ORDER)
INDEXES = [statement.strip() for statement in SCHEMA.split(";")
           if statement.strip().startswith("CREATE INDEX")]
FULLTEXT = next(statement for statement in SCHEMA.split(";") if "VIRTUAL TABLE" in statement)
#: Indexes made at the end of a rebuild (a sort beats a B-tree insert per row), all but those
#: led by the document number: rows come in that order, so those grow at their right edge.
LATE_INDEXES = [statement.split()[2] for statement in INDEXES
                if not statement.split("(", 1)[1].startswith("doc")]
TABLES = ("meta", "documents", "passage_docs", "texts", "mention_keys",
          "mention_rows", "facet_keys", "facet_docs", "labels", "postings", "element_keys",
          "element_rows", "attribute_keys", "attribute_rows", "passage_text")
#: Views of the tables: the passages (unpacked from each document's record:
#: archive.index.passagerows), the mentions with their keys' columns, a facet's rows (unpacked from
#: each document's record: archive.index.facetrows) and with its name and value, the counts of
#: its values, the element names and attribute values of each document.
VIEWS = ("passages", "mentions", "facet_rows", "facet_values", "facet_totals", "element_names",
         "attribute_values")

#: Tables of older schemas that none replaces under their name (14: passage_ranges, whose
#: ranges passage_docs holds now).
GONE = ("passage_ranges",)

#: The file a full rebuild writes, in the data directory; it replaces the index once complete.
REBUILD_FILE = ".index.sqlite.rebuild"
#: The files SQLite keeps beside a database in WAL mode.
WAL_FILES = ("-wal", "-shm")


def connect(settings: Settings) -> sqlite3.Connection:
    """Open the index for writing (created empty when missing)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(settings.index_path)


def open_database(path: Path, journal: str = "WAL") -> sqlite3.Connection:
    """Open (or create) an index database at ``path`` for writing.

    :param journal: its journal mode: WAL for the index, where readers read while it is
        written; OFF for a rebuild's new file, which nobody reads and nothing recovers.
    """
    db = with_passage_rows(with_facet_rows(with_texts(
        sqlite3.connect(path, isolation_level=None))))
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute("PRAGMA synchronous = NORMAL")
    # a large page cache: a rebuild's index pages stay in memory instead of being re-read
    db.execute("PRAGMA cache_size = -65536")
    db.execute("PRAGMA temp_store = MEMORY")
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        recreate(db)
    return db


def replace_database(new: Path, target: Path) -> None:
    """Put the complete, closed database ``new`` in the place of ``target``, atomically: a
    reader opens either the old index or the new one, each whole.

    The old index's WAL files go first (a reader that has them open keeps them): the new file
    must not take the old one's pages for its own.
    """
    with open(new, "rb") as handle:
        os.fsync(handle.fileno())
    for suffix in WAL_FILES:
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(new, target)
    try:
        directory = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def remove_database(path: Path) -> None:
    """Remove a database file and its WAL files, where they are."""
    for suffix in ("", *WAL_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the database at ``path``.

    In a folder that cannot be written (an archive published on read-only media), SQLite can
    make none of the files a WAL database is read with: the database is then opened as
    immutable, which nothing can change there (every update ends by writing the whole WAL back
    into the database file, so none is left to read).
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"  # a URI keeps odd characters of the path literal
    if not os.access(path.parent, os.W_OK):
        uri += "&immutable=1"
    return with_passage_rows(with_facet_rows(sqlite3.connect(uri, uri=True,
                                                             isolation_level=None)))


class Cursor(Protocol):
    """What the readers use of a cursor, on either engine."""

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """What the readers use of a connection: ``sqlite3.Connection``, or its PostgreSQL
    counterpart (:class:`archive.index.pg.Connection`)."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def close(self) -> None: ...


def dialect(db: Database) -> str:
    """``"sqlite"`` or ``"postgresql"``: which engine ``db`` is, for the few statements that
    differ."""
    return str(getattr(db, "dialect", "sqlite"))


def where(db: Database) -> str:
    """What names the index ``db`` reads (its file, or its URL without the password)."""
    if isinstance(db, sqlite3.Connection):
        return str(db.execute("PRAGMA database_list").fetchone()[2])
    return str(db.where)  # type: ignore[attr-defined]


def read_slice(db: Database, table: str, column: str, key: str, value: str, start: int,
               length: int) -> bytes | None:
    """Bytes ``start`` to ``start + length`` of a blob (the row whose ``key`` is ``value``),
    read alone (SQLite's incremental blob reads; PostgreSQL's substring); None: no such row."""
    if isinstance(db, sqlite3.Connection):
        row = db.execute(f"SELECT rowid FROM {table} WHERE {key} = ?", (value,)).fetchone()
        if row is None:
            return None
        with db.blobopen(table, column, row[0], readonly=True) as blob:
            blob.seek(start)
            return blob.read(length)
    row = db.execute(f"SELECT substring({column} FROM ? FOR ?) FROM {table} WHERE {key} = ?",
                     (start + 1, length, value)).fetchone()
    return None if row is None else bytes(row[0])


@contextmanager
def publishing(settings: Settings) -> Iterator[None]:
    """Around an update of the SQLite index: then publish it, and the archive's files, to
    PostgreSQL, where
    ``settings.index_url`` names a database (see :mod:`archive.index.pg`; the database is
    reached first, so that an unreachable one fails before any work).

    :raise ArchiveError: the database cannot be reached or written.
    """
    url = settings.index_url
    if not url:
        yield
        return
    from . import pg

    pg.published(url)
    before = None
    if settings.index_path.is_file():
        with closing(read_only(settings.index_path)) as db:
            try:
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            except sqlite3.Error:
                row = None
            before = row[0] if row else None
    yield
    # the archive's files too (archive.index.pgstore): the new and changed ones before the
    # index that names them, the removed ones after the index that no longer does
    from . import pgstore

    gone = pgstore.publish_files(url, settings.data_dir)
    pg.publish(url, settings.index_path, before)
    pgstore.forget_files(url, settings.data_dir, gone)


def index_exists(settings: Settings) -> bool:
    """Whether there is an index to read (the file, or the database's published index)."""
    if settings.index_url:  # asked through the pool: the viewer asks at every request
        row = reader(settings).execute("SELECT value FROM meta WHERE key = 'generation'")
        return bool(row.fetchone())
    return settings.index_path.is_file()


#: Each thread's read-only connection to the index it read last (see reader).
_READER = threading.local()


def reader(settings: Settings) -> Database:
    """This thread's read-only connection to the index (an empty index is made when missing,
    where the data directory can be written).

    Kept open between calls (opening one costs more than most lookups and queries) while the
    index file is the same file in the same process: a new file (a new inode) gets a new
    connection. Each read transaction sees the last committed state, so a kept connection is
    never stale; read only, it never checkpoints or deletes the write-ahead log when closed.

    Where ``settings.index_url`` names a PostgreSQL database: this thread's connection from the
    process's pool (see :func:`archive.index.pg.reader`) to it, or to its read-only copy
    ``settings.index_read_url``.

    :raise ArchiveError: there is no index, and none can be made (a read-only directory); the
        database cannot be reached.
    """
    if settings.index_url:
        from . import pg

        return pg.reader(settings.index_read_url or settings.index_url)
    path = settings.index_path
    try:
        stat = path.stat()
    except FileNotFoundError:
        if settings.data_dir.is_dir() and not os.access(settings.data_dir, os.W_OK):
            raise ArchiveError("no index, and the data directory cannot be written: run "
                               "`archive reindex` where it can", str(path)) from None
        connect(settings).close()
        stat = path.stat()
    key = (str(path), stat.st_dev, stat.st_ino, os.getpid())
    kept = getattr(_READER, "kept", None)
    if kept is not None and kept[0] == key:
        connection: sqlite3.Connection = kept[1]
        return connection
    if kept is not None:
        kept[1].close()
    db = read_only(path)
    _READER.kept = (key, db)
    return db


def recreate(db: sqlite3.Connection) -> None:
    """Drop every table and make them again, empty."""
    # Empty tables under no facets signature: until a rebuild has ended (and set it), the next
    # update rebuilds in full, so that a rebuild stopped half-way (by a malformed file) does
    # not leave documents without their full-text rows, which a rebuild makes at its end.
    db.execute("BEGIN")
    for (view,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        if view in VIEWS:  # (an older index's table may have a view's name: dropped below)
            db.execute(f"DROP VIEW {view}")
    for name, kind in db.execute("SELECT name, type FROM sqlite_master WHERE type IN"
                                 " ('table', 'view')").fetchall():
        if name in TABLES or name in VIEWS or name in GONE:  # (an older index's tables too)
            db.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema', ?), ('facets', '')", (SCHEMA_VERSION,))
    db.execute("COMMIT")


class transaction:
    """``with transaction(db):`` one write transaction, committed unless the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def as_dicts(cursor: Cursor) -> list[dict[str, Any]]:
    """A query's rows as dictionaries keyed by column name."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
