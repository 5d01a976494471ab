"""The full-text index of a rebuild on cores, made on the core the other indexes leave idle.

At the end of a rebuild the calling process sorts the tables' indexes, one core's work. The
full-text index (FTS5) of the leaf passages is made meanwhile by a worker, from the scratch
databases the rebuild's workers wrote (not from the index, which a forked process must not
open), into a database of its own. An FTS5 index is nothing but its shadow tables: copied row
for row into the index, it is the same index (tested against one made in place).
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import Future
from pathlib import Path

from .db import transaction
from .texts import fulltext_rows
from .workers import run_aside

#: The full-text table (its shadow tables are named after it).
TABLE = "passage_text"


def build_aside(statement: str, shards: list[tuple[str, int]], folder: str) -> Future[str]:
    """Start making the full-text index in a worker.

    :param statement: the CREATE VIRTUAL TABLE statement of :data:`TABLE`.
    :param shards: each scratch database, and what its passage numbers were moved by.
    :return: the future path of the database holding the index.
    """
    return run_aside(_build, statement, shards, str(Path(folder) / "fulltext.sqlite"))


def _build(statement: str, shards: list[tuple[str, int]], path: str) -> str:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE passages (passage INTEGER PRIMARY KEY, text TEXT NOT NULL,"
                   " words TEXT NOT NULL)")
        db.execute(statement)
        for shard, moved in shards:  # gathered first: ATTACH is not possible in a transaction
            db.execute("ATTACH DATABASE ? AS shard", (shard,))
            db.execute("BEGIN")
            db.executemany("INSERT INTO passages VALUES (?, ?, ?)",
                           fulltext_rows(db, "shard", moved=moved))
            db.execute("COMMIT")
            db.execute("DETACH DATABASE shard")
        db.execute("BEGIN")  # one transaction: one pass of the indexer, as in place
        db.execute(f"INSERT INTO {TABLE} (rowid, text, words) SELECT passage, text, words"
                   " FROM passages")
        db.execute("COMMIT")
    finally:
        db.close()
    return path


def copy_in(db: sqlite3.Connection, path: str) -> None:
    """Replace the index's full-text tables by those of the database at ``path``, in one
    transaction."""
    db.execute("ATTACH DATABASE ? AS fulltext", (path,))  # not possible in a transaction
    try:
        names = [name for (name,) in db.execute(
            "SELECT name FROM fulltext.sqlite_master WHERE type = 'table' AND name LIKE ?"
            " ESCAPE '!'", (f"{TABLE}!_%",))]
        with transaction(db):
            for name in names:
                db.execute(f"DELETE FROM main.{name}")
                db.execute(f"INSERT INTO main.{name} SELECT * FROM fulltext.{name}")
    finally:
        db.execute("DETACH DATABASE fulltext")
