"""Entity pages (a registry entry, every mention in context, companions, a timeline) and the
registers: ``/entities`` and one sortable, filterable, paged list per entity type."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from archive.index import companions, entity_listing, entity_totals, years_beside

from .browse import page_number
from .data import entity_or_404, entry_dict, get_registry, get_settings, require_index
from .map import place_map, places_map
from .timeline import histogram_svg, per

bp = Blueprint("entities", __name__)

#: Mentions listed on an entity page (the count is always the full one).
MENTION_LIMIT = 500
KWIC_WIDTH = 60
_SPACES = re.compile(r"\s+")
#: The registers: URL segment → (entry type, heading).
REGISTERS = {"persons": ("person", "Persons"), "places": ("place", "Places"),
             "orgs": ("org", "Organisations")}
#: A register's orders: ``name`` (A–Z), ``mentions`` (most first), ``date`` (earliest first by
#: the entry's life dates — birth, else death — else the earliest document naming it; undated
#: last).
SORTS = ("name", "mentions", "date")
_YEAR = re.compile(r"(-?\d+)(.*)")

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
    total, documents, listed = entity_listing(settings, entity_id, MENTION_LIMIT)
    mentions = []
    urls: dict[str, str] = {}  # (a document's many mentions: its address made once)
    for row in listed:
        url = urls.get(row["doc"]) or urls.setdefault(
            row["doc"], url_for("documents.read", doc_id=row["doc"]))
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
    card["notes"] = list(entry.notes)
    return {**card, "documents": documents, "mention_list": mentions,
            "mentions_truncated": total > len(mentions), "companions": named_beside,
            "years": [{"year": year, "count": count}
                      for year, count in years_beside(settings, entity_id)]}


def register_data(kind: str) -> dict[str, Any]:
    """One register as plain data (the JSON twin): its entries filtered by ``q`` (a part of the
    name or of a variant, any case), in ``sort`` order, one page of ``PAGE_SIZE``.

    :raise werkzeug.exceptions.NotFound: no such register.
    :raise werkzeug.exceptions.BadRequest: an unknown sort.
    """
    return register_and_rows(kind)[0]


def register_and_rows(kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`register_data` and every entry of the filter (all pages)."""
    if kind not in REGISTERS:
        abort(404, f"No register {kind!r}: {', '.join(REGISTERS)}")
    entry_type, heading = REGISTERS[kind]
    sort = request.args.get("sort", "name")
    if sort not in SORTS:
        abort(400, f"Unknown sort {sort!r}: {', '.join(SORTS)}")
    text = request.args.get("q", "").strip()
    rows = register_rows(entry_type, text)
    rows.sort(key=lambda row: (row["name"].casefold(), row["id"]))
    if sort == "mentions":
        rows.sort(key=lambda row: -row["mentions"])
    elif sort == "date":
        rows.sort(key=lambda row: date_key(row["birth"] or row["death"] or row["first_date"]))
    size = current_app.config["PAGE_SIZE"]
    page = page_number()
    return {"register": kind, "type": entry_type, "title": heading, "sort": sort, "query": text,
            "total": len(rows), "page": page, "page_size": size,
            "entries": rows[(page - 1) * size:page * size]}, rows


def register_rows(entry_type: str, text: str) -> list[dict[str, Any]]:
    """Every entry of ``entry_type`` whose name or a variant holds ``text`` (any case), with its
    mentions, documents and first dated document, in registry order."""
    require_index()
    totals = entity_totals(get_settings(), entry_type)
    needle = text.casefold()
    rows: list[dict[str, Any]] = []
    for entry in get_registry().entries.values():
        if entry.type != entry_type:
            continue
        if needle and not any(needle in name.casefold() for name in (entry.name, *entry.variants)):
            continue
        mentions, documents, first = totals.get(entry.id, (0, 0, None))
        rows.append({"id": entry.id, "name": entry.name, "variants": list(entry.variants),
                     "birth": entry.birth, "death": entry.death,
                     "geo": list(entry.geo) if entry.geo else None, "proposed": entry.proposed,
                     "mentions": mentions, "documents": documents, "first_date": first,
                     "url": url_for("entities.show", entity_id=entry.id)})
    return rows


def date_key(date: str | None) -> tuple[bool, int, str]:
    """An ISO date (``"1879-11-07"``, ``"-0044-03-15"``, ``"1850"``) as a sort key: by year as a
    number (so that years before the common era come first), then the rest; None last."""
    found = _YEAR.match(date or "")
    if found is None:
        return (True, 0, date or "")
    return (False, int(found.group(1)), found.group(2))


def registers_data() -> dict[str, Any]:
    """The index of the registers: each with its entries and their mentions (the JSON twin)."""
    require_index()
    settings = get_settings()
    counts = {entry_type: 0 for entry_type, _ in REGISTERS.values()}
    for entry in get_registry().entries.values():
        if entry.type in counts:
            counts[entry.type] += 1
    registers = []
    for kind, (entry_type, heading) in REGISTERS.items():
        totals = entity_totals(settings, entry_type)
        registers.append({"register": kind, "title": heading, "entries": counts[entry_type],
                          "named": len(totals),
                          "mentions": sum(total for total, _, _ in totals.values()),
                          "url": url_for("entities.register", kind=kind)})
    return {"registers": registers}


@bp.get("/entities")
def registers() -> str:
    return render_template("entities/registers.html", **registers_data())


def register(kind: str) -> str:
    data, rows = register_and_rows(kind)
    pages = max(1, (data["total"] + data["page_size"] - 1) // data["page_size"])
    drawn = None
    if data["type"] == "place":  # every place of the filter, not only this page's
        drawn = places_map(((row["id"], row["mentions"]) for row in rows), get_registry(),
                           label="Map of the places", unit="mentions")
    return render_template("entities/register.html", **data, pages=pages, sorts=SORTS,
                           place_map=drawn)


for _kind in REGISTERS:  # static rules: they win over /entities/<entity_id>
    bp.add_url_rule(f"/entities/{_kind}", "register", register, methods=["GET"],
                    defaults={"kind": _kind})


@bp.get("/entities/<entity_id>")
def show(entity_id: str) -> str:
    data = entity_data(entity_id)
    counts = [(y["year"], y["count"]) for y in data["years"]]
    chart = histogram_svg(counts, label=f"Dates named beside {data['name']}, {per(counts)}",
                          unit="dates")
    drawn = place_map(entity_id, get_registry()) if data["type"] == "place" else None
    return render_template("entities/show.html", entity=data, timeline=chart,
                           timeline_per=per(counts), place_map=drawn)
