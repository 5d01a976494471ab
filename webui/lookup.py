"""Faceted lookup on the index: selected documents, facet counts, full-text passages.

The smallest SQL the pages need, in the shape Datasette's facets use. Replace with
``archive``'s own lookup once it exists (see the report that came with this module).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive.config import Settings
from archive.facets import Facet, load_facets

#: Private-use characters that mark a hit inside an FTS snippet; escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"


@dataclass(frozen=True)
class Selection:
    """What a reader asked for: facet values (all must hold) and full-text words."""

    facets: tuple[tuple[str, str], ...] = ()
    text: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, Any], names: Sequence[str]) -> Selection:
        """Read ``?person=leon-trotsky&year=1923&q=opposition`` (werkzeug MultiDict)."""
        pairs = [(name, value) for name in names for value in args.getlist(name) if value]
        return cls(tuple(dict.fromkeys(pairs)), (args.get("q") or "").strip()[:500])

    @property
    def empty(self) -> bool:
        return not self.facets and not self.text


@dataclass
class Lookup:
    """The answer to one selection."""

    total: int
    documents: list[dict[str, Any]]
    facets: list[dict[str, Any]] = field(default_factory=list)
    facets_failed: list[str] = field(default_factory=list)


def document_facets(settings: Settings) -> list[Facet]:
    """The document-level facets declared for this data directory, in declaration order."""
    return [facet for facet in load_facets(settings) if facet.level == "document"]


def fts_query(text: str) -> str:
    """Reader's words → an FTS5 query of quoted terms (no operator of FTS5's syntax leaks in).

    ``'left "opposition'`` → ``'"left" "opposition"'``; a trailing ``*`` keeps prefix search.
    """
    terms = []
    for word in text.split():
        prefix = word.endswith("*") and len(word) > 1
        word = word.rstrip("*").replace('"', '""')
        if word:
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms)


def _selected(selection: Selection) -> tuple[str, list[Any]]:
    # SQL for the doc numbers the selection keeps; one IN per selected value (all must hold).
    clauses, params = [], []
    for name, value in selection.facets:
        clauses.append("doc IN (SELECT doc FROM facet_values WHERE facet = ? AND value = ?"
                       " AND level = 'document')")
        params += [name, value]
    query = fts_query(selection.text)
    if query:
        clauses.append("doc IN (SELECT p.doc FROM passage_text JOIN passages p"
                       " ON p.passage = passage_text.rowid WHERE passage_text MATCH ?)")
        params.append(query)
    where = " AND ".join(clauses) or "1"
    return f"SELECT doc FROM documents WHERE {where}", params


def lookup(db: sqlite3.Connection, facets: Sequence[Facet], selection: Selection, *,
           limit: int = 50, offset: int = 0, facet_size: int = 10) -> Lookup:
    """Documents of the selection, and every facet's counts within it.

    A facet whose query fails lands in ``facets_failed``; the others still answer.
    """
    selected, params = _selected(selection)
    total = db.execute(f"SELECT COUNT(*) FROM ({selected})", params).fetchone()[0]
    rows = db.execute(
        "SELECT id, title, author, publication, publisher, date, kind FROM documents"
        f" WHERE doc IN ({selected}) ORDER BY date IS NULL, date, title, id LIMIT ? OFFSET ?",
        [*params, limit, offset]).fetchall()
    result = Lookup(total, [dict(row) for row in rows])
    chosen = set(selection.facets)
    for facet in facets:
        try:
            values = facet_counts(db, facet.name, selection, facet_size + 1)
        except sqlite3.Error:
            result.facets_failed.append(facet.name)
            continue
        labels = _labels(db, [value for value, _ in values]) if facet.labels else {}
        results = [{"value": value, "label": labels.get(value, value), "count": count,
                    "selected": (facet.name, value) in chosen} for value, count in values]
        # a selected value stays visible (and removable) even when it is not among the top
        shown = {item["value"] for item in results[:facet_size]}
        for name, value in selection.facets:
            if name == facet.name and value not in shown:
                label = _labels(db, [value]).get(value, value) if facet.labels else value
                results.insert(0, {"value": value, "label": label, "count": None,
                                   "selected": True})
        result.facets.append({"name": facet.name, "label": facet.label,
                              "results": results[:facet_size + len(chosen)],
                              "truncated": len(values) > facet_size})
    return result


def facet_counts(db: sqlite3.Connection, name: str, selection: Selection,
                 limit: int | None = None) -> list[tuple[str, int]]:
    """(value, documents) of one facet within the selection, most frequent first."""
    tail = " ORDER BY 2 DESC, 1" + (" LIMIT ?" if limit else "")
    extra = [limit] if limit else []
    if selection.empty:  # the most frequent request: one small precomputed table
        sql = "SELECT value, count FROM facet_totals WHERE facet = ?"
        return [tuple(row) for row in db.execute(sql + tail, [name, *extra])]
    selected, params = _selected(selection)
    sql = (f"SELECT value, COUNT(*) FROM facet_values WHERE facet = ? AND level = 'document'"
           f" AND doc IN ({selected}) GROUP BY value")
    return [tuple(row) for row in db.execute(sql + tail, [name, *params, *extra])]


def _labels(db: sqlite3.Connection, values: list[str]) -> dict[str, str]:
    if not values:
        return {}
    marks = ",".join("?" * len(values))
    return dict(db.execute(f"SELECT value, label FROM labels WHERE value IN ({marks})", values))


def search_passages(db: sqlite3.Connection, selection: Selection, *, limit: int = 50,
                    offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Passages matching the selection's words, within its facets, best first.

    :return: (total passages, hits with doc, title, target, element and a marked snippet).
    """
    query = fts_query(selection.text)
    if not query:
        return 0, []
    selected, params = _selected(Selection(selection.facets))
    base = (" FROM passage_text JOIN passages p ON p.passage = passage_text.rowid"
            " JOIN documents d ON d.doc = p.doc"
            f" WHERE passage_text MATCH ? AND p.doc IN ({selected})")
    total = db.execute("SELECT COUNT(*)" + base, [query, *params]).fetchone()[0]
    rows = db.execute(
        "SELECT d.id AS doc, d.title AS title, p.xml_id AS target, p.element AS element,"
        f" snippet(passage_text, 0, '{MARK_START}', '{MARK_END}', '…', 16) AS snippet"
        + base + " ORDER BY rank LIMIT ? OFFSET ?", [query, *params, limit, offset]).fetchall()
    return total, [dict(row) for row in rows]


def year_counts(db: sqlite3.Connection, selection: Selection) -> list[tuple[int, int]]:
    """(year, documents mentioning it) for the selection, from the ``year`` facet, by year."""
    try:
        values = facet_counts(db, "year", selection)
    except sqlite3.Error:
        return []
    years = [(int(value), count) for value, count in values if value.lstrip("-").isdigit()]
    return sorted(years)
