"""Entity pages: a registry entry, every mention in context, companions, and a timeline."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template, url_for

from .data import entity_or_404, entry_dict, get_db, get_registry
from .timeline import histogram_svg

bp = Blueprint("entities", __name__)

#: Mentions listed on an entity page (the count is always the full one).
MENTION_LIMIT = 500
KWIC_WIDTH = 60
_SPACES = re.compile(r"\s+")

_MENTIONS = """
SELECT d.id AS doc, d.title AS title, d.date AS date, p.xml_id AS target, p.text AS text,
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
SELECT other.ref AS id, other.type AS type, COUNT(DISTINCT other.passage) AS passages
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
  WHERE other.type = 'date')
WHERE y GLOB '[0-9][0-9][0-9][0-9]*' GROUP BY 1 ORDER BY 1"""


def kwic(text: str | None, start: int, end: int, surface: str) -> dict[str, str]:
    """Keyword in context: ``{"left", "hit", "right"}``, runs of whitespace folded to one space.

    ``kwic("the Old Man said", 4, 11, "Old Man")`` → ``{"left": "the ", "hit": "Old Man",
    "right": " said"}``.
    """
    if not text:
        return {"left": "", "hit": surface, "right": ""}
    left = _fold(text[max(0, start - KWIC_WIDTH):start])
    right = _fold(text[end:end + KWIC_WIDTH])
    return {"left": ("…" if start > KWIC_WIDTH else "") + left.lstrip(),
            "hit": _fold(text[start:end]).strip() or surface,
            "right": right.rstrip() + ("…" if end + KWIC_WIDTH < len(text) else "")}


def _fold(text: str) -> str:
    return _SPACES.sub(" ", text)


def entity_data(entity_id: str) -> dict[str, Any]:
    """The entry, its mentions (KWIC), companions and dated years (the JSON twin)."""
    entry = entity_or_404(entity_id)
    db = get_db()
    total, documents = db.execute("SELECT COUNT(*), COUNT(DISTINCT doc) FROM mentions"
                                  " WHERE ref = ?", (entity_id,)).fetchone()
    mentions = []
    for row in db.execute(_MENTIONS, (entity_id, MENTION_LIMIT)):
        url = url_for("documents.read", doc_id=row["doc"])
        mentions.append({"doc": row["doc"], "title": row["title"], "date": row["date"],
                         "target": row["target"],
                         "url": url + (f"#{row['target']}" if row["target"] else ""),
                         **kwic(row["text"], row["start"], row["end"], row["surface"])})
    registry = get_registry()
    companions = []
    for row in db.execute(_COMPANIONS, (entity_id, entity_id)):
        other = registry.get(row["id"])
        companions.append({"id": row["id"], "type": row["type"],
                           "name": other.name if other else row["id"],
                           "passages": row["passages"],
                           "url": url_for("entities.show", entity_id=row["id"])
                           if other else None})
    card = entry_dict(entry, total)
    card["url"] = url_for("entities.show", entity_id=entity_id)
    return {**card, "documents": documents, "mention_list": mentions,
            "mentions_truncated": total > len(mentions), "companions": companions,
            "years": [{"year": year, "count": count}
                      for year, count in db.execute(_YEARS, (entity_id,))]}


@bp.get("/entities/<entity_id>")
def show(entity_id: str) -> str:
    data = entity_data(entity_id)
    chart = histogram_svg([(y["year"], y["count"]) for y in data["years"]],
                          label=f"Dates named beside {data['name']}", unit="dates")
    return render_template("entities/show.html", entity=data, timeline=chart)
