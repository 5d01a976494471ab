"""Each document's passages packed in one record (the table ``passage_docs``).

A document's passages are numbered in a row, in its order (a rebuild numbers them so, and an
update numbers a document's past all others): passage ``first_passage + i`` is the one at
position ``i + 1``, so their numbers, documents and positions are the row's range alone. What
else a passage has — its citation address (see :mod:`tei.passages`), its element's name, and
whether it is a leaf — is kept in one deflated record per document instead of one B-tree row a
passage (11.4 million rows of ~38 bytes at 60,000 documents of EEBO's shape, 0.28x the TEI).

An address is kept as a pattern where it follows one: a name and a number one past the last
number that name had (``p4`` after ``p3``, ``body.div2.p5`` after ``body.div2.p4`` even with a
``body.div2.head`` between), which is most of them; every other address (an arbitrary
``xml:id``, a first number) as it is. A record is its passages in blocks of :data:`BLOCK`, each
deflated alone (the JSON of the block's element names, each passage's element number * 2 +
leaf, and each passage's address: a string, ``[name, number]`` where a name starts or starts
again, or the number of the name it continues), after the count of blocks and the offset of
each one's end: a search's hits read the block of each, not a whole book's record.

SQL reads them through the view ``passages`` (passage, doc, xml_id, element, position, leaf),
made of the function ``passage_rows_json(data)`` that :func:`with_passage_rows` gives a
connection (for inspection and tests: it reads every record); the index's own readers use
:func:`rows`, :func:`ranges` and :func:`at` instead.
"""

from __future__ import annotations

import json
import re
import sqlite3
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

import numpy as np

from ..errors import ArchiveError

#: The deflate level of the records.
LEVEL = 6
#: Passages a block of a record holds: each block is deflated alone, so that a few passages
#: (the hits a search shows) are read without the rest of a long book's.
BLOCK = 64
#: An address that ends in a number: its name and the number (``body.div2.p`` and ``12``).
_NUMBERED = re.compile(r"(.*?)([1-9][0-9]{0,17})")
#: A block's end offsets, at the head of a record (after their count).
_OFFSET = struct.Struct("<I")

#: A passage as a record keeps it: (address, element, leaf).
Passage = tuple[str, str, bool]
#: A passage's row: (passage, doc, xml_id, element, position, leaf), as the view's columns.
Row = tuple[int, int, str, str, int, int]


def pack(passages: Iterable[Passage]) -> bytes:
    """The record of a document's passages: (address, element, leaf) of each, in order."""
    found = list(passages)
    blocks = [_pack_block(found[start:start + BLOCK]) for start in range(0, len(found), BLOCK)]
    ends = list(accumulate(len(block) for block in blocks))
    return b"".join([_OFFSET.pack(len(blocks)), *map(_OFFSET.pack, ends), *blocks])


def _pack_block(passages: list[Passage]) -> bytes:
    elements: dict[str, int] = {}
    codes: list[int] = []
    entries: list[str | int | list[str | int]] = []
    names: dict[str, int] = {}  # name → its number (the order names are first met)
    last: list[int] = []  # the last number of each name
    for address, element, leaf in passages:
        codes.append(elements.setdefault(element, len(elements)) * 2 + bool(leaf))
        match = _NUMBERED.fullmatch(address)
        if match is None:
            entries.append(address)
            continue
        name, number = match[1], int(match[2])
        known = names.get(name)
        if known is not None and number == last[known] + 1:
            entries.append(known)
            last[known] = number
            continue
        entries.append([name, number])
        if known is None:
            names[name] = len(last)
            last.append(number)
        else:
            last[known] = number
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    data = json.dumps([list(elements), codes, entries], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    return packer.compress(data) + packer.flush()


def _unpack_block(data: bytes | memoryview) -> list[Passage]:
    """A block's passages."""
    elements, codes, entries = json.loads(zlib.decompress(data, -15))
    kinds = [(element, False) for element in elements] + [(element, True) for element in elements]
    count = len(elements)
    names: list[str] = []
    last: list[int] = []
    known: dict[str, int] = {}
    found: list[Passage] = []
    add = found.append
    for entry, code in zip(entries, codes, strict=True):
        if entry.__class__ is int:
            number = last[entry] + 1
            last[entry] = number
            add((names[entry] + str(number), *kinds[(code & 1) * count + (code >> 1)]))
        elif entry.__class__ is str:
            add((entry, *kinds[(code & 1) * count + (code >> 1)]))
        else:
            name, number = entry
            index = known.get(name)
            if index is None:
                known[name] = len(names)
                names.append(name)
                last.append(number)
            else:
                last[index] = number
            add((name + str(number), *kinds[(code & 1) * count + (code >> 1)]))
    return found


def _block_at(data: bytes | memoryview, indexes: Iterable[int]) -> dict[int, Passage]:
    """The passages at ``indexes`` (0: the first) of a block (those it holds)."""
    passages = _unpack_block(data)
    return {index: passages[index] for index in indexes if 0 <= index < len(passages)}


def _blocks(data: bytes | memoryview, numbers: Iterable[int] | None = None,
            ) -> dict[int, memoryview]:
    """The blocks of a record (those numbered ``numbers`` there; None: all), by number."""
    view = memoryview(data)
    count = _OFFSET.unpack_from(view)[0]
    start = _OFFSET.size * (count + 1)
    ends = struct.unpack_from(f"<{count}I", view, _OFFSET.size)
    chosen = range(count) if numbers is None else [n for n in numbers if 0 <= n < count]
    return {n: view[start + (ends[n - 1] if n else 0):start + ends[n]] for n in chosen}


def unpack(data: bytes | memoryview) -> list[Passage]:
    """A record's passages, (address, element, leaf) of each in order (see :func:`pack`)."""
    return [passage for block in _blocks(data).values() for passage in _unpack_block(block)]


def leaves(data: bytes | memoryview) -> list[int]:
    """The positions (1: the first) of a record's leaf passages, their addresses not read."""
    found: list[int] = []
    for number, block in _blocks(data).items():
        codes = json.loads(zlib.decompress(block, -15))[1]
        found += [number * BLOCK + index + 1 for index, code in enumerate(codes) if code & 1]
    return found


def unpack_at(data: bytes | memoryview, positions: Iterable[int]) -> dict[int, Passage]:
    """The passages at ``positions`` (1: the first) of a record (those it holds), reading
    only the blocks that hold them."""
    wanted: dict[int, list[int]] = {}
    for position in positions:
        if position > 0:
            wanted.setdefault((position - 1) // BLOCK, []).append(position)
    found: dict[int, Passage] = {}
    for number, block in _blocks(data, wanted).items():
        start = number * BLOCK + 1
        for index, passage in _block_at(block, (p - start for p in wanted[number])).items():
            found[start + index] = passage
    return found


def last(schema: str = "main") -> str:
    """The SQL expression of the largest passage number of the index (or of its attached
    database ``schema``; 0: none): the last of the last document's with passages, whose
    numbers are past those of every document before it (a rebuild numbers them in order, an
    update numbers a document and its passages past all others)."""
    return (f"COALESCE((SELECT last_passage FROM {schema}.passage_docs"
            " ORDER BY doc DESC LIMIT 1), 0)")


def rows(db: Any, where: str = "", parameters: Sequence[Any] = ()) -> Iterator[Row]:
    """The rows of the passages of the documents ``where`` selects (a condition on the
    columns of ``passage_docs``; "": every document), in the order of their numbers."""
    for doc, first, data in db.execute(
            "SELECT doc, first_passage, data FROM passage_docs"
            f"{' WHERE ' + where if where else ''} ORDER BY first_passage", parameters):
        for number, (address, element, leaf) in enumerate(unpack(data)):
            yield first + number, doc, address, element, number + 1, int(leaf)


def ranges(db: Any, where: str = "", parameters: Sequence[Any] = ()) -> np.ndarray:
    """(passage, doc, position) of each passage of the documents ``where`` selects (a
    condition on ``doc``; "": every document), made of their ranges alone (no record read)."""
    found = np.array(db.execute(
        f"SELECT doc, first_passage, last_passage FROM passage_docs"
        f"{' WHERE ' + where if where else ''}", parameters).fetchall(),
        dtype=np.int64).reshape(-1, 3)
    counts = found[:, 2] - found[:, 1] + 1
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    positions = np.arange(int(counts.sum()), dtype=np.int64) - starts + 1
    table = np.empty((len(positions), 3), dtype=np.int64)
    table[:, 0] = np.repeat(found[:, 1], counts) + positions - 1
    table[:, 1] = np.repeat(found[:, 0], counts)
    table[:, 2] = positions
    return table


def _records(db: Any, sql: str, parameters: Sequence[Any], every: bool = False) -> Any:
    """The first row (``every``: the rows) of a query of ``passage_docs`` (the viewer's reads).

    :raise ArchiveError: the index is of an older schema, without the records.
    """
    try:
        found = db.execute(sql, parameters)
        return found.fetchall() if every else found.fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        raise ArchiveError("the index was made by another version of the archive: run"
                           " `archive reindex`",
                           str(db.execute("PRAGMA database_list").fetchone()[2])) from None


def at(db: Any, numbers: Iterable[int]) -> dict[int, Row]:
    """The rows of the passages numbered ``numbers`` (those there), by number: each read from
    the record of the document whose range holds it (its block alone)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    found: dict[int, Row] = {}
    places: dict[int, list[int]] = {}
    records: dict[int, tuple[int, bytes]] = {}
    for number, doc, first, data in _records(
            db, "SELECT n.value, d.doc, d.first_passage, d.data FROM json_each(?) n"
            " JOIN passage_docs d ON d.first_passage = (SELECT MAX(first_passage)"
            " FROM passage_docs WHERE first_passage <= n.value) AND d.last_passage >= n.value",
            (json.dumps(wanted),), every=True):
        places.setdefault(doc, []).append(number - first + 1)
        records[doc] = (first, data)
    for doc, positions in places.items():
        first, data = records[doc]
        for position, (address, element, leaf) in unpack_at(data, positions).items():
            found[first + position - 1] = (first + position - 1, doc, address, element,
                                           position, int(leaf))
    return found


def of_document(db: Any, doc: int) -> list[Passage]:
    """The passages of document number ``doc``, (address, element, leaf) of each in order
    (none: [])."""
    row = _records(db, "SELECT data FROM passage_docs WHERE doc = ?", (doc,))
    return unpack(row[0]) if row else []


def as_json(data: bytes) -> str:
    """A record's passages as a JSON array of [address, element, leaf]."""
    return json.dumps([[address, element, int(leaf)] for address, element, leaf
                       in unpack(data)], ensure_ascii=False)


def with_passage_rows(db: sqlite3.Connection) -> sqlite3.Connection:
    """``db`` with the SQL function ``passage_rows_json(data)`` that the view ``passages``
    unpacks the records with (see :func:`as_json`)."""
    db.create_function("passage_rows_json", 1, as_json, deterministic=True)
    return db
