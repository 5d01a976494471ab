"""Entity pages: a registry entry, every mention in context, companions, and a timeline."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template, url_for

from archive.index import companions, entity_mentions, mention_totals, years_beside

from .data import entity_or_404, entry_dict, get_registry, get_settings, require_index
from .timeline import histogram_svg, per

bp = Blueprint("entities", __name__)

#: Mentions listed on an entity page (the count is always the full one).
MENTION_LIMIT = 500
KWIC_WIDTH = 60
_SPACES = re.compile(r"\s+")

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
    require_index()
    settings = get_settings()
    total, documents = mention_totals(settings, entity_id)
    mentions = []
    for row in entity_mentions(settings, entity_id, MENTION_LIMIT):
        url = url_for("documents.read", doc_id=row["doc"])
        mentions.append({"doc": row["doc"], "title": row["title"], "date": row["date"],
                         "target": row["target"],
                         "url": url + (f"#{row['target']}" if row["target"] else ""),
                         **kwic(row["text"], row["start"], row["end"], row["surface"])})
    registry = get_registry()
    named_beside = []
    for row in companions(settings, entity_id):
        other = registry.get(row["id"])
        named_beside.append({"id": row["id"], "type": row["type"],
                             "name": other.name if other else row["id"],
                             "passages": row["passages"],
                             "url": url_for("entities.show", entity_id=row["id"])
                             if other else None})
    card = entry_dict(entry, total)
    card["url"] = url_for("entities.show", entity_id=entity_id)
    return {**card, "documents": documents, "mention_list": mentions,
            "mentions_truncated": total > len(mentions), "companions": named_beside,
            "years": [{"year": year, "count": count}
                      for year, count in years_beside(settings, entity_id)]}


@bp.get("/entities/<entity_id>")
def show(entity_id: str) -> str:
    data = entity_data(entity_id)
    counts = [(y["year"], y["count"]) for y in data["years"]]
    chart = histogram_svg(counts, label=f"Dates named beside {data['name']}, {per(counts)}",
                          unit="dates")
    return render_template("entities/show.html", entity=data, timeline=chart,
                           timeline_per=per(counts))
