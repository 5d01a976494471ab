"""One document's hits packed by field, not by hit: as a query worker sends them, as the tree
cache keeps the answers of trees it does not keep, and as a query's result holds them
(:class:`PackedHits`, each hit made when read).

A worker's share of ``//tei:persName`` at 10,000 documents is ~200,000 hits; pickled one tuple
a hit they took longer to write and to read than to make (115 bytes and ~10 objects a hit).
Sent by field instead, each of a hit's six fields (see :class:`archive.xpath.Hit`) is, for all
the hits of one document, one value when every hit has the same (the document, the kind, most
often the name), else one string of the values joined by NUL, a character no XML text and so no
value or context holds; a field most of whose values repeat (the passages' addresses) as each
value once and every hit's number of it, so that the caller's hits share one string a value as
they did when pickled by tuple (pickle's memo); any other field holding None, or a NUL after
all (an atomic string made by an expression), as the tuple of its values. The caller splits the
strings and zips the fields back into the same tuples, in C.
"""

from __future__ import annotations

import marshal
import sys
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from itertools import chain, islice, repeat
from typing import Any, overload

from .hits import Hit

#: What joins a field's values (never in an XML document's text).
SEPARATOR = "\x00"

#: A packed field: ("=", the value of every hit), ("#", (its values, each once; their numbers
#: as bytes of unsigned ints)) when most values repeat, ("|", the values joined), ("*", the
#: values); fewer than FEW hits are one ("rows", the hits as tuples); a record :func:`seal`
#: made bytes is one ("sealed", the bytes).
Field = tuple[str, Any]
#: A document's hits packed: how many, and each field.
Packed = tuple[int, tuple[Field, ...]]


#: Hits of a document below which they are sent as they are (tuples): packing and unpacking a
#: few hits costs more than pickling them (``//tei:*[@ref = '#x']``, ~3 a document).
FEW = 8


def pack(hits: Sequence[tuple[Any, ...]], few: int = FEW) -> Packed:
    """The hits (tuples of equal length) by field, or as they are when fewer than ``few``;
    :func:`unpack` gives them back."""
    if len(hits) < few:
        return len(hits), (("rows", tuple(map(tuple, hits))),)
    return len(hits), tuple(_field(column) for column in zip(*hits, strict=True))


def _field(column: tuple[Any, ...]) -> Field:
    first = column[0]
    if column.count(first) == len(column):  # (equal values: str == str, None is None)
        return "=", first
    distinct = tuple(dict.fromkeys(column))
    if 2 * len(distinct) <= len(column):  # (the passages' addresses): each value once, shared
        numbers = {value: number for number, value in enumerate(distinct)}
        return "#", (distinct, array("I", map(numbers.__getitem__, column)).tobytes())
    if None not in column:
        try:
            joined = SEPARATOR.join(column)
        except TypeError:  # not all strings
            return "*", column
        if joined.count(SEPARATOR) == len(column) - 1:
            return "|", joined
    return "*", column


def unpack(packed: Packed, make: Callable[[tuple[Any, ...]], Any] | None = None) -> list[Any]:
    """The hits :func:`pack` was given, in order: plain tuples, or each made by ``make`` from
    its tuple (:data:`make_hit`: the hits themselves, in C)."""
    size, fields = packed
    if fields and fields[0][0] == "sealed":
        size, fields = marshal.loads(fields[0][1])
    if fields and fields[0][0] == "rows":
        return list(fields[0][1] if make is None else map(make, fields[0][1]))
    columns: list[Iterable[Any]] = []
    for how, value in fields:
        if how == "=":
            columns.append(repeat(value, size))
        elif how == "#":
            columns.append(map(value[0].__getitem__, memoryview(value[1]).cast("I")))
        elif how == "|":
            columns.append(value.split(SEPARATOR))
        else:
            columns.append(value)
    rows = zip(*columns, strict=True)
    return list(rows if make is None else map(make, rows))


def seal(packed: Packed) -> Packed:
    """A packed record as one string of bytes (its strings in UTF-8), still a packed record
    (("sealed", the bytes)) that :func:`unpack` reads: what a query worker keeps of a
    document's answer and sends as it is, so that asked again the answer is a lookup, pickled
    and read by the caller as one string, its hits made only when they are read (see
    :class:`PackedHits`)."""
    return packed[0], (("sealed", marshal.dumps(packed)),)


def deflate(record: Any) -> bytes:
    """A record (a packed one, or any of tuples, lists, dicts, strings, numbers and bytes) as
    deflated bytes, its strings in UTF-8: what the tree cache keeps of a tree it does not keep,
    a packed record in about a third of its hits' characters; :func:`inflate` gives it back.
    (Python's strings take ~50 bytes each, and 2 a character when one is not Latin-1, as a
    context's "…" is.)"""
    return zlib.compress(marshal.dumps(record), 1)


def inflate(data: bytes) -> Any:
    """The record :func:`deflate` was given."""
    return marshal.loads(zlib.decompress(data))


def packed_bytes(packed: Packed) -> int:
    """About the bytes a packed record holds (its strings, arrays and tuples), for a budget."""
    return sum(_deep_bytes(value) for _, value in packed[1]) + 64 + 16 * len(packed[1])


def _deep_bytes(value: Any) -> int:
    # a value's bytes with those of the tuples and strings it holds (None is shared: 0)
    if value is None:
        return 0
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(map(_deep_bytes, value))
    return sys.getsizeof(value)


#: A hit from its fields (a plain tuple), made in C: Hit._make costs more.
make_hit = partial(tuple.__new__, Hit)


class PackedHits(Sequence[Hit]):
    """A query's hits as its documents' packed records, each hit made when it is read.

    Counting and paging 2.5 million hits (``//tei:persName`` at 60,000 documents) held as
    many :class:`Hit` tuples took over 3 GB in the calling process; kept as the records the
    workers sent (a few strings a document), a page makes only its own hits. A sequence like
    the tuple it stands for: ``len``, indexing, slicing (a tuple), iteration, and equality with
    any sequence of the same hits.
    """

    __slots__ = ("_records", "_ends", "_last")

    def __init__(self) -> None:
        self._records: list[tuple[Packed, int]] = []  # (record, how many of its hits are ours)
        self._ends: list[int] = []  # the hits up to and including each record
        self._last: tuple[int, list[Hit]] | None = None  # the record last made into hits

    def append(self, record: Packed, taken: int | None = None) -> None:
        """Add the first ``taken`` hits of a record (all of them by default)."""
        taken = record[0] if taken is None else min(taken, record[0])
        if taken > 0:
            self._records.append((record, taken))
            self._ends.append(len(self) + taken)

    def _hits(self, number: int) -> list[Hit]:
        # the hits of the record numbered so (the last one made kept: reading in order; read
        # once into a local, as threads reading one answer kept by the caller share it)
        last = self._last
        if last is None or last[0] != number:
            record, taken = self._records[number]
            last = self._last = number, unpack(record, make_hit)[:taken]
        return last[1]

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Hit, ...]: ...

    def __getitem__(self, index: int | slice) -> Hit | tuple[Hit, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return tuple(self[number] for number in range(start, stop, step))
            if start >= stop:
                return ()
            first = bisect_right(self._ends, start)
            begins = self._ends[first - 1] if first else 0
            return tuple(islice(chain.from_iterable(
                self._hits(number) for number in range(first, len(self._records))),
                start - begins, stop - begins))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("hit index out of range")
        number = bisect_right(self._ends, index)
        return self._hits(number)[index - (self._ends[number - 1] if number else 0)]

    def __iter__(self) -> Iterator[Hit]:
        for record, taken in self._records:
            yield from unpack(record, make_hit)[:taken]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(
            mine == theirs for mine, theirs in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"PackedHits({len(self)} hits in {len(self._records)} records)"
