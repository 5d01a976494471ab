"""The caller's garbage collector around a query in the workers (issue 21): paused while the
workers' records are read and merged (hundreds of thousands of hits), and left as it was found
once the query ends, whether it gave an answer or an error."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from archive.config import Settings
from archive.errors import QueryError
from archive.search.corpus import evaluate_query, run_query


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("collector")
def test_a_query_leaves_the_collector_as_it_found_it(indexed_corpus: Settings) -> None:
    for enabled in (True, False, True):
        if enabled:
            gc.enable()
        else:
            gc.disable()
        for expression in ("//tei:persName", "for $p in //tei:p return count($p//tei:persName)"):
            found = run_query(indexed_corpus, expression, limit=10_000, timeout=60)
            assert found.hits == evaluate_query(indexed_corpus, expression, limit=10_000,
                                                timeout=60).hits
            assert found.count > 0
            assert gc.isenabled() is enabled
        with pytest.raises(QueryError):
            run_query(indexed_corpus, "//tei:p[xs:integer('x')]", limit=10, timeout=60)
        assert gc.isenabled() is enabled
