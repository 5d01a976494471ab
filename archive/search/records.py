"""One document's hits as a query worker sends them: by field, not by hit.

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

from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from typing import Any

#: What joins a field's values (never in an XML document's text).
SEPARATOR = "\x00"

#: A packed field: ("=", the value of every hit), ("#", (its values, each once; their numbers
#: as bytes of unsigned ints)) when most values repeat, ("|", the values joined), ("*", the
#: values); fewer than FEW hits are one ("rows", the hits as tuples).
Field = tuple[str, Any]
#: A document's hits packed: how many, and each field.
Packed = tuple[int, tuple[Field, ...]]


#: Hits of a document below which they are sent as they are (tuples): packing and unpacking a
#: few hits costs more than pickling them (``//tei:*[@ref = '#x']``, ~3 a document).
FEW = 8


def pack(hits: Sequence[tuple[Any, ...]]) -> Packed:
    """The hits (tuples of equal length) by field; :func:`unpack` gives them back."""
    if len(hits) < FEW:
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
    its tuple (``functools.partial(tuple.__new__, Hit)``: the hits themselves, in C)."""
    size, fields = packed
    if size < FEW:
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
