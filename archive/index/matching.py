"""Full-text matching on either engine: SQLite's FTS5 table, or PostgreSQL's tsvector column.

Both take the FTS5 query :func:`archive.index.lookup.fts_query` makes of a reader's words; on
PostgreSQL it becomes a ``tsquery`` of the same tokens (:func:`archive.index.pg.tsquery`).
"""

from __future__ import annotations

from typing import Any

from .db import Database, dialect
from .texts import MARK_END as MARK_END
from .texts import MARK_START as MARK_START
from .texts import passage_texts, snippets


def matching_passages(db: Database, query: str) -> list[int]:
    """The numbers of the leaf passages matching ``query``."""
    if dialect(db) == "postgresql":
        return [row[0] for row in db.execute(
            "SELECT passage FROM passages WHERE terms @@ CAST(? AS tsquery)", (_tsquery(query),))]
    return [row[0] for row in db.execute(
        "SELECT rowid FROM passage_text WHERE passage_text MATCH ?", (query,))]


def passage_hits(db: Database, query: str, doc_sets: list[list[int]], limit: int,
                 offset: int) -> tuple[int, list[tuple[Any, ...]]]:
    """The leaf passages matching ``query`` in documents of every one of ``doc_sets``, best
    first: their total, and (doc id, title, passage address, element, snippet) of those from
    ``offset`` on (at most ``limit``), the snippet's hits between :data:`MARK_START` and
    :data:`MARK_END`."""
    postgresql = dialect(db) == "postgresql"
    params: list[Any] = [_tsquery(query) if postgresql else query]
    clauses = []
    for docs in doc_sets:
        if postgresql:
            clauses.append(" AND p.doc = ANY(?)")
            params.append(docs)
        else:  # the documents as a JSON array
            clauses.append(" AND p.doc IN (SELECT value FROM json_each(?))")
            params.append(f"[{', '.join(map(str, docs))}]")
    if postgresql:
        base = (" FROM passages p JOIN documents d ON d.doc = p.doc, CAST(? AS tsquery) q"
                " WHERE p.terms @@ q" + "".join(clauses))
        order = "ts_rank(p.terms, q) DESC, p.passage"
    else:
        base = (" FROM passage_text JOIN passages p ON p.passage = passage_text.rowid"
                " JOIN documents d ON d.doc = p.doc WHERE passage_text MATCH ?"
                + "".join(clauses))
        order = "rank"
    total = db.execute("SELECT COUNT(*)" + base, params).fetchone()[0]
    rows = db.execute("SELECT d.id, d.title, p.xml_id, p.element, p.doc, p.position" + base
                      + f" ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    # the snippets of the hits shown, made of their texts (the index holds their tokens only)
    texts = passage_texts(db, ((row[4], row[5]) for row in rows))
    shown = snippets(query, [texts.get((row[4], row[5]), ("", "")) for row in rows])
    return int(total), [(*row[:4], snippet) for row, snippet in zip(rows, shown, strict=True)]


def _tsquery(query: str) -> str:
    from .pg import tsquery

    return tsquery(query)
