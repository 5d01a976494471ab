"""The full-text index of a rebuild on cores, made by a worker while the others index.

The full-text index (FTS5) of the leaf passages is made by a worker of its own, from the
scratch databases the rebuild's workers wrote (not from the index, which a forked process must
not open), into a database of its own: each scratch database is sent to it as soon as the
rebuild has copied it in (:func:`start`), so that its words are indexed while the other
workers read the next files, not at the end. An FTS5 index is nothing but its shadow tables:
copied row for row into the index (:func:`copy_in`), it is the same index, byte for byte
(tested against one made in place: the same rows, in the same order, in one transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from .db import transaction
from .texts import fulltext_rows
from .workers import Fed, feed_aside

#: The full-text table (its shadow tables are named after it).
TABLE = "passage_text"

#: What :func:`start` gives: send it each scratch database and what its passage numbers were
#: moved by (in the order they were copied in); its result is the path of the database holding
#: the index.
Maker = Fed[tuple[str, int], str]


def start(statement: str, folder: str) -> Maker:
    """Start making the full-text index in a worker.

    :param statement: the CREATE VIRTUAL TABLE statement of :data:`TABLE`.
    :param folder: where its database is made (the rebuild's scratch folder).
    """
    return feed_aside(_build, statement, str(Path(folder) / "fulltext.sqlite"))


def _build(shards: Iterator[tuple[str, int]], statement: str, path: str) -> str:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # scratch: nothing to recover
        db.execute("PRAGMA synchronous = OFF")
        db.execute(statement)
        db.execute("BEGIN")  # one transaction: one pass of the indexer, as in place
        for shard, moved in shards:
            with closing(sqlite3.connect(shard)) as source:
                db.executemany(f"INSERT INTO {TABLE} (rowid, text, words) VALUES (?, ?, ?)",
                               fulltext_rows(source, moved=moved))
            Path(shard).unlink()  # read: the rebuild is done with it
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
