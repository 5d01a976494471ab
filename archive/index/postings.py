"""Facet postings persisted in the index, read lazily by each process.

Faceted lookup (:mod:`archive.index.lookup`) works on arrays: documents numbered by rank in id
order, passages by rank in (document id, position) order, and for each facet its rows (value,
document, passage) grouped by value (to select) and by document or passage (to count under a
mask). Computing them means reading every facet row, which took seconds per process at tens of
thousands of documents. They are computed once, at the end of each update of the index
(:func:`write_postings`, in the update's transaction), and stored as binary arrays in the
``postings`` table; a process reads the few it needs when it needs them (:class:`Postings`):
the document and passage orders at its first lookup, a facet's counting arrays at the first
count of that facet, and the documents of one value at the first selection of that value
(read as a slice of its facet's array, with SQLite's incremental blob reads).

An array is stored as its NumPy type (8 bytes, ``<i4`` padded) followed by its raw items.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from itertools import chain
from typing import Any

import numpy as np

from .db import Database, read_slice

#: Values whose documents (and passages) a process keeps, per facet.
VALUE_CACHE = 256
#: Full-text and date results kept per process (pages and facet toggles repeat them).
MATCH_CACHE = 64
_HEADER = 8
#: The name of a facet's array: the facet's name and the array's, apart.
_SEPARATOR = "\0"


def _name(facet: str, part: str) -> str:
    return f"{facet}{_SEPARATOR}{part}"


def _pack(array: np.ndarray) -> bytes:
    return array.dtype.str.encode("ascii").ljust(_HEADER, b"\0") + array.tobytes()


def _dtype(data: bytes) -> np.dtype[Any]:
    return np.dtype(data[:_HEADER].rstrip(b"\0").decode("ascii"))


def _unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_dtype(data), offset=_HEADER)


def _value_ids(count: int) -> type[np.unsignedinteger[Any]] | type[np.signedinteger[Any]]:
    """The smallest type of a facet's value numbers."""
    return np.uint16 if count <= 2**16 else np.int32


# --- written at the end of each update ---------------------------------------------------------

def write_postings(db: sqlite3.Connection) -> None:
    """Compute every array from the index's tables and store them (in the caller's
    transaction), replacing those of the previous update."""
    arrays: dict[str, np.ndarray | bytes] = {}
    docs = np.fromiter(chain.from_iterable(db.execute(
        "SELECT doc FROM documents ORDER BY id")), dtype=np.int64)
    doc_rank = np.full(int(docs.max(initial=0)) + 1, -1, dtype=np.int64)
    doc_rank[docs] = np.arange(len(docs))
    rows = np.fromiter(chain.from_iterable(db.execute(
        "SELECT passage, doc, position FROM passages")), dtype=np.int64).reshape(-1, 3)
    ranks_of_docs = doc_rank[rows[:, 1]]
    order = np.lexsort((rows[:, 2], ranks_of_docs))
    passage_of_rank = rows[order, 0]
    passage_rank = np.full(int(rows[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
    passage_rank[passage_of_rank] = np.arange(len(order))
    arrays["doc_of_rank"] = docs.astype(np.int32)
    arrays["passage_of_rank"] = passage_of_rank.astype(np.int32)
    arrays["passage_doc"] = ranks_of_docs[order].astype(np.int32)  # passage rank → doc rank
    # every value (numbered by facet, then value order), then every row, in one pass each
    keys: dict[str, list[tuple[int, str]]] = {}
    for key, facet, value in db.execute("SELECT key, facet, value FROM facet_keys"
                                        " WHERE count > 0 ORDER BY facet, value"):
        keys.setdefault(facet, []).append((key, value))
    names = list(keys)
    arrays["facets"] = _SEPARATOR.join(names).encode("utf-8")
    largest = max((key for found in keys.values() for key, _ in found), default=0)
    facet_of_key = np.full(largest + 1, -1, dtype=np.int64)
    value_of_key = np.zeros(largest + 1, dtype=np.int64)
    for number, name in enumerate(names):
        facet_of_key[[key for key, _ in keys[name]]] = number
        value_of_key[[key for key, _ in keys[name]]] = np.arange(len(keys[name]))
    table = np.fromiter(chain.from_iterable(db.execute(
        "SELECT key, doc, passage FROM facet_rows")), dtype=np.int64).reshape(-1, 3)
    table = table[table[:, 0] <= largest]
    facet_of_row = facet_of_key[table[:, 0]]
    for number, name in enumerate(names):
        mine = table[facet_of_row == number]
        ids = value_of_key[mine[:, 0]]
        order = np.lexsort((mine[:, 2], mine[:, 1], ids))  # by value, document, passage
        values = [value for _, value in keys[name]]
        counts = np.bincount(ids, minlength=len(values))
        numbers = mine[order][:, 1:]
        passages = np.full(len(numbers), -1, dtype=np.int64)
        known = (numbers[:, 1] > 0) & (numbers[:, 1] < len(passage_rank))
        passages[known] = passage_rank[numbers[known, 1]]
        value_ids = np.repeat(np.arange(len(values)), counts).astype(_value_ids(len(values)))
        ranks = doc_rank[numbers[:, 0]]
        arrays[_name(name, "values")] = _SEPARATOR.join(values).encode("utf-8")
        # grouped by value (the rows come in value order): to select
        arrays[_name(name, "offsets")] = np.concatenate(([0], np.cumsum(counts)))
        arrays[_name(name, "docs")] = ranks.astype(np.int32)
        if (passages >= 0).any():
            arrays[_name(name, "passages")] = passages.astype(np.int32)
        # grouped by document rank and by passage rank: to count under a mask
        for part, found, size in (("doc", ranks, len(docs)),
                                  ("passage", passages, len(passage_of_rank))):
            chosen = found >= 0
            if part == "passage" and not chosen.any():
                continue
            counter = Counter.of_rows(found[chosen], value_ids[chosen], size, len(values))
            arrays[_name(name, f"{part}_values")] = counter.value_ids
            arrays[_name(name, f"{part}_lengths")] = counter.lengths.astype(np.int32)
    db.execute("DELETE FROM postings")
    db.executemany("INSERT INTO postings (name, data) VALUES (?, ?)",
                   [(key, value if isinstance(value, bytes) else _pack(value))
                    for key, value in arrays.items()])


# --- read by each process ----------------------------------------------------------------------

class Counter:
    """A facet's value ids grouped by document (or passage) rank, to count them under a mask.

    The first count reads the rows one by one (:class:`_Rows`). The second splits the values
    in two, once: a value held by many ranks (at least one in :attr:`DENSE`), each once, is
    counted on a bitset of its ranks (a popcount of the bitset and the packed mask: a word for
    64 ranks, however many of them hold it), the other rows one by one — when the bitsets'
    values hold most rows (a year's documents: not a person's, whose many rare values keep
    most rows, so that making bitsets costs more than they save). A process that counts once
    (``archive facets``, the first lookup after a start) makes none.
    """

    #: A value held by at least this share of the ranks is counted on a bitset of them.
    DENSE = 1 / 64
    #: Share of the rows the values of bitsets must hold for bitsets to be made.
    WORTH = 0.75
    #: Rows read on the smaller side of a mask that cost about one word of a bitset.
    WORD_ROWS = 0.25

    def __init__(self, value_ids: np.ndarray, lengths: np.ndarray, values: int) -> None:
        self.value_ids, self.lengths = value_ids, lengths
        self.total = np.bincount(value_ids, minlength=values)
        self._parts: tuple[_Rows, _Rows, np.ndarray, np.ndarray] | None = None
        self._every: _Rows | None = None

    @classmethod
    def of_rows(cls, ranks: np.ndarray, value_ids: np.ndarray, size: int,
                values: int) -> Counter:
        """The counter of rows given as their ranks (below ``size``) and value ids (below
        ``values``), in any order."""
        order = np.argsort(ranks, kind="stable")
        return cls(value_ids[order], np.bincount(ranks, minlength=size), values)

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Rows per value among the ranks set in ``mask``."""
        if self._parts is None and self._every is None:  # the first count: row by row
            self._every = _Rows(self.value_ids, self.lengths, self.total, lambda: np.repeat(
                np.arange(len(self.lengths)), self.lengths))
            return self._every.counts(mask)
        every, rows, dense, bits = self._parts or self._split()
        if len(dense):
            # the bitsets are read whole, the rows only on the smaller side of the mask: with
            # few ranks set (or few not), the bitset values' rows are read instead
            share = np.count_nonzero(mask) / max(len(mask), 1)
            if min(share, 1 - share) * (len(every.value_ids) - len(rows.value_ids)) < (
                    self.WORD_ROWS * bits.size):
                return every.counts(mask)
        counts = rows.counts(mask)
        if len(dense):
            packed = np.zeros(bits.shape[1] * 8, dtype=np.uint8)
            packed[:(len(mask) + 7) // 8] = np.packbits(mask, bitorder="little")
            counts[dense] += np.bitwise_count(bits & packed.view(np.uint64)).sum(
                axis=1, dtype=np.int64)
        return counts

    def _split(self) -> tuple[_Rows, _Rows, np.ndarray, np.ndarray]:
        """(every row, the rows counted one by one beside the bitsets, the values counted on
        bitsets, their bitsets: one row of 64-bit words per value, bit ``r`` of a row set when
        rank ``r`` holds the value)."""
        size, values = len(self.lengths), self.value_ids
        words = (size + 63) // 64
        ranks = (self._every.ranks if self._every is not None and self._every.ranks is not None
                 else np.repeat(np.arange(size), self.lengths))
        every = self._every or _Rows(values, self.lengths, self.total, lambda: ranks)
        # a bitset counts ranks, so a row repeating a value of its rank is counted by itself:
        # those side by side in their run here, any other's value by the popcount below
        again = np.zeros(len(values), dtype=bool)
        again[1:] = (values[1:] == values[:-1]) & (ranks[1:] == ranks[:-1])
        once = self.total - np.bincount(values[again], minlength=len(self.total))
        dense_ids = np.flatnonzero(once >= max(size * self.DENSE, 1))
        if once[dense_ids].sum() < self.WORTH * len(values):  # not worth the bitsets
            return self._keep(every, every, dense_ids[:0], np.zeros((0, words), dtype=np.uint64))
        slot = np.full(len(self.total), -1, dtype=np.int64)
        slot[dense_ids] = np.arange(len(dense_ids))
        row_slot = slot[values]
        row_slot[again] = -1
        chosen = np.flatnonzero(row_slot >= 0)
        bits = np.zeros(len(dense_ids) * words, dtype=np.uint64)
        chosen_ranks = ranks[chosen]
        np.bitwise_or.at(bits, row_slot[chosen] * words + (chosen_ranks >> 6),
                         np.left_shift(np.uint64(1), (chosen_ranks & 63).astype(np.uint64)))
        table = bits.reshape(len(dense_ids), words)
        exact = np.bitwise_count(table).sum(axis=1) == once[dense_ids]
        rest = row_slot < 0  # the rows counted one by one
        rest[chosen] = ~exact[row_slot[chosen]]
        total = self.total.copy()
        total[dense_ids[exact]] -= once[dense_ids[exact]]
        lengths = self.lengths - np.bincount(chosen_ranks[~rest[chosen]], minlength=size)
        return self._keep(every, _Rows(values[rest], lengths, total, lambda: ranks[rest]),
                          dense_ids[exact], table[exact])

    def _keep(self, every: _Rows, rows: _Rows, dense: np.ndarray,
              bits: np.ndarray) -> tuple[_Rows, _Rows, np.ndarray, np.ndarray]:
        self._parts = (every, rows, dense, bits)
        return self._parts


class _Rows:
    """Value ids grouped by rank, counted row by row under a mask.

    The rows of the set entries of a mask are then runs, cheap to select, and when they are
    most of the rows the few others are counted instead and taken from the totals. With few
    rows per rank each row's rank is read in the mask, unless few ranks are set; with many,
    only the runs of the ranks set (or, when they hold most rows, of those not set) are read.
    """

    #: Rows per rank from which reading the runs beats reading each row's rank in the mask.
    RUNS = 16
    #: Share of the rows below which reading the runs of the ranks (set or not) beats
    #: repeating the mask over every row.
    FEW = 0.4
    #: Share of the ranks below which their runs are read even with few rows per rank.
    RARE = 0.1

    def __init__(self, value_ids: np.ndarray, lengths: np.ndarray, total: np.ndarray,
                 ranks: Callable[[], np.ndarray]) -> None:
        """:param total: the rows per value; :param ranks: each row's rank, when asked."""
        self.value_ids, self.lengths, self.total = value_ids, lengths, total
        #: Each row's rank (with few rows per rank only).
        self.ranks = None if len(value_ids) >= self.RUNS * len(lengths) else ranks()
        #: Where each rank's run starts.
        self.starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Rows per value among the ranks set in ``mask`` (a new array)."""
        if not len(self.value_ids):
            return np.zeros(len(self.total), dtype=np.int64)
        if self.ranks is not None and np.count_nonzero(mask) >= self.RARE * len(mask):
            rows = mask[self.ranks]
            if 2 * np.count_nonzero(rows) > len(rows):
                return self.total - np.bincount(self.value_ids[~rows],
                                                minlength=len(self.total))
            return np.bincount(self.value_ids[rows], minlength=len(self.total))
        chosen = np.flatnonzero(mask)
        lengths = self.lengths[chosen]
        share = int(lengths.sum()) / len(self.value_ids)
        if share < self.FEW or self.ranks is not None:
            return self._runs(chosen, lengths)
        if share > 1 - self.FEW:  # most rows: count the others', taken from the totals
            chosen = np.flatnonzero(~mask)
            counts: np.ndarray = self.total - self._runs(chosen, self.lengths[chosen])
            return counts
        # the share is known: the rows of the smaller side repeated from its ranks (no
        # count nor negation over every row)
        if share > 0.5:
            return self.total - np.bincount(
                self.value_ids[np.repeat(~mask, self.lengths)], minlength=len(self.total))
        return np.bincount(self.value_ids[np.repeat(mask, self.lengths)],
                           minlength=len(self.total))

    def _runs(self, chosen: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Rows per value in the runs of the ranks ``chosen`` (of these ``lengths``)."""
        ends = np.cumsum(lengths)
        # each chosen run's rows: its start, then one by one (an arange shifted per run)
        rows = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(
            self.starts[chosen] - (ends - lengths), lengths)
        return np.bincount(self.value_ids[rows], minlength=len(self.total))


class FacetPostings:
    """One facet's postings, read from the index as they are first needed: its values, the
    document and passage ranks of one value (to select), its counters (to count)."""

    def __init__(self, owner: Postings, name: str) -> None:
        self.owner, self.name = owner, name
        self._values: list[str] | None = None
        self._index: dict[str, int] = {}
        self._offsets: np.ndarray | None = None
        self._counters: dict[str, Counter | None] = {}
        self._selected: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()

    def values(self, db: Database) -> list[str]:
        """The facet's values, sorted: value id order is value order."""
        if self._values is None:
            data = self.owner.read(db, _name(self.name, "values"))
            values = data.decode("utf-8").split(_SEPARATOR) if data else []
            self._index = {value: number for number, value in enumerate(values)}
            self._values = values
        return self._values

    def numbers(self, db: Database) -> dict[str, int]:
        """Value → its number (its place in :meth:`values`)."""
        self.values(db)
        return self._index

    def ranks_of(self, db: Database, values: list[str], part: str) -> np.ndarray:
        """The document (``part="docs"``) or passage (``"passages"``, -1 for a row outside
        any passage) ranks of the rows holding any of ``values``."""
        self.values(db)
        if self._offsets is None:
            self._offsets = self.owner.array(db, _name(self.name, "offsets"))
        found = []
        for number in (self._index.get(value) for value in values):
            if number is None:
                continue
            key = (part, number)
            ranks = self._selected.get(key)
            if ranks is None:
                ranks = self.owner.slice(db, _name(self.name, part),
                                         int(self._offsets[number]),
                                         int(self._offsets[number + 1]))
            with self.owner.lock:
                self._selected[key] = ranks
                self._selected.move_to_end(key)
                if len(self._selected) > VALUE_CACHE:
                    self._selected.popitem(last=False)
            found.append(ranks)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int32)

    def counter(self, db: Database, part: str) -> Counter | None:
        """The facet's values grouped by ``part`` (``"doc"`` or ``"passage"``); None: no row
        of the facet is on a passage."""
        if part not in self._counters:
            values = self.owner.read(db, _name(self.name, f"{part}_values"))
            self._counters[part] = None if values is None else Counter(
                _unpack(values), self.owner.array(db, _name(self.name, f"{part}_lengths")),
                len(self.values(db)))
        return self._counters[part]


class Postings:
    """The index's facet postings and its document and passage orders, held per process for
    one generation of the index, read as they are first needed (see the module's text).

    Documents are numbered by rank in id order, passages by rank in (document id, position)
    order, so that the first set entries of a mask are the first rows to show. Every read goes
    through the connection of the lookup that needs it, inside its snapshot.
    """

    def __init__(self, db: Database) -> None:
        #: Bytes of postings read so far (what a test can check of the laziness).
        self.bytes_read = 0
        self.lock = threading.Lock()  # the viewer's threads share what is read
        docs = self.array(db, "doc_of_rank")
        self.doc_of_rank = docs
        self.doc_count = len(docs)
        self.doc_rank = np.full(int(docs.max(initial=0)) + 1, -1, dtype=np.int64)
        self.doc_rank[docs] = np.arange(len(docs))
        self.passage_of_rank = self.array(db, "passage_of_rank")
        self.passage_doc = self.array(db, "passage_doc")  # passage rank → document rank
        self.passage_count = len(self.passage_of_rank)
        self.passage_lengths = np.bincount(self.passage_doc, minlength=self.doc_count)
        self.passage_rank = np.full(int(self.passage_of_rank.max(initial=0)) + 1, -1,
                                    dtype=np.int64)
        self.passage_rank[self.passage_of_rank] = np.arange(self.passage_count)
        names = self.read(db, "facets")
        self.facets = {name: FacetPostings(self, name)
                       for name in (names.decode("utf-8").split(_SEPARATOR) if names else [])}
        self._totals: dict[str, list[tuple[str, int]]] = {}
        self._total_of: dict[str, dict[str, int]] = {}
        self._labels: dict[str, str] | None = None
        self.matches: OrderedDict[Any, np.ndarray] = OrderedDict()

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

    def read(self, db: Database, name: str) -> bytes | None:
        """The stored array ``name`` whole, or None."""
        row = db.execute("SELECT data FROM postings WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        data: bytes = row[0]
        self.bytes_read += len(data)
        return data

    def array(self, db: Database, name: str) -> np.ndarray:
        """The stored array ``name`` (empty when there is none)."""
        data = self.read(db, name)
        return np.zeros(0, dtype=np.int32) if data is None else _unpack(data)

    def slice(self, db: Database, name: str, start: int, end: int) -> np.ndarray:
        """Items ``start`` to ``end`` of the stored array ``name``, read alone."""
        head = read_slice(db, "postings", "data", "name", name, 0, _HEADER)
        if head is None or end <= start:
            return np.zeros(0, dtype=np.int32)
        dtype = _dtype(head)
        data = read_slice(db, "postings", "data", "name", name,
                          _HEADER + start * dtype.itemsize, (end - start) * dtype.itemsize)
        assert data is not None  # (read in the same snapshot as its head)
        self.bytes_read += len(data)
        return np.frombuffer(data, dtype=dtype)

    def totals(self, db: Database, facet: str) -> list[tuple[str, int]]:
        """A facet's values with nothing selected, most frequent first (ties in value order)."""
        found = self._totals.get(facet)
        if found is None:
            found = self._totals[facet] = db.execute(
                "SELECT value, count FROM facet_totals WHERE facet = ?"
                " ORDER BY count DESC, value", (facet,)).fetchall()
        return found

    def total_of(self, db: Database, facet: str) -> dict[str, int]:
        """A facet's values with nothing selected: value → count."""
        found = self._total_of.get(facet)
        if found is None:
            found = self._total_of[facet] = dict(self.totals(db, facet))
        return found

    def labels(self, db: Database) -> dict[str, str]:
        """Registry id → preferred name (see archive.index.facets.registry_labels)."""
        if self._labels is None:
            self._labels = dict(db.execute("SELECT value, label FROM labels"))
        return self._labels

    def docs_of(self, passage_mask: np.ndarray) -> np.ndarray:
        """The documents holding a passage set in ``passage_mask``."""
        mask = np.zeros(self.doc_count, dtype=bool)
        mask[self.passage_doc[np.flatnonzero(passage_mask)]] = True
        return mask

    def passages_of(self, doc_mask: np.ndarray) -> np.ndarray:
        """The passages of the documents set in ``doc_mask`` (passages are in document order)."""
        return np.repeat(doc_mask, self.passage_lengths)
