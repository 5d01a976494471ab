"""The index: a derived, always rebuildable SQLite database of the TEI files.

``update_index`` is the entry point (the build calls it after writing files). It is incremental
by content hash: only new or changed files are read again, each document's rows are replaced
inside one transaction, and files that are gone are dropped. A change of schema or of the
declared facets rebuilds everything, in a new file that replaces the index once complete (a
failed rebuild leaves the old index). It runs under the data directory's lock; facets the data
directory declares are evaluated in workers under limits of time and memory per document.
:func:`archive.index.lookup` answers selections from these tables with plain SQL; no XML is
parsed per request.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import ArchiveError
from ..registry import RefResolver, ref_resolver
from ..store import data_lock, iter_tei_files
from . import facetrows, fulltext, passagerows
from .db import (
    FULLTEXT,
    INDEXES,
    LATE_INDEXES,
    MENTION_COLUMNS,
    REBUILD_FILE,
    SCHEMA,
    SCHEMA_VERSION,
    connect,
    open_database,
    publishing,
    recreate,
    remove_database,
    replace_database,
    transaction,
)
from .declared import FACETS_FILE, Facet, facets_signature, load_facets
from .facets import registry_labels
from .postings import Changes, write_postings
from .rows import NO_DATES, DocumentRows, extract
from .texts import (
    DICTIONARY,
    fulltext_rows,
    make_dictionary,
    pack_texts,
    read_dictionary,
    stored_dictionary,
)
from .version import REBUILD
from .workers import (
    CHUNK,
    WorkLimits,
    current_step,
    end_work,
    map_on_cores,
    overrun_report,
    parallel,
    start_early,
    start_work,
    workers,
)

#: Documents written per transaction.
BATCH = 50


@dataclass(frozen=True)
class IndexReport:
    """What :func:`update_index` did."""

    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float
    full: bool


#: path, bytes, digest (both None until read: see _read), old doc
Work = list[tuple[Path, bytes | None, str | None, int | None]]


def _read(path: Path, data: bytes | None, digest: str | None) -> tuple[bytes, str]:
    """A file's bytes and their SHA-256, read now unless given."""
    if data is None or digest is None:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
    return data, digest


def update_index(
    settings: Settings, *, full: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IndexReport:
    """Bring the index up to date with the TEI files of the data directory.

    :param full: drop everything and index every file again.
    :param progress: called as ``progress(done, total)`` for each file that is (re)indexed.
    :return: counts of added, updated, removed and unchanged documents.
    :raise tei.errors.TeiError: a file is not a well-formed TEI document.
    :raise ArchiveError: two files carry the same document id, or facets.toml is wrong, or
        another process is writing to the data directory (the lock is taken before the index
        is read), or it cannot be written, or the PostgreSQL database ``settings.index_url``
        names cannot be reached or written.
    """
    with data_lock(settings.data_dir), publishing(settings):  # (to PostgreSQL: see db.py)
        try:
            return _update(settings, full, progress)
        except sqlite3.OperationalError as error:  # a full disk, an index it cannot write
            raise ArchiveError(f"the index cannot be written ({error}); the files are safe: "
                               "run `archive reindex` once there is room",
                               str(settings.index_path)) from None


def _update(settings: Settings, full: bool, progress: Callable[[int, int], None] | None,
            ) -> IndexReport:
    started = time.perf_counter()
    facets = load_facets(settings)
    signature = facets_signature(facets)
    resolver = ref_resolver(settings)  # how imported documents' pointers resolve
    # facets the data directory declares are evaluated in workers, under limits, at any size
    limited = (settings.data_dir / FACETS_FILE).is_file()
    building = settings.data_dir / REBUILD_FILE
    remove_database(building)  # of a rebuild that was killed
    db = connect(settings)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        full = full or meta.get("schema") != SCHEMA_VERSION or meta.get("facets") != signature
        if full:  # made in a new file, which replaces the index only once it is complete
            db.close()
            db = open_database(building, journal="OFF")  # nothing to recover: removed
            # nor a commit to make durable: the file is synced once, complete, before it
            # replaces the index (replace_database)
            db.execute("PRAGMA synchronous = OFF")
            recreate(db)
            db.execute(f"PRAGMA threads = {workers()}")  # the sorts of CREATE INDEX, at the end
            for name in LATE_INDEXES:
                db.execute(f"DROP INDEX {name}")
        # the facet rows of the documents deleted, counted before they go (see _refresh_totals)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS uncounted (key INTEGER, n INTEGER)")
        known = {path: (doc, digest) for doc, path, digest in
                 db.execute("SELECT doc, path, hash FROM documents")}
        work: Work = []
        unchanged = 0
        files = list(iter_tei_files(settings.tei_dir))
        if parallel(len(files)) and (full or not known):  # a rebuild on cores is coming
            start_early()
        unread = full and parallel(len(files))  # the workers read a rebuild's files
        if full:  # the texts' preset dictionary, of a few documents (see archive.index.texts);
            # and which rebuild this is: its documents and passages are numbered anew, so that
            # a published index takes it whole (archive.index.pg.publish)
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           [(DICTIONARY, stored_dictionary(_dictionary(files, resolver))),
                            (REBUILD, str(time.time_ns()))])
        dictionary = read_dictionary(db)
        for path in files:
            if unread:
                work.append((path, None, None, None))
                continue
            data, digest = _read(path, None, None)
            old = known.pop(path.name, None)
            if old is not None and old[1] == digest:
                unchanged += 1
                _touch(db, old[0], path)
                continue
            work.append((path, data, digest, old[0] if old else None))
        # what the postings are told changed (see _changes); an update stopped before its
        # postings leaves 'pending', and the next writes them whole
        stale = meta.get("postings") == "pending"
        top = db.execute("SELECT COALESCE(MAX(doc), 0) FROM documents").fetchone()[0]
        deleted = [doc for doc, _ in known.values()] + [
            doc for *_, doc in work if doc is not None]
        if deleted or work:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('postings', 'pending')")
        for doc, _ in known.values():  # files that are gone
            with transaction(db):
                _delete(db, doc)
        ids = dict(db.execute("SELECT id, path FROM documents"))
        with tempfile.TemporaryDirectory(prefix="index-") as scratch:
            aside = None
            if parallel(len(work)) or (limited and work):
                limits = WorkLimits(settings.facet_document_seconds,
                                    settings.facet_memory_mb * 1024**2, scratch)
                # a rebuild's full-text index: made by a worker of its own, fed each scratch
                # database as it is copied in (started first: the pool still forks)
                maker = fulltext.start(FULLTEXT, scratch) if full else None
                try:
                    here = _write_on_cores(db, work, facets, resolver, ids, progress, scratch,
                                           maker, limits=limits, dictionary=dictionary)
                except BaseException:
                    if maker is not None:
                        maker.stop()
                    raise
                if maker is not None:
                    aside = (maker, here)
            else:
                _write_here(db, work, facets, resolver, ids, progress, fts=not full)
            _finish(db, settings, facets, full, aside, changed=bool(work or known or full),
                    changes=None if full or stale else (top, deleted))
        if full:
            db.execute("UPDATE meta SET value = ? WHERE key = 'facets'", (signature,))
        if work or known or full:
            # statistics for the query planner, from a sample of each index (quick at any size)
            db.execute("PRAGMA analysis_limit = 1000")
            db.execute("ANALYZE")
            # Write the changes back into index.sqlite itself, so that its modification time
            # tells readers (the viewer's response cache) that the index changed.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if full:
            db.execute("PRAGMA journal_mode = WAL")  # as connect makes it, for the next update
            db.close()
            replace_database(building, settings.index_path)
    finally:
        db.close()
        remove_database(building)  # (gone when it replaced the index)
    added = sum(1 for item in work if item[3] is None)
    return IndexReport(added, len(work) - added, len(known), unchanged,
                       time.perf_counter() - started, full)


#: Adds (passage number, text, words) rows to the full-text index (a scratch database, when
#: one is attached, has none: the index's own).
_ADD_TEXTS = "INSERT INTO passage_text (rowid, text, words) VALUES (?, ?, ?)"

def _finish(db: sqlite3.Connection, settings: Settings, facets: tuple[Facet, ...], full: bool,
            aside: tuple[fulltext.Maker, list[int]] | None, changed: bool,
            changes: tuple[int, list[int]] | None) -> None:
    """The indexes, the full-text index of a rebuild, the totals and the postings.

    :param aside: the full-text index being made by a worker (see archive.index.fulltext), and
        the documents indexed here, which it does not hold; None: made here.
    :raise ArchiveError: that worker was killed.
    :param changed: documents were added, changed or removed (else the postings stand).
    :param changes: the largest document number before this update and the documents it
        deleted (see :func:`_changes`); None: the totals and postings are made whole (a
        rebuild, or an update after one that stopped before its postings).
    """
    with transaction(db):
        if full:  # before the indexes, which take the pages it frees
            _repack(db)
        if full and aside is None:  # one pass of the indexer over every leaf passage
            db.executemany(_ADD_TEXTS, fulltext_rows(db))
        for statement in INDEXES:
            db.execute(statement.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))
        found = None if changes is None else _changes(db, *changes)
        _refresh_totals(db, settings, facets, found, recount=changed or changes is None)
        if changed or changes is None:
            write_postings(db, found)
            db.execute("DELETE FROM meta WHERE key = 'postings'")
    if aside is not None:
        maker, here = aside
        try:
            made = maker.result()
        except BrokenProcessPool:
            raise ArchiveError("the full-text worker was killed (out of memory?); the index "
                               "is unchanged") from None
        fulltext.copy_in(db, made)
        if here:
            with transaction(db):
                db.executemany(_ADD_TEXTS,
                               fulltext_rows(db, where=f"doc IN ({', '.join(map(str, here))})"))


#: The WITHOUT ROWID tables a rebuild fills row by row (see _repack).
_REPACKED = ("mention_rows", "element_rows", "attribute_rows")


def _repack(db: sqlite3.Connection) -> None:
    """Copy a rebuild's WITHOUT ROWID tables anew, their pages full (issue 21: VACUUM made the
    index 3% smaller, mostly these tables).

    A WITHOUT ROWID table is a B-tree of keys, and SQLite keeps ~12% of each of its pages free
    when its rows are inserted one by one, even in the key's order, as the copies of the
    scratch databases insert them (a table with row ids is appended to full pages; a B-tree
    of keys is balanced as if the next key could fall anywhere). Copied whole into an empty
    table of the same definition (``INSERT INTO new SELECT * FROM old``: SQLite's transfer of
    the B-tree, in order, as VACUUM and CREATE INDEX write), its pages are full; the old
    table's pages are free for what the rebuild writes next (its indexes, full text and
    postings).
    """
    db.execute("PRAGMA legacy_alter_table = ON")  # the views naming a table are not read again
    try:
        for table in _REPACKED:
            (sql,) = db.execute("SELECT sql FROM sqlite_schema WHERE name = ?",
                                (table,)).fetchone()
            db.execute(sql.replace(table, f"{table}_packed", 1))
            db.execute(f"INSERT INTO {table}_packed SELECT * FROM {table}")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE {table}_packed RENAME TO {table}")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")


def _write_here(db: sqlite3.Connection, work: Work, facets: tuple[Facet, ...],
                resolver: RefResolver, ids: dict[str, str],
                progress: Callable[[int, int], None] | None, fts: bool) -> None:
    # A commit costs more than a document's rows: documents are written in batches, each
    # batch one transaction, so every document is replaced whole or not at all.
    for start in range(0, len(work), BATCH):
        with transaction(db):
            for path, data, digest, doc in work[start:start + BATCH]:
                data, digest = _read(path, data, digest)
                _replace(db, path, digest, extract(path, data, facets, resolver), doc, ids, fts)
        if progress:
            progress(min(start + BATCH, len(work)), len(work))


def _write_on_cores(db: sqlite3.Connection, work: Work, facets: tuple[Facet, ...],
                    resolver: RefResolver, ids: dict[str, str],
                    progress: Callable[[int, int], None] | None, scratch: str,
                    maker: fulltext.Maker | None, limits: WorkLimits, dictionary: bytes,
                    ) -> list[int]:
    """Workers extract the rows of a chunk of files and write them into a scratch database each;
    here each scratch database is copied in with INSERT ... SELECT (SQLite's C, no Python per
    row), one transaction per chunk. A file a worker could not index is indexed here again,
    so that its error is raised in this process, with its own type and message; not one that
    ran past the limits.

    :param maker: the worker making a rebuild's full-text index (archive.index.fulltext): it is
        sent each scratch database once copied in, and what its passage numbers were moved by
        (it removes the database once read); None: the passages are added to the index's full
        text here, as they come.
    :param limits: each document's time and the workers' memory.
    :param dictionary: the texts' preset dictionary (the index's: see archive.index.texts).
    :return: the documents indexed here, not by a worker.
    :raise ArchiveError: a document ran past the limits (see :func:`_overrun`).
    """
    done = 0
    chunks = [[(path, data, digest) for path, data, digest, _ in work[start:start + CHUNK]]
              for start in range(0, len(work), CHUNK)]
    here: list[int] = []
    try:
        # the workers stop (closing) before their scratch folder goes, even when a chunk raises
        with closing(map_on_cores(_write_shard, chunks, facets, resolver, scratch, dictionary,
                                  limits=limits)) as shards:
            for number, (shard, failed, overrun) in enumerate(shards):
                if overrun is not None:
                    raise _overrun(limits, *overrun)
                items = work[number * CHUNK:(number + 1) * CHUNK]
                db.execute("ATTACH DATABASE ? AS shard", (shard,))  # not in a transaction
                try:
                    with transaction(db):
                        for _, _, _, doc in items:
                            if doc is not None:
                                _delete(db, doc)
                        moved = _copy_shard(db, {path.name: path for path, *_ in items}, ids,
                                            fts=maker is None)
                        for position in failed:
                            path, data, digest, _ = items[position]
                            data, digest = _read(path, data, digest)
                            rows = extract(path, data, facets, resolver)
                            here.append(_replace(db, path, digest, rows, None, ids,
                                                 fts=maker is None))
                finally:
                    db.execute("DETACH DATABASE shard")
                if maker is None:
                    Path(shard).unlink()
                else:
                    maker.send((shard, moved))
                done += len(items)
                if progress:
                    progress(done, len(work))
    except BrokenProcessPool:
        found = overrun_report(scratch)
        if found is None:
            raise ArchiveError("an indexing worker was killed (out of memory?); the index "
                               "is unchanged") from None
        raise _overrun(limits, found[0], found[1], "time") from None
    return here


#: Documents whose texts make the texts' preset dictionary, and the largest file read for it.
_SAMPLES, _SAMPLE_BYTES = 16, 1 << 20


def _dictionary(files: list[Path], resolver: RefResolver) -> bytes:
    """The preset dictionary of the texts of a rebuild (see archive.index.texts): of a few of
    its documents, spread over its files (those that cannot be read or indexed are left to the
    rebuild to report)."""
    chosen = [files[number * len(files) // _SAMPLES] for number in range(_SAMPLES)] if (
        len(files) > _SAMPLES) else files
    samples = []
    for path in chosen:
        try:
            if path.stat().st_size > _SAMPLE_BYTES:
                continue
            rows = extract(path, path.read_bytes(), (), resolver)  # (the texts need no facets)
        except Exception:  # noqa: BLE001 - the rebuild reports it, with its own message
            continue
        samples.append([(text, words) for _, _, text, _, _, words in rows.passages])
    return make_dictionary(samples)


def _overrun(limits: WorkLimits, path: str, facet: str, what: str) -> ArchiveError:
    """The one line that says which document (and facet) ran past which limit."""
    if what == "time":
        limit = f"took more than {limits.seconds:g} s (ARCHIVE_FACET_DOCUMENT_SECONDS)"
    else:
        limit = (f"needed more than {limits.memory // 1024**2} MB of memory"
                 " (ARCHIVE_FACET_MEMORY_MB)")
    part = f"facet {facet!r}" if facet else "indexing"
    return ArchiveError(f"{part} {limit} on this document; the index is unchanged", path)


def _replace(db: sqlite3.Connection, path: Path, digest: str, rows: DocumentRows,
             doc: int | None, ids: dict[str, str], fts: bool) -> int:
    """:return: the document's new number."""
    _claim(ids, rows.id, path)
    if doc is not None:
        _delete(db, doc)
    return _insert(db, path, digest, rows, fts)


def _claim(ids: dict[str, str], doc_id: str, path: Path) -> None:
    other = ids.get(doc_id)
    if other is not None and other != path.name:
        raise ArchiveError(f"document id {doc_id!r} is also the id of {other}", str(path))
    ids[doc_id] = path.name


#: Tables a scratch database holds, in the order they are copied, and their statements.
_SHARD_TABLES = ("documents", "passage_docs", "texts", "mention_keys",
                 "mention_rows", "facet_keys", "facet_docs", "element_keys", "element_rows",
                 "attribute_keys", "attribute_rows")
#: (The keys' tables without their UNIQUE constraints: a worker numbers each value once itself
#: (_Numbers), and an index of them would only be kept up to date, never read. A document's id
#: stays UNIQUE: a chunk holding one twice is told by it.)
_SHARD_SCHEMA = [re.sub(r",\s*UNIQUE \([^)]*\)|(?<=NOT NULL) UNIQUE", "", statement)
                 if statement.split()[2].endswith("_keys") else statement
                 for statement in SCHEMA.split(";")
                 if statement.split()[:2] == ["CREATE", "TABLE"]
                 and statement.split()[2] in (*_SHARD_TABLES, "meta")]


def _write_shard(chunk: list[tuple[Path, bytes | None, str | None]], facets: tuple[Facet, ...],
                 resolver: RefResolver, folder: str, dictionary: bytes,
                 ) -> tuple[str, list[int], tuple[str, str, str] | None]:
    """In a worker: a chunk's rows in a new scratch database.

    :return: the database's path, the positions in the chunk of the files not written
        (not well-formed, or a document id the chunk already holds), and the file (and
        facet) that ran out of memory, if one did (the chunk then stops there).
    """
    handle, shard = tempfile.mkstemp(suffix=".sqlite", dir=folder)
    os.close(handle)
    db = sqlite3.connect(shard, isolation_level=None)
    failed: list[int] = []
    numbers = _Numbers()
    try:
        db.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN")
        for statement in _SHARD_SCHEMA:
            db.execute(statement)
        # the index's texts dictionary: its texts are packed with it, and copied in as they are
        db.execute("INSERT INTO meta VALUES (?, ?)", (DICTIONARY, stored_dictionary(dictionary)))
        for position, (path, data, digest) in enumerate(chunk):
            try:
                data, digest = _read(path, data, digest)  # read here: in parallel, not pickled
                start_work(str(path))
                rows = extract(path, data, facets, resolver)
            except MemoryError:
                db.execute("COMMIT")
                return shard, failed, (str(path), current_step(), "memory")
            except Exception:  # noqa: BLE001 - raised again, whole, by the parent
                failed.append(position)
                continue
            finally:
                end_work()
            db.execute("SAVEPOINT file")
            known = numbers.sizes()
            try:
                _insert(db, path, digest, rows, fts=False, numbers=numbers,
                        dictionary=dictionary)
            except sqlite3.IntegrityError:  # an id twice: the parent says which files
                db.execute("ROLLBACK TO file")
                numbers.forget(known)
                failed.append(position)
            db.execute("RELEASE file")
        db.execute("COMMIT")
    finally:
        db.close()
    return shard, failed, None


#: The columns of a mention's key, and their values as bound (see _insert).
_MENTION_NAMES = ", ".join(f'"{column}"' for column in MENTION_COLUMNS)
_KEY_VALUES = ", ".join("?" if column in ("type", "surface") else "NULLIF(?, '')"
                        for column in MENTION_COLUMNS)
#: How a scratch database's numbered tables are copied in: its values numbered anew (ours), its
#: rows' documents and passages moved past ours (passage 0 stays: the document's own rows).
_NUMBERED_COPY = {
    "mention_keys": f"INSERT OR IGNORE INTO main.mention_keys ({_MENTION_NAMES})"
                    f" SELECT {_MENTION_NAMES} FROM shard.mention_keys",
    "mention_rows": "INSERT INTO main.mention_rows (doc, passage, seq, key, start, length)"
                    " SELECT r.doc + {docs:d},"
                    " CASE WHEN r.passage THEN r.passage + {passages:d} ELSE 0 END, r.seq,"
                    " m.key, r.start, r.length"
                    " FROM shard.mention_rows r JOIN temp.mention_map m ON m.shard = r.key"
                    " ORDER BY r.doc, r.passage, r.seq",
    "element_keys": "INSERT OR IGNORE INTO main.element_keys (name)"
                    " SELECT name FROM shard.element_keys",
    "element_rows": "INSERT INTO main.element_rows (doc, key) SELECT r.doc + {docs:d}, m.key"
                    " FROM shard.element_rows r JOIN shard.element_keys s ON s.key = r.key"
                    " JOIN main.element_keys m ON m.name = s.name",
    "attribute_keys": "INSERT OR IGNORE INTO main.attribute_keys (name, value)"
                      " SELECT name, value FROM shard.attribute_keys",
    "attribute_rows": "INSERT INTO main.attribute_rows (doc, key) SELECT r.doc + {docs:d}, m.key"
                      " FROM shard.attribute_rows r JOIN temp.attribute_map m ON m.shard = r.key",
    "facet_keys": "INSERT OR IGNORE INTO main.facet_keys (facet, value)"
                  " SELECT facet, value FROM shard.facet_keys",
}
#: The maps of a scratch database's numbers of mention keys and attribute values to ours,
#: made once its values are copied in (temp.mention_map, temp.attribute_map: see _copy_shard):
#: its rows then look up a number each, not their value in our index of the values (most
#: values are named by many rows of a chunk).
_KEY_MAPS = {
    "mention_keys": "INSERT INTO temp.mention_map (shard, key) SELECT s.key, m.key"
                    " FROM shard.mention_keys s JOIN main.mention_keys m ON "
                    + " AND ".join(f"ifnull(m.\"{column}\", '') = ifnull(s.\"{column}\", '')"
                                   for column in MENTION_COLUMNS),
    "attribute_keys": "INSERT INTO temp.attribute_map (shard, key) SELECT s.key, m.key"
                      " FROM shard.attribute_keys s JOIN main.attribute_keys m"
                      " ON m.name = s.name AND m.value = s.value",
}


def _copy_shard(db: sqlite3.Connection, paths: dict[str, Path], ids: dict[str, str],
                fts: bool) -> int:
    """Copy the attached scratch database's rows in, document and passage numbers moved past
    ours.

    :return: what its passage numbers were moved by.
    """
    for doc_id, name in db.execute("SELECT id, path FROM shard.documents").fetchall():
        _claim(ids, doc_id, paths[name])
    docs: int
    passages: int
    docs, passages = db.execute("SELECT (SELECT COALESCE(MAX(doc), 0) FROM main.documents),"
                                f" ({passagerows.last('main')})"
                                ).fetchone()
    moved = {"doc": f"doc + {docs:d}", "first_passage": f"first_passage + {passages:d}",
             "last_passage": f"last_passage + {passages:d}"}
    for table in _KEY_MAPS:
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_map(table)}"
                   " (shard INTEGER PRIMARY KEY, key INTEGER NOT NULL)")
        db.execute(f"DELETE FROM temp.{_map(table)}")
    for table in _SHARD_TABLES:
        if table == "facet_docs":
            _copy_facet_docs(db, docs, passages)
            continue
        if table in _NUMBERED_COPY:
            db.execute(_NUMBERED_COPY[table].format(docs=docs, passages=passages))
            if table in _KEY_MAPS:
                db.execute(_KEY_MAPS[table])
            continue
        columns = [row[1] for row in db.execute(f"PRAGMA shard.table_info({table})")]
        names = ", ".join(f'"{column}"' for column in columns)
        values = ", ".join(moved.get(column, f'"{column}"') for column in columns)
        db.execute(f"INSERT INTO main.{table} ({names}) SELECT {values} FROM shard.{table}")
    if fts:  # else filled for every document at once, at the end of a rebuild
        db.executemany(_ADD_TEXTS, fulltext_rows(db, "shard", moved=passages))
    return passages


def _map(table: str) -> str:
    """The temporary table mapping a scratch database's numbers of the values of ``table`` to
    ours (see _KEY_MAPS)."""
    return table.replace("_keys", "_map")


def _copy_facet_docs(db: sqlite3.Connection, docs: int, passages: int) -> None:
    """Copy the attached scratch database's facet records in (see archive.index.facetrows):
    its values' numbers made ours, its documents and passages moved past ours."""
    pairs = db.execute("SELECT s.key, m.key FROM shard.facet_keys s JOIN main.facet_keys m"
                       " ON m.facet = s.facet AND m.value = s.value").fetchall()
    numbers = np.zeros(max((key for key, _ in pairs), default=0) + 1, dtype=np.int64)
    for theirs, ours in pairs:
        numbers[theirs] = ours
    db.executemany("INSERT INTO main.facet_docs (doc, data) VALUES (?, ?)",
                   [(doc + docs, facetrows.renumber(data, numbers, passages))
                    for doc, data in db.execute("SELECT doc, data FROM shard.facet_docs")])


def _touch(db: sqlite3.Connection, doc: int, path: Path) -> None:
    stat = path.stat()
    db.execute("UPDATE documents SET mtime_ns = ?, size = ? WHERE doc = ? AND "
               "(mtime_ns != ? OR size != ?)",
               (stat.st_mtime_ns, stat.st_size, doc, stat.st_mtime_ns, stat.st_size))


def _changes(db: sqlite3.Connection, top: int, deleted: list[int]) -> Changes:
    """The documents this update deleted and those it added: numbered past ``top`` (the largest
    number before it), or numbered as one it deleted (SQLite gives a new row the largest number
    in use plus one)."""
    added = [doc for (doc,) in db.execute(
        "SELECT doc FROM documents WHERE doc > ? UNION"
        " SELECT doc FROM documents WHERE doc IN (SELECT value FROM json_each(?))",
        (top, json.dumps(deleted)))]
    return Changes(deleted, added)


def _delete(db: sqlite3.Connection, doc: int) -> None:
    # the document's facet rows, to take from the counts of their values (see _refresh_totals)
    db.executemany("INSERT INTO temp.uncounted VALUES (?, ?)",
                   facetrows.counts(db, " WHERE doc = ?", (doc,)))
    # A contentless FTS table forgets a row only when told its old text (its tokens).
    db.executemany("INSERT INTO passage_text (passage_text, rowid, text, words)"
                   " VALUES ('delete', ?, ?, ?)", fulltext_rows(db, where=f"doc = {doc:d}"))
    for table in ("passage_docs", "texts", "mention_rows", "facet_docs", "element_rows",
                  "attribute_rows", "documents"):
        db.execute(f"DELETE FROM {table} WHERE doc = ?", (doc,))


class _Numbers:
    """The numbers a scratch database gave its facet values, element names, attribute values
    and mention keys, kept beside it: a document's rows are then written as numbers, with no
    lookup of each value in the database (the values are numbered in the order they come, as
    an ``INSERT OR IGNORE`` of each document's values numbers them)."""

    def __init__(self) -> None:
        self.facets: dict[tuple[str, str], int] = {}
        self.elements: dict[tuple[str], int] = {}
        self.attributes: dict[tuple[str, str], int] = {}
        self.mentions: dict[tuple[str | int, ...], int] = {}

    def sizes(self) -> tuple[int, int, int, int]:
        return len(self.facets), len(self.elements), len(self.attributes), len(self.mentions)

    def forget(self, sizes: tuple[int, int, int, int]) -> None:
        """Forget the values numbered since :meth:`sizes` gave ``sizes`` (rolled back)."""
        tables: tuple[dict[Any, int], ...] = (self.facets, self.elements, self.attributes,
                                              self.mentions)
        for table, size in zip(tables, sizes, strict=True):
            while len(table) > size:
                table.popitem()  # the last numbered

    @staticmethod
    def new(table: dict[Any, int], values: Iterable[Any]) -> list[tuple[Any, ...]]:
        """Number the values ``table`` lacks: (number, *value) of each, to insert."""
        added = []
        for value in values:
            if value not in table:
                table[value] = len(table) + 1
                added.append((table[value], *value))
        return added


def _insert_facet_record(db: sqlite3.Connection, doc: int, rows: DocumentRows,
                         passage_ids: dict[str | None, int],
                         keys: Mapping[tuple[str, str], int]) -> None:
    """A document's facet rows as one record (archive.index.facetrows), each value the number
    ``keys`` gives it; a document without facet values has no record."""
    if rows.facets:
        db.execute("INSERT INTO facet_docs (doc, data) VALUES (?, ?)", (doc, facetrows.pack(
            [keys[facet, value] for facet, _, value in rows.facets],
            [passage_ids.get(passage, 0) for _, passage, _ in rows.facets])))


def _insert_numbered(db: sqlite3.Connection, doc: int, rows: DocumentRows,
                     passage_ids: dict[str | None, int], numbers: _Numbers) -> None:
    """A document's facet, element and attribute rows in a scratch database (see _Numbers)."""
    facets, elements, attributes = numbers.facets, numbers.elements, numbers.attributes
    db.executemany("INSERT INTO facet_keys (key, facet, value) VALUES (?, ?, ?)",
                   numbers.new(facets, ((facet, value) for facet, _, value in rows.facets)))
    _insert_facet_record(db, doc, rows, passage_ids, facets)
    names = [(name,) for name in sorted(rows.names)]
    db.executemany("INSERT INTO element_keys (key, name) VALUES (?, ?)",
                   numbers.new(elements, names))
    db.executemany("INSERT INTO element_rows (doc, key) VALUES (?, ?)",
                   [(doc, elements[name]) for name in names])
    pairs = sorted(rows.attributes)
    db.executemany("INSERT INTO attribute_keys (key, name, value) VALUES (?, ?, ?)",
                   numbers.new(attributes, pairs))
    db.executemany("INSERT INTO attribute_rows (doc, key) VALUES (?, ?)",
                   [(doc, attributes[pair]) for pair in pairs])


def _insert(db: sqlite3.Connection, path: Path, digest: str, rows: DocumentRows,
            fts: bool = True, numbers: _Numbers | None = None,
            dictionary: bytes | None = None) -> int:
    """:param numbers: the numbered values of the scratch database ``db`` (see _Numbers).
    :param dictionary: the texts' preset dictionary, when the caller has it (else read from
        ``db``: a statement, and its 43 KB of text hashed to find it decoded, a document).
    :return: the document's number."""
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
    assert doc is not None  # an INSERT's row id
    first = db.execute(f"SELECT {passagerows.last()} + 1").fetchone()[0]
    # (a mention or facet value outside any passage looks up None: "")
    passage_ids: dict[str | None, int] = dict(zip(
        [passage[0] for passage in rows.passages], range(first, first + len(rows.passages)),
        strict=True))
    if rows.passages:  # (one record, numbered by their range: archive.index.passagerows)
        db.execute("INSERT INTO passage_docs (doc, first_passage, last_passage, data)"
                   " VALUES (?, ?, ?, ?)", (doc, first, first + len(rows.passages) - 1,
                                            passagerows.pack((xml_id, element, leaf) for
                                                             xml_id, element, *_, leaf, _
                                                             in rows.passages)))
    db.execute("INSERT INTO texts (doc, data) VALUES (?, ?)",
               (doc, pack_texts([(text, words) for _, _, text, _, _, words in rows.passages],
                                read_dictionary(db) if dictionary is None else dictionary)))
    if fts:  # else filled for every document at once, at the end of a rebuild
        db.executemany(_ADD_TEXTS,
                       [(passage_ids[xml_id], text, words)
                        for xml_id, _, text, _, leaf, words in rows.passages if leaf])
    # each mention's key (its type, ref, surface and dates) numbered once (mention_keys), each
    # mention's row numbers (mention_rows); Python's sqlite3 binds None slowly (it looks for an
    # adapter each time), and most key columns are empty: they are bound as '' (as the keys'
    # unique index tells them apart) and made NULL by NULLIF
    keys = [(kind, ref or "", surface,
             *(_BLANK_DATES if dates is NO_DATES else ("" if v is None else v for v in dates)))
            for _, kind, ref, surface, _, _, dates in rows.mentions]
    # (doc, passage: 0 outside any, seq: the mention's number in the document, start, length)
    places = [(doc, passage_ids.get(passage, 0), seq, start, end - start)
              for seq, (passage, _, _, _, start, end, _) in enumerate(rows.mentions)]
    if numbers is not None:
        db.executemany(f"INSERT INTO mention_keys (key, {_MENTION_NAMES})"
                       f" VALUES (?, {_KEY_VALUES})", numbers.new(numbers.mentions, keys))
        db.executemany("INSERT INTO mention_rows (doc, passage, seq, key, start, length)"
                       " VALUES (?, ?, ?, ?, ?, ?)",
                       [(doc, passage, seq, numbers.mentions[key], start, length)
                        for (doc, passage, seq, start, length), key
                        in zip(places, keys, strict=True)])
    else:
        db.executemany(f"INSERT OR IGNORE INTO mention_keys ({_MENTION_NAMES})"
                       f" VALUES ({_KEY_VALUES})", dict.fromkeys(keys))
        db.executemany("INSERT INTO mention_rows (doc, passage, seq, key, start, length)"
                       " SELECT ?, ?, ?, key, ?, ? FROM mention_keys WHERE "
                       + " AND ".join(f"ifnull(\"{column}\", '') = ?"
                                      for column in MENTION_COLUMNS),
                       [(*place, *key) for place, key in zip(places, keys, strict=True)])
    if numbers is not None:
        _insert_numbered(db, doc, rows, passage_ids, numbers)
        return doc
    # each value numbered once (facet_keys), each row three numbers (passage 0: the document)
    values = dict.fromkeys((facet, value) for facet, _, value in rows.facets)
    db.executemany("INSERT OR IGNORE INTO facet_keys (facet, value) VALUES (?, ?)", values)
    _insert_facet_record(db, doc, rows, passage_ids, {
        pair: db.execute("SELECT key FROM facet_keys WHERE facet = ? AND value = ?",
                         pair).fetchone()[0] for pair in values})
    db.executemany("INSERT OR IGNORE INTO element_keys (name) VALUES (?)",
                   [(name,) for name in sorted(rows.names)])
    db.executemany("INSERT INTO element_rows (doc, key) SELECT ?, key FROM element_keys"
                   " WHERE name = ?", [(doc, name) for name in sorted(rows.names)])
    db.executemany("INSERT OR IGNORE INTO attribute_keys (name, value) VALUES (?, ?)",
                   sorted(rows.attributes))
    db.executemany("INSERT INTO attribute_rows (doc, key) SELECT ?, key FROM attribute_keys"
                   " WHERE name = ? AND value = ?",
                   [(doc, name, value) for name, value in sorted(rows.attributes)])
    return doc


#: A name's date columns as bound (see _insert).
_BLANK_DATES = ("",) * len(NO_DATES)


def _refresh_totals(db: sqlite3.Connection, settings: Settings, facets: Sequence[Facet],
                    changes: Changes | None, recount: bool) -> None:
    """Counts with nothing selected: the most frequent request, answered from one small table
    (facet_keys' counts); counted anew from every row (``changes`` None), or moved by the rows
    of the documents deleted (kept aside by _delete) and of those added."""
    # a new generation tells lookups in long-running processes to reload their postings
    db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(time.time_ns()),))
    if changes is None and recount:
        db.execute("UPDATE facet_keys SET count = 0")
        db.executemany("UPDATE facet_keys SET count = ? WHERE key = ?",
                       [(count, key) for key, count in facetrows.counts(db)])
        db.execute("DELETE FROM facet_keys WHERE count = 0")  # values no document holds now
    elif changes is not None:
        for doc in changes.added:
            db.executemany("INSERT INTO temp.uncounted VALUES (?, ?)",
                           [(key, -count) for key, count
                            in facetrows.counts(db, " WHERE doc = ?", (doc,))])
        db.execute("UPDATE facet_keys SET count = count - rows.n FROM (SELECT key, SUM(n) AS n"
                   " FROM temp.uncounted GROUP BY key) AS rows WHERE facet_keys.key = rows.key")
        db.execute("DELETE FROM facet_keys WHERE count = 0 AND key IN (SELECT key FROM"
                   " temp.uncounted)")  # values no document holds now
    db.execute("DELETE FROM temp.uncounted")
    db.execute("DELETE FROM labels")
    if any(facet.labels == "registry" for facet in facets):
        db.executemany("INSERT INTO labels VALUES (?, ?)", registry_labels(settings).items())
