"""A rebuild's scratch databases are copied in with each mention key and attribute value of a
chunk looked up in the index once, not once per row naming it (issue 21: the mentions' rows
were the slowest part of the copy): the rows' statements read a map of the chunk's numbers to
the index's, and give the rows the chunk holds."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from archive.config import Settings
from archive.index.db import LATE_INDEXES, open_database, recreate
from archive.index.update import _copy_shard, _write_shard
from archive.registry import ref_resolver

FIXTURES = Path(__file__).parents[2] / "fixtures"
FILES = sorted((FIXTURES / "corpus").glob("*.xml")) + [
    FIXTURES / "mentions" / "nested_mentions.xml"]


def _rows(db: sqlite3.Connection, schema: str) -> tuple[list[tuple[object, ...]], ...]:
    """The mentions and attribute values of ``schema``'s documents, by document id."""
    return (
        db.execute("SELECT d.id, r.passage > 0, r.seq, k.type, k.ref, k.surface, k.\"when\","
                   " k.start_day, r.start, r.length"
                   f" FROM {schema}.mention_rows r JOIN {schema}.mention_keys k ON k.key = r.key"
                   f" JOIN {schema}.documents d ON d.doc = r.doc ORDER BY 1, 2, 3").fetchall(),
        db.execute(f"SELECT d.id, k.name, k.value FROM {schema}.attribute_rows r"
                   f" JOIN {schema}.attribute_keys k ON k.key = r.key"
                   f" JOIN {schema}.documents d ON d.doc = r.doc ORDER BY 1, 2, 3").fetchall())


def test_a_chunk_is_copied_in_looking_up_each_value_once(tmp_path: Path) -> None:
    # two chunks of the same files (the second's values all in the index already)
    resolver = ref_resolver(Settings(data_dir=tmp_path))
    shards = []
    for _ in range(2):
        shard, failed, _ = _write_shard([(path, None, None) for path in FILES], (), resolver,
                                        str(tmp_path), b"")
        assert failed == []
        shards.append(shard)
    statements: list[str] = []
    with closing(open_database(tmp_path / "index.sqlite", journal="OFF")) as db:
        recreate(db)
        for name in LATE_INDEXES:  # as a rebuild copies
            db.execute(f"DROP INDEX {name}")
        for number, shard in enumerate(shards):
            db.execute("ATTACH DATABASE ? AS shard", (shard,))
            expected = _rows(db, "shard")
            assert expected[0] and expected[1]
            db.set_trace_callback(statements.append)
            db.execute("BEGIN")
            _copy_shard(db, {path.name: path for path in FILES}, {}, fts=False)
            db.execute("COMMIT")
            db.set_trace_callback(None)
            # the second chunk's documents are numbered past the first's, with the same rows
            for copied, chunk in zip(_rows(db, "main"), expected, strict=True):
                assert copied == sorted([(f"first-{doc}", *row) for doc, *row in chunk] * number
                                        + chunk)
            db.execute("DETACH DATABASE shard")
            db.execute("UPDATE documents SET id = 'first-' || id")  # the next chunk's ids again
        rows = [statement for statement in statements if statement.startswith(
            ("INSERT INTO main.mention_rows", "INSERT INTO main.attribute_rows"))]
        assert len(rows) == 4
        db.execute("ATTACH DATABASE ? AS shard", (shards[0],))
        for statement in rows:
            plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
            # each row looks up one number by its integer key (in the map), no value in an index
            # of the values (the old plan: the chunk's key, then ours USING INDEX)
            assert len(plan) == 2 and "INTEGER PRIMARY KEY" in plan[1], plan
