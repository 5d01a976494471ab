"""The reading view of one document, its TEI source, and the document list's JSON."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from archive.index import leaf_passages, mention_counts
from archive.registry import RefResolver
from tei.parse import parse_tei

from . import SECURITY_HEADERS
from .data import document_or_404, document_path, get_ref_resolver, get_registry, get_settings
from .downloads import RAW_FILE_HEADERS
from .render import MENTION_TYPES, Rendered, render_text
from .tagging import tags_editor

bp = Blueprint("documents", __name__)

#: Rendered documents kept, keyed by file stamp and registry: a changed file renders anew.
CACHE_SIZE = 64
_cache: OrderedDict[tuple[Any, ...], Rendered] = OrderedDict()
_cache_lock = threading.Lock()

TYPE_LABELS = {"person": "Persons", "place": "Places", "org": "Organisations", "date": "Dates",
               "name": "Other names"}


def rendered(doc_id: str, images: bool = False, offsets: bool = False) -> Rendered:
    """The document's text as HTML, from the cache when the file and registry are unchanged.

    :param images: show facsimile images from other sites (the reader's switch).
    :param offsets: with the offsets tagging needs (an editor's view: :func:`render_text`).
    """
    row = document_or_404(doc_id)
    path = document_path(row)
    registry = get_registry()
    resolver: RefResolver = get_ref_resolver()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, id(registry), id(resolver), doc_id,
           images, offsets)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    # pointers resolve as the index resolved them: `#p1` of an imported letter is `<doc>.p1`
    result = render_text(parse_tei(path), doc_id, registry.entries,
                         resolver.for_document(doc_id).key, images=images, offsets=offsets)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def document_data(doc_id: str, *, passages: bool = True) -> dict[str, Any]:
    """A document's metadata, mention counts and passages (the JSON twin of the reading view).

    :param passages: include every passage's text (the page itself does not need them).
    """
    row = document_or_404(doc_id)
    settings = get_settings()
    counts = mention_counts(settings, row["doc"])
    rows = leaf_passages(settings, row["doc"]) if passages else []
    base = url_for("documents.read", doc_id=doc_id)
    listed = [{**p, "url": f"{base}#{p['id']}"} for p in rows]
    return {
        "id": row["id"], "title": row["title"], "author": row["author"],
        "publication": row["publication"], "publisher": row["publisher"], "date": row["date"],
        "kind": row["kind"], "language": row["language"], "licence": row["licence"],
        "mentions": counts, "url": url_for("documents.read", doc_id=doc_id),
        "tei_url": url_for("documents.source", doc_id=doc_id),
        "export_url": url_for("downloads.document_tei", doc_id=doc_id), "passages": listed,
    }


#: What an HTML ``time`` element's ``datetime`` takes of a document's date: a year, month or
#: day (an interval such as ``1891-03-05/1891-03-31`` gives its start; ``../1893``, nothing).
_HTML_DATE = re.compile(r"\d{4}(?:-\d{2}){0,2}")


def html_datetime(value: str | None) -> str | None:
    """The machine-readable date of a document's ``date`` column for ``<time datetime>``."""
    start = (value or "").partition("/")[0]
    return start if _HTML_DATE.fullmatch(start) else None


#: The reading view's parameter that shows facsimile images from other sites.
IMAGES_PARAMETER, IMAGES_ON = "facsimiles", "show"


def policy_with_images(origins: tuple[str, ...]) -> str:
    """The viewer's Content-Security-Policy, its ``img-src`` also allowing ``origins``."""
    return "; ".join(
        directive + "".join(f" {origin}" for origin in origins)
        if directive.startswith("img-src ") else directive
        for directive in (part.strip() for part in
                          SECURITY_HEADERS["Content-Security-Policy"].split(";")))


@bp.get("/documents/<doc_id>")
def read(doc_id: str) -> Any:
    data = document_data(doc_id, passages=False)
    # facsimile images from other sites only when the reader asks (?facsimiles=show); the
    # page's policy then allows exactly their origins, and no other page's
    images = request.args.get(IMAGES_PARAMETER) == IMAGES_ON
    text = rendered(doc_id, images, offsets=tags_editor())
    types = [kind for kind in (*MENTION_TYPES, "name") if text.mentions.get(kind)]
    # the configured public address, else the one asked by (a trusted host: see limits; the
    # response cache keeps pages by host)
    base = current_app.config["BASE_URL"] or request.url_root
    page = render_template("documents/read.html", doc=data, text=text, types=types,
                           datetime=html_datetime(data["date"]), type_labels=TYPE_LABELS,
                           permalink=base.rstrip("/") + data["url"], images=images,
                           images_url=f"{data['url']}?{IMAGES_PARAMETER}={IMAGES_ON}")
    if not text.image_origins:
        return page
    return Response(page, mimetype="text/html", headers={
        "Content-Security-Policy": policy_with_images(text.image_origins)})


@bp.get("/documents/<doc_id>.xml")
def source(doc_id: str) -> Any:
    """The TEI file itself, sandboxed (a browser showing it runs nothing of it and loads
    nothing it names); ``?download=1`` as an attachment."""
    path = document_path(document_or_404(doc_id))
    # read whole (TEI files are small): no open file handle outlives the request
    response = Response(path.read_bytes(), mimetype="application/xml", headers=RAW_FILE_HEADERS)
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = f"attachment; filename={doc_id}.xml"
    return response
