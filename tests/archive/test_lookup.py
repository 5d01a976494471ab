"""Lookup internals: counts under a mask, the top values, the kept connection to the index."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from archive.config import Settings
from archive.index.db import connect, reader
from archive.index.lookup import _Counter, _first, lookup
from archive.index.update import update_index

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")


@pytest.fixture
def settings(indexed_corpus: Settings) -> Settings:
    return indexed_corpus


def counts(result: dict, name: str) -> list[tuple[str, int]]:
    found = next(f for f in result["facets"] if f["name"] == name)
    return [(r["value"], r["count"]) for r in found["results"]]


def in_sql(settings: Settings, facet: str, condition: str, *params: str) -> list[tuple[str, int]]:
    db = connect(settings)
    try:
        return db.execute(f"SELECT value, COUNT(*) AS n FROM facet_values WHERE facet = ?"
                          f" AND {condition} GROUP BY value ORDER BY n DESC, value",
                          (facet, *params)).fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("rows_per_rank", [0.5, 3, 40])  # each row's rank read, or runs
# counted directly (runs, or every row), or the others
@pytest.mark.parametrize("share", [0.0, 0.1, 0.45, 0.55, 0.6, 0.9, 1.0])
def test_a_counter_counts_the_rows_of_the_ranks_in_a_mask(rows_per_rank: float,
                                                          share: float) -> None:
    rng = np.random.default_rng(7)
    size, values = 300, 40
    ranks = rng.integers(0, size, int(size * rows_per_rank))
    value_ids = rng.integers(0, values, len(ranks))
    mask = rng.random(size) < share
    expected = np.bincount(value_ids[mask[ranks]], minlength=values)
    assert _Counter(ranks, value_ids, size, values).counts(mask).tolist() == expected.tolist()


@pytest.mark.parametrize("facet", ["person", "place", "year", "passage_person"])
def test_counts_under_a_selection_are_those_of_sql(settings: Settings, facet: str) -> None:
    result = lookup(settings, {"kind": ["essay"]}, facet_size=1000)
    assert counts(result, facet) == in_sql(
        settings, facet, "doc IN (SELECT doc FROM facet_values WHERE facet = 'kind'"
                         " AND value = 'essay')")


def test_passage_counts_under_full_text_are_those_of_sql(settings: Settings) -> None:
    result = lookup(settings, {"kind": ["essay"]}, "revolution", facet_size=1000)
    assert result["passage_count"] > 0
    assert counts(result, "passage_person") == in_sql(
        settings, "passage_person",
        "passage IN (SELECT rowid FROM passage_text WHERE passage_text MATCH 'revolution')"
        " AND doc IN (SELECT doc FROM facet_values WHERE facet = 'kind' AND value = 'essay')")


def test_the_top_values_are_the_most_frequent_ties_in_value_order(settings: Settings) -> None:
    everything = counts(lookup(settings, {"kind": ["essay"]}, facet_size=1000), "person")
    assert everything == sorted(everything, key=lambda pair: (-pair[1], pair[0]))
    for size in range(len(everything) + 1):
        result = lookup(settings, {"kind": ["essay"]}, facet_size=size)
        person = next(f for f in result["facets"] if f["name"] == "person")
        assert counts(result, "person") == everything[:size]
        assert person["truncated"] == (size < len(everything))


def test_a_missing_index_is_created_empty(corpus: Settings, index_engine: Any) -> None:
    assert lookup(corpus, {})["count"] == 0
    if index_engine.name == "sqlite":
        assert corpus.index_path.is_file()
    else:  # the schema, empty, made by the migration steps
        assert reader(corpus).execute("SELECT version FROM schema_migrations").fetchall()


def test_the_kept_connection_reads_only(settings: Settings, index_engine: Any) -> None:
    lookup(settings, {})
    if index_engine.name == "sqlite":
        refused: Any = sqlite3.OperationalError
    else:
        from psycopg.errors import ReadOnlySqlTransaction as refused
    with pytest.raises(refused, match="readonly|read-only"):
        reader(settings).execute("DELETE FROM documents")


def test_a_lookup_leaves_no_snapshot_open(settings: Settings) -> None:
    lookup(settings, {"kind": ["essay"]}, "revolution")
    assert not reader(settings).in_transaction
    db = connect(settings)
    try:  # a kept reader does not hold the log back
        assert db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    finally:
        db.close()


def test_the_kept_connection_follows_a_new_index_file(settings: Settings) -> None:
    assert lookup(settings, {"place": ["paris"]})["count"] == 2
    settings.index_path.unlink()
    (settings.tei_dir / "paris_commune.xml").unlink()
    update_index(settings)
    assert lookup(settings, {"place": ["paris"]})["count"] == 1
    db = connect(settings)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        db.close()


def test_threads_get_the_same_answers(settings: Settings) -> None:
    queries = [({"kind": ["essay"]}, "revolution"), ({"place": ["paris"]}, None),
               ({}, "Trotsky"), ({"passage_person": ["karl-marx"]}, None)] * 8
    alone = [lookup(settings, chosen, text) for chosen, text in queries]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda query: lookup(settings, *query), queries)) == alone


def test_each_facet_can_be_given_its_own_size(settings: Settings) -> None:
    """A timeline needs every year, the sidebar a few values of the others: each facet gets
    its own size, and says how many values it has beyond them."""
    whole = lookup(settings, {"kind": ["essay"]}, facet_size=1000)
    result = lookup(settings, {"kind": ["essay"]}, facet_size=2, facet_sizes={"year": 1000})
    for every, facet in zip(whole["facets"], result["facets"], strict=True):
        counted = [(r["value"], r["count"]) for r in every["results"]]
        size = 1000 if facet["name"] == "year" else 2
        assert counts(result, facet["name"]) == counted[:size], facet["name"]
        assert facet["truncated"] == (len(counted) > size), facet["name"]
        assert facet["value_count"] == len(counted) == every["value_count"], facet["name"]
    year = next(f for f in result["facets"] if f["name"] == "year")
    assert len(year["results"]) > 2


def test_a_selected_value_beyond_the_top_is_given_with_its_count(settings: Settings) -> None:
    """A selected value that is not among the most frequent comes after them with its count
    under the other selections (not 0), and one no document holds with 0."""
    essays = in_sql(settings, "person", "doc IN (SELECT doc FROM facet_values"
                                        " WHERE facet = 'kind' AND value = 'essay')")
    assert len(essays) > 3
    rare, count = essays[-1]
    result = lookup(settings, {"kind": ["essay"], "person": ["no-such-person", rare]},
                    facet_size=2)
    person = next(f for f in result["facets"] if f["name"] == "person")
    assert [(r["value"], r["count"], r["selected"]) for r in person["results"]] == [
        *((value, n, False) for value, n in essays[:2]), (rare, count, True),
        ("no-such-person", 0, True)]
    assert person["truncated"] and person["value_count"] == len(essays) + 1


@pytest.mark.parametrize("size", [0, 10, 4096, 50_000])
@pytest.mark.parametrize("share", [0.0, 0.001, 0.3, 1.0])
def test_the_first_entries_of_a_mask_are_found_block_by_block(size: int, share: float) -> None:
    mask = np.random.default_rng(size).random(size) < share
    for count in (0, 1, 50, 4097, 10**6):
        assert _first(mask, count).tolist() == np.flatnonzero(mask)[:count].tolist()
