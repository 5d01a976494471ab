"""A search's first pages rank only the best matches in order (issue 21: the first search of a
common word in a viewer process sorted every match, 117,205 passages of the 10,000 EEBO-shaped
books, seconds at 60,000): its totals, order and snippets are those of the whole ranking, on
every page and selection, past the best ones too."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import Settings
from archive.index import search_passages, update_index
from archive.index.db import reader
from archive.index.lookup import FIRST_RANKED, postings
from archive.index.matching import passage_hits, ranked_passages
from benchmarks.corpus import build_eebo_corpus

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

_FIELDS = ("doc", "title", "target", "element", "snippet")


def test_a_search_ranks_its_best_matches_alone_with_the_totals_and_order_of_all(
        tmp_path: Path) -> None:
    build_eebo_corpus(tmp_path / "tei", 6)
    settings = Settings(data_dir=tmp_path)
    update_index(settings)
    db = reader(settings)
    statements: list[str] = []
    trace = getattr(db, "set_trace_callback", None)  # (SQLite's alone)
    if trace is not None:
        trace(statements.append)
    total, first = search_passages(settings, {}, "the")
    if trace is not None:
        trace(None)
        ranking = [sql for sql in statements if "ORDER BY rank" in sql]
        assert ranking and all(f"LIMIT {FIRST_RANKED}" in sql for sql in ranking), ranking
    db.execute("BEGIN")  # (the search's connection: what it gives, then the search)
    try:
        every = ranked_passages(db, '"the"').tolist()  # the whole ranking, as a search made it
        index = postings(db)
        kind = index.facets["kind"].values(db)[0]
        docs = index.doc_of_rank[index.facets["kind"].ranks_of(db, [kind], "docs")].tolist()
        of_kind = {int(number) for number, in db.execute(
            f"SELECT passage FROM passages WHERE doc IN ({', '.join(map(str, docs))})")}
        chosen = [number for number in every if number in of_kind]
        expected = {numbers is every: {offset: [
            dict(zip(_FIELDS, row, strict=True))
            for row in passage_hits(db, '"the"', numbers[offset:offset + 50])]
            for offset in offsets} for numbers, offsets in (
                (every, (0, 50, FIRST_RANKED - 20, FIRST_RANKED + 30)),
                (chosen, (0, len(chosen) - 10)))}
    finally:
        db.execute("COMMIT")
    assert total == len(every) > FIRST_RANKED  # more matches than the best ranked at first
    assert first == expected[True][0]
    for offset in (50, FIRST_RANKED - 20, FIRST_RANKED + 30):  # (past the best ones too)
        assert search_passages(settings, {}, "the", offset=offset) == (
            total, expected[True][offset]), offset
    assert 0 < len(chosen) < total
    for offset in (0, len(chosen) - 10):
        assert search_passages(settings, {"kind": [kind]}, "the", offset=offset) == (
            len(chosen), expected[False][offset]), offset
