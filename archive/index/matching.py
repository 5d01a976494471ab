"""Full-text matching on either engine: SQLite's FTS5 table, or PostgreSQL's tsvector column.

Both take the FTS5 query :func:`archive.index.lookup.fts_query` makes of a reader's words; on
PostgreSQL it becomes a ``tsquery`` of the same tokens (:func:`archive.index.pg.tsquery`).
"""

from __future__ import annotations

from typing import Any

from .db import Database, dialect

#: Private-use characters that mark a hit inside a snippet: escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"
#: Tokens a snippet holds (FTS5's ``snippet`` and PostgreSQL's ``ts_headline`` alike).
SNIPPET_TOKENS = 16


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
        options = (f'StartSel="{MARK_START}", StopSel="{MARK_END}",'
                   f" MaxWords={SNIPPET_TOKENS}, MinWords={SNIPPET_TOKENS // 2}, ShortWord=0")
        shown = (f"ts_headline('archive_text', p.text, q, '{options}')", "ts_rank(p.terms, q)"
                 " DESC, p.passage")
    else:
        base = (" FROM passage_text JOIN passages p ON p.passage = passage_text.rowid"
                " JOIN documents d ON d.doc = p.doc WHERE passage_text MATCH ?"
                + "".join(clauses))
        shown = (f"snippet(passage_text, 0, '{MARK_START}', '{MARK_END}', '…',"
                 f" {SNIPPET_TOKENS})", "rank")
    total = db.execute("SELECT COUNT(*)" + base, params).fetchone()[0]
    rows = db.execute(f"SELECT d.id, d.title, p.xml_id, p.element, {shown[0]}" + base
                      + f" ORDER BY {shown[1]} LIMIT ? OFFSET ?",
                      [*params, limit, offset]).fetchall()
    return int(total), [tuple(row) for row in rows]


def _tsquery(query: str) -> str:
    from .pg import tsquery

    return tsquery(query)
