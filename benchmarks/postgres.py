"""A throwaway PostgreSQL database for the benchmarks: the tests' cluster (tests/postgres.py:
Debian's initdb and pg_ctl in a temporary folder on a free loopback port, as the ``postgres``
user when run as root), started here and stopped at the end, without pytest's session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def throwaway_database() -> Iterator[str]:
    """The URL of a fresh database in a cluster started for it; the cluster stops (and its
    folder goes) on leaving. Without PostgreSQL installed: SystemExit with one line."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.postgres import Cluster, _binaries

    binaries = _binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL is not installed (initdb/pg_ctl: Debian's postgresql "
                         "package; `make postgres-deps` installs it)")
    cluster = Cluster(binaries)
    try:
        cluster.start()
        yield cluster.database()
    finally:
        cluster.stop()


def tables_bytes(url: str, store: bool = False) -> int:
    """The bytes of the index's tables in the database ``url`` names, their indexes and TOAST
    included (not the system catalogue); ``store``: those of the archive's files stored for
    viewer hosts (archive.index.pgstore) instead."""
    import psycopg

    from archive.index.pgstore import SCHEMA

    with psycopg.connect(url) as db:
        row = db.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%%' AND (n.nspname = %s) = %s",
            (SCHEMA, store)).fetchone()
        return int(row[0]) if row else 0


def relation_sizes(url: str) -> list[tuple[str, int]]:
    """(name, bytes) of each table (its TOAST included) and each index of the published index
    (schema ``archive_index``), largest first: the parts of :func:`tables_bytes`."""
    import psycopg

    from archive.index.pg import SCHEMA

    with psycopg.connect(url) as db:
        return [(name, int(size)) for name, size in db.execute(
            "SELECT c.relname, CASE c.relkind WHEN 'i' THEN pg_total_relation_size(c.oid)"
            " ELSE pg_table_size(c.oid) END FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'i') ORDER BY 2 DESC, 1",
            (SCHEMA,)).fetchall()]
