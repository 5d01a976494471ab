"""Faceted lookup: selections (AND across facets, OR within one) and full text, answered from the
index in Datasette's facet shape. No XML is parsed here.

Speed by design: each process holds the index's facet postings as NumPy arrays (written by each
update, read as they are first needed: see :mod:`archive.index.postings`), documents numbered
in id order and passages in reading order. A selection of documents is then a boolean mask, OR
within a facet and AND across facets are mask operations, and every facet's counts under a
selection are one ``bincount`` over the postings of the matching documents, grouped by document
so that these are runs (or over the others' when they are fewer) — no temporary tables, no
GROUP BY per request. The passages matching a selection are their ranks, in order, where they
are few: there are millions of passages at EEBO's scale, and a word's matches in the documents
chosen (or a passage facet's) are read, counted and shown in the time of their own number; where
they are many, a mask, as a pass over it costs less than their ranks. SQL is used
for full text, dates and the rows shown, always with bound parameters, in one snapshot per
lookup, through a read-only connection each thread keeps open.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import ArchiveError, QueryError
from .days import day_range
from .db import SCHEMA_VERSION, Database, reader, where
from .declared import Facet, load_facets
from .matching import MARK_END as MARK_END  # (archive.index's, and the tests')
from .matching import MARK_START as MARK_START
from .matching import (
    count_matching,
    matching_passages,
    passage_hits,
    passage_rows,
    ranked_passages,
)
from .postings import Counter, Passages, Postings, mask_of
from .texts import passage_texts

#: Values shown per facet before ``truncated`` is set.
FACET_SIZE = 30
#: The best passages a search ranks in order at first (its first pages: see search_passages).
FIRST_RANKED = 1000
#: Row ids sent to SQLite per ``IN (...)``.
_CHUNK = 500


def lookup(settings: Settings, selections: dict[str, list[str]], text: str | None = None,
           limit: int = 50, *, date_from: str | None = None, date_to: str | None = None,
           facet_size: int = FACET_SIZE,
           facet_sizes: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Documents (and passages) matching a selection, with counts for every facet value.

    Selections combine with AND across facets and OR within one facet. A facet's own counts
    are taken under the other facets' selections only, so that its other values show how many
    a wider OR would add. Document facets count documents, passage facets passages.

    :param selections: facet name → selected values.
    :param text: words that must all occur in one passage (sanitised into an FTS5 query).
    :param date_from: with ``date_to``, keep documents that mention a date overlapping the
        range (ISO dates; either end may be open).
    :param facet_size: the most frequent values given per facet; a selected value beyond them
        is given too, with its count, after them.
    :param facet_sizes: facet name → its own ``facet_size`` (a timeline's years: all of them).
    :return: ``{"count", "documents", "passage_count", "passages", "facets",
        "facets_failed", ...}``, the facets in Datasette's shape (and each facet's
        ``value_count``: its values counted above 0, and its selected values counted 0);
        ``facets_failed`` names the facets left uncounted when counting passed
        ``settings.facet_time_limit_ms``.
    :raise QueryError: an unknown facet, or an unreadable date.
    """
    facets, selections, fts, days = _prepared(settings, selections, text, date_from, date_to)
    db = reader(settings)
    db.execute("BEGIN")  # one snapshot for the postings' stamp, the matches and the rows
    try:
        sizes = {name: (facet_sizes or {}).get(name, facet_size) for name in facets}
        return _Lookup(db, postings(db), facets, selections, fts, days).run(
            limit, sizes, settings.facet_time_limit_ms / 1000)
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
        doc_mask, passages = search.matches()
        values, counts = search._counts(facets[facet], doc_mask, passages)
        return _ranked(values, counts, 0)
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def _prepared(settings: Settings, selections: dict[str, list[str]], text: str | None,
              date_from: str | None, date_to: str | None) -> tuple[
        dict[str, Facet], dict[str, list[str]], str | None, tuple[int | None, int | None] | None]:
    """The facets, the selections checked and without repeats or empty facets, the FTS5 query
    and the day range of a lookup."""
    facets = {facet.name: facet for facet in load_facets(settings, check=False)}
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


def search_passages(settings: Settings, selections: dict[str, list[str]],
                    text: str | None, *, limit: int = 50,
                    offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """Passages holding all of ``text``'s words, in the selected documents, best first (FTS5
    rank; PostgreSQL's ``ts_rank``), equally ranked ones by passage number: keyword-in-context
    lines, which :func:`lookup` does not make. The words' ranking is remembered per process and
    index generation (as their match is for :func:`lookup`), so another page or selection of
    the same words reads only its rows.

    :param selections: facet name → values (OR within a facet, AND across), as for lookup.
    :return: (total passages, hits with doc, title, target (the passage's citation address),
        element and a snippet whose hits lie between :data:`MARK_START` and
        :data:`MARK_END`).
    """
    query = fts_query(text)
    if query is None:
        return 0, []
    db = reader(settings)
    db.execute("BEGIN")  # one snapshot for the postings and the passages
    try:
        index = postings(db)
        end = offset + limit
        # the best matches first (every page of those, and a selection's where they hold
        # them); every match in order only for a page or a selection's page beyond them
        top = index.remembered(("ranked first", query),
                               lambda: ranked_passages(db, query, FIRST_RANKED))
        whole = len(top) < FIRST_RANKED  # (every match is in it)
        chosen = _chosen_documents(db, index, selections)
        if chosen is None:
            total = len(top) if whole else int(index.remembered(
                ("count", query), lambda: np.array([count_matching(db, query)]))[0])
            ranked = top if whole or end <= len(top) else index.remembered(
                ("ranked", query), lambda: ranked_passages(db, query))
        else:
            passages = index.passages(db)
            ranked = _within(passages, top, chosen)
            total = len(ranked)
            if not whole:  # the chosen documents' matches, counted without ranking them
                matched = index.remembered(("text", query),
                                           lambda: _text_ranks(db, index, query))
                per_document = index.remembered(("text documents", query),
                                                lambda: passages.per_document(matched))
                total = int(per_document[chosen].sum())
                if end > len(ranked) < total:
                    ranked = _within(passages, index.remembered(
                        ("ranked", query), lambda: ranked_passages(db, query)), chosen)
        rows = passage_hits(db, query, ranked[offset:end].tolist())
    finally:
        if db.in_transaction:
            db.execute("COMMIT")
    fields = ("doc", "title", "target", "element", "snippet")
    return total, [dict(zip(fields, row, strict=True)) for row in rows]


def _chosen_documents(db: Database, index: Postings,
                      selections: dict[str, list[str]]) -> np.ndarray | None:
    """The documents (a mask of their ranks) holding any of each facet's selected values, all
    facets' (None: no value is selected)."""
    chosen = None
    for name, values in selections.items():
        if values:
            found = index.facets.get(name)
            ranks = found.ranks_of(db, values, "docs") if found else np.zeros(0, dtype=np.int32)
            docs = np.zeros(index.doc_count, dtype=bool)
            docs[ranks[ranks >= 0]] = True
            chosen = docs if chosen is None else chosen & docs
    return chosen


def _within(passages: Passages, ranked: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """The passages ``ranked`` (numbers, in their order) of the documents ``chosen``."""
    ranks = passages.ranks(ranked)
    inside = ranks >= 0
    inside[inside] = chosen[passages.doc[ranks[inside]]]
    found: np.ndarray = ranked[inside]
    return found


def _text_ranks(db: Database, index: Postings, query: str) -> np.ndarray:
    """The passages (their ranks, in order) matching the FTS5 ``query``, unranked."""
    ranks = index.passages(db).ranks(matching_passages(db, query))
    found = ranks[ranks >= 0].astype(np.int32)
    if len(found) > 1 and not (found[1:] > found[:-1]).all():  # (passages numbered anew)
        found.sort()
    found.flags.writeable = False  # shared by the requests that remember it
    return found


def _kept(mask: np.ndarray) -> np.ndarray:
    mask.flags.writeable = False  # shared by the requests that remember it
    return mask


class _Chosen:
    """Passages a lookup chose: their ranks in order (where they are few, read and counted in
    the time of their number), or a mask of every passage (where they are many, a pass over it
    costs less than their ranks), or both; each made of the other at the first need."""

    def __init__(self, size: int, ranks: np.ndarray | None = None,
                 mask: np.ndarray | None = None) -> None:
        self.size, self._ranks, self._mask = size, ranks, mask

    @property
    def many(self) -> bool:
        return self._ranks is None or Counter.many(len(self._ranks), self.size)

    def ranks(self) -> np.ndarray:
        if self._ranks is None:
            self._ranks = np.flatnonzero(self.mask())
        return self._ranks

    def mask(self) -> np.ndarray:
        if self._mask is None:
            assert self._ranks is not None  # (one of them is given)
            self._mask = mask_of(self._ranks, self.size)
        return self._mask

    def count(self) -> int:
        return (len(self._ranks) if self._ranks is not None
                else int(np.count_nonzero(self.mask())))

    def first(self, limit: int) -> np.ndarray:
        """The first ``limit`` ranks."""
        return self._ranks[:limit] if self._ranks is not None else _first(self.mask(), limit)


#: A counter of rows given in any order (see :meth:`Counter.of_rows`).
_Counter = Counter.of_rows

_POSTINGS: dict[str, tuple[str, Postings]] = {}


def postings(db: Database) -> Postings:
    """This process's :class:`Postings` of the index, read again when the index has changed
    (each update ends by writing its postings and a new generation).

    :raise ArchiveError: the index is of another schema (made by another version).
    """
    path = where(db)
    schema, generation = db.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'schema'),"
        " (SELECT value FROM meta WHERE key = 'generation')").fetchone()
    if schema != SCHEMA_VERSION:  # (an index of another version has no postings to read)
        raise ArchiveError("the index was made by another version of the archive: run"
                           " `archive reindex`", path)
    stamp = generation or ""
    cached = _POSTINGS.get(path)
    if cached is None or cached[0] != stamp:
        _POSTINGS[path] = cached = (stamp, Postings(db))
    return cached[1]


class _Lookup:
    """One request: masks of matching documents and passages, then counts and rows."""

    def __init__(self, db: Database, index: Postings, facets: dict[str, Facet],
                 selections: dict[str, list[str]], fts: str | None,
                 days: tuple[int | None, int | None] | None) -> None:
        self.db, self.index, self.facets, self.selections = db, index, facets, selections
        self.fts, self.days = fts, days

    def matches(self, without: str | None = None) -> tuple[np.ndarray, _Chosen | None]:
        """(document mask, the passages chosen, or None when no condition is on passages)."""
        index = self.index
        docs: list[np.ndarray] = []
        passages: list[_Chosen] = []
        for name, values in self.selections.items():
            if name == without:
                continue
            postings = index.facets.get(name)
            level = self.facets[name].level
            chosen = (postings.ranks_of(self.db, values, "docs" if level == "document"
                                        else "passages")
                      if postings else np.zeros(0, dtype=np.int32))
            if level == "document":
                mask = np.zeros(index.doc_count, dtype=bool)
                mask[chosen] = True
                docs.append(mask)
            else:
                passages.append(_Chosen(index.passages(self.db).count,
                                        ranks=np.unique(chosen[chosen >= 0])))
        if self.fts:
            fts, size = self.fts, index.passages(self.db).count
            text = index.remembered(("text", fts), lambda: _text_ranks(self.db, index, fts))
            passages.append(_Chosen(size, ranks=text, mask=index.remembered(
                ("text mask", fts), lambda: _kept(mask_of(text, size)))
                if Counter.many(len(text), size) else None))
        if self.days:
            docs.append(index.remembered(("days", self.days), self._date_mask))
        found = _common(passages) if passages else None
        per_document = None  # how many of them each document holds
        if self.fts and len(passages) == 1 and found is not None:
            # the text alone (as remembered): its documents are remembered too
            ranks = found.ranks()
            per_document = index.remembered(
                ("text documents", self.fts),
                lambda: index.passages(self.db).per_document(ranks))
            docs.append(per_document > 0)
        elif found is not None:
            docs.append(index.passages(self.db).docs_at(found.ranks()))
        doc_mask = _all(docs) if docs else np.ones(index.doc_count, dtype=bool)
        if found is not None and len(docs) > 1:  # passages of the matching documents
            arrays = index.passages(self.db)
            many = (found.many if per_document is None
                    else Counter.many(int(per_document[doc_mask].sum()), found.size))
            found = (_Chosen(found.size, mask=found.mask() & arrays.passages_of(doc_mask))
                     if many else
                     _Chosen(found.size, ranks=arrays.within(found.ranks(), doc_mask,
                                                             per_document)))
        return doc_mask, found

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

    def run(self, limit: int, sizes: dict[str, int], facet_seconds: float) -> dict[str, Any]:
        started = time.perf_counter()
        doc_mask, passages = self.matches()
        passage_mode = passages is not None
        documents = [dict(zip(("id", "title", "author", "date", "kind", "publication"), row,
                                   strict=True))
                     for row in self._rows(
                         "SELECT doc, id, title, author, date, kind, publication FROM documents"
                         " WHERE doc IN ({})", self.index.doc_of_rank, _first(doc_mask, limit))]
        result: dict[str, Any] = {"count": int(np.count_nonzero(doc_mask)), "documents": documents,
                                  "selections": self.selections}
        if passages is not None:
            result["passage_count"] = passages.count()
            numbers = [int(number) for number in
                       self.index.passages(self.db).of_rank[passages.first(limit)]]
            found = passage_rows(self.db, numbers)  # (doc id, title, address, element, ...)
            shown = [(found[number][0], *found[number][2:]) for number in numbers
                     if number in found]
            texts = passage_texts(self.db, ((doc, position) for *_, doc, position in shown))
            result["passages"] = [
                {"doc": doc, "target": xml_id, "element": element,
                 "text": texts.get((number, position), ("", ""))[0][:300]}
                for doc, xml_id, element, number, position in shown]
        masks: dict[str | None, tuple[np.ndarray, Any]] = {None: (doc_mask, passages)}
        result["facets"], result["facets_failed"] = [], []
        for facet in self.facets.values():
            if time.perf_counter() - started > facet_seconds:  # no time left: not counted
                result["facets_failed"].append(facet.name)
            else:
                result["facets"].append(self._facet(facet, masks, passage_mode,
                                                    sizes[facet.name]))
        return result

    def _rows(self, sql: str, ids_of_rank: np.ndarray,
              ranks: np.ndarray) -> list[tuple[Any, ...]]:
        # the rows of these ranks, in their order, read by primary key
        ids = [int(number) for number in ids_of_rank[ranks]]
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
            top = self.index.totals(self.db, facet.name)[:size + 1]
            value_count = len(self.index.totals(self.db, facet.name))
            count_of = self.index.total_of(self.db, facet.name)
        else:
            if without not in masks:
                masks[without] = self.matches(without)
            doc_mask, passages = masks[without]
            if without is not None:
                passage_mode = passages is not None
            values, counts = self._counts(facet, doc_mask, passages if passage_mode else None)
            top = _ranked(values, counts, size + 1)
            value_count = int(np.count_nonzero(counts))
            postings = self.index.facets.get(facet.name)
            numbers = postings.numbers(self.db) if postings else {}
            count_of = {value: int(counts[number]) for value in self.selections.get(
                facet.name, []) if (number := numbers.get(value)) is not None}
        truncated = len(top) > size
        top = top[:size]
        selected = self.selections.get(facet.name, [])
        shown = {value for value, _ in top}
        # a selected value beyond the top, as it ranks among all, then those counted 0
        beyond = [(value, count_of.get(value, 0)) for value in selected if value not in shown]
        top += sorted(((value, n) for value, n in beyond if n), key=lambda pair: (-pair[1],
                                                                                  pair[0]))
        top += [(value, n) for value, n in beyond if not n]
        labels = self.index.labels(self.db) if facet.labels == "registry" else None
        chosen = set(selected)
        results: list[dict[str, Any]] = [
            {"value": value, "label": labels.get(value, value) if labels else value,
             "count": n, "selected": value in chosen}
            for value, n in top]
        return {"name": facet.name, "label": facet.label, "level": facet.level,
                "results": results, "truncated": truncated,
                "value_count": value_count + sum(1 for _, n in beyond if not n)}

    def _counts(self, facet: Facet, doc_mask: np.ndarray,
                passages: _Chosen | None) -> tuple[list[str], np.ndarray]:
        """The facet's values and each one's count in the documents of the mask (a passage
        facet: in the ``passages``, where given)."""
        postings = self.index.facets.get(facet.name)
        values = postings.values(self.db) if postings is not None else []
        if postings is None or not values:
            return [], np.zeros(0, dtype=np.int64)
        if facet.level == "passage" and passages is not None:
            counter = postings.counter(self.db, "passage")
            if counter is None:  # no row of the facet is on a passage
                return [], np.zeros(0, dtype=np.int64)
            return values, (counter.counts(passages.mask()) if passages.many
                            else counter.counts_at(passages.ranks()))
        counter = postings.counter(self.db, "doc")
        assert counter is not None  # every row is in a document
        return values, counter.counts(doc_mask)


def _first(mask: np.ndarray, count: int) -> np.ndarray:
    """The positions of the first ``count`` entries set in ``mask``, looked for in growing
    blocks (a page of rows needs the first few of a mask of millions of passages)."""
    found: list[np.ndarray] = []
    start, block, left = 0, 4096, count
    while left > 0 and start < len(mask):
        hits = np.flatnonzero(mask[start:start + block])[:left] + start
        found.append(hits)
        left -= len(hits)
        start, block = start + block, block * 4
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _common(chosen: list[_Chosen]) -> _Chosen:
    """The passages chosen by every condition: the one itself (never changed), or new ones
    (ranks where each are few, else a mask)."""
    if len(chosen) == 1:
        return chosen[0]
    if any(found.many for found in chosen):
        return _Chosen(chosen[0].size, mask=_all([found.mask() for found in chosen]))
    ranks = chosen[0].ranks()
    for found in chosen[1:]:
        ranks = np.intersect1d(ranks, found.ranks(), assume_unique=True)
    return _Chosen(chosen[0].size, ranks=ranks)


def _all(masks: list[np.ndarray]) -> np.ndarray:
    """The entries set in every mask: the one mask itself (never changed), or a new one.
    (``np.logical_and.reduce`` of a list first copies the masks into one array.)"""
    found = masks[0]
    for mask in masks[1:]:
        found = found & mask
    return found


def _ranked(values: list[str], counts: np.ndarray, top: int) -> list[tuple[str, int]]:
    """The ``top`` most frequent values counted above 0 (0: all), ties in value order."""
    cut = 1  # only the best candidates are sorted: at least the top-th count, never 0
    if len(counts) > top > 0:
        cut = max(int(-np.partition(-counts, top - 1)[top - 1]), 1)  # the top-th largest
    present = np.flatnonzero(counts >= cut)
    order = present[np.lexsort((present, -counts[present]))][:top or None]
    return list(zip(map(values.__getitem__, order.tolist()), counts[order].tolist(),
                    strict=True))
