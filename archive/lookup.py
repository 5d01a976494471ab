"""Faceted lookup: selections (AND across facets, OR within one) and full text, answered
from the index's tables with plain SQL, in Datasette's facet shape. No XML is parsed here.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import chain
from typing import Any

from .config import Settings
from .errors import QueryError
from .facets import Facet, load_facets

#: Values shown per facet before ``truncated`` is set.
FACET_SIZE = 30


def lookup(settings: Settings, selections: dict[str, list[str]], text: str | None = None,
           limit: int = 50, *, date_from: str | None = None, date_to: str | None = None,
           facet_size: int = FACET_SIZE) -> dict[str, Any]:
    """Documents (and passages) matching a selection, with counts for every facet value.

    Selections combine with AND across facets and OR within one facet. A facet's own counts
    are taken under the other facets' selections only, so that its other values show how many
    a wider OR would add. Document facets count documents, passage facets passages.

    :param selections: facet name → selected values.
    :param text: words that must all occur in one passage (sanitised into an FTS5 query).
    :param date_from: with ``date_to``, keep documents that mention a date overlapping the
        range (ISO dates; either end may be open).
    :return: ``{"count", "documents", "passage_count", "passages", "facets", ...}``, the
        facets in Datasette's shape.
    :raise QueryError: an unknown facet, or an unreadable date.
    """
    from .index import connect, day_range  # the index module imports this one

    facets = {facet.name: facet for facet in load_facets(settings)}
    unknown = sorted(set(selections) - set(facets))
    if unknown:
        raise QueryError(f"no facet named {', '.join(map(repr, unknown))}; facets are "
                         f"{', '.join(facets)}")
    selections = {name: list(dict.fromkeys(values)) for name, values in selections.items()
                  if values}
    fts = fts_query(text)
    days = None
    if date_from or date_to:
        start, end = day_range(date_from)[0], day_range(date_to)[1]
        if (date_from and start is None) or (date_to and end is None):
            raise QueryError(f"not an ISO date: {date_from if start is None else date_to!r}")
        days = (start, end)
    db = connect(settings)
    try:
        query = _Lookup(db, facets, selections, fts, days)
        return query.run(limit, facet_size)
    finally:
        db.close()


def fts_query(text: str | None) -> str | None:
    """User words → a safe FTS5 query: each word quoted (``"`` doubled), all required.

    A trailing ``*`` keeps its meaning (prefix search). ``None`` when no word is left.
    """
    terms = []
    for word in (text or "").split():
        prefix = word.endswith("*")
        word = word.rstrip("*").replace('"', '""')
        if word.strip('"'):
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms) or None


class _Lookup:
    """One request: SQL conditions from the selection, temp tables of matches, counts."""

    def __init__(self, db: sqlite3.Connection, facets: dict[str, Facet],
                 selections: dict[str, list[str]], fts: str | None,
                 days: tuple[int | None, int | None] | None) -> None:
        self.db, self.facets, self.selections = db, facets, selections
        self.fts, self.days = fts, days
        self.cache: dict[tuple[str, bool], dict[str, list[tuple[str, int]]]] = {}

    def _conditions(self, without: str | None) -> tuple[list[tuple[str, list[Any]]],
                                                        list[tuple[str, list[Any]]]]:
        """(document conditions, passage conditions): SQL selecting doc / passage ids."""
        docs: list[tuple[str, list[Any]]] = []
        passages: list[tuple[str, list[Any]]] = []
        for name, values in self.selections.items():
            if name == without:
                continue
            marks = ", ".join("?" * len(values))
            column = "doc" if self.facets[name].level == "document" else "passage"
            sql = f"SELECT {column} FROM facet_values WHERE facet = ? AND value IN ({marks})"
            (docs if column == "doc" else passages).append((sql, [name, *values]))
        if self.fts:
            passages.append(("SELECT rowid FROM passage_text WHERE passage_text MATCH ?",
                             [self.fts]))
        if self.days:
            low, high = self.days
            docs.append(("SELECT doc FROM mentions WHERE type = 'date'"
                         " AND (start_day IS NOT NULL OR end_day IS NOT NULL)"
                         " AND (end_day IS NULL OR end_day >= ?)"
                         " AND (start_day IS NULL OR start_day <= ?)",
                         [-(10**9) if low is None else low, 10**9 if high is None else high]))
        return docs, passages

    def materialise(self, table: str, without: str | None = None) -> tuple[bool, bool]:
        """Fill ``temp.<table>_d`` (documents) and ``<table>_p`` (passages, when constrained).

        :return: (any condition at all, a passage condition).
        """
        docs, passages = self._conditions(without)
        for suffix in ("d", "p"):
            self.db.execute(f"DROP TABLE IF EXISTS temp.{table}_{suffix}")
        self.db.execute(f"CREATE TEMP TABLE {table}_d (doc INTEGER PRIMARY KEY)")
        self.db.execute(f"CREATE TEMP TABLE {table}_p (passage INTEGER PRIMARY KEY)")
        passage_sql = " INTERSECT ".join(sql for sql, _ in passages)
        passage_params = [param for _, params in passages for param in params]
        if passages:
            self.db.execute(f"INSERT OR IGNORE INTO {table}_p {passage_sql}", passage_params)
            docs.append((f"SELECT DISTINCT p.doc FROM {table}_p CROSS JOIN passages p"
                         f" ON p.passage = {table}_p.passage", []))
        doc_sql = " INTERSECT ".join(sql for sql, _ in docs) or "SELECT doc FROM documents"
        self.db.execute(f"INSERT OR IGNORE INTO {table}_d {doc_sql}",
                        [param for _, params in docs for param in params])
        if passages and docs[:-1]:  # passages only of the documents that match
            self.db.execute(f"DELETE FROM {table}_p WHERE (SELECT doc FROM passages p WHERE"
                            f" p.passage = {table}_p.passage) NOT IN (SELECT doc FROM {table}_d)")
        return bool(docs or passages), bool(passages)

    def run(self, limit: int, facet_size: int) -> dict[str, Any]:
        constrained, passage_mode = self.materialise("m")
        passage_mode = passage_mode or any(self.facets[name].level == "passage"
                                           for name in self.selections)
        count = self.db.execute("SELECT COUNT(*) FROM m_d").fetchone()[0]
        documents = [dict(zip(("id", "title", "author", "date", "kind", "publication"), row))
                     for row in self.db.execute(
                         "SELECT id, title, author, date, kind, publication FROM documents"
                         " WHERE doc IN (SELECT doc FROM m_d) ORDER BY id LIMIT ?", (limit,))]
        result: dict[str, Any] = {"count": count, "documents": documents,
                                  "selections": self.selections}
        if passage_mode:
            result["passage_count"] = self.db.execute("SELECT COUNT(*) FROM m_p").fetchone()[0]
            result["passages"] = [
                {"doc": doc, "target": xml_id, "element": element, "text": text}
                for doc, xml_id, element, text in self.db.execute(
                    "SELECT d.id, p.xml_id, p.element, substr(p.text, 1, 300) FROM m_p"
                    " JOIN passages p USING (passage) JOIN documents d USING (doc)"
                    " ORDER BY d.id, p.position LIMIT ?", (limit,))]
        labels = self._labels()
        result["facets"] = [self._facet(facet, constrained, passage_mode, facet_size, labels)
                            for facet in self.facets.values()]
        return result

    def _facet(self, facet: Facet, constrained: bool, passage_mode: bool, size: int,
               labels: dict[str, str]) -> dict[str, Any]:
        table = "m"
        if facet.name in self.selections:
            constrained, passage_mode = self.materialise("f", without=facet.name)
            table = "f"
            self.cache.pop(("f", False), None)
            self.cache.pop(("f", True), None)
        if not constrained:
            counts = self.db.execute(
                "SELECT value, count FROM facet_totals WHERE facet = ?"
                " ORDER BY count DESC, value LIMIT ?", (facet.name, size + 1)).fetchall()
        else:
            by_passage = facet.level == "passage" and passage_mode
            counts = self._counts(table, by_passage).get(facet.name, [])[:size + 1]
        truncated = len(counts) > size
        counts = counts[:size]
        selected = self.selections.get(facet.name, [])
        shown = {value for value, _ in counts}
        counts += [(value, 0) for value in selected if value not in shown]
        use_labels = facet.labels == "registry"
        return {"name": facet.name, "label": facet.label, "level": facet.level,
                "results": [{"value": value, "label": labels.get(value, value) if use_labels
                             else value, "count": n, "selected": value in selected}
                            for value, n in counts],
                "truncated": truncated}

    def _counts(self, table: str, by_passage: bool) -> dict[str, list[tuple[str, int]]]:
        """Facet → (value, count), most frequent first, over a temp table's matches."""
        key = (table, by_passage)
        if key not in self.cache:
            postings = _postings(self.db)
            if by_passage:
                ids = self.db.execute(f"SELECT passage FROM {table}_p").fetchall()
                groups = postings.by_passage
            else:
                ids = self.db.execute(f"SELECT doc FROM {table}_d").fetchall()
                groups = postings.by_doc
            counter = Counter(chain.from_iterable(groups.get(row[0], ()) for row in ids))
            by_facet: dict[str, list[tuple[str, int]]] = {}
            for value_id, count in counter.items():
                name, value = postings.keys[value_id]
                by_facet.setdefault(name, []).append((value, count))
            for values in by_facet.values():
                values.sort(key=lambda item: (-item[1], item[0]))
            self.cache[key] = by_facet
        return self.cache[key]

    def _labels(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT value, label FROM labels"))


class _Postings:
    """Every document's and passage's facet values as small integers, held per process.

    Counting the values of the matching documents is then one C-level Counter over integer
    lists, instead of a GROUP BY per facet; it is reloaded when the index changes.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.keys: list[tuple[str, str]] = []
        ids: dict[tuple[str, str], int] = {}
        self.by_doc: dict[int, list[int]] = {}
        self.by_passage: dict[int, list[int]] = {}
        for facet, value, doc, passage in db.execute(
                "SELECT facet, value, doc, passage FROM facet_values"):
            value_id = ids.get((facet, value))
            if value_id is None:
                value_id = ids[(facet, value)] = len(self.keys)
                self.keys.append((facet, value))
            self.by_doc.setdefault(doc, []).append(value_id)
            if passage is not None:
                self.by_passage.setdefault(passage, []).append(value_id)


_POSTINGS: dict[str, tuple[str, _Postings]] = {}


def _postings(db: sqlite3.Connection) -> _Postings:
    path = db.execute("PRAGMA database_list").fetchone()[2]
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    generation = row[0] if row else ""
    cached = _POSTINGS.get(path)
    if cached is None or cached[0] != generation:
        _POSTINGS[path] = cached = (generation, _Postings(db))
    return cached[1]
