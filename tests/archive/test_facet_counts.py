"""``facet_counts``: a facet's values within the whole selection, its own selected values
included (lookup leaves them out of the facet's own counts), checked against SQL."""

from __future__ import annotations

import pytest

from archive.config import Settings
from archive.errors import QueryError
from archive.index import facet_counts, lookup
from archive.index.db import connect

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")


def in_sql(settings: Settings, facet: str, docs_sql: str, *params: str) -> list[tuple[str, int]]:
    db = connect(settings)
    try:
        return db.execute("SELECT value, COUNT(DISTINCT doc) AS n FROM facet_values"
                          f" WHERE facet = ? AND doc IN ({docs_sql})"
                          " GROUP BY value ORDER BY n DESC, value", (facet, *params)).fetchall()
    finally:
        db.close()


def docs_of(facet: str) -> str:
    return f"SELECT doc FROM facet_values WHERE facet = '{facet}' AND value = ?"


def test_the_values_of_the_selected_documents(indexed_corpus: Settings) -> None:
    settings = indexed_corpus
    everything = facet_counts(settings, {}, None, "place")
    assert everything and everything == in_sql(settings, "place", "SELECT doc FROM documents")
    # a selection on the same facet: the places its documents name, not lookup's OR counts
    chosen = everything[-1][0]
    within = facet_counts(settings, {"place": [chosen]}, None, "place")
    assert within == in_sql(settings, "place", docs_of("place"), chosen)
    assert {value for value, _ in within} < {value for value, _ in everything}
    wider = lookup(settings, {"place": [chosen]}, facet_size=1000)
    (place,) = [f for f in wider["facets"] if f["name"] == "place"]
    assert len(place["results"]) > len(within)  # what a wider OR would add: another thing
    # another facet's selection, and words, narrow the documents too
    assert facet_counts(settings, {"kind": ["essay"]}, None, "place") == in_sql(
        settings, "place", docs_of("kind"), "essay")
    assert facet_counts(settings, {}, "zzzqqqnothing", "place") == []


def test_an_unknown_facet_is_refused(indexed_corpus: Settings) -> None:
    with pytest.raises(QueryError, match="no facet named 'nowhere'"):
        facet_counts(indexed_corpus, {}, None, "nowhere")
    with pytest.raises(QueryError, match="no facet named 'nope'"):
        facet_counts(indexed_corpus, {"nope": ["x"]}, None, "place")
