"""Facet postings persisted in the index, read lazily by each process.

Faceted lookup (:mod:`archive.index.lookup`) works on arrays: documents numbered by rank in id
order, passages by rank in (document id, position) order, and for each facet its rows (value,
document, passage) grouped by value (to select) and by document or passage (to count under a
mask). Computing them means reading every facet row, which took seconds per process at tens of
thousands of documents. They are computed by the updates of the index (:func:`write_postings`,
in the update's transaction), and stored as binary arrays in the ``postings`` table; a process
reads the few it needs when it needs them (:class:`Postings`): the document and passage orders
at its first lookup, a facet's counting arrays at the first count of that facet, and the
documents of one value at the first selection of that value (read as a slice of its facet's
array, with SQLite's incremental blob reads).

The arrays are kept in segments, as a search engine keeps its index (Lucene's): a rebuild
writes one base segment of every document; an update that changes k documents adds a small
segment of the k documents it added, with the numbers of the documents it deleted (from the
segments before it), so that its cost is that of k documents, not of the archive's. Each
segment has its own ranks; a process merges them when it reads them (the documents in id order,
each one's passages and rows taken as runs of its segment's). Small segments are merged as they
come (two of like size into one), and once they hold a quarter of the base's documents the base
is written anew, whole. A segment is never changed once written (its arrays' names carry its
number), so that publishing an update to PostgreSQL copies its new segments alone; the list of
the live segments (``segments``) is the one row that changes. Beside them each segment stores
the entities and years named in its passages, from which an entity page counts its companions
and its timeline (:class:`Beside`).

An array is stored as its NumPy type (8 bytes, ``<i4`` padded) followed by its raw items.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from . import facetrows, passagerows
from .db import Database, read_slice
from .version import SEGMENTS


def _counting_loop() -> Callable[..., None] | None:
    """The C counting loop (archive/index/_counting.c), an optional extension; None: it was
    not built (no C compiler at install), NumPy alone counts, to the same counts."""
    try:
        from ._counting import count_runs
    except ImportError:
        return None
    return count_runs


_count_runs = _counting_loop()

#: Values whose documents (and passages) a process keeps, per facet.
VALUE_CACHE = 256
#: Full-text and date results kept per process (pages and facet toggles repeat them), and
#: the bytes they may hold together (a common word's passages: tens of megabytes at EEBO's scale).
MATCH_CACHE = 64
MATCH_BYTES = 256 * 2**20
_HEADER = 8
#: The name of a stored array: its segment's number, its facet's name and its own, apart.
_SEPARATOR = "\0"
#: Segments merged into one when the earlier weighs at most this many times the later.
MERGE_RATIO = 2
#: The base is written anew once the other segments weigh this share of it.
REBASE_SHARE = 0.25


def _name(*parts: str) -> str:
    return _SEPARATOR.join(parts)


def _pack(array: np.ndarray) -> bytes:
    return array.dtype.str.encode("ascii").ljust(_HEADER, b"\0") + array.tobytes()


def _dtype(data: bytes) -> np.dtype[Any]:
    return np.dtype(data[:_HEADER].rstrip(b"\0").decode("ascii"))


def _unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=_dtype(data), offset=_HEADER)


def _words(data: bytes | None) -> list[str]:
    """Names stored joined by the separator (facets, values, ids)."""
    return data.decode("utf-8").split(_SEPARATOR) if data else []


def _value_ids(count: int) -> type[np.unsignedinteger[Any]] | type[np.signedinteger[Any]]:
    """The smallest type of a facet's value numbers."""
    return np.uint16 if count <= 2**16 else np.int32


def _runs(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions of runs given by their starts and lengths, one run after the other."""
    ends = np.cumsum(lengths)
    runs: np.ndarray = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(
        starts - (ends - lengths), lengths)
    return runs


def _starts(lengths: np.ndarray) -> np.ndarray:
    """Where each run of these lengths starts, the runs laid one after the other."""
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return starts


# --- written by each update --------------------------------------------------------------------

@dataclass(frozen=True)
class Changes:
    """The documents an update changed, by number: those it deleted (numbered as they were: a
    changed document is deleted, then added anew) and those it added."""

    deleted: Sequence[int]
    added: Sequence[int]


def write_postings(db: sqlite3.Connection, changes: Changes | None = None) -> None:
    """Store the postings of the index's tables, in the caller's transaction: a base segment of
    every document (``changes`` None: a rebuild, or postings not in step with the tables), or a
    segment of the documents ``changes`` added (merged with the last segments where they weigh
    little more; the base written anew when they weigh a share of it: see the module's text)."""
    segments = _manifest(db)
    if changes is None or not segments:
        _write_base(db)
        return
    added, deleted = set(changes.added), set(changes.deleted)
    if not added and not deleted:
        return
    merged = []
    while len(segments) > 1 and segments[-1][1] <= MERGE_RATIO * (len(added) + len(deleted)):
        number, _ = segments.pop()  # its documents that are still there join this segment
        added |= set(_stored(db, _name(number, "doc_of_rank")).tolist()) - deleted
        deleted |= set(_stored(db, _name(number, "deleted")).tolist())
        merged.append(number)
    weight = len(added) + len(deleted)
    if sum(part for _, part in segments[1:]) + weight > REBASE_SHARE * max(segments[0][1], 1):
        _write_base(db)
        return
    number = _new_number(segments)
    arrays = _segment_arrays(db, sorted(added))
    arrays["deleted"] = np.array(sorted(deleted), dtype=np.int64)
    for old in merged:
        db.execute("DELETE FROM postings WHERE name > ? AND name < ?",
                   (old + _SEPARATOR, old + "\x01"))
    _store(db, number, arrays, [*segments, (number, weight)])


def _write_base(db: sqlite3.Connection) -> None:
    """One segment of every document, in the place of every stored one."""
    number = _new_number(_manifest(db) or [])
    arrays = _segment_arrays(db, None)
    db.execute("DELETE FROM postings")
    _store(db, number, arrays, [(number, len(arrays["doc_of_rank"]))])


def _manifest(db: Database) -> list[tuple[str, int]] | None:
    """The live segments' numbers and weights, the base first (None: none stored)."""
    row = db.execute("SELECT data FROM postings WHERE name = ?", (SEGMENTS,)).fetchone()
    if row is None:
        return None
    pairs = _unpack(bytes(row[0])).reshape(-1, 2)
    return [(str(int(number)), int(weight)) for number, weight in pairs]


def _new_number(segments: list[tuple[str, int]]) -> str:
    """A segment's number: never one of an earlier segment, of this index or of another one
    published to the same database (the time, in nanoseconds)."""
    return str(max([time.time_ns(), *(int(number) + 1 for number, _ in segments)]))


def _stored(db: sqlite3.Connection, name: str) -> np.ndarray:
    row = db.execute("SELECT data FROM postings WHERE name = ?", (name,)).fetchone()
    return np.zeros(0, dtype=np.int64) if row is None else _unpack(row[0])


def _store(db: sqlite3.Connection, number: str, arrays: dict[str, np.ndarray | bytes],
           segments: list[tuple[str, int]]) -> None:
    db.executemany("INSERT INTO postings (name, data) VALUES (?, ?)",
                   [(_name(number, key), value if isinstance(value, bytes) else _pack(value))
                    for key, value in arrays.items()])
    db.execute("INSERT OR REPLACE INTO postings (name, data) VALUES (?, ?)",
               (SEGMENTS, _pack(np.array([(int(number), weight) for number, weight in segments],
                                         dtype=np.int64))))


def _segment_arrays(db: sqlite3.Connection, docs: list[int] | None,
                    ) -> dict[str, np.ndarray | bytes]:
    """The arrays of one segment: of the documents ``docs`` (None: of every document), ranked
    among themselves."""
    within = ""
    if docs is not None:  # (a temporary table: this connection's alone, never published)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS postings_docs (doc INTEGER PRIMARY KEY)")
        db.execute("DELETE FROM temp.postings_docs")
        db.executemany("INSERT INTO temp.postings_docs VALUES (?)", ((doc,) for doc in docs))
        within = " doc IN (SELECT doc FROM temp.postings_docs)"
    where = f" WHERE{within}" if within else ""
    arrays: dict[str, np.ndarray | bytes] = {}
    numbered = db.execute(f"SELECT doc, id FROM documents{where} ORDER BY id").fetchall()
    docs_found = np.array([doc for doc, _ in numbered], dtype=np.int64)
    doc_rank = np.full(int(docs_found.max(initial=0)) + 1, -1, dtype=np.int64)
    doc_rank[docs_found] = np.arange(len(docs_found))
    rows = passagerows.ranges(db, within)  # passage, doc, position
    ranks_of_docs = doc_rank[rows[:, 1]]
    order = np.lexsort((rows[:, 2], ranks_of_docs))
    passage_of_rank = rows[order, 0]
    passage_rank = np.full(int(rows[:, 0].max(initial=0)) + 1, -1, dtype=np.int64)
    passage_rank[passage_of_rank] = np.arange(len(order))
    arrays["doc_of_rank"] = docs_found.astype(np.int32)
    arrays["ids"] = _SEPARATOR.join(doc_id for _, doc_id in numbered).encode("utf-8")
    arrays["passage_of_rank"] = passage_of_rank.astype(np.int32)
    arrays["passage_doc"] = ranks_of_docs[order].astype(np.int32)  # passage rank → doc rank
    # every row (each document's record unpacked: archive.index.facetrows), then every value
    # (numbered by facet, then value order), in one pass each
    table = facetrows.rows(db, where)  # key, doc, passage
    keys: dict[str, list[tuple[int, str]]] = {}
    for key, facet, value in db.execute(
            "SELECT key, facet, value FROM facet_keys WHERE "
            + ("key IN (SELECT value FROM json_each(?))" if within else "count > 0")
            + " ORDER BY facet, value",
            (json.dumps(np.unique(table[:, 0]).tolist()),) if within else ()):
        keys.setdefault(facet, []).append((key, value))
    names = list(keys)
    arrays["facets"] = _SEPARATOR.join(names).encode("utf-8")
    largest = max((key for found in keys.values() for key, _ in found), default=0)
    facet_of_key = np.full(largest + 1, -1, dtype=np.int64)
    value_of_key = np.zeros(largest + 1, dtype=np.int64)
    for number, name in enumerate(names):
        facet_of_key[[key for key, _ in keys[name]]] = number
        value_of_key[[key for key, _ in keys[name]]] = np.arange(len(keys[name]))
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
        for part, found, size in (("doc", ranks, len(docs_found)),
                                  ("passage", passages, len(passage_of_rank))):
            chosen = found >= 0
            if part == "passage" and not chosen.any():
                continue
            counter = Counter.of_rows(found[chosen], value_ids[chosen], size, len(values))
            arrays[_name(name, f"{part}_values")] = counter.value_ids
            arrays[_name(name, f"{part}_lengths")] = counter.lengths.astype(np.int32)
    arrays.update(_beside_arrays(db, within))
    return arrays


#: The year of a date mention, where its first given date starts with four digits.
_YEAR_OF = 'coalesce("when", "from", not_before, "to", not_after)'


def _beside_arrays(db: sqlite3.Connection, within: str) -> dict[str, np.ndarray | bytes]:
    """The arrays of :class:`Beside` (of the documents ``within`` selects, or of all): every
    distinct (passage, entity, type) of the mentions that name an entity in a passage, in that
    order; and (passage, year) of the dated mentions of a passage. Each mention key's entity,
    type and year read once, then the mentions' (passage, key) numbers in one pass (no SQL
    DISTINCT: its sort took longer; no join of each mention to its key)."""
    found = [(key, ref, kind, year) for key, ref, kind, year in db.execute(
        f"SELECT key, ref, type, CASE WHEN type = 'date' AND {_YEAR_OF}"
        f" GLOB '[0-9][0-9][0-9][0-9]*' THEN CAST(substr({_YEAR_OF}, 1, 4) AS INTEGER) END"
        " FROM mention_keys WHERE ref IS NOT NULL OR type = 'date'")]
    size = max((key for key, *_ in found), default=0) + 1
    ref_of, type_of, year_of = (np.full(size, -1, dtype=np.int64) for _ in range(3))
    refs = sorted({ref for _, ref, _, _ in found if ref is not None})
    types = sorted({kind for _, ref, kind, _ in found if ref is not None})
    ref_number = {ref: number for number, ref in enumerate(refs)}
    type_number = {kind: number for number, kind in enumerate(types)}
    for key, ref, kind, year in found:
        if ref is not None:
            ref_of[key], type_of[key] = ref_number[ref], type_number[kind]
        if year is not None:
            year_of[key] = year
    rows = np.fromiter(chain.from_iterable(db.execute(
        "SELECT passage, key FROM mention_rows WHERE passage > 0"
        + (f" AND{within}" if within else ""))), dtype=np.int64).reshape(-1, 2)
    keys = np.minimum(rows[:, 1], size - 1)  # (a key past the last found names nothing)
    known = rows[:, 1] < size
    named_rows = known & (ref_of[keys] >= 0)
    named = np.unique(np.column_stack((rows[named_rows, 0], ref_of[keys[named_rows]],
                                       type_of[keys[named_rows]])), axis=0)
    # the entities and types of these documents alone, numbered in name order
    used_refs, named[:, 1] = np.unique(named[:, 1], return_inverse=True)
    used_types, named[:, 2] = np.unique(named[:, 2], return_inverse=True)
    dated_rows = known & (year_of[keys] >= 0)
    return {"beside_refs": _SEPARATOR.join(refs[int(n)] for n in used_refs).encode("utf-8"),
            "beside_types": _SEPARATOR.join(types[int(n)] for n in used_types).encode("utf-8"),
            "beside_passages": named[:, 0].astype(np.int32),
            "beside_ids": named[:, 1].astype(np.int32),
            "beside_type_ids": named[:, 2].astype(np.int8),
            "beside_date_passages": rows[dated_rows, 0].astype(np.int32),
            "beside_years": year_of[keys[dated_rows]].astype(np.int16)}


# --- read by each process ----------------------------------------------------------------------

def mask_of(ranks: np.ndarray, size: int) -> np.ndarray:
    """A mask of ``size`` entries with those at ``ranks`` set."""
    mask = np.zeros(size, dtype=bool)
    mask[ranks] = True
    return mask


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
    #: Ranks given (:meth:`counts_at`) are counted as a mask from one in this many ranks (below
    #: it their runs cost less than a pass of the C loop over a mask of every rank).
    SPARSE = 64

    def __init__(self, value_ids: np.ndarray, lengths: np.ndarray, values: int) -> None:
        self.value_ids, self.lengths = value_ids, lengths
        self.total = np.bincount(value_ids, minlength=values)
        self._parts: tuple[_Rows, _Rows, np.ndarray, np.ndarray] | None = None
        self._every: _Rows | None = None
        self._run_starts: np.ndarray | None = None

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

    def counts_at(self, ranks: np.ndarray) -> np.ndarray:
        """Rows per value of the ranks ``ranks`` (each once): their runs read alone when they
        are few (a word's passages among millions), else as :meth:`counts` of their mask."""
        size = len(self.lengths)
        if self.many(len(ranks), size):
            return self.counts(mask_of(ranks, size))
        if self._run_starts is None:
            self._run_starts = _starts(self.lengths)
        rows = _runs(self._run_starts[ranks], self.lengths[ranks])
        return np.bincount(self.value_ids[rows], minlength=len(self.total))

    @classmethod
    def many(cls, count: int, size: int) -> bool:
        """Whether ``count`` ranks of ``size`` are many: counted (or kept) as a mask of every
        rank rather than as their own runs (or list)."""
        return count * cls.SPARSE > size

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
    most of the rows the few others are counted instead and taken from the totals. The C loop
    (``archive.index._counting``, where it was built) counts them in one pass over the runs,
    4-5 times as fast as NumPy's passes over temporary arrays (at 60,000 documents a person
    facet's 2.2 million rows under half the documents: 0.9 ms against 4.2). NumPy's
    (:meth:`numpy_counts`): with few rows per rank each row's rank is read in the mask, unless
    few ranks are set; with many, only the runs of the ranks set (or, when they hold most rows,
    of those not set) are read.
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
        self.value_ids, self.lengths = value_ids, lengths
        self.total = total.astype(np.int64, copy=False)
        #: The C loop, for value ids of the types it reads (those :func:`_value_ids` gives).
        self.loop = _count_runs if value_ids.dtype in (np.uint16, np.int32) else None
        self._ranks = ranks
        #: Few rows per rank: NumPy reads each row's rank in the mask (see numpy_counts).
        self.few = len(value_ids) < self.RUNS * len(lengths)
        #: Each row's rank (with few rows per rank, made by NumPy's first count).
        self.ranks: np.ndarray | None = None
        #: Where each rank's run starts.
        self.starts = _starts(lengths)

    def counts(self, mask: np.ndarray) -> np.ndarray:
        """Rows per value among the ranks set in ``mask`` (a new array)."""
        if self.loop is None or not len(self.value_ids):
            return self.numpy_counts(mask)
        counts = np.empty(len(self.total), dtype=np.int64)
        self.loop(np.ascontiguousarray(self.value_ids), self.starts,
                  np.ascontiguousarray(mask, dtype=bool), self.total, counts)
        return counts

    def numpy_counts(self, mask: np.ndarray) -> np.ndarray:
        """:meth:`counts` in NumPy alone (without the C loop)."""
        if self.few and self.ranks is None:
            self.ranks = self._ranks()
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
        rows = _runs(self.starts[chosen], lengths)
        return np.bincount(self.value_ids[rows], minlength=len(self.total))


class _Segment:
    """One stored segment as a process reads it first: its documents (numbers, in id order),
    how many passages it holds (the passages' arrays are read by :class:`Passages`, at the
    first need), the documents it deleted from the segments before it, and the names of its
    facets."""

    def __init__(self, owner: Postings, db: Database, number: str) -> None:
        self.number = number
        self.docs = owner.array(db, _name(number, "doc_of_rank"))
        self.passage_count = owner.length(db, _name(number, "passage_of_rank"))
        self.deleted = owner.array(db, _name(number, "deleted"))
        self.facets = set(_words(owner.read(db, _name(number, "facets"))))


class FacetPostings:
    """One facet's postings, read from the index as they are first needed: its values, the
    document and passage ranks of one value (to select), its counters (to count); those of
    each segment holding the facet, their values numbered among all (a value whose documents
    are all deleted keeps its number, counted 0)."""

    def __init__(self, owner: Postings, name: str, parts: list[int]) -> None:
        self.owner, self.name, self.parts = owner, name, parts
        self._values: list[str] | None = None
        self._index: dict[str, int] = {}
        #: Per segment holding the facet: value → its number there, and theirs → ours.
        self._local: dict[int, dict[str, int]] = {}
        self._maps: dict[int, np.ndarray | None] = {}
        self._offsets: dict[int, np.ndarray] = {}
        self._counters: dict[str, Counter | None] = {}
        self._selected: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    def _stored(self, part: int, name: str) -> str:
        return _name(self.owner.segments[part].number, self.name, name)

    def values(self, db: Database) -> list[str]:
        """The facet's values, sorted: value id order is value order."""
        if self._values is None:
            found = {part: _words(self.owner.read(db, self._stored(part, "values")))
                     for part in self.parts}
            first, *rest = self.parts  # (the base, where it holds the facet: the most values)
            known = dict(zip(found[first], range(len(found[first])), strict=True))
            new = sorted({value for part in rest for value in found[part]
                          if value not in known})
            values = found[first]
            self._maps[first] = None
            if new:  # the first segment's numbers moved past the new values before each
                places = np.array([bisect_left(values, value) for value in new])
                self._maps[first] = np.arange(len(values)) + np.searchsorted(
                    places, np.arange(len(values)), side="right")
                values = sorted(values + new)
            index = dict(zip(values, range(len(values)), strict=True)) if new else known
            self._local[first] = known
            for part in rest:
                local = found[part]
                self._local[part] = dict(zip(local, range(len(local)), strict=True))
                self._maps[part] = np.array([index[value] for value in local],
                                            dtype=np.int64)
            self._index = index
            self._values = values
        return self._values

    def numbers(self, db: Database) -> dict[str, int]:
        """Value → its number (its place in :meth:`values`)."""
        self.values(db)
        return self._index

    def ranks_of(self, db: Database, values: list[str], part: str) -> np.ndarray:
        """The document (``part="docs"``) or passage (``"passages"``) ranks of the rows holding
        any of ``values`` (a row outside any passage: -1, or left out)."""
        self.values(db)
        found = []
        for value in values:
            if value not in self._index:
                continue
            key = (part, value)
            ranks = self._selected.get(key)
            if ranks is None:
                ranks = self._read_ranks(db, value, part)
            with self.owner.lock:
                self._selected[key] = ranks
                self._selected.move_to_end(key)
                if len(self._selected) > VALUE_CACHE:
                    self._selected.popitem(last=False)
            found.append(ranks)
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int32)

    def _read_ranks(self, db: Database, value: str, part: str) -> np.ndarray:
        """A value's ranks, read as a slice of each segment's array."""
        found = []
        for segment in self.parts:
            number = self._local[segment].get(value)
            if number is None:
                continue
            offsets = self._offsets.get(segment)
            if offsets is None:
                offsets = self._offsets[segment] = self.owner.array(
                    db, self._stored(segment, "offsets"))
            local = self.owner.slice(db, self._stored(segment, part), int(offsets[number]),
                                     int(offsets[number + 1]))
            found.append(self.owner.ranks_in(db, segment, local, part))
        return found[0] if len(found) == 1 else (
            np.concatenate(found) if found else np.zeros(0, dtype=np.int32))

    def counter(self, db: Database, part: str) -> Counter | None:
        """The facet's values grouped by ``part`` (``"doc"`` or ``"passage"``); None: no row
        of the facet is on a passage."""
        if part not in self._counters:
            self._counters[part] = self._counter(db, part)
        return self._counters[part]

    def _counter(self, db: Database, part: str) -> Counter | None:
        owner, count = self.owner, len(self.values(db))
        if owner.order is None:  # one segment, every document there: its counter as stored
            values = owner.read(db, self._stored(0, f"{part}_values"))
            return None if values is None else Counter(
                _unpack(values), owner.array(db, self._stored(0, f"{part}_lengths")), count)
        # each segment's rows (value ids, grouped by its own ranks), numbered among all
        ids: list[np.ndarray | None] = []
        lengths: list[np.ndarray] = []
        kind = _value_ids(count)
        for number, segment in enumerate(owner.segments):
            stored = (owner.read(db, self._stored(number, f"{part}_values"))
                      if number in self._maps else None)
            if stored is None:
                ids.append(None)
                lengths.append(np.zeros(len(segment.docs) if part == "doc"
                                        else segment.passage_count, dtype=np.int64))
                continue
            local = _unpack(stored)
            mapping = self._maps[number]
            ids.append((local if mapping is None else mapping[local]).astype(kind, copy=False))
            lengths.append(owner.array(db, self._stored(number, f"{part}_lengths")))
        if all(found is None for found in ids):
            return None
        rows, ranked = owner.in_rank_order(db, ids, lengths, part)
        return Counter(rows, ranked, count)


class Beside:
    """What is named beside an entity, from the arrays of :func:`_beside_arrays`: the entities
    and the years of the dates named in the passages that name it (an entity page's companions
    and timeline), without joining the mentions to themselves. Each segment's rows of the
    documents still there, its entities and types numbered among all."""

    def __init__(self, index: Postings, db: Database) -> None:
        refs = [_words(index.read(db, _name(s.number, "beside_refs"))) for s in index.segments]
        types = [_words(index.read(db, _name(s.number, "beside_types")))
                 for s in index.segments]
        self.refs = sorted(set().union(*refs))
        self.types = sorted(set().union(*types))
        self.number = {ref: number for number, ref in enumerate(self.refs)}
        type_number = {kind: number for number, kind in enumerate(self.types)}
        parts: dict[str, list[np.ndarray]] = {
            "passages": [], "ids": [], "type_ids": [], "date_passages": [], "years": []}
        for number, segment in enumerate(index.segments):
            arrays = {part: index.array(db, _name(segment.number, f"beside_{part}"))
                      for part in parts}
            named = index.passages_there(db, number, arrays["passages"])
            dated = index.passages_there(db, number, arrays["date_passages"])
            ids = np.array([self.number[ref] for ref in refs[number]], dtype=np.int64)
            kinds = np.array([type_number[kind] for kind in types[number]], dtype=np.int64)
            parts["passages"].append(arrays["passages"][named])
            parts["ids"].append(ids[arrays["ids"][named]])
            parts["type_ids"].append(kinds[arrays["type_ids"][named]])
            parts["date_passages"].append(arrays["date_passages"][dated])
            parts["years"].append(arrays["years"][dated])
        whole = {part: np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
                 for part, found in parts.items()}
        self.passages, self.ids = whole["passages"], whole["ids"]
        self.type_ids, self.date_passages = whole["type_ids"], whole["date_passages"]
        self.years = whole["years"]
        # the first row of each (passage, entity): the rows are in (passage, entity) order in
        # each segment, and a passage's rows are all in one segment
        self.first = np.ones(len(self.passages), dtype=bool)
        self.first[1:] = ((self.passages[1:] != self.passages[:-1])
                          | (self.ids[1:] != self.ids[:-1]))
        self.size = int(max(self.passages.max(initial=0),
                            self.date_passages.max(initial=0))) + 1

    def mask(self, ref: str) -> np.ndarray | None:
        """The passages that name ``ref`` (None: none does)."""
        number = self.number.get(ref)
        if number is None:
            return None
        mask = np.zeros(self.size, dtype=bool)
        mask[self.passages[self.ids == number]] = True
        return mask

    def companions(self, ref: str, limit: int) -> list[tuple[str, str, int]]:
        """(entity, its least type there, passages) of the ``limit`` entities other than
        ``ref`` and not dates named in most passages that name ``ref`` (ties by entity)."""
        mask = self.mask(ref)
        if mask is None:
            return []
        chosen = mask[self.passages]
        if "date" in self.types:
            chosen &= self.type_ids != self.types.index("date")
        chosen[self.ids == self.number[ref]] = False
        ids = self.ids[chosen]
        counts = np.bincount(ids[self.first[chosen]], minlength=len(self.refs))
        least = np.full(len(self.refs), len(self.types), dtype=np.int64)
        np.minimum.at(least, ids, self.type_ids[chosen])
        found = np.flatnonzero(counts)
        order = found[np.lexsort((found, -counts[found]))][:limit]  # refs are numbered in order
        return [(self.refs[i], self.types[least[i]], int(counts[i])) for i in order]

    def years_beside(self, ref: str) -> list[tuple[int, int]]:
        """(year, dates) of the dates named in the passages that name ``ref``, by year."""
        mask = self.mask(ref)
        if mask is None:
            return []
        years, counts = np.unique(self.years[mask[self.date_passages]], return_counts=True)
        return [(int(year), int(count)) for year, count in zip(years, counts, strict=True)]


class Passages:
    """The passages of the documents still there, numbered by rank in (document id, position)
    order: each rank's passage number (:attr:`of_rank`) and document rank (:attr:`doc`), each
    document's count (:attr:`lengths`), a passage number's rank (:meth:`ranks`).

    Made at the first lookup that needs passages (a passage facet, full text), not with the
    documents' order: millions of passages at EEBO's scale, whose arrays took seconds to make
    for a lookup of document facets. With one segment whose documents are all there, they are
    the segment's own arrays as stored (nothing made per passage); else each document's
    passages are put in its rank's place (``order``: the combined number of each rank;
    ``combined_rank``: each combined number's rank, -1 for those of a deleted document).
    """

    def __init__(self, owner: Postings, db: Database) -> None:
        segments = owner.segments
        #: Each segment's passage numbers, by its own rank.
        self.stored = [owner.array(db, _name(s.number, "passage_of_rank")) for s in segments]
        docs_of = [owner.array(db, _name(s.number, "passage_doc")) for s in segments]
        # (a segment's passages are in its documents' order: their counts by bisection)
        lengths = [np.diff(np.searchsorted(found, np.arange(len(s.docs) + 1, dtype=found.dtype)))
                   for found, s in zip(docs_of, segments, strict=True)]
        self.order: np.ndarray | None = None
        self.combined_rank = np.zeros(0, dtype=np.int32)
        if owner.order is None:  # one segment, every document there: ranked as stored
            self.of_rank = self.stored[0] if segments else np.zeros(0, dtype=np.int32)
            self.doc = docs_of[0] if segments else np.zeros(0, dtype=np.int32)
            self.lengths = lengths[0] if segments else np.zeros(0, dtype=np.int64)
        else:
            every = np.concatenate(lengths)
            ranked = every[owner.order]
            # (4 bytes an item: a passage's arrays are the largest a process holds)
            order = self.order = _runs(_starts(every)[owner.order], ranked).astype(np.int32)
            self.combined_rank = np.full(int(every.sum()), -1, dtype=np.int32)
            self.combined_rank[order] = np.arange(len(order), dtype=np.int32)
            self.of_rank = np.concatenate(self.stored)[order]
            self.lengths = ranked
            self.doc = np.repeat(np.arange(len(ranked), dtype=np.int32), ranked)
        self.count = len(self.of_rank)
        self._rank: np.ndarray | None = None
        self._sorted: bool | None = None

    def ranks(self, numbers: np.ndarray) -> np.ndarray:
        """The ranks of passage ``numbers`` (-1: not a passage of a document there). Passages
        numbered in rank order (a rebuild's) are found by bisection, or by subtraction where
        they follow one another (a rebuild's of every passage); else through an array of each
        number's rank, made at the first need."""
        numbers = np.asarray(numbers, dtype=np.int64)
        of_rank = self.of_rank
        if self._sorted is None:
            self._sorted = bool((of_rank[1:] > of_rank[:-1]).all())
        ranks = np.full(len(numbers), -1, dtype=np.int64)
        if not self.count:
            return ranks
        if self._sorted and int(of_rank[-1]) - int(of_rank[0]) == self.count - 1:
            known = (numbers >= of_rank[0]) & (numbers <= of_rank[-1])
            ranks[known] = numbers[known] - of_rank[0]
            return ranks
        if self._sorted:
            known = (numbers >= of_rank[0]) & (numbers <= of_rank[-1])
            at = np.searchsorted(of_rank, numbers[known].astype(of_rank.dtype))
            found = of_rank[at] == numbers[known]
            ranks[np.flatnonzero(known)[found]] = at[found]
            return ranks
        if self._rank is None:
            rank = np.full(int(of_rank.max()) + 1, -1, dtype=np.int32)
            rank[of_rank] = np.arange(self.count, dtype=np.int32)
            self._rank = rank
        known = (numbers >= 0) & (numbers < len(self._rank))
        ranks[known] = self._rank[numbers[known]]
        return ranks

    def docs_at(self, ranks: np.ndarray) -> np.ndarray:
        """The documents (a mask of their ranks) holding one of the passages ``ranks``."""
        return mask_of(self.doc[ranks], len(self.lengths))

    def per_document(self, ranks: np.ndarray) -> np.ndarray:
        """How many of the passages ``ranks`` each document (by rank) holds."""
        return np.bincount(self.doc[ranks], minlength=len(self.lengths))

    def within(self, ranks: np.ndarray, doc_mask: np.ndarray,
               per_document: np.ndarray | None = None) -> np.ndarray:
        """The passages ``ranks`` (in order, each once) of the documents set in ``doc_mask``.

        Ranks in order are grouped by document, so that a document's are a run of them, of
        the length :meth:`per_document` gives (given here when it is known): those of the
        documents set are read as runs, in the time of the documents and of the passages
        kept, not of every passage of the archive.
        """
        if per_document is None:
            per_document = self.per_document(ranks)
        chosen = np.flatnonzero(doc_mask & (per_document > 0))
        found: np.ndarray = ranks[_runs(_starts(per_document)[chosen], per_document[chosen])]
        return found

    def passages_of(self, doc_mask: np.ndarray) -> np.ndarray:
        """The passages of the documents set in ``doc_mask`` (passages are in document order)."""
        return np.repeat(doc_mask, self.lengths)


class Postings:
    """The index's facet postings and its document and passage orders, held per process for
    one generation of the index, read as they are first needed (see the module's text).

    Documents are numbered by rank in id order, passages by rank in (document id, position)
    order, so that the first set entries of a mask are the first rows to show. The segments'
    documents and passages are numbered together ("combined": one segment's after the
    other's); ``order`` gives the combined number of each document rank (None: one segment
    whose documents are all there, numbered as ranked), :meth:`passages` the passages' arrays,
    made at the first need. Every read goes through the connection of the lookup that needs
    it, inside its snapshot.
    """

    def __init__(self, db: Database) -> None:
        #: Bytes of postings read so far (what a test can check of the laziness).
        self.bytes_read = 0
        #: The viewer's threads share what is read (reentrant: the arrays beside the entities
        #: make the passages' under it).
        self.lock = threading.RLock()
        self.segments = [_Segment(self, db, number) for number, _ in _manifest(db) or []]
        segments = self.segments
        # a segment's documents still there: those no later segment deleted
        killed = np.zeros(0, dtype=np.int64)
        there: list[np.ndarray] = []
        for segment in reversed(segments):
            there.insert(0, ~np.isin(segment.docs, killed))
            killed = np.concatenate((killed, segment.deleted))
        docs = np.concatenate([s.docs for s in segments]) if segments else np.zeros(0, np.int32)
        self.doc_offsets = _starts(np.array([len(s.docs) for s in segments], dtype=np.int64))
        self.passage_offsets = _starts(np.array([s.passage_count for s in segments],
                                                dtype=np.int64))
        self.order: np.ndarray | None = None
        self.combined_rank = np.zeros(0, dtype=np.int64)
        if len(segments) > 1 or not all(found.all() for found in there):
            order = self.order = self._id_order(db, np.concatenate(there))
            self.combined_rank = np.full(len(docs), -1, dtype=np.int64)
            self.combined_rank[order] = np.arange(len(order))
            docs = docs[order]
        self.doc_of_rank = docs
        self.doc_count = len(docs)
        self.doc_rank = np.full(int(docs.max(initial=0)) + 1, -1, dtype=np.int64)
        self.doc_rank[docs] = np.arange(len(docs))
        self._passages: Passages | None = None
        names = dict.fromkeys(chain.from_iterable(sorted(s.facets) for s in segments))
        self.facets = {name: FacetPostings(self, name, [number for number, segment in
                                                        enumerate(segments)
                                                        if name in segment.facets])
                       for name in names}
        self._totals: dict[str, list[tuple[str, int]]] = {}
        self._total_of: dict[str, dict[str, int]] = {}
        self._labels: dict[str, str] | None = None
        self.matches: OrderedDict[Any, np.ndarray] = OrderedDict()
        self._beside: Beside | None = None

    def passages(self, db: Database) -> Passages:
        """The passages' arrays, made at the first need (see :class:`Passages`)."""
        if self._passages is None:
            with self.lock:
                if self._passages is None:
                    self._passages = Passages(self, db)
        return self._passages

    def _id_order(self, db: Database, there: np.ndarray) -> np.ndarray:
        """The combined numbers of the documents ``there`` (a mask of them all) in id order:
        the base's are in that order, the other segments' (fewer) are placed among them."""
        ids = _words(self.read(db, _name(self.segments[0].number, "ids")))
        others = list(chain.from_iterable(_words(self.read(db, _name(s.number, "ids")))
                                          for s in self.segments[1:]))
        placed = sorted((int(number) for number in np.flatnonzero(there[len(ids):])),
                        key=others.__getitem__)
        order = np.insert(np.arange(len(ids)), [bisect_left(ids, others[number])
                                                for number in placed],
                          np.array(placed, dtype=np.int64) + len(ids))
        found: np.ndarray = order[there[order]]
        return found

    def in_rank_order(self, db: Database, ids: list[np.ndarray | None],
                      lengths: list[np.ndarray], part: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows given per segment (a facet's value ids grouped by the segment's own document
        or passage ranks, ``part`` ``"doc"`` or ``"passage"``; None: no row there), with each
        rank's count, grouped by the ranks of all instead: (their value ids, each rank's count).

        The first segment's rows keep their order (those of its deleted ranks left out), the
        others' (fewer) are put in among them; where it has no row, every rank's rows are
        taken as runs, one after the other.
        """
        passages = self.passages(db) if part == "passage" else None
        order, combined = ((self.order, self.combined_rank) if passages is None
                           else (passages.order, passages.combined_rank))
        assert order is not None
        every = np.concatenate(lengths).astype(np.int64)
        ranked = every[order]
        first = ids[0]
        rest = [found for found in ids[1:] if found is not None]
        kind = next(found.dtype for found in ids if found is not None)
        if first is None:
            rows = _runs(_starts(every)[order], ranked)
            return np.concatenate(rest)[rows], ranked
        size = len(lengths[0])  # (its rows come first: no run of another starts before)
        kept = combined[:size]
        if not (kept >= 0).all():
            first = first[np.repeat(kept >= 0, lengths[0])]
        theirs = ~(order < size)
        if not rest or not theirs.any():  # (no row of theirs)
            return first, ranked
        others = order[theirs] - size
        runs = every[size:]
        moved = np.concatenate(rest)[_runs(_starts(runs)[others], runs[others])]
        # before the rows of the first segment's rank that follows (the ranks of its before
        # each of theirs: their count)
        starts = np.concatenate(([0], np.cumsum(ranked[~theirs])))
        at = np.repeat(starts[np.cumsum(~theirs)[theirs]], runs[others])
        return np.insert(first, at, moved).astype(kind, copy=False), ranked

    def ranks_in(self, db: Database, segment: int, local: np.ndarray, part: str) -> np.ndarray:
        """Ranks of ``part`` (``"docs"`` or ``"passages"``) given as a segment's own: those of
        the documents and passages still there (a row outside any passage: -1, or left out)."""
        if self.order is None:
            return local
        if part == "docs":
            ranks = self.combined_rank[self.doc_offsets[segment] + local]
        else:
            ranks = self.passages(db).combined_rank[self.passage_offsets[segment]
                                                    + local[local >= 0]]
        there: np.ndarray = ranks[ranks >= 0]
        return there

    def passages_there(self, db: Database, segment: int, passages: np.ndarray) -> np.ndarray:
        """Which of a segment's passages (by number) are of its documents still there."""
        if self.order is None:
            return np.ones(len(passages), dtype=bool)
        arrays = self.passages(db)
        stored = arrays.stored[segment]
        local = np.full(int(stored.max(initial=0)) + 1, -1, dtype=np.int64)
        local[stored] = np.arange(len(stored))
        ranks = local[passages]
        there: np.ndarray = ranks >= 0
        there[there] = arrays.combined_rank[self.passage_offsets[segment] + ranks[there]] >= 0
        return there

    def beside(self, db: Database) -> Beside | None:
        """The arrays of what is named beside an entity, read at the first need (None: no
        postings are stored)."""
        if self._beside is None and self.segments:
            with self.lock:
                if self._beside is None:
                    self._beside = Beside(self, db)
        return self._beside

    def remembered(self, key: Any, compute: Any) -> np.ndarray:
        """A full-text or date match, computed once per index generation (LRU: at most
        :data:`MATCH_CACHE` of them, of :data:`MATCH_BYTES` together, the last always kept)."""
        found = self.matches.get(key)
        if found is None:
            found = compute()
        with self.lock:
            self.matches[key] = found
            self.matches.move_to_end(key)
            while len(self.matches) > 1 and (
                    len(self.matches) > MATCH_CACHE
                    or sum(kept.nbytes for kept in self.matches.values()) > MATCH_BYTES):
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

    def length(self, db: Database, name: str) -> int:
        """The items of the stored array ``name`` (0 when there is none), without reading it."""
        row = db.execute(f"SELECT length(data), substr(data, 1, {_HEADER}) FROM postings"
                         " WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else (int(row[0]) - _HEADER) // _dtype(bytes(row[1])).itemsize

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
