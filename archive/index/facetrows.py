"""Each document's facet rows packed in one record (the table ``facet_docs``).

A document's facet rows are (key, passage) pairs: the number of a facet value
(``facet_keys.key``) and the passage it is a value of, 0 for a value of the whole document.
They are kept as one deflated array of 32-bit integers per document instead of one B-tree row
per pair (whose doc, key, passage, record header and cell pointer took ~14 bytes a pair): the
first passage the rows name (0 if none), then each key's difference to the one before (the
pairs in (key, passage) order), then each pair's passage past that first (1: the first; 0:
the document's own). Moving a document's passages (a rebuild's copy of a worker's database)
moves that first passage alone.

SQL reads them through the view ``facet_rows`` (doc, key, passage), made of the function
``facet_rows_json(data)`` that :func:`with_facet_rows` gives a connection; the index's own
readers unpack the records with :func:`unpack` instead (a numpy array each).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np

#: The deflate level of the records (a record is small: a higher level saves little).
LEVEL = 6


def pack(keys: Iterable[int] | np.ndarray, passages: Iterable[int] | np.ndarray) -> bytes:
    """The record of a document's rows: the facet value ``keys[i]`` in passage
    ``passages[i]`` (0: the document's own)."""
    key = np.asarray(keys if isinstance(keys, np.ndarray) else list(keys), dtype=np.int64)
    passage = np.asarray(passages if isinstance(passages, np.ndarray) else list(passages),
                         dtype=np.int64)
    order = np.lexsort((passage, key))
    key, passage = key[order], passage[order]
    named = passage[passage > 0]
    first = int(named.min()) if len(named) else 0
    array = np.concatenate(([first], np.diff(key, prepend=0),
                            np.where(passage > 0, passage - first + 1, 0)))
    return zlib.compress(array.astype("<i4").tobytes(), LEVEL)


def unpack(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A record's (keys, passages), in (key, passage) order (see :func:`pack`)."""
    array = np.frombuffer(zlib.decompress(data), dtype="<i4").astype(np.int64)
    count = (len(array) - 1) // 2
    passages = array[1 + count:]
    return (np.cumsum(array[1:1 + count]),
            np.where(passages > 0, passages + (array[0] - 1), 0))


def renumber(data: bytes, numbers: np.ndarray, moved: int) -> bytes:
    """A record of a worker's database as the index's: each key ``k`` becomes ``numbers[k]``,
    each passage is moved by ``moved`` (the document's own stay 0)."""
    keys, passages = unpack(data)
    return pack(numbers[keys], np.where(passages > 0, passages + moved, 0))


def rows(db: Any, where: str = "", parameters: tuple[Any, ...] = ()) -> np.ndarray:
    """The rows of the documents ``where`` selects (an SQL condition on ``facet_docs``, from
    " WHERE" on; every document's if empty): an array of (key, doc, passage) rows."""
    parts = [(doc, *unpack(data)) for doc, data
             in db.execute(f"SELECT doc, data FROM facet_docs{where}", parameters)]
    table = np.empty((sum(len(keys) for _, keys, _ in parts), 3), dtype=np.int64)
    start = 0
    for doc, keys, passages in parts:
        end = start + len(keys)
        table[start:end, 0], table[start:end, 1], table[start:end, 2] = keys, doc, passages
        start = end
    return table


def counts(db: Any, where: str = "", parameters: tuple[Any, ...] = ()) -> list[tuple[int, int]]:
    """(key, number of rows) of each key the documents ``where`` selects hold (see
    :func:`rows`)."""
    keys, found = np.unique(rows(db, where, parameters)[:, 0], return_counts=True)
    return list(zip(keys.tolist(), found.tolist(), strict=True))


def as_json(data: bytes) -> str:
    """A record's rows as a JSON array of [key, passage] pairs."""
    keys, passages = unpack(data)
    return json.dumps(np.column_stack((keys, passages)).tolist())


def with_facet_rows(db: sqlite3.Connection) -> sqlite3.Connection:
    """``db`` with the SQL function ``facet_rows_json(data)`` that the view ``facet_rows``
    unpacks the records with (see :func:`as_json`)."""
    db.create_function("facet_rows_json", 1, as_json, deterministic=True)
    return db
