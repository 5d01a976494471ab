"""The passages' texts as the index keeps them: compressed, and cut into snippets when shown.

A leaf passage's text is needed by few readers (the hits a search page shows, an entity's
mentions in context, a document's passages), yet it was the index's largest part: it is kept
deflated (:func:`pack`) in the passages' rows, and the full-text index holds only its tokens
(FTS5 ``content=''``; a row is taken out by the ``delete`` command with its unpacked text). Snippets
of the hits shown are made by FTS5's own ``snippet`` over those few texts put in a table in
memory (:func:`snippets`): the same function on the same tokens gives the same snippets as the
index's table did (it scores the instances of the query's phrases in one row, never the other
rows), on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Sequence

#: Deflate's window for raw streams (no header, no checksum: 6 bytes less per passage).
_RAW = -15
#: Private-use characters that mark a hit inside a snippet: escaped text never holds them.
MARK_START, MARK_END = "\ue000", "\ue001"
#: Tokens a snippet holds.
SNIPPET_TOKENS = 16
#: The tokenizer of the full text (archive.index.db's passage_text).
TOKENIZER = "unicode61 remove_diacritics 2"


def pack(text: str) -> bytes:
    """A passage's text as the index keeps it (``b''`` for none)."""
    if not text:
        return b""
    packer = zlib.compressobj(9, zlib.DEFLATED, _RAW)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def unpack(data: bytes | memoryview | None) -> str:
    """The text :func:`pack` made ``data`` of."""
    if not data:
        return ""
    return zlib.decompress(bytes(data), _RAW).decode("utf-8")


def with_unpack(db: sqlite3.Connection) -> sqlite3.Connection:
    """``db`` with the SQL function ``unpack(text)`` (:func:`unpack`), which the statements
    that fill the full-text index from the passages' rows use."""
    db.create_function("unpack", 1, unpack, deterministic=True)
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
