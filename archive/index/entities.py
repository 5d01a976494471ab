"""An entity's page from the index: its mentions in context, its companions, its years."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..config import Settings
from . import passagerows
from .db import Database, as_dicts, dialect, reader
from .lookup import postings
from .postings import Beside
from .texts import passage_texts

_MENTIONS = """
SELECT d.id AS doc, d.title AS title, d.date AS date, p.xml_id AS target, p.doc AS text,
       p.position AS position,
       m.start AS start, m."end" AS "end", m.surface AS surface
FROM mentions m JOIN documents d ON d.doc = m.doc LEFT JOIN passages p ON p.passage = m.passage
WHERE m.ref = ?{docs}
ORDER BY d.date IS NULL, d.date, d.id, p.position, m.start
LIMIT ?"""
# SQLite's: a document's passages are one record (archive.index.passagerows) whose range gives
# each one's position; the addresses of those listed are read from their records (target).
_MENTIONS_LITE = """
SELECT d.id AS doc, d.title AS title, d.date AS date, NULL AS target,
       CASE WHEN m.passage IS NOT NULL THEN m.doc END AS text,
       m.passage - p.first_passage + 1 AS position,
       m.start AS start, m."end" AS "end", m.surface AS surface, m.passage AS passage
FROM mentions m JOIN documents d ON d.doc = m.doc LEFT JOIN passage_docs p ON p.doc = m.doc
WHERE m.ref = ?{docs}
ORDER BY d.date IS NULL, d.date, d.id, position, m.start
LIMIT ?"""
# The documents naming an entity, in the order of its mentions' list, with how often each does:
# the list's first rows lie in the first of them (sorting every mention first took 0.4 s for
# the most named person of 60,000 documents). Only those the list's first ``limit`` mentions
# lie in (those with fewer mentions than that before them) are returned, each with the totals
# of all (mentions, documents), not the thousands of rows of every document naming it.
# PostgreSQL's: SQLite's sorts are the cost of it (below).
_DOCUMENTS = """
SELECT doc, total, documents FROM (
  SELECT d.doc,
         SUM(n) OVER (ORDER BY d.date IS NULL, d.date, d.id ROWS UNBOUNDED PRECEDING) - n
           AS before,
         SUM(n) OVER () AS total, COUNT(*) OVER () AS documents
  FROM (SELECT doc, COUNT(*) AS n FROM mentions WHERE ref = ? GROUP BY doc) AS counted
  JOIN documents d ON d.doc = counted.doc) AS ordered
WHERE before < ? ORDER BY before"""
# SQLite's: how often each document names an entity, per key of its (each surface), read in
# the order of the keys' index, so never sorted; the documents' order of its mentions' list is
# then held by the process (:func:`_date_order`). The window sums above sorted every document
# naming it, twice: 52 ms for the most named person of 10,000 documents (31,703 mentions in
# 9,399 documents), 13 ms so. (Sent to the process, its 12,769 rows cost PostgreSQL more than
# its sums: 76 against 58 ms for the page's listing.)
_COUNTS = """
SELECT r.doc, COUNT(*) FROM mention_keys k JOIN mention_rows r ON r.key = k.key
WHERE k.ref = ? GROUP BY k.key, r.doc"""
# Every document in the order of the mentions' lists (:data:`_MENTIONS`).
_DATE_ORDER = "SELECT doc FROM documents ORDER BY date IS NULL, date, id"

# The passages that name this entity. The queries below start from them (CROSS JOIN fixes
# that order) and reach the other mentions of each passage through the rows' (doc, passage)
# order (the rows themselves: the view's passage is an expression no index is read by), then
# their keys.
_PASSAGES = "SELECT DISTINCT doc, passage FROM mentions WHERE ref = ? AND passage IS NOT NULL"
_OTHERS = f"""({_PASSAGES}) this CROSS JOIN mention_rows r
  ON r.doc = this.doc AND r.passage = this.passage
  JOIN mention_keys other ON other.key = r.key"""

# Entities named in the same passages, by the number of passages shared.
_COMPANIONS = f"""
SELECT other.ref AS id, MIN(other.type) AS type, COUNT(DISTINCT r.passage) AS passages
FROM {_OTHERS}
WHERE other.ref IS NOT NULL AND other.ref != ? AND other.type != 'date'
GROUP BY other.ref ORDER BY passages DESC, other.ref LIMIT 12"""
#: Companions shown (the LIMIT above).
COMPANIONS = 12

# Years of the dates named in the passages that name this entity.
_YEARS = f"""
SELECT CAST(substr(y, 1, 4) AS INTEGER), COUNT(*) FROM (
  SELECT coalesce(other."when", other."from", other.not_before, other."to", other.not_after)
    AS y
  FROM {_OTHERS}
  WHERE other.type = 'date') AS years
WHERE y GLOB '[0-9][0-9][0-9][0-9]*' GROUP BY 1 ORDER BY 1"""



def _for(db: Database, statement: str) -> str:
    """``statement`` for the engine of ``db``: PostgreSQL has no CROSS JOIN ... ON (and plans
    the join order itself), nor GLOB."""
    if dialect(db) != "postgresql":
        return statement
    return statement.replace("CROSS JOIN", "JOIN").replace(
        "y GLOB '[0-9][0-9][0-9][0-9]*'", "y ~ '^[0-9]{4}'")


def mention_totals(settings: Settings, ref: str) -> tuple[int, int]:
    """How many times the corpus names ``ref``, and in how many documents."""
    total, documents = reader(settings).execute(
        "SELECT COUNT(*), COUNT(DISTINCT doc) FROM mentions WHERE ref = ?", (ref,)).fetchone()
    return int(total), int(documents)


def entity_mentions(settings: Settings, ref: str, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` mentions of ``ref``, by document date, document and place in it:
    ``doc``, ``title``, ``date``, ``target`` (the passage's xml:id), ``text`` (the passage's),
    ``start`` and ``end`` (offsets into it), ``surface``."""
    return entity_listing(settings, ref, limit)[2]


def entity_listing(settings: Settings, ref: str,
                   limit: int) -> tuple[int, int, list[dict[str, Any]]]:
    """How many times the corpus names ``ref``, in how many documents (as
    :func:`mention_totals`), and its first ``limit`` mentions (as :func:`entity_mentions`):
    the totals are those of the documents' counts the list is chosen by, not a second pass
    over every mention (an entity page's)."""
    db = reader(settings)
    db.execute("BEGIN")  # one snapshot for both queries
    try:
        lite = dialect(db) != "postgresql"
        if not lite:
            rows = db.execute(_DOCUMENTS, (ref, limit)).fetchall()
            total, documents = (int(rows[0][1]), int(rows[0][2])) if rows else (0, 0)
            chosen = [int(row[0]) for row in rows]
        else:
            total, documents, chosen = _documents(db, ref, limit)
        if not chosen:
            return 0, 0, []
        found = as_dicts(db.execute((_MENTIONS_LITE if lite else _MENTIONS).format(
            docs=f" AND m.doc IN ({', '.join(map(str, chosen))})"), (ref, limit)))
        if lite:  # (each read from its block of its document's record)
            numbers = [mention.pop("passage") for mention in found]
            places = passagerows.at(db, (number for number in numbers if number is not None))
            for mention, number in zip(found, numbers, strict=True):
                if number is not None:
                    mention["target"] = places[number][2]
        return total, documents, with_texts(db, found)
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def _documents(db: Database, ref: str, limit: int) -> tuple[int, int, list[int]]:
    """As :data:`_DOCUMENTS` gives them: how many times ``ref`` is named, in how many
    documents, and the numbers of those its first ``limit`` mentions lie in, in order."""
    counted = np.array(db.execute(_COUNTS, (ref,)).fetchall(), dtype=np.int64)
    if not len(counted):
        return 0, 0, []
    order = postings(db).remembered(("documents by date",), lambda: _date_order(db))
    places = np.full(int(order.max(initial=0)) + 1, -1, dtype=np.int64)
    places[order] = np.arange(len(order))
    # each document naming it once, in the lists' order, with its mentions (all keys')
    ordered, each = np.unique(places[counted[:, 0]], return_inverse=True)
    mentions = np.bincount(each, weights=counted[:, 1]).astype(np.int64)
    before = np.cumsum(mentions) - mentions
    return int(mentions.sum()), len(ordered), order[ordered[before < limit]].tolist()


def _date_order(db: Database) -> np.ndarray:
    """The numbers of every document in the order of the mentions' lists: by date (undated
    last), then id (held per process and index generation, as the postings are)."""
    order = np.fromiter((row[0] for row in db.execute(_DATE_ORDER)), dtype=np.int64)
    order.flags.writeable = False
    return order


def with_texts(db: Database, mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of :data:`_MENTIONS` with their passages' texts (kept packed per document: read
    once for the mentions shown), as :func:`entity_mentions` gives them."""
    texts = passage_texts(db, [(row["text"], row["position"]) for row in mentions
                               if row["text"] is not None])
    for mention in mentions:
        place = (mention["text"], mention.pop("position"))
        mention["text"] = texts[place][0] if place in texts else None
    return mentions


def companions(settings: Settings, ref: str) -> list[dict[str, Any]]:
    """The twelve entities named most often in the passages that name ``ref``: ``id``,
    ``type``, ``passages`` (how many such passages name it)."""
    db = reader(settings)
    with _beside(db) as beside:
        if beside is not None:
            return [{"id": other, "type": kind, "passages": passages}
                    for other, kind, passages in beside.companions(ref, COMPANIONS)]
        return as_dicts(db.execute(_for(db, _COMPANIONS), (ref, ref)))


def years_beside(settings: Settings, ref: str) -> list[tuple[int, int]]:
    """(year, count) of the dates named in the passages that name ``ref``, by year."""
    db = reader(settings)
    with _beside(db) as beside:
        if beside is not None:
            return beside.years_beside(ref)
        return [(int(year), int(count))
                for year, count in db.execute(_for(db, _YEARS), (ref,))]


@contextmanager
def _beside(db: Database) -> Iterator[Beside | None]:
    """The index's arrays of what is named beside an entity (the arrays of its postings, read
    once per process and index generation), None for an index with no postings yet (empty); the
    caller's queries run in the same snapshot."""
    db.execute("BEGIN")
    try:
        yield postings(db).beside(db)
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


def entity_totals(settings: Settings, entry_type: str) -> dict[str, tuple[int, int, str | None]]:
    """For every entity of ``entry_type`` the corpus names: ``ref`` → (mentions, documents,
    the earliest date of a document naming it, or None) — one query for a whole register."""
    rows = reader(settings).execute(
        "SELECT m.ref, COUNT(*), COUNT(DISTINCT m.doc), MIN(d.date) FROM mentions m"
        " JOIN documents d ON d.doc = m.doc WHERE m.type = ? AND m.ref IS NOT NULL"
        " GROUP BY m.ref", (entry_type,))
    return {ref: (int(total), int(documents), date) for ref, total, documents, date in rows}
