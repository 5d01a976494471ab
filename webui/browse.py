"""Browse: documents, a facet sidebar, a full-text box and a timeline; all state in the URL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from archive.errors import QueryError
from archive.index import facet_counts, lookup

from .data import get_registry, get_settings, require_index
from .lookup import Selection, facet_names
from .map import places_map
from .timeline import histogram_svg, per

bp = Blueprint("browse", __name__)

#: Values asked of lookup for the timeline's facets: enough for every year a corpus mentions.
TIMELINE_YEARS = 5000
#: The facets the timeline draws, whose every value is asked for (the others: those shown).
TIMELINE_FACETS = ("year", "decade")


def current_selection() -> Selection:
    """The selection the request's query string describes (unknown parameters ignored)."""
    return Selection.from_args(request.args, facet_names(get_settings()))


def known_args() -> MultiDict[str, str]:
    """The request's parameters that describe the selection (facets and ``q``): the only ones
    links carry on (an unknown parameter is ignored, never copied into every link)."""
    if "known_args" not in g:  # once per request: every facet value's link asks
        names = {*facet_names(get_settings()), "q"}
        g.known_args = MultiDict([(name, value) for name, value in request.args.items(multi=True)
                                  if name in names])
    return g.known_args.copy()  # type: ignore[no-any-return]


def run_lookup(selection: Selection, endpoint: str, limit: int) -> dict[str, Any]:
    """:func:`archive.index.lookup` for the selection, each value given its toggle URL.

    :raise werkzeug.exceptions.BadRequest: the index refuses the selection.
    """
    require_index()  # a clear 503 when there is no index yet
    expanded = request.args.get("_facet_size") == "max"  # Datasette's "show all values"
    size = current_app.config["FACET_MAX" if expanded else "FACET_SIZE"]
    try:
        # the values shown, and the timeline's every year (each value asked for costs a dict)
        result = lookup(get_settings(), selection.chosen(), selection.text or None, limit=limit,
                        facet_size=size,
                        facet_sizes=dict.fromkeys(TIMELINE_FACETS, TIMELINE_YEARS))
    except QueryError as error:
        abort(400, str(error))
    result["years"] = []
    result["decades"] = None  # documents per decade (not the sum of documents per year)
    for facet in result["facets"]:
        if facet["name"] == "year":
            result["years"] = sorted((int(item["value"]), item["count"])
                                     for item in facet["results"]
                                     if item["value"].lstrip("-").isdigit() and item["count"])
        if facet["name"] == "decade" and not facet["truncated"]:
            result["decades"] = sorted((int(item["value"][:-1]), item["count"])
                                       for item in facet["results"]
                                       if item["value"][:-1].lstrip("-").isdigit()
                                       and item["value"].endswith("0s") and item["count"])
        top = facet["results"][:size]
        top += [item for item in facet["results"][size:] if item["selected"]]
        facet["truncated"] = facet["truncated"] or facet["value_count"] > size
        facet["expanded"] = expanded
        facet["results"] = top
        facet["expand_url"] = (expand_url(endpoint, facet["name"])
                               if facet["truncated"] and not expanded else None)
    for facet in result["facets"]:
        for value in facet["results"]:
            value["toggle_url"] = toggle_url(endpoint, facet["name"], value["value"],
                                             value["selected"])
    result["selection_list"] = [
        {"facet": name, "value": value, "label": _label(result["facets"], name, value),
         "remove_url": toggle_url(endpoint, name, value, True)}
        for name, value in selection.facets]
    return result


def toggle_url(endpoint: str, name: str, value: str, selected: bool) -> str:
    """This page's URL with one facet value added or removed (and paging reset), as werkzeug's
    ``url_for`` writes it, made of the request's parameters quoted once per request and its
    route built once: a page has a link for every value shown and every bar of its timeline,
    and building each through the URL map (and a copy of the arguments) took about half of
    ``/api/facets``."""
    if "quoted_args" not in g:
        quoted: dict[str, list[tuple[str, str]]] = {}
        for key, given in known_args().items(multi=True):
            quoted.setdefault(key, []).append((given, f"{_quoted(key)}={_quoted(given)}"))
        g.quoted_args = quoted
    args: dict[str, list[tuple[str, str]]] = g.quoted_args
    toggled = [pair for pair in args.get(name, []) if pair[0] != value]
    if not selected:
        toggled.append((value, f"{_quoted(name)}={_quoted(value)}"))
    query = "&".join(pair for pairs in {**args, name: toggled}.values()
                     for _, pair in pairs)
    base = _endpoint_url(endpoint)
    return f"{base}?{query}" if query else base


#: The characters werkzeug's ``url_for`` leaves unquoted in a query string.
_QUERY_SAFE = "!$'()*,/:;?@"


def _endpoint_url(endpoint: str) -> str:
    """``url_for(endpoint)``, built once per request."""
    if "endpoint_urls" not in g:
        g.endpoint_urls = {}
    base: str = g.endpoint_urls.get(endpoint) or g.endpoint_urls.setdefault(
        endpoint, url_for(endpoint))
    return base


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote_plus(text, safe=_QUERY_SAFE)


def expand_url(endpoint: str, name: str) -> str:
    """This page's URL with every facet shown whole (``_facet_size=max``), at facet ``name``."""
    query: dict[str, Any] = known_args().to_dict(flat=False)
    return url_for(endpoint, _facet_size="max", _anchor=f"facet-{name}", **query)


def page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


def browse_data(endpoint: str = "browse.index", listed: bool = True) -> dict[str, Any]:
    """Everything the browse page shows, as plain data (the JSON twin returns it as is).

    :param listed: False: no documents are listed (``/api/facets``), only counted.
    """
    selection = current_selection()
    size = current_app.config["PAGE_SIZE"]
    page = page_number()
    # lookup has no offset: ask for the pages up to this one and keep the last
    result = run_lookup(selection, endpoint, limit=page * size if listed else 0)
    documents = result["documents"][(page - 1) * size:]
    for document in documents:
        document["url"] = url_for("documents.read", doc_id=document["id"])
    return {
        "query": selection.text, "selections": result["selection_list"],
        "total": result["count"], "page": page, "page_size": size, "documents": documents,
        "facets": result["facets"], "facets_failed": result["facets_failed"],
        "years": result["years"], "decades": result["decades"],
    }


def _label(facets: list[dict[str, Any]], name: str, value: str) -> str:
    for facet in facets:
        if facet["name"] == name:
            for item in facet["results"]:
                if item["value"] == value:
                    return f'{facet["label"]}: {item["label"]}'
            return f'{facet["label"]}: {value}'
    return f"{name}: {value}"


def timeline(counts: list[tuple[int, int]], decades: list[tuple[int, int]] | None,
             endpoint: str = "browse.index") -> tuple[Any, str]:
    """The SVG histogram of years mentioned, a bar selecting its year (or decade), and what it
    counts (``"documents per decade"``) for its caption.

    A bar counts documents: a decade's bar the documents naming any of its years (the decade
    facet), never the sum of its years' documents. Without the decade facet, decade bars count
    the mentions of years.
    """

    def link(year: int, step: int) -> str:
        if step == 1:
            return toggle_url(endpoint, "year", str(year), False)
        return toggle_url(endpoint, "decade", f"{year // 10}0s", False)

    unit = "documents" if per(counts) == "per year" or decades is not None else "year mentions"
    what = f"{unit} {per(counts)}"
    chart = histogram_svg(counts, label=f"Years mentioned: {what}", unit=unit, link=link,
                          decades=None if decades is None else dict(decades))
    return chart, what


#: Crawlers index the documents and entity pages, never the endless combinations of facets,
#: nor the XPath console, the search, the downloads or the JSON API. ``/?page=`` stays open so
#: every document of the unfiltered list is reachable (a filtered pager link is ``nofollow``), and
#: ``/entities/<register>?page=`` every entry of a register.
ROBOTS_TXT = """User-agent: *
Disallow: /*?
Allow: /?page=
Allow: /entities/*?page=
Disallow: /query
Disallow: /search
Disallow: /api/
Disallow: /export.
Disallow: /*/export.tei
Disallow: /*/mentions.csv
"""


@bp.get("/robots.txt")
def robots() -> Response:
    """Keep crawlers off facet combinations and off query, search and export URLs."""
    response = make_response(ROBOTS_TXT)
    response.mimetype = "text/plain"
    return response


@bp.get("/")
def index() -> str:
    data = browse_data()
    pages = (data["total"] + data["page_size"] - 1) // data["page_size"]
    args = known_args().to_dict(flat=False)
    chart, counted = timeline(data.pop("years"), data.pop("decades"))
    return render_template("browse/index.html", **data, pages=pages, args=args,
                           timeline=chart, timeline_counts=counted, place_map=selection_map(),
                           export_limit=current_app.config["EXPORT_LIMIT"])


def selection_map() -> dict[str, Any] | None:
    """The map of the places the selection's documents name (each sized by how many of them
    do), or None when the archive has no place facet or no such place has coordinates."""
    if "place" not in facet_names(get_settings()):
        return None
    selection = current_selection()
    try:
        counts = facet_counts(get_settings(), selection.chosen(), selection.text or None, "place")
    except QueryError as error:
        abort(400, str(error))
    what = "the selected documents" if selection.facets or selection.text else "the documents"
    return places_map(counts, get_registry(), label=f"Map of the places {what} name",
                      unit="documents")
