"""The passages' texts as the index keeps them: packed per document, cut into snippets when shown.

A leaf passage's text is needed by few readers (the hits a search page shows, an entity's
mentions in context, a document's passages), yet it was the index's largest part: the texts of
a document's passages are kept together, deflated (:func:`pack_texts`: a document's text
compresses far better than each short passage alone), in one row of ``texts``. They are
deflated with a preset dictionary (:func:`make_dictionary`: slices of the texts of a few
documents a rebuild reads first, kept in ``meta`` under :data:`DICTIONARY`, reused by the
updates until the next rebuild): it stands for the archive's other texts as if they came before
each document's own, so that a short document's words, names and phrases are found there. The
full-text index holds only their tokens (FTS5 ``content=''``; a row is taken out by the ``delete``
command with its old text, read back from ``texts``, which every SQLite with FTS5 can do).
Snippets of the hits shown are made by FTS5's own ``snippet`` over those few texts put in a
table in memory (:func:`snippets`): the same function on the same tokens gives the same
snippets as the index's table did (it scores the instances of the query's phrases in one row,
never the other rows), on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import base64
import functools
import json
import sqlite3
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from . import passagerows

#: Deflate's window for raw streams (no header, no checksum).
_RAW = -15
#: Deflate's level: with a dictionary, 6 packs 2% smaller and takes half as long again; 5 as
#: long as 6 did without one.
_LEVEL = 5
#: Private-use characters that mark a hit inside a snippet: escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"
#: Tokens a snippet holds.
SNIPPET_TOKENS = 16
#: The tokenizer of the full text (archive.index.db's passage_text).
TOKENIZER = "unicode61 remove_diacritics 2"
#: Documents whose texts are read at once.
_BATCH = 200
#: The ``meta`` key of the preset dictionary the texts are deflated with (base64; none: '').
DICTIONARY = "texts"
#: Bytes of the dictionary taken from each sampled document, and the dictionary's size at most
#: (deflate's window: it sees no farther back).
_SLICE, _DICTIONARY_SIZE = 2048, 32768

#: A passage's text and the words markup splits in it (see archive.index.rows.split_words).
Text = tuple[str, str]


def pack_texts(texts: Sequence[Text], dictionary: bytes = b"") -> bytes:
    """The (text, words) of every passage of a document, in their order (``position`` 1 first),
    as the index keeps them, deflated with the preset ``dictionary`` (see
    :func:`make_dictionary`; none: b'')."""
    packer: Any = _packer(dictionary).copy()
    data = _serialise(texts)
    packed: bytes = packer.compress(data) + packer.flush()
    return packed


@functools.lru_cache(maxsize=4)
def _packer(dictionary: bytes) -> Any:
    """A deflater with the preset ``dictionary`` set and nothing written: each document's is a
    copy of it (deflate's state copied, 0.02 ms; setting a 32 KB dictionary hashes all of it,
    0.12 ms a document), which deflates to the same bytes as a new one would."""
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, _RAW, zlib.DEF_MEM_LEVEL,
                            zlib.Z_DEFAULT_STRATEGY, dictionary)


def unpack_texts(data: bytes | memoryview, dictionary: bytes = b"") -> list[Text]:
    """The (text, words) of every passage :func:`pack_texts` packed, in order (with the same
    ``dictionary``)."""
    unpacker = zlib.decompressobj(_RAW, dictionary)
    return [(entry, "") if isinstance(entry, str) else (entry[0], entry[1])
            for entry in json.loads(unpacker.decompress(bytes(data)) + unpacker.flush())]


def _serialise(texts: Sequence[Text]) -> bytes:
    return json.dumps([[text, words] if words else text for text, words in texts],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def make_dictionary(samples: Iterable[Sequence[Text]]) -> bytes:
    """A preset dictionary for :func:`pack_texts`, of the texts of a few documents (each
    document's passages, as packed): a slice of the middle of each, at most 32 KB in all (b'':
    no text)."""
    parts = []
    for texts in samples:
        data = _serialise(texts)
        middle = max(0, len(data) // 2 - _SLICE // 2)
        parts.append(data[middle:middle + _SLICE])
    return b"".join(parts)[-_DICTIONARY_SIZE:] if any(parts) else b""


def stored_dictionary(dictionary: bytes) -> str:
    """The dictionary as ``meta`` holds it (text, on either engine)."""
    return base64.b64encode(dictionary).decode("ascii")


def read_dictionary(db: Any, schema: str = "") -> bytes:
    """The preset dictionary the texts of the index ``db`` (on either engine; or of its
    attached database ``schema``) are packed with (b'': none)."""
    row = db.execute(f"SELECT value FROM {schema + '.' if schema else ''}meta"
                     f" WHERE key = '{DICTIONARY}'").fetchone()
    return _decoded(row[0]) if row else b""


@functools.lru_cache(maxsize=4)
def _decoded(value: str) -> bytes:
    return base64.b64decode(value)


def document_texts(db: Any, docs: Iterable[int]) -> dict[int, list[Text]]:
    """The passages' (text, words) of each of the documents numbered ``docs`` (on either
    engine), in order: a passage's is at its ``position`` - 1."""
    wanted = sorted(set(docs))
    found: dict[int, list[Text]] = {}
    dictionary = read_dictionary(db) if wanted else b""
    for start in range(0, len(wanted), _BATCH):
        numbers = ", ".join(map(str, wanted[start:start + _BATCH]))  # (numbers: no quoting)
        for doc, data in db.execute(f"SELECT doc, data FROM texts WHERE doc IN ({numbers})"):
            found[doc] = unpack_texts(data, dictionary)
    return found


def passage_texts(db: Any, places: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Text]:
    """The (text, words) of each passage at (document number, position)."""
    places = list(places)
    texts = document_texts(db, (doc for doc, _ in places))
    return {(doc, position): texts[doc][position - 1] for doc, position in places
            if doc in texts and 0 < position <= len(texts[doc])}


def fulltext_rows(db: sqlite3.Connection, schema: str = "main", where: str = "",
                  moved: int = 0) -> Iterator[tuple[int, str, str]]:
    """(passage number + ``moved``, text, words) of the leaf passages of the documents of
    ``schema`` (those ``where`` chooses: a condition on ``doc``): what the full-text index
    holds of them. Read a batch of documents at a time (the rows are inserted meanwhile)."""
    dictionary = read_dictionary(db, schema)
    docs = [doc for (doc,) in db.execute(
        f"SELECT doc FROM {schema}.texts {('WHERE ' + where) if where else ''} ORDER BY doc")]
    for start in range(0, len(docs), _BATCH):
        chosen = docs[start:start + _BATCH]
        numbers = ", ".join(map(str, chosen))
        texts = {doc: unpack_texts(data, dictionary) for doc, data in db.execute(
            f"SELECT doc, data FROM {schema}.texts WHERE doc IN ({numbers})")}
        rows = db.execute(f"SELECT doc, first_passage, data FROM {schema}.passage_docs"
                          f" WHERE doc IN ({numbers}) ORDER BY first_passage").fetchall()
        for doc, first, data in rows:  # (the leaves of each record: archive.index.passagerows)
            for position in passagerows.leaves(data):
                text, words = texts[doc][position - 1]
                yield first + position - 1 + moved, text, words


def with_texts(db: sqlite3.Connection) -> sqlite3.Connection:
    """``db`` with the SQL function ``passage_text(data, position)``: the text of the passage
    at ``position`` in a document's packed texts (``texts.data``), for inspection and tests."""
    db.create_function("passage_text", 2, lambda data, position: unpack_texts(
        data, read_dictionary(db))[position - 1][0], deterministic=True)
    return db


_SNIPPETS = threading.local()


def _snippet_table() -> sqlite3.Connection:
    """This thread's FTS5 table in memory, of the full text's columns and tokenizer."""
    db: sqlite3.Connection | None = getattr(_SNIPPETS, "db", None)
    if db is None:
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        db.execute(f"CREATE VIRTUAL TABLE shown USING fts5 (text, words, tokenize='{TOKENIZER}')")
        _SNIPPETS.db = db
    return db


def snippets(query: str, texts: Sequence[tuple[str, str]]) -> list[str]:
    """The snippet of each (text, words) matching the FTS5 ``query``, as FTS5's ``snippet`` of
    the text column makes it: :data:`SNIPPET_TOKENS` tokens at most, hits between
    :data:`MARK_START` and :data:`MARK_END`, ``…`` where the text goes on ('' for a text the
    query does not match)."""
    if not texts:
        return []
    db = _snippet_table()
    db.execute("BEGIN")
    try:
        db.executemany("INSERT INTO shown (rowid, text, words) VALUES (?, ?, ?)",
                       [(number, text, words) for number, (text, words) in enumerate(texts)])
        found = dict(db.execute(
            f"SELECT rowid, snippet(shown, 0, '{MARK_START}', '{MARK_END}', '…',"
            f" {SNIPPET_TOKENS}) FROM shown WHERE shown MATCH ?", (query,)).fetchall())
    finally:
        db.execute("ROLLBACK")  # the table stays empty
    return [found.get(number, "") for number in range(len(texts))]
