"""What the pages ask of the index beyond :func:`archive.lookup.lookup`.

The selection in the URL, and the one query lookup does not answer: full-text hits with
FTS5's ``snippet()`` marks and ranking, for keyword-in-context lines.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archive.config import Settings
from archive.facets import load_facets
from archive.lookup import fts_query

#: Private-use characters that mark a hit inside an FTS snippet; escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"


@dataclass(frozen=True)
class Selection:
    """What a reader asked for: facet values (any within a facet, all facets) and words."""

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

    def chosen(self) -> dict[str, list[str]]:
        """Facet name → selected values, as :func:`archive.lookup.lookup` takes them."""
        chosen: dict[str, list[str]] = {}
        for name, value in self.facets:
            chosen.setdefault(name, []).append(value)
        return chosen


def facet_names(settings: Settings) -> list[str]:
    """The facets declared for this data directory, in declaration order."""
    return [facet.name for facet in load_facets(settings)]


def _selected(selection: Selection) -> tuple[str, list[Any]]:
    # SQL for the doc numbers the selection keeps: OR within a facet, AND across (as lookup)
    clauses: list[str] = []
    params: list[Any] = []
    for name, values in selection.chosen().items():
        marks = ", ".join("?" * len(values))
        clauses.append(f"doc IN (SELECT doc FROM facet_values WHERE facet = ? AND value IN"
                       f" ({marks}))")
        params += [name, *values]
    query = fts_query(selection.text)
    if query:
        clauses.append("doc IN (SELECT p.doc FROM passage_text JOIN passages p"
                       " ON p.passage = passage_text.rowid WHERE passage_text MATCH ?)")
        params.append(query)
    return f"SELECT doc FROM documents WHERE {' AND '.join(clauses) or '1'}", params


def search_passages(db: sqlite3.Connection, selection: Selection, *, limit: int = 50,
                    offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Passages matching the selection's words, within its facets, best first.

    :return: (total passages, hits with doc, title, target, element and a marked snippet).
    """
    query = fts_query(selection.text)
    if query is None:
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
