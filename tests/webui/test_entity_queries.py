"""An entity page's queries reach the mentions through indexes, never by reading them all:
at 10,000 documents a full scan per passage made the page hang."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive.index.entities import _COMPANIONS, _DOCUMENTS, _MENTIONS, _YEARS


@pytest.mark.parametrize(("query", "params"), [
    (_MENTIONS.format(docs=""), ("leon-trotsky", 500)),
    (_MENTIONS.format(docs=" AND m.doc IN (1, 2)"), ("leon-trotsky", 500)),
    (_DOCUMENTS, ("leon-trotsky",)),
    (_COMPANIONS, ("leon-trotsky", "leon-trotsky")),
    (_YEARS, ("leon-trotsky",)),
])
def test_entity_queries_search_mentions_by_index(data_dir: Path, query: str,
                                                 params: tuple) -> None:
    db = sqlite3.connect(f"{(data_dir / 'index.sqlite').as_uri()}?mode=ro", uri=True)
    try:
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + query, params)]
        assert db.execute(query, params).fetchall()  # the fixture names Trotsky
    finally:
        db.close()
    # the mentions view's tables: its rows (r) and their keys (k)
    steps = [step for step in plan if " mention" in step or step.startswith(
        ("SCAN r", "SEARCH r", "SCAN k", "SEARCH k"))]
    assert steps and all(step.startswith("SEARCH") for step in steps), plan
