"""Faceted lookup: selections (AND across facets, OR within one) and full text, answered
from the index in Datasette's facet shape. No XML is parsed here.

Speed by design: each process holds the index's facet postings as NumPy arrays (loaded once per
index generation, see :class:`Postings`), documents numbered in id order and passages in
reading order. A selection is then a boolean mask, OR within a facet and AND across facets are
mask operations, and every facet's counts under a selection are one ``bincount`` over the
postings of the matching documents, grouped by document so that these are runs (or over the
others' when they are fewer) — no temporary tables, no GROUP BY per request. SQL is used for
full text, dates and the rows shown, always with bound parameters, in one snapshot per lookup,
through a read-only connection each thread keeps open.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import OrderedDict
from itertools import chain
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import QueryError
from .days import day_range
from .db import reader
from .facets import Facet, load_facets

#: Values shown per facet before ``truncated`` is set.
FACET_SIZE = 30
#: Full-text and date results kept per process (pages and facet toggles repeat them).
MATCH_CACHE = 64
#: Row ids sent to SQLite per ``IN (...)``.
_CHUNK = 500


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
    :return: ``{"count", "documents", "passage_count", "passages", "facets",
        "facets_failed", ...}``, the facets in Datasette's shape; ``facets_failed`` names the
        facets left uncounted when counting passed ``settings.facet_time_limit_ms``.
    :raise QueryError: an unknown facet, or an unreadable date.
    """
    facets, selections, fts, days = _prepared(settings, selections, text, date_from, date_to)
    db = reader(settings)
    db.execute("BEGIN")  # one snapshot for the postings' stamp, the matches and the rows
    try:
        return _Lookup(db, postings(db), facets, selections, fts, days).run(
            limit, facet_size, settings.facet_time_limit_ms / 1000)
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def facet_counts(settings: Settings, selections: dict[str, list[str]], text: str | None,
                 facet: str) -> list[tuple[str, int]]:
    """Every value of ``facet`` within the whole selection, most frequent first: the documents
    (a passage facet: the passages) that match every selection, the facet's own included, and
    hold the value. Unlike :func:`lookup`'s counts, which leave a facet's own selection out (to
    show what a wider OR would add), these say what the selected documents name: the places
    on the browse page's map.

    :raise QueryError: an unknown facet, as for :func:`lookup`.
    """
    facets, selections, fts, days = _prepared(settings, {facet: [], **selections}, text,
                                              None, None)
    db = reader(settings)
    db.execute("BEGIN")
    try:
        search = _Lookup(db, postings(db), facets, selections, fts, days)
        doc_mask, passage_mask = search.matches()
        return search._counts(facets[facet], doc_mask, passage_mask, 0)
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def _prepared(settings: Settings, selections: dict[str, list[str]], text: str | None,
              date_from: str | None, date_to: str | None) -> tuple[
        dict[str, Facet], dict[str, list[str]], str | None, tuple[int | None, int | None] | None]:
    """The facets, the selections checked and without repeats or empty facets, the FTS5 query
    and the day range of a lookup."""
    facets = {facet.name: facet for facet in load_facets(settings)}
    unknown = sorted(set(selections) - set(facets))
    if unknown:
        raise QueryError(f"no facet named {', '.join(map(repr, unknown))}; facets are "
                         f"{', '.join(facets)}")
    selections = {name: list(dict.fromkeys(values)) for name, values in selections.items()
                  if values}
    days = None
    if date_from or date_to:
        start, end = day_range(date_from)[0], day_range(date_to)[1]
        if (date_from and start is None) or (date_to and end is None):
            raise QueryError(f"not an ISO date: {date_from if start is None else date_to!r}")
        days = (start, end)
    return facets, selections, fts_query(text), days


def fts_query(text: str | None) -> str | None:
    """User words → a safe FTS5 query: each word quoted (``"`` doubled), all required.

    A trailing ``*`` keeps its meaning (prefix search). ``None`` when no word is left. A NUL
    character separates words: FTS5 reads its query as a C string, which NUL would end inside a
    quoted word (``unterminated string``).
    """
    terms = []
    for word in (text or "").replace("\0", " ").split():
        prefix = word.endswith("*")
        word = word.rstrip("*").replace('"', '""')
        if word.strip('"'):
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms) or None


#: Private-use characters that mark a hit inside a snippet: escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"


def search_passages(settings: Settings, selections: dict[str, list[str]],
                    text: str | None, *, limit: int = 50,
                    offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Passages holding all of ``text``'s words, in the selected documents, best first (FTS5
    rank): keyword-in-context lines, which :func:`lookup` does not make.

    :param selections: facet name → values (OR within a facet, AND across), as for lookup.
    :return: (total passages, hits with doc, title, target (the passage's citation address),
        element and a snippet whose hits lie between :data:`MARK_START` and
        :data:`MARK_END`).
    """
    query = fts_query(text)
    if query is None:
        return 0, []
    db = reader(settings)
    clauses = ["1"]
    params: list[Any] = [query]
    for name, values in selections.items():
        if values:
            clauses.append(f"p.doc IN (SELECT doc FROM facet_values WHERE facet = ? AND value"
                           f" IN ({', '.join('?' * len(values))}))")
            params += [name, *values]
    base = (" FROM passage_text JOIN passages p ON p.passage = passage_text.rowid"
            " JOIN documents d ON d.doc = p.doc WHERE passage_text MATCH ? AND "
            + " AND ".join(clauses))
    total = db.execute("SELECT COUNT(*)" + base, params).fetchone()[0]
    rows = db.execute(
        "SELECT d.id, d.title, p.xml_id, p.element,"
        f" snippet(passage_text, 0, '{MARK_START}', '{MARK_END}', '…', 16)"
        + base + " ORDER BY rank LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    fields = ("doc", "title", "target", "element", "snippet")
    return total, [dict(zip(fields, row, strict=True)) for row in rows]


class _Counter:
    """A facet's value ids grouped by document (or passage) rank, to count them under a mask.

    The rows of the set entries of a mask are then runs, cheap to select, and when they are
    most of the rows the few others are counted instead and taken from the totals.
    """

    #: Rows per rank from which repeating each mask entry beats reading it at each row's rank.
    RUNS = 16

    def __init__(self, ranks: np.ndarray, value_ids: np.ndarray, size: int,
                 values: int) -> None:
        order = np.argsort(ranks, kind="stable")
        self.value_ids = value_ids[order]
        self.lengths = np.bincount(ranks, minlength=size)  # rows per rank
        self.ranks = ranks[order] if len(ranks) < self.RUNS * size else None
        self.total = np.bincount(value_ids, minlength=values)

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Rows per value among the ranks set in ``mask``."""
        rows = np.repeat(mask, self.lengths) if self.ranks is None else mask[self.ranks]
        if 2 * np.count_nonzero(rows) > len(rows):
            return self.total - np.bincount(self.value_ids[~rows], minlength=len(self.total))
        return np.bincount(self.value_ids[rows], minlength=len(self.total))


class _FacetPostings:
    """One facet's (value, document, passage) rows as arrays.

    Grouped by value to select documents and passages, and by document (passage facets: also
    by passage) to count values under a mask.
    """

    def __init__(self, values: list[str], value_ids: np.ndarray, docs: np.ndarray,
                 passages: np.ndarray, doc_count: int, passage_count: int) -> None:
        self.values = values  # sorted: value id order is value order
        self.index = {value: number for number, value in enumerate(values)}
        order = np.argsort(value_ids, kind="stable")
        self.docs, self.passages = docs[order], passages[order]
        self.offsets = np.searchsorted(value_ids[order], np.arange(len(values) + 1))
        known = docs >= 0
        self.by_doc = _Counter(docs[known], value_ids[known], doc_count, len(values))
        known = passages >= 0
        self.by_passage = (_Counter(passages[known], value_ids[known], passage_count,
                                    len(values)) if known.any() else None)

    def rows_of(self, values: list[str]) -> np.ndarray:
        """Positions in the arrays of the rows holding any of ``values``."""
        found = [np.arange(self.offsets[i], self.offsets[i + 1])
                 for i in (self.index.get(value) for value in values) if i is not None]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


class Postings:
    """The index's facet values, documents and passages as arrays, held per process.

    Documents are numbered by rank in id order, passages by rank in (document id, position)
    order, so that the first set entries of a mask are the first rows to show.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        docs = np.fromiter(chain.from_iterable(db.execute(
            "SELECT doc FROM documents ORDER BY id")), dtype=np.int64)
        self.doc_count = len(docs)
        self.doc_of_rank = docs
        doc_rank = np.full(int(docs.max(initial=0)) + 1, -1, dtype=np.int64)
        doc_rank[docs] = np.arange(len(docs))
        rows = np.fromiter(chain.from_iterable(db.execute(
            "SELECT passage, doc, position FROM passages")), dtype=np.int64).reshape(-1, 3)
        ranks_of_docs = doc_rank[rows[:, 1]]
        order = np.lexsort((rows[:, 2], ranks_of_docs))
        self.passage_of_rank = rows[order, 0]
        self.passage_doc = ranks_of_docs[order]  # passage rank → document rank
        self.passage_lengths = np.bincount(self.passage_doc, minlength=len(docs))
        self.passage_count = len(order)
        passage_rank = np.full(int(rows[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
        passage_rank[self.passage_of_rank] = np.arange(len(order))
        self.passage_rank = passage_rank
        self.doc_rank = doc_rank
        self.facets: dict[str, _FacetPostings] = {}
        for (name,) in db.execute("SELECT DISTINCT facet FROM facet_values").fetchall():
            # SQLite sorts and numbers the values (a covering index); NumPy reads the columns
            values, counts = zip(*db.execute(
                "SELECT value, COUNT(*) FROM facet_values WHERE facet = ? GROUP BY value"
                " ORDER BY value", (name,)), strict=True)
            pairs = db.execute("SELECT doc, COALESCE(passage, 0) FROM facet_values"
                               " WHERE facet = ? ORDER BY value", (name,))
            numbers = np.fromiter(chain.from_iterable(pairs), dtype=np.int64).reshape(-1, 2)
            passages = np.full(len(numbers), -1, dtype=np.int64)
            known = (numbers[:, 1] > 0) & (numbers[:, 1] < len(passage_rank))
            passages[known] = passage_rank[numbers[known, 1]]
            value_ids = np.repeat(np.arange(len(values)), counts)
            self.facets[name] = _FacetPostings(list(values), value_ids, doc_rank[numbers[:, 0]],
                                               passages, self.doc_count, self.passage_count)
        self.totals: dict[str, list[tuple[str, int]]] = {}
        for facet, value, count in db.execute(
                "SELECT facet, value, count FROM facet_totals ORDER BY facet, count DESC, value"):
            self.totals.setdefault(facet, []).append((value, count))
        self.labels = dict(db.execute("SELECT value, label FROM labels"))
        self.matches: OrderedDict[Any, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()  # the viewer's threads share the matches

    def remembered(self, key: Any, compute: Any) -> np.ndarray:
        """A full-text or date match, computed once per index generation (LRU)."""
        found = self.matches.get(key)
        if found is None:
            found = compute()
        with self.lock:
            self.matches[key] = found
            self.matches.move_to_end(key)
            if len(self.matches) > MATCH_CACHE:
                self.matches.popitem(last=False)
        return found

    def docs_of(self, passage_mask: np.ndarray) -> np.ndarray:
        """The documents holding a passage set in ``passage_mask``."""
        mask = np.zeros(self.doc_count, dtype=bool)
        mask[self.passage_doc[np.flatnonzero(passage_mask)]] = True
        return mask

    def passages_of(self, doc_mask: np.ndarray) -> np.ndarray:
        """The passages of the documents set in ``doc_mask`` (passages are in document order)."""
        return np.repeat(doc_mask, self.passage_lengths)


_POSTINGS: dict[str, tuple[tuple[Any, ...], Postings]] = {}


def postings(db: sqlite3.Connection) -> Postings:
    """This process's :class:`Postings` of the index, reloaded when the index has changed."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    # the generation is set at the end of each update; the largest numbers see the batches
    # an update in progress has already written
    stamp = (row[0] if row else "",
             *db.execute("SELECT (SELECT MAX(doc) FROM documents),"
                         " (SELECT MAX(passage) FROM passages)").fetchone())
    cached = _POSTINGS.get(path)
    if cached is None or cached[0] != stamp:
        _POSTINGS[path] = cached = (stamp, Postings(db))
    return cached[1]


class _Lookup:
    """One request: masks of matching documents and passages, then counts and rows."""

    def __init__(self, db: sqlite3.Connection, index: Postings, facets: dict[str, Facet],
                 selections: dict[str, list[str]], fts: str | None,
                 days: tuple[int | None, int | None] | None) -> None:
        self.db, self.index, self.facets, self.selections = db, index, facets, selections
        self.fts, self.days = fts, days

    def matches(self, without: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(document mask, passage mask or None when no condition is on passages)."""
        index = self.index
        docs: list[np.ndarray] = []
        passages: list[np.ndarray] = []
        for name, values in self.selections.items():
            if name == without:
                continue
            postings = index.facets.get(name)
            rows = postings.rows_of(values) if postings else np.zeros(0, dtype=np.int64)
            if self.facets[name].level == "document":
                mask = np.zeros(index.doc_count, dtype=bool)
                mask[postings.docs[rows] if postings else rows] = True
                docs.append(mask)
            else:
                mask = np.zeros(index.passage_count, dtype=bool)
                chosen = postings.passages[rows] if postings else rows
                mask[chosen[chosen >= 0]] = True
                passages.append(mask)
        if self.fts:
            passages.append(index.remembered(("text", self.fts), self._text_mask))
        if self.days:
            docs.append(index.remembered(("days", self.days), self._date_mask))
        passage_mask = np.logical_and.reduce(passages) if passages else None
        # the text alone (so a mask): its documents are remembered too
        if self.fts and len(passages) == 1 and passage_mask is not None:
            docs.append(index.remembered(("text documents", self.fts),
                                         lambda: index.docs_of(passage_mask)))
        elif passage_mask is not None:
            docs.append(index.docs_of(passage_mask))
        doc_mask = (np.logical_and.reduce(docs) if docs
                    else np.ones(index.doc_count, dtype=bool))
        if passage_mask is not None and len(docs) > 1:  # passages of the matching documents
            passage_mask = passage_mask & index.passages_of(doc_mask)
        return doc_mask, passage_mask

    def _text_mask(self) -> np.ndarray:
        found = np.array([row[0] for row in self.db.execute(
            "SELECT rowid FROM passage_text WHERE passage_text MATCH ?", (self.fts,))],
            dtype=np.int64)
        ranks = self.index.passage_rank
        found = found[found < len(ranks)]
        mask = np.zeros(self.index.passage_count, dtype=bool)
        chosen = ranks[found]
        mask[chosen[chosen >= 0]] = True
        return mask

    def _date_mask(self) -> np.ndarray:
        low, high = self.days  # type: ignore[misc]
        found = np.array([row[0] for row in self.db.execute(
            "SELECT DISTINCT doc FROM mentions WHERE type = 'date'"
            " AND (start_day IS NOT NULL OR end_day IS NOT NULL)"
            " AND (end_day IS NULL OR end_day >= ?) AND (start_day IS NULL OR start_day <= ?)",
            (-(10**9) if low is None else low, 10**9 if high is None else high))],
            dtype=np.int64)
        ranks = self.index.doc_rank
        chosen = ranks[found[found < len(ranks)]]
        mask = np.zeros(self.index.doc_count, dtype=bool)
        mask[chosen[chosen >= 0]] = True
        return mask

    def constrained(self, without: str | None = None) -> bool:
        return bool(self.fts or self.days or any(name != without for name in self.selections))

    def run(self, limit: int, facet_size: int, facet_seconds: float) -> dict[str, Any]:
        started = time.perf_counter()
        doc_mask, passage_mask = self.matches()
        passage_mode = passage_mask is not None
        documents = [dict(zip(("id", "title", "author", "date", "kind", "publication"), row,
                                   strict=True))
                     for row in self._rows(
                         "SELECT doc, id, title, author, date, kind, publication FROM documents"
                         " WHERE doc IN ({})", self.index.doc_of_rank, doc_mask, limit)]
        result: dict[str, Any] = {"count": int(doc_mask.sum()), "documents": documents,
                                  "selections": self.selections}
        if passage_mask is not None:
            result["passage_count"] = int(passage_mask.sum())
            result["passages"] = [
                {"doc": doc, "target": xml_id, "element": element, "text": text}
                for doc, xml_id, element, text in self._rows(
                    "SELECT p.passage, d.id, p.xml_id, p.element, substr(p.text, 1, 300)"
                    " FROM passages p JOIN documents d USING (doc) WHERE p.passage IN ({})",
                    self.index.passage_of_rank, passage_mask, limit)]
        masks: dict[str | None, tuple[np.ndarray, Any]] = {None: (doc_mask, passage_mask)}
        result["facets"], result["facets_failed"] = [], []
        for facet in self.facets.values():
            if time.perf_counter() - started > facet_seconds:  # no time left: not counted
                result["facets_failed"].append(facet.name)
            else:
                result["facets"].append(self._facet(facet, masks, passage_mode, facet_size))
        return result

    def _rows(self, sql: str, ids_of_rank: np.ndarray, mask: np.ndarray,
              limit: int) -> list[tuple[Any, ...]]:
        # the first `limit` set entries of a mask, in rank order, read by primary key
        ids = [int(number) for number in ids_of_rank[np.flatnonzero(mask)[:max(limit, 0)]]]
        found: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            for key, *row in self.db.execute(sql.format(", ".join("?" * len(chunk))), chunk):
                found[key] = tuple(row)
        return [found[number] for number in ids if number in found]

    def _facet(self, facet: Facet, masks: dict[str | None, tuple[np.ndarray, Any]],
               passage_mode: bool, size: int) -> dict[str, Any]:
        without = facet.name if facet.name in self.selections else None
        if not self.constrained(without):
            counts = self.index.totals.get(facet.name, [])[:size + 1]
        else:
            if without not in masks:
                masks[without] = self.matches(without)
            doc_mask, passage_mask = masks[without]
            if without is not None:
                passage_mode = passage_mask is not None
            counts = self._counts(facet, doc_mask, passage_mask if passage_mode else None,
                                  size + 1)
        truncated = len(counts) > size
        counts = counts[:size]
        selected = self.selections.get(facet.name, [])
        shown = {value for value, _ in counts}
        counts += [(value, 0) for value in selected if value not in shown]
        labels = self.index.labels if facet.labels == "registry" else {}
        return {"name": facet.name, "label": facet.label, "level": facet.level,
                "results": [{"value": value, "label": labels.get(value, value), "count": n,
                             "selected": value in selected} for value, n in counts],
                "truncated": truncated}

    def _counts(self, facet: Facet, doc_mask: np.ndarray, passage_mask: np.ndarray | None,
                top: int) -> list[tuple[str, int]]:
        """The ``top`` most frequent values under the masks (0: all), ties in value order."""
        postings = self.index.facets.get(facet.name)
        if postings is None or not postings.values:
            return []
        if facet.level == "passage" and passage_mask is not None:
            if postings.by_passage is None:  # no row of the facet is on a passage
                return []
            counts = postings.by_passage.counts(passage_mask)
        else:
            counts = postings.by_doc.counts(doc_mask)
        cut = 1  # only the best candidates are sorted: at least the top-th count, never 0
        if len(counts) > top > 0:
            cut = max(int(-np.partition(-counts, top - 1)[top - 1]), 1)  # the top-th largest
        present = np.flatnonzero(counts >= cut)
        order = present[np.lexsort((present, -counts[present]))][:top or None]
        return [(postings.values[i], int(counts[i])) for i in order]
