"""An entity's page from the index: its mentions in context, its companions, its years."""

from __future__ import annotations

from typing import Any

from ..config import Settings
from .db import Database, as_dicts, dialect, reader
from .texts import passage_texts

_MENTIONS = """
SELECT d.id AS doc, d.title AS title, d.date AS date, p.xml_id AS target, p.doc AS text,
       p.position AS position,
       m.start AS start, m."end" AS "end", m.surface AS surface
FROM mentions m JOIN documents d ON d.doc = m.doc LEFT JOIN passages p ON p.passage = m.passage
WHERE m.ref = ?
ORDER BY d.date IS NULL, d.date, d.id, p.position, m.start
LIMIT ?"""

# The passages that name this entity. The queries below start from them (CROSS JOIN fixes
# that order) and reach the other mentions of each passage through the (doc, passage) index.
_PASSAGES = "SELECT DISTINCT doc, passage FROM mentions WHERE ref = ? AND passage IS NOT NULL"

# Entities named in the same passages, by the number of passages shared.
_COMPANIONS = f"""
SELECT other.ref AS id, MIN(other.type) AS type, COUNT(DISTINCT other.passage) AS passages
FROM ({_PASSAGES}) this CROSS JOIN mentions other
  ON other.doc = this.doc AND other.passage = this.passage
WHERE other.ref IS NOT NULL AND other.ref != ? AND other.type != 'date'
GROUP BY other.ref ORDER BY passages DESC, other.ref LIMIT 12"""

# Years of the dates named in the passages that name this entity.
_YEARS = f"""
SELECT CAST(substr(y, 1, 4) AS INTEGER), COUNT(*) FROM (
  SELECT coalesce(other."when", other."from", other.not_before, other."to", other.not_after)
    AS y
  FROM ({_PASSAGES}) this CROSS JOIN mentions other
    ON other.doc = this.doc AND other.passage = this.passage
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
    db = reader(settings)
    mentions = as_dicts(db.execute(_MENTIONS, (ref, limit)))
    # the passages' texts, kept packed per document: read once for the mentions shown
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
    return as_dicts(db.execute(_for(db, _COMPANIONS), (ref, ref)))


def years_beside(settings: Settings, ref: str) -> list[tuple[int, int]]:
    """(year, count) of the dates named in the passages that name ``ref``, by year."""
    db = reader(settings)
    return [(int(year), int(count))
            for year, count in db.execute(_for(db, _YEARS), (ref,))]


def entity_totals(settings: Settings, entry_type: str) -> dict[str, tuple[int, int, str | None]]:
    """For every entity of ``entry_type`` the corpus names: ``ref`` → (mentions, documents,
    the earliest date of a document naming it, or None) — one query for a whole register."""
    rows = reader(settings).execute(
        "SELECT m.ref, COUNT(*), COUNT(DISTINCT m.doc), MIN(d.date) FROM mentions m"
        " JOIN documents d ON d.doc = m.doc WHERE m.type = ? AND m.ref IS NOT NULL"
        " GROUP BY m.ref", (entry_type,))
    return {ref: (int(total), int(documents), date) for ref, total, documents, date in rows}
