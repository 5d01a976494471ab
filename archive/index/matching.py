"""Full-text matching on either engine: SQLite's FTS5 table, or PostgreSQL's tsvector column.

Both take the FTS5 query :func:`archive.index.lookup.fts_query` makes of a reader's words; on
PostgreSQL it becomes a ``tsquery`` of the same tokens (:func:`archive.index.pg.tsquery`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import passagerows
from .db import Database, dialect
from .texts import MARK_END as MARK_END
from .texts import MARK_START as MARK_START
from .texts import passage_texts, snippets

#: Passage numbers whose matches SQLite joins into one string (see matching_passages).
_SPAN = 2**20


def matching_passages(db: Database, query: str) -> np.ndarray:
    """The numbers of the leaf passages matching ``query``, in order.

    On SQLite a common word matches millions of passages, and a row sent to Python for each
    (its tuple, its int) cost more than FTS5's own reading of them: the numbers of each span
    of :data:`_SPAN` passage numbers come joined in one string instead, which NumPy reads
    (a fourth of the time; the strings never longer than a span's).
    """
    if dialect(db) == "postgresql":
        return np.sort(np.fromiter((row[0] for row in db.execute(
            "SELECT passage FROM passages WHERE terms @@ CAST(? AS tsquery)",
            (_tsquery(query),))), dtype=np.int64))
    last = db.execute("SELECT max(rowid) FROM passage_text WHERE passage_text MATCH ?",
                      (query,)).fetchone()[0]
    found = [np.zeros(0, dtype=np.int64)]
    for start in range(0, 0 if last is None else last + 1, _SPAN):
        joined = db.execute(
            "SELECT group_concat(rowid) FROM passage_text WHERE passage_text MATCH ?"
            " AND rowid >= ? AND rowid < ?", (query, start, start + _SPAN)).fetchone()[0]
        if joined:
            found.append(np.fromstring(joined, dtype=np.int64, sep=","))
    return np.concatenate(found)


def count_matching(db: Database, query: str) -> int:
    """How many leaf passages match ``query`` (none ranked, none sent)."""
    if dialect(db) == "postgresql":
        row = db.execute("SELECT COUNT(*) FROM passages WHERE terms @@ CAST(? AS tsquery)",
                         (_tsquery(query),)).fetchone()
    else:
        row = db.execute("SELECT COUNT(*) FROM passage_text WHERE passage_text MATCH ?",
                         (query,)).fetchone()
    return int(row[0])


def ranked_passages(db: Database, query: str, first: int | None = None) -> np.ndarray:
    """The numbers of the leaf passages matching ``query``, best first (SQLite: FTS5's rank,
    bm25; PostgreSQL: ``ts_rank``), equally ranked ones by number; ``first``: only the first
    so many of them (every match is still ranked, but only these are kept in order: no sort
    of them all, no row of the others sent).

    Ranking is the cost of a search (bm25 or ``ts_rank`` of every match: 0.3 s at 10,000
    documents for a word in a third of the passages), so the passage numbers alone are ranked,
    in one pass a search remembers for every page and selection of the same words; the rows
    shown are read by number (:func:`passage_hits`).
    """
    limit = "" if first is None else f" LIMIT {int(first)}"
    if dialect(db) == "postgresql":
        statement = ("SELECT passage FROM passages, CAST(? AS tsquery) q WHERE terms @@ q"
                     f" ORDER BY ts_rank(terms, q) DESC, passage{limit}")
        found = db.execute(statement, (_tsquery(query),))
    else:
        found = db.execute("SELECT rowid FROM passage_text WHERE passage_text MATCH ?"
                           f" ORDER BY rank, rowid{limit}", (query,))
    ranked = np.fromiter((row[0] for row in found), dtype=np.int32)
    ranked.flags.writeable = False  # shared by the requests that remember it
    return ranked


def passage_hits(db: Database, query: str, passages: Iterable[int]) -> list[tuple[Any, ...]]:
    """(doc id, title, passage address, element, snippet) of the leaf ``passages`` (numbers, in
    their order) matching ``query``, the snippet's hits between :data:`MARK_START` and
    :data:`MARK_END`."""
    numbers = [int(number) for number in passages]
    if not numbers:
        return []
    found = passage_rows(db, numbers)
    rows = [found[number] for number in numbers if number in found]
    # the snippets of the hits shown, made of their texts (the index holds their tokens only)
    texts = passage_texts(db, ((row[4], row[5]) for row in rows))
    shown = snippets(query, [texts.get((row[4], row[5]), ("", "")) for row in rows])
    return [(*row[:4], snippet) for row, snippet in zip(rows, shown, strict=True)]


def passage_rows(db: Database, numbers: Sequence[int]) -> dict[int, tuple[Any, ...]]:
    """(doc id, title, passage address, element, doc, position) of the passages numbered
    ``numbers`` (those there), by number (SQLite's read from their documents' records:
    archive.index.passagerows)."""
    if not numbers:
        return {}
    if dialect(db) == "postgresql":
        return {passage: tuple(row) for passage, *row in db.execute(
            "SELECT p.passage, d.id, d.title, p.xml_id, p.element, p.doc, p.position"
            " FROM passages p JOIN documents d ON d.doc = p.doc"
            f" WHERE p.passage IN ({', '.join(map(str, numbers))})")}
    found = passagerows.at(db, numbers)
    documents = {doc: (doc_id, title) for doc, doc_id, title in db.execute(
        "SELECT doc, id, title FROM documents WHERE doc IN"
        f" ({', '.join(str(doc) for doc in {row[1] for row in found.values()})})")}
    return {number: (*documents[doc], address, element, doc, position)
            for number, (_, doc, address, element, position, _) in found.items()
            if doc in documents}


def _tsquery(query: str) -> str:
    from .pg import tsquery

    return tsquery(query)
