"""Full-text search (FTS5) over passages, as keyword-in-context lines, combinable with facets."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, url_for
from markupsafe import Markup, escape

from archive.index import MARK_END, MARK_START, search_passages

from .browse import current_selection, page_number, run_lookup
from .data import get_settings

bp = Blueprint("search", __name__)


def marked(snippet: str) -> Markup:
    """An FTS snippet with its hit markers turned into ``<mark>``, everything else escaped."""
    text = str(escape(snippet))
    return Markup(text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def search_data() -> dict[str, Any]:
    """Hits of ``?q=`` within the selected facets, plain data (the JSON twin)."""
    selection = current_selection()
    size = current_app.config["PAGE_SIZE"]
    page = page_number()
    summary = run_lookup(selection, "search.results", limit=0)
    total, hits = search_passages(get_settings(), selection.chosen(), selection.text, limit=size,
                                  offset=(page - 1) * size)
    for hit in hits:
        hit["url"] = url_for("documents.read", doc_id=hit["doc"]) + f"#{hit['target']}"
        snippet = hit.pop("snippet")
        hit["text"] = snippet.replace(MARK_START, "").replace(MARK_END, "")
        hit["marked"] = marked(snippet)  # the page's KWIC line; the JSON twin drops it
    return {"query": selection.text, "total": total, "documents": summary["count"],
            "page": page, "page_size": size, "hits": hits, "facets": summary["facets"],
            "facets_failed": summary["facets_failed"],
            "selections": summary["selection_list"]}


@bp.get("/search")
def results() -> str:
    return render_template("search/results.html", **search_data())
