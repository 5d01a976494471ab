"""Full-text search (FTS5) over passages, as keyword-in-context lines, combinable with facets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup, escape

from .browse import current_selection, page_number, toggle_url
from .data import get_db
from .lookup import MARK_END, MARK_START, lookup, search_passages

bp = Blueprint("search", __name__)


def marked(snippet: str) -> Markup:
    """An FTS snippet with its hit markers turned into ``<mark>``, everything else escaped."""
    text = str(escape(snippet))
    return Markup(text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def search_data() -> dict[str, Any]:
    """Hits of ``?q=`` within the selected facets, plain data (the JSON twin)."""
    selection, facets = current_selection()
    size = current_app.config["PAGE_SIZE"]
    page = page_number()
    db = get_db()
    total, hits = search_passages(db, selection, limit=size, offset=(page - 1) * size)
    for hit in hits:
        hit["url"] = url_for("documents.read", doc_id=hit["doc"]) + f"#{hit['target']}"
        snippet = hit.pop("snippet")
        hit["text"] = snippet.replace(MARK_START, "").replace(MARK_END, "")
        hit["marked"] = marked(snippet)  # the page's KWIC line; the JSON twin drops it
    summary = lookup(db, facets, selection, limit=0, facet_size=current_app.config["FACET_SIZE"])
    for facet in summary.facets:
        for value in facet["results"]:
            value["toggle_url"] = toggle_url("search.results", facet["name"], value["value"],
                                             value["selected"])
    return {"query": selection.text, "total": total, "documents": summary.total, "page": page,
            "page_size": size, "hits": hits, "facets": summary.facets,
            "facets_failed": summary.facets_failed,
            "selections": [{"facet": name, "value": value,
                            "remove_url": toggle_url("search.results", name, value, True)}
                           for name, value in selection.facets]}


@bp.get("/search")
def results() -> str:
    return render_template("search/results.html", **search_data())
