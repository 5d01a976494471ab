"""The index on PostgreSQL: where ``ARCHIVE_INDEX_URL`` (``archive --index URL``) names a database.

The SQLite file ``index.sqlite`` stays the build's working copy: :func:`archive.index.update_index`
brings it up to date as it always does, then :func:`publish` copies what changed into
PostgreSQL (``COPY``), where every reader reads: the viewer's processes and threads, on any
host, through a connection pool each. The tables are the SQLite index's (as PostgreSQL DDL,
made by the numbered steps of :data:`MIGRATIONS`, recorded in ``schema_migrations``), in the
schema :data:`SCHEMA`; the full text is a ``tsvector`` column of the leaf passages with a GIN
index, ranked by ``ts_rank``. Its lexemes are the tokens SQLite's FTS5 tokenizer makes of the
same text (read from an FTS5 table in memory), so that a search finds on PostgreSQL what it
finds on SQLite; the snippets of the hits shown are made as SQLite's are, of the passages' packed
texts (:func:`archive.index.texts.snippets`).

A full publish (a rebuild, a new database, one that lags behind) fills a new schema and swaps
it in within one transaction: a reader sees the old index or the new one, each whole. Other
updates replace the rows of the documents that changed, in one transaction.

:class:`Connection` offers the part of ``sqlite3.Connection`` the readers use (``execute``
with ``?`` parameters, cursors, ``BEGIN``/``COMMIT``, ``in_transaction``), so that the SQL of
the index stays one text for both engines; the few statements that differ are chosen by
:func:`archive.index.db.dialect`. Only this package imports psycopg.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from ..errors import ArchiveError
from . import facetrows, passagerows
from .texts import TOKENIZER, passage_texts
from .version import MENTION_ORDER, REBUILD, SCHEMA_VERSION, SEGMENTS

#: The schema of the published index; a full publish fills :data:`BUILDING`, then renames it.
SCHEMA = "archive_index"
BUILDING = "archive_index_build"
#: Readers' connections per process (the viewer's threads share them).
POOL_SIZE = 16
#: Seconds to wait for the server (and for a free pooled connection).
TIMEOUT = 10.0

#: The numbered steps that make the schema, in order; a later change of the schema is one more
#: step. Each runs with the search path set to the schema it makes (``schema_migrations``
#: records those it holds). Step 1: the tables of SQLite's schema 8 (archive.index.db), the
#: full text as a tsvector of each leaf passage (``terms``), mentions keeping SQLite's row
#: order (``rowid``). Step 2 (schema 9): the passages' texts packed per document in ``texts``
#: (archive.index.texts), as SQLite's are, snippets made of them as SQLite's are (a published
#: index of schema 8 is published again in full: its texts are not kept by this step). Step 3
#: (schema 9 too): each mention's type, ref, surface and dates numbered once
#: (``mention_keys``), its rows numbers (``mention_rows``, keeping SQLite's row order in
#: ``rowid``), ``mentions`` a view of both. Step 4 (schema 9 too): the passages indexed by
#: document alone (nothing looks one up by its address: the unique index of both was as large
#: as the table). Step 5 (schema 9 too): SQLite's narrow tables of numbers kept as arrays, one
#: row per document or per key (:data:`GROUPED`) instead of one per pair, each row's 24-byte
#: header and index entry costing more than its numbers: ``facet_rows``, ``element_rows`` and
#: ``attribute_rows`` are views of them (the readers' SQL unchanged: a name's or value's
#: documents are read by its key, the key's array). Step 6 (SQLite's schema unchanged): the
#: index of the mentions' rows by key holds their offsets too (``INCLUDE``): an entity page's
#: list of mentions, chosen by key and document, is read from the index alone, not from a
#: table page per row (an entity named 31,703 times in 10,000 documents: 88 ms reading 10,110
#: pages, then 24 ms). Step 7 (SQLite's schema unchanged): a mention's row keeps its number in
#: its document (``seq``, 4 bytes), not its place in the mentions' order (``rowid``, 8 bytes
#: and 4 of alignment), which the view ``mentions`` makes of the two as SQLite's does
#: (:data:`MENTION_ORDER`): 52 bytes a row with its header and line pointer, not 60 (938,807
#: rows at 10,000 documents). The table is made anew (its rows copied in their order), not
#: updated in place: an index published before keeps no dead rows nor dropped column.
MIGRATIONS: list[tuple[int, str]] = [(1, """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, path TEXT NOT NULL, hash TEXT NOT NULL,
    mtime_ns BIGINT NOT NULL, size BIGINT NOT NULL, title TEXT, author TEXT,
    publication TEXT, publisher TEXT, date TEXT, start_day INTEGER, end_day INTEGER,
    kind TEXT, language TEXT, licence TEXT);
CREATE TABLE passages (
    passage INTEGER PRIMARY KEY, doc INTEGER NOT NULL, xml_id TEXT NOT NULL,
    element TEXT NOT NULL, text TEXT NOT NULL, position INTEGER NOT NULL, leaf BOOLEAN NOT NULL,
    words TEXT NOT NULL DEFAULT '', terms TSVECTOR, UNIQUE (doc, xml_id));
CREATE INDEX passages_terms ON passages USING GIN (terms);
CREATE TABLE mentions (
    doc INTEGER NOT NULL, passage INTEGER, type TEXT NOT NULL, ref TEXT, surface TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, "when" TEXT, "from" TEXT, "to" TEXT,
    not_before TEXT, not_after TEXT, start_day INTEGER, end_day INTEGER,
    rowid BIGINT NOT NULL);
CREATE INDEX mentions_doc ON mentions (doc, passage);
CREATE INDEX mentions_ref ON mentions (ref, doc) WHERE ref IS NOT NULL;
CREATE INDEX mentions_days ON mentions (start_day, end_day, doc) WHERE type = 'date';
CREATE TABLE facet_keys (key INTEGER PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0, UNIQUE (facet, value));
CREATE TABLE facet_rows (doc INTEGER NOT NULL, key INTEGER NOT NULL, passage INTEGER NOT NULL,
    PRIMARY KEY (doc, key, passage));
CREATE VIEW facet_values (facet, level, doc, passage, value) AS
    SELECT k.facet, CASE WHEN r.passage <> 0 THEN 'passage' ELSE 'document' END, r.doc,
           NULLIF(r.passage, 0), k.value
    FROM facet_rows r JOIN facet_keys k ON k.key = r.key;
CREATE VIEW facet_totals (facet, value, count) AS
    SELECT facet, value, count FROM facet_keys WHERE count > 0;
CREATE TABLE labels (value TEXT PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE postings (name TEXT PRIMARY KEY, data BYTEA NOT NULL);
CREATE TABLE element_keys (key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE element_rows (doc INTEGER NOT NULL, key INTEGER NOT NULL, PRIMARY KEY (doc, key));
CREATE INDEX element_rows_key ON element_rows (key, doc);
CREATE VIEW element_names (doc, name) AS
    SELECT r.doc, k.name FROM element_rows r JOIN element_keys k ON k.key = r.key;
CREATE TABLE attribute_keys (key INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL,
    UNIQUE (name, value));
CREATE TABLE attribute_rows (doc INTEGER NOT NULL, key INTEGER NOT NULL,
    PRIMARY KEY (doc, key));
CREATE INDEX attribute_rows_key ON attribute_rows (key, doc);
CREATE VIEW attribute_values (doc, name, value) AS
    SELECT r.doc, k.name, k.value FROM attribute_rows r JOIN attribute_keys k ON k.key = r.key;
CREATE TEXT SEARCH CONFIGURATION archive_text (COPY = pg_catalog.simple);
"""), (2, """
ALTER TABLE passages DROP COLUMN text, DROP COLUMN words;
CREATE TABLE texts (doc INTEGER PRIMARY KEY, data BYTEA NOT NULL);
"""), (3, """
DROP TABLE mentions;
CREATE TABLE mention_keys (
    key INTEGER PRIMARY KEY, type TEXT NOT NULL, ref TEXT, surface TEXT NOT NULL, "when" TEXT,
    "from" TEXT, "to" TEXT, not_before TEXT, not_after TEXT, start_day INTEGER, end_day INTEGER);
CREATE INDEX mention_keys_ref ON mention_keys (ref) WHERE ref IS NOT NULL;
CREATE INDEX mention_keys_days ON mention_keys (start_day, end_day) WHERE type = 'date';
CREATE TABLE mention_rows (doc INTEGER NOT NULL, passage INTEGER, key INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, rowid BIGINT NOT NULL);
CREATE INDEX mention_rows_doc ON mention_rows (doc, passage, key);
CREATE INDEX mention_rows_key ON mention_rows (key, doc, passage);
CREATE VIEW mentions (doc, passage, type, ref, surface, start, "end", "when", "from", "to",
                      not_before, not_after, start_day, end_day, mention) AS
    SELECT r.doc, r.passage, k.type, k.ref, k.surface, r.start, r."end", k."when", k."from",
           k."to", k.not_before, k.not_after, k.start_day, k.end_day, r.rowid
    FROM mention_rows r JOIN mention_keys k ON k.key = r.key;
"""), (4, """
ALTER TABLE passages DROP CONSTRAINT passages_doc_xml_id_key;
CREATE INDEX passages_doc ON passages (doc);
"""), (5, """
CREATE TABLE facet_doc_rows (doc INTEGER PRIMARY KEY, keys INTEGER[] NOT NULL,
    passages INTEGER[] NOT NULL);
INSERT INTO facet_doc_rows SELECT doc, array_agg(key ORDER BY key, passage),
    array_agg(passage ORDER BY key, passage) FROM facet_rows GROUP BY doc;
DROP TABLE facet_rows CASCADE;
CREATE VIEW facet_rows (doc, key, passage) AS
    SELECT r.doc, u.key, u.passage
    FROM facet_doc_rows r, unnest(r.keys, r.passages) u (key, passage);
CREATE VIEW facet_values (facet, level, doc, passage, value) AS
    SELECT k.facet, CASE WHEN r.passage <> 0 THEN 'passage' ELSE 'document' END, r.doc,
           NULLIF(r.passage, 0), k.value
    FROM facet_rows r JOIN facet_keys k ON k.key = r.key;
CREATE TABLE element_key_docs (key INTEGER PRIMARY KEY, docs INTEGER[] NOT NULL);
INSERT INTO element_key_docs SELECT key, array_agg(doc ORDER BY doc) FROM element_rows
    GROUP BY key;
DROP TABLE element_rows CASCADE;
CREATE VIEW element_rows (doc, key) AS
    SELECT u.doc, r.key FROM element_key_docs r, unnest(r.docs) u (doc);
CREATE VIEW element_names (doc, name) AS
    SELECT r.doc, k.name FROM element_rows r JOIN element_keys k ON k.key = r.key;
CREATE TABLE attribute_key_docs (key INTEGER PRIMARY KEY, docs INTEGER[] NOT NULL);
INSERT INTO attribute_key_docs SELECT key, array_agg(doc ORDER BY doc) FROM attribute_rows
    GROUP BY key;
DROP TABLE attribute_rows CASCADE;
CREATE VIEW attribute_rows (doc, key) AS
    SELECT u.doc, r.key FROM attribute_key_docs r, unnest(r.docs) u (doc);
CREATE VIEW attribute_values (doc, name, value) AS
    SELECT r.doc, k.name, k.value FROM attribute_rows r JOIN attribute_keys k ON k.key = r.key;
"""), (6, """
DROP INDEX IF EXISTS mention_rows_key;
CREATE INDEX mention_rows_key ON mention_rows (key, doc, passage) INCLUDE (start, "end");
"""), (7, f"""
CREATE TABLE mention_rows_7 (doc INTEGER NOT NULL, passage INTEGER, key INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, seq INTEGER NOT NULL);
INSERT INTO mention_rows_7 SELECT doc, passage, key, start, "end", rowid - doc * 4294967296
    FROM mention_rows ORDER BY rowid;
DROP TABLE mention_rows CASCADE;
ALTER TABLE mention_rows_7 RENAME TO mention_rows;
CREATE INDEX mention_rows_doc ON mention_rows (doc, passage, key);
CREATE INDEX mention_rows_key ON mention_rows (key, doc, passage) INCLUDE (start, "end");
CREATE VIEW mentions (doc, passage, type, ref, surface, start, "end", "when", "from", "to",
                      not_before, not_after, start_day, end_day, mention) AS
    SELECT r.doc, r.passage, k.type, k.ref, k.surface, r.start, r."end", k."when", k."from",
           k."to", k.not_before, k.not_after, k.start_day, k.end_day, {MENTION_ORDER}
    FROM mention_rows r JOIN mention_keys k ON k.key = r.key;
""")]

#: Tables copied whole at every publish (small: numbered values, labels, postings, meta).
WHOLE = ("meta", "facet_keys", "labels", "postings", "element_keys", "attribute_keys",
         "mention_keys")
#: Tables of rows per document, replaced for the documents that changed.
PER_DOCUMENT = ("documents", "passages", "texts", "mention_rows", "facet_rows")
#: Tables of rows per key, whose keys the documents that changed hold replaced.
PER_KEY = ("element_rows", "attribute_rows")
#: SQLite's tables kept as arrays (step 5): their PostgreSQL table, the column it has a row
#: per value of, and the columns whose values are its arrays (in the order of the arrays).
GROUPED = {"facet_rows": ("facet_doc_rows", "doc", ("key", "passage")),
           "element_rows": ("element_key_docs", "key", ("doc",)),
           "attribute_rows": ("attribute_key_docs", "key", ("doc",))}
#: The columns of SQLite's passages (the view's: archive.index.passagerows), in its order.
PASSAGE_COLUMNS = ("passage", "doc", "xml_id", "element", "position", "leaf")
#: PostgreSQL's columns, and what is read from SQLite for them, where they are not SQLite's
#: own: a mention's row keeps its passage (NULL outside any: 0 in SQLite) and its end; the
#: passages are read from their records (_copy_passages).
_SOURCE_COLUMNS = {"passages": (PASSAGE_COLUMNS, ""),
                   "mention_rows": (("doc", "passage", "key", "start", "end", "seq"),
                                    "doc, NULLIF(passage, 0), key, start, start + length, seq")}


_PASSWORD = re.compile(r"(://[^/@:]*:)[^@]*@")


def redacted(url: str) -> str:
    """``url`` without its password (for messages)."""
    return _PASSWORD.sub(r"\1***@", url)


def error_line(error: Exception, url: str) -> str:
    """An error's message on one line, without the URL's password."""
    return " ".join(str(error).replace(url, redacted(url)).split()) or type(error).__name__


def open_connection(url: str, **options: Any) -> Any:
    """A new connection to ``url`` (autocommit: ``BEGIN``/``COMMIT`` are said).

    :raise ArchiveError: the URL is not one, or the server cannot be reached.
    """
    import psycopg

    if not url.startswith(("postgresql://", "postgres://")):
        raise ArchiveError("not a PostgreSQL URL (postgresql://user:password@host:port/name)",
                           redacted(url))
    try:
        return psycopg.connect(url, autocommit=True, prepare_threshold=None,
                               connect_timeout=int(TIMEOUT), **options)
    except psycopg.Error as error:
        raise ArchiveError(f"cannot connect to the index database ({error_line(error, url)})",
                           redacted(url)) from None


# --- the readers' connections ------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")|(\?)|(%)""")


@functools.lru_cache(maxsize=1024)
def translated(statement: str) -> str:
    """A statement with SQLite's ``?`` parameters as psycopg's ``%s`` (``%`` doubled), and
    ``BEGIN`` as a transaction that reads one snapshot (as SQLite's does)."""
    if statement.strip().upper() in ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED"):
        return "BEGIN ISOLATION LEVEL REPEATABLE READ"

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1).replace("%", "%%")
        return "%s" if match.group(2) else "%%"

    return _PLACEHOLDER.sub(one, statement)


class Connection:
    """A PostgreSQL connection offering what the index's readers use of ``sqlite3.Connection``.

    :param where: what names it in messages and caches (its URL without the password).
    """

    dialect = "postgresql"

    def __init__(self, raw: Any, where: str, release: Any = None, epoch: int = 0) -> None:
        self.raw, self.where, self._release = raw, where, release
        self.epoch = epoch  # of the pools it came from (see close_pools)

    def execute(self, statement: str, params: Sequence[Any] = (), /) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(translated(statement), _bound(params))
        return cursor

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(translated(statement), [_bound(row) for row in rows])
        return cursor

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def close(self) -> None:
        if self._release is not None:
            self._release(self.raw)
            self._release = None
        else:
            self.raw.close()

    def __del__(self) -> None:  # a thread's connection goes back to the pool when it ends
        try:
            if self._release is not None:
                if self.in_transaction:
                    self.raw.execute("ROLLBACK")
                self.close()
        except Exception:  # noqa: BLE001, S110 - the pool may be closed already (exit)
            pass


#: PostgreSQL's text holds no NUL: what stands for it (the postings' names hold it: facet NUL
#: part; a reader's words may).
NUL = "\x1f"


def _bound(params: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(value.replace("\0", NUL) if isinstance(value, str) and "\0" in value
                 else value for value in params)


_POOLS: dict[tuple[str, int], Any] = {}
_POOLS_LOCK = threading.Lock()
#: Each thread's connection, per URL (see reader).
_HELD = threading.local()
#: How many times the pools were closed (a thread's connection from before is not used).
_EPOCH = 0


def _pool(url: str) -> Any:
    """This process's pool of connections to ``url``, made (and the index's schema with it,
    empty, where there is none) at its first use."""
    key = (url, os.getpid())
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            from psycopg_pool import ConnectionPool

            with closing(open_connection(url)) as first:  # a clear error first; the schema, if none
                standby = first.execute("SELECT pg_is_in_recovery()").fetchone()
                if not (standby and standby[0]):  # a replica has the primary's (read-only)
                    ensure_schema(first)

            def configure(connection: Any) -> None:
                connection.execute(f"SET search_path TO {SCHEMA}, public")
                connection.execute("SET default_transaction_read_only = on")  # readers only

            pool = ConnectionPool(url, min_size=1, max_size=POOL_SIZE, timeout=TIMEOUT,
                                  kwargs={"autocommit": True, "prepare_threshold": None},
                                  configure=configure, open=True, name="archive-index")
            _POOLS[key] = pool
    return pool


def close_pools() -> None:
    """Close this process's pools (their connections end; each thread's next reader opens a
    new one)."""
    global _EPOCH
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()
        _EPOCH += 1
    for (_, pid), connection in (getattr(_HELD, "connections", None) or {}).items():
        if pid == os.getpid():  # (a forked process leaves its parent's sockets alone)
            connection.raw.close()


def reader(url: str) -> Connection:
    """This thread's connection to the index at ``url``, from the process's pool (kept by the
    thread, given back when the thread ends).

    :raise ArchiveError: the server cannot be reached, or the pool has no free connection.
    """
    held: dict[tuple[str, int], Connection] = getattr(_HELD, "connections", None) or {}
    _HELD.connections = held
    key = (url, os.getpid())  # (a forked process never uses its parent's socket)
    connection = held.get(key)
    if (connection is not None and connection.epoch == _EPOCH and not connection.raw.closed
            and not connection.raw.broken):  # (a connection the server ended is replaced)
        return connection
    pool = _pool(url)
    try:
        raw = pool.getconn()
    except Exception as error:  # noqa: BLE001 - PoolTimeout, OperationalError: one line
        raise ArchiveError(f"no connection to the index database ({error_line(error, url)})",
                           redacted(url)) from None
    connection = held[key] = Connection(raw, redacted(url), pool.putconn, _EPOCH)
    return connection


# --- the schema ----------------------------------------------------------------------------

def migrate(db: Any, steps: list[tuple[int, str]]) -> None:
    """Apply the numbered ``steps`` the schema on the search path lacks (its
    ``schema_migrations`` records those applied), in the caller's transaction."""
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
               " applied TIMESTAMPTZ NOT NULL DEFAULT now())")
    done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
    for version, ddl in steps:
        if version not in done:
            db.execute(ddl)
            db.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))


def ensure_schema(db: Any, schema: str = SCHEMA) -> None:
    """Make ``schema`` (an empty index, as SQLite's :func:`archive.index.db.recreate` makes)
    where it is missing, and apply the migration steps it lacks."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
        missing = not db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                 (schema,)).fetchone()
        if missing:
            db.execute(f"CREATE SCHEMA {schema}")
        db.execute(f"SET LOCAL search_path TO {schema}, public")
        migrate(db, MIGRATIONS)
        if missing:
            db.execute("INSERT INTO meta VALUES ('schema', %s), ('facets', '')",
                       (SCHEMA_VERSION,))


# --- publishing ----------------------------------------------------------------------------

def published(url: str) -> dict[str, str]:
    """The published index's meta rows (empty: nothing is published)."""
    with closing(open_connection(url)) as db:
        ensure_schema(db)
        return dict(db.execute(f"SELECT key, value FROM {SCHEMA}.meta").fetchall())


def publish(url: str, path: Path, before: str | None) -> None:
    """Copy the SQLite index at ``path`` into the database at ``url``: only the documents that
    changed when the published index is that of ``before`` (the generation the SQLite index
    had before this update), else everything, into a new schema swapped in.

    :raise ArchiveError: the database cannot be reached or written.
    """
    import psycopg

    lite = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None)
    try:
        lite.execute("BEGIN")  # one snapshot of the SQLite index
        meta = dict(lite.execute("SELECT key, value FROM meta").fetchall())
        with closing(open_connection(url)) as db:
            # one publisher at a time (builds on other hosts), until this connection closes
            db.execute("SELECT pg_advisory_lock(hashtext('archive-index-publish'))")
            # its commits on disk before they return (whatever the server's default): VACUUM
            # marks no page all-visible whose rows' commit is not yet flushed (see _vacuum)
            db.execute("SET synchronous_commit = on")
            ensure_schema(db)
            there = dict(db.execute(f"SELECT key, value FROM {SCHEMA}.meta").fetchall())
            if there.get("generation") == meta.get("generation") and there == meta:
                return
            if (before is not None and there.get("generation") == before
                    and there.get("schema") == meta.get("schema")
                    and there.get("facets") == meta.get("facets")
                    # (a rebuild numbers every passage anew, and packs the texts with a new
                    # dictionary: its documents that did not change are not those published)
                    and there.get(REBUILD) == meta.get(REBUILD)):
                _publish_changes(db, lite)
            else:
                _publish_all(db, lite)
    except psycopg.Error as error:
        raise ArchiveError(f"the index cannot be written to the database"
                           f" ({error_line(error, url)}); run `archive reindex` again",
                           redacted(url)) from None
    finally:
        lite.close()


def _publish_all(db: Any, lite: sqlite3.Connection) -> None:
    """Everything into a new schema, which replaces the published one in one transaction."""
    db.execute(f"DROP SCHEMA IF EXISTS {BUILDING} CASCADE")
    ensure_schema(db, BUILDING)
    with db.transaction():
        db.execute(f"SET LOCAL search_path TO {BUILDING}, public")
        db.execute("SET LOCAL maintenance_work_mem = '256MB'")
        db.execute("DELETE FROM meta")
        indexes = _drop_indexes(db, BUILDING)
        for table in (*WHOLE, *PER_DOCUMENT, *PER_KEY):
            _copy(db, lite, table, "")
        for statement in indexes:  # made of all the rows at once: compact, and sooner
            db.execute(statement)
        db.execute("ANALYZE")  # (in the transaction: the tables' statistics only)
    _vacuum(db, BUILDING)
    with db.transaction():  # the swap: readers see the old index or the new one
        db.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        db.execute(f"ALTER SCHEMA {BUILDING} RENAME TO {SCHEMA}")


def _drop_indexes(db: Any, schema: str) -> list[str]:
    """Drop the indexes (and the unique and primary key constraints) of the tables of
    ``schema`` but its migrations'; the statements that make them again. (An index made row by
    row as a COPY fills its table ends up half empty: a B-tree's pages split where keys come
    in no order, a GIN index grows by its pending list.)"""
    made = []
    for table, index, definition, constraint, rule in db.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid), c.conname,"
            " pg_get_constraintdef(c.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('p', 'u')"
            " WHERE n.nspname = %s AND t.relname <> 'schema_migrations' ORDER BY 1, 2",
            (schema,)).fetchall():
        if constraint is not None:
            db.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            made.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {rule}')
        else:
            db.execute(f'DROP INDEX "{index}"')
            made.append(definition)
    return made


def _publish_changes(db: Any, lite: sqlite3.Connection) -> None:
    """The documents that changed (by number, hash, file and time), and the small tables."""
    fields = "doc, hash, path, mtime_ns, size"
    ours = set(lite.execute(f"SELECT {fields} FROM documents"))
    with db.transaction():
        db.execute(f"SET LOCAL search_path TO {SCHEMA}, public")
        theirs = set(db.execute(f"SELECT {fields} FROM documents").fetchall())
        gone = sorted(row[0] for row in theirs - ours)
        new = sorted(row[0] for row in ours - theirs)
        for table in PER_DOCUMENT:
            if gone:
                db.execute(f"DELETE FROM {GROUPED.get(table, (table,))[0]} WHERE doc = ANY(%s)",
                           (gone,))
        for table in WHOLE:
            if table == "postings":  # a segment's arrays never change: the new ones alone
                _publish_postings(db, lite)
                continue
            db.execute(f"DELETE FROM {table}")
            _copy(db, lite, table, "")
        for chosen in _number_lists(new):
            for table in PER_DOCUMENT:
                _copy(db, lite, table, f" WHERE doc IN ({chosen})")
        if gone or new:
            for table in PER_KEY:
                _publish_keys(db, lite, table, gone, new)
    _vacuum(db, SCHEMA)


def _vacuum(db: Any, schema: str) -> None:
    """VACUUM the tables of ``schema`` (outside a transaction: it cannot run in one), so that
    their pages are marked all-visible and readers' index-only scans read no table row: the
    rows a publish has just written are otherwise looked up in the table one by one until
    autovacuum comes by (an entity's 31,703 mentions at 10,000 documents: 174 ms, 10,000 pages
    read, instead of 16 ms). A page already marked is skipped: after an update, the pages of
    the documents that changed alone are read."""
    for (table,) in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s"
                               " ORDER BY 1", (schema,)).fetchall():
        db.execute(f'VACUUM "{schema}"."{table}"')


def _publish_keys(db: Any, lite: sqlite3.Connection, table: str, gone: list[int],
                  new: list[int]) -> None:
    """The rows of a table kept per key (:data:`GROUPED`) whose keys the documents ``gone``
    held or the documents ``new`` hold, made again."""
    target = GROUPED[table][0]
    keys = {key for (key,) in db.execute(f"SELECT key FROM {target} WHERE docs && %s::integer[]",
                                         (sorted({*gone, *new}),))}
    for chosen in _number_lists(new):
        keys.update(key for (key,) in lite.execute(
            f"SELECT DISTINCT key FROM {table} WHERE doc IN ({chosen})"))
    chosen_keys = sorted(keys)
    db.execute(f"DELETE FROM {target} WHERE key = ANY(%s)", (chosen_keys,))
    for chosen in _number_lists(chosen_keys):
        _copy(db, lite, table, f" WHERE key IN ({chosen})")


def _number_lists(numbers: list[int]) -> Iterator[str]:
    """``numbers`` as SQL lists (``1, 2, 3``: numbers need no quoting), 500 at a time."""
    for start in range(0, len(numbers), 500):
        yield ", ".join(map(str, numbers[start:start + 500]))


def _publish_postings(db: Any, lite: sqlite3.Connection) -> None:
    """The postings' arrays of the segments that are new, without those of the segments gone,
    and the list of the live segments (see archive.index.postings: the one row that changes;
    a segment's arrays are named by its number, never reused)."""
    ours = {name.split("\0")[0] for (name,) in lite.execute("SELECT name FROM postings")
            if "\0" in name}
    theirs = {name.split(NUL)[0] for (name,) in db.execute("SELECT name FROM postings")
              if NUL in name}
    for number in sorted(theirs - ours):
        db.execute("DELETE FROM postings WHERE name LIKE %s", (f"{number}{NUL}%",))
    db.execute("DELETE FROM postings WHERE name = %s", (SEGMENTS,))
    _copy(db, lite, "postings", f" WHERE name = '{SEGMENTS}'")
    for number in sorted(ours - theirs):  # its names: the number, NUL, ...
        _copy(db, lite, "postings", f" WHERE name > '{number}' AND name < '{number}' || char(1)")


def _copy(db: Any, lite: sqlite3.Connection, table: str, where: str) -> None:
    """COPY the rows of an SQLite table (those ``where`` selects) into its PostgreSQL twin."""
    if table in GROUPED:
        _copy_grouped(db, lite, table, where)
        return
    columns, source = _SOURCE_COLUMNS.get(table, ((), "*"))
    if not columns:
        columns = tuple(row[1] for row in lite.execute(f"PRAGMA table_info({table})"))
    names = ", ".join(f'"{column}"' for column in columns)
    if table == "passages":
        _copy_passages(db, lite, f"{names}, terms", where)
        return
    rows: Iterator[Sequence[Any]] = lite.execute(f"SELECT {source} FROM {table}{where}")
    if table == "postings":
        rows = ((name.replace("\0", NUL), *rest) for name, *rest in rows)
    with db.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_grouped(db: Any, lite: sqlite3.Connection, table: str, where: str) -> None:
    """COPY the rows of an SQLite table (those ``where`` selects) into the table of arrays it
    is kept in (:data:`GROUPED`): one row per value of its column, with the other columns'
    values in arrays (made by SQLite, whose concatenations of one group read its rows in one
    order: the arrays' n-th items are of one row)."""
    target, by, columns = GROUPED[table]
    arrays = ", ".join(f"'{{' || group_concat({column}) || '}}'" for column in columns)
    rows: Iterable[Sequence[Any]] = lite.execute(
        f"SELECT {by}, {arrays} FROM (SELECT {by}, {', '.join(columns)}"
        f" FROM {table}{where} ORDER BY {by}, {', '.join(columns)}) GROUP BY {by}"
    ) if table != "facet_rows" else _facet_arrays(lite, where)
    names = ", ".join(f"{column}s" for column in columns)
    with db.cursor().copy(f"COPY {target} ({by}, {names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _facet_arrays(lite: sqlite3.Connection, where: str) -> Iterator[tuple[int, str, str]]:
    """(doc, keys, passages) of the documents ``where`` selects, their arrays as literals: each
    document's facet record unpacked (archive.index.facetrows), its rows in (key, passage)
    order as SQLite's view gives them."""
    for doc, data in lite.execute(f"SELECT doc, data FROM facet_docs{where} ORDER BY doc"):
        keys, passages = facetrows.unpack(data)
        if len(keys):
            yield (doc, "{" + ",".join(map(str, keys.tolist())) + "}",
                   "{" + ",".join(map(str, passages.tolist())) + "}")


#: Passages tokenized at once (see _with_terms).
_TOKENIZED = 2000
#: Passages whose COPY lines are made at once (by a worker, when there are more).
_PASSAGES_A_WORKER = 10000


def _copy_passages(db: Any, lite: sqlite3.Connection, names: str, where: str) -> None:
    """COPY the passages ``where`` selects with their tsvectors, made of their texts' tokens.
    Many (a full publish) are tokenized on every core (:mod:`archive.index.workers`), each
    worker making the COPY lines of a range of passage numbers, written here in order: the
    tokens and literals cost the client four times what the server spends reading them (10,000
    documents: 43 s against 10)."""
    from .workers import map_on_cores, workers

    encoding = db.info.encoding
    chosen = where.removeprefix(" WHERE").strip()  # (SQLite's: one record a document)
    low, high, count = lite.execute(
        "SELECT MIN(first_passage), MAX(last_passage), COUNT(*) FROM passage_docs"
        f"{' WHERE ' + chosen if chosen else ''}").fetchone()
    if not count:
        return
    ranges = [(start, start + _PASSAGES_A_WORKER)
              for start in range(low, high + 1, _PASSAGES_A_WORKER)]
    pieces: Iterable[bytes]
    if where:  # (the documents that changed: a few hundred at a time)
        pieces = [_passage_lines(lite, chosen, encoding)]
    elif len(ranges) >= 2 and workers() >= 2:
        path = lite.execute("PRAGMA database_list").fetchone()[2]
        pieces = map_on_cores(_passage_lines_of, ranges, path, encoding)
    else:
        pieces = (_passage_lines(lite, "", encoding, numbers) for numbers in ranges)
    with db.cursor().copy(f"COPY passages ({names}) FROM STDIN") as copy:
        for lines in pieces:
            copy.write(lines)


def _passage_lines_of(numbers: tuple[int, int], path: str, encoding: str) -> bytes:
    """(In a worker.) The COPY lines of the passages numbered from ``numbers[0]`` up to
    ``numbers[1]`` in the SQLite index at ``path``."""
    lite = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        return _passage_lines(lite, "", encoding, numbers)
    finally:
        lite.close()


def _passage_lines(lite: sqlite3.Connection, where: str, encoding: str,
                   numbers: tuple[int, int] | None = None) -> bytes:
    """The COPY lines (text format) of the passages of the documents ``where`` selects (a
    condition on ``passage_docs``; "": all), those numbered from ``numbers[0]`` up to
    ``numbers[1]`` if given, with their terms (columns: :data:`PASSAGE_COLUMNS`)."""
    rows: Iterable[Sequence[Any]]
    if numbers is None:
        rows = passagerows.rows(lite, where)
    else:
        low, high = numbers
        rows = (row for row in passagerows.rows(
            lite, f"last_passage >= {low:d} AND first_passage < {high:d}")
            if low <= row[0] < high)
    return "".join("\t".join(map(_copy_value, row)) + "\n" for row in _with_terms(
        lite, rows, PASSAGE_COLUMNS.index("doc"), PASSAGE_COLUMNS.index("position"),
        PASSAGE_COLUMNS.index("leaf"))).encode(encoding)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    """A value as COPY's text format writes it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _with_terms(lite: sqlite3.Connection, rows: Iterable[Sequence[Any]], doc: int,
                position: int, leaf: int) -> Iterator[tuple[Any, ...]]:
    """Passages' rows, leaves with their ``tsvector`` (a literal) and ``leaf`` as a boolean."""
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _TOKENIZED:
            yield from _batch_terms(lite, batch, doc, position, leaf)
            batch = []
    yield from _batch_terms(lite, batch, doc, position, leaf)


def _batch_terms(lite: sqlite3.Connection, batch: list[Sequence[Any]], doc: int, position: int,
                 leaf: int) -> Iterator[tuple[Any, ...]]:
    places = [(row[doc], row[position]) for row in batch if row[leaf]]
    texts = passage_texts(lite, places)
    vectors = dict(zip(places, map(tsvector, tokens(
        [(0, *texts.get(place, ("", ""))) for place in places])), strict=True))
    for row in batch:
        yield (*row[:leaf], bool(row[leaf]), *row[leaf + 1:],
               vectors.get((row[doc], row[position])))


_TOKENS = threading.local()


def _tokenizer() -> sqlite3.Connection:
    """This thread's FTS5 table in memory, whose vocabulary gives the tokens of a text."""
    db: sqlite3.Connection | None = getattr(_TOKENS, "db", None)
    if db is None or _TOKENS.pid != os.getpid():  # (not one a worker's parent made)
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        db.execute(f"CREATE VIRTUAL TABLE texts USING fts5 (text, words,"
                   f" tokenize='{TOKENIZER}')")
        db.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, texts, instance)")
        _TOKENS.db, _TOKENS.pid = db, os.getpid()
    return db


def tokens(texts: Sequence[tuple[int, str, str]]) -> list[list[tuple[str, int]]]:
    """The FTS5 tokens of each (number, text, words): (token, position from 1), the words'
    after the text's with a gap (a phrase never runs from one into the other)."""
    db = _tokenizer()
    db.execute("BEGIN")
    try:
        db.executemany("INSERT INTO texts (rowid, text, words) VALUES (?, ?, ?)",
                       [(number, text, words) for number, (_, text, words) in enumerate(texts)])
        found: list[list[tuple[str, int, int]]] = [[] for _ in texts]
        for term, row, column, offset in db.execute(
                "SELECT term, doc, col, offset FROM instances"):
            found[row].append((term, column == "words", offset))
        db.execute("DELETE FROM texts")
    finally:
        db.execute("COMMIT")
    result = []
    for items in found:
        length = 1 + max((offset for _, in_words, offset in items if not in_words), default=-1)
        result.append([(term, offset + 1 + (length + 1 if in_words else 0))
                       for term, in_words, offset in items])
    return result


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


#: PostgreSQL's limits: a lexeme's bytes, a position.
_LONGEST, _LAST = 2046, 16383


def tsvector(terms: list[tuple[str, int]]) -> str:
    """The ``tsvector`` literal of tokens and their positions."""
    positions: dict[str, list[int]] = {}
    for term, position in terms:
        found = positions.get(term)
        if found is None:
            positions[term] = [position]
        else:
            found.append(position)
    parts = []
    for term, found in positions.items():
        if len(term) * 4 > _LONGEST and len(term.encode("utf-8")) > _LONGEST:
            continue  # (a character is 4 bytes at most: shorter terms are not measured)
        if len(found) > 1 or found[0] > _LAST:
            found = sorted({min(position, _LAST) for position in found})
        parts.append(f"{_lexeme(term)}:{','.join(map(str, found))}")
    return " ".join(parts)


_PHRASE = re.compile(r'"((?:[^"]|"")*)"(\*?)')


def tsquery(query: str) -> str:
    """The ``tsquery`` literal of an FTS5 query of quoted phrases (see
    :func:`archive.index.lookup.fts_query`): each phrase's tokens in a row (``<->``), the last
    a prefix where the phrase is, every phrase required; a phrase of no token is no condition
    (as in FTS5), and none at all matches nothing (``''``)."""
    phrases = [(text.replace('""', '"'), bool(star)) for text, star in _PHRASE.findall(query)]
    found = tokens([(0, text, "") for text, _ in phrases])
    parts = []
    for terms, (_, prefix) in zip(found, phrases, strict=True):
        words = [_lexeme(term) for term, _ in sorted(terms, key=lambda item: item[1])]
        if words:
            if prefix:
                words[-1] += ":*"
            parts.append("(" + " <-> ".join(words) + ")")
    return " & ".join(parts)
