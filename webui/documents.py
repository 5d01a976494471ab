"""The reading view of one document, its TEI source, and the document list's JSON."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from archive.index import leaf_passages, mention_counts
from archive.registry import RefResolver
from tei.parse import parse_tei

from . import SECURITY_HEADERS
from .data import (
    Memo,
    document_or_404,
    document_path,
    get_ref_resolver,
    get_registry,
    get_settings,
    site_url,
)
from .downloads import RAW_FILE_HEADERS
from .render import MENTION_TYPES, Division, Pieces, Rendered, entries_below, render_pieces
from .tagging import tags_editor

bp = Blueprint("documents", __name__)

#: Rendered documents kept, keyed by file stamp and registry: a changed file renders anew.
CACHE_SIZE = 64
_cache: Memo[Reading] = Memo(CACHE_SIZE)

TYPE_LABELS = {"person": "Persons", "place": "Places", "org": "Organisations", "date": "Dates",
               "name": "Other names"}


#: A text whose HTML is longer than this (about 200 KB of words) is read in parts where it
#: divides: the first part on the page, the others loaded as the reader reaches them.
SPLIT_OVER = 300_000
#: The size a part grows to (in characters of HTML, about one chapter of a novel) before the
#: next division starts another: the first screen is about this size.
PART_SIZE = 50_000
_ID = re.compile(r' id="([^"]+)"')
_NUMBER = re.compile(r"[0-9]{1,6}")  # (ASCII digits: str.isdigit takes "²" too)


@dataclass(frozen=True)
class Reading:
    """A rendered document as the reading view shows it.

    :param rendered: the legend's counts, and the whole text's HTML when not in parts.
    :param contents: the table of contents (each entry's ``piece`` a part number here).
    :param parts: each part's HTML (its divisions and their notes); none: read whole (one
        part, the whole text).
    :param labels: each part's name (the first and last division it holds).
    :param before: the text before the first part; ``after``: after the last one, with the
        notes of neither part.
    :param where: each ``id`` inside a part → the part's number.
    """

    rendered: Rendered
    contents: list[Division]
    parts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    before: str = ""
    after: str = ""
    where: dict[str, int] = field(default_factory=dict)


def rendered(doc_id: str, images: bool = False, offsets: bool = False) -> Reading:
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
    # pointers resolve as the index resolved them: `#p1` of an imported letter is `<doc>.p1`
    return _cache.get(key, lambda: reading(render_pieces(
        parse_tei(path), doc_id, registry.entries, resolver.for_document(doc_id).key,
        images=images, offsets=offsets)))


def reading(pieces: Pieces) -> Reading:
    """The reading of a document rendered in pieces: whole when short or undivided, else its
    pieces gathered into parts of about :data:`PART_SIZE`."""
    if len(pieces.rendered.html) <= SPLIT_OVER or len(pieces.pieces) < 2:  # one part
        contents = [Division(d.level, d.label, d.target, None) for d in pieces.contents]
        return Reading(pieces.rendered, contents, where=_ids(pieces.rendered.html, 0))
    groups: list[list[int]] = [[]]
    size = 0
    for number, piece in enumerate(pieces.pieces):
        if size >= PART_SIZE:
            groups.append([])
            size = 0
        groups[-1].append(number)
        size += len(piece.html) + sum(len(note) for _, note in piece.notes)
    part_of = {number: part for part, group in enumerate(groups) for number in group}
    contents = [Division(d.level, d.label, d.target, None if d.piece is None
                         else part_of[d.piece]) for d in pieces.contents]
    top = min(d.level for d in contents if d.piece is not None)  # the divisions cut between
    heads: dict[int, list[str]] = {}
    for entry in contents:
        if entry.piece is not None and entry.level == top:
            heads.setdefault(entry.piece, []).append(entry.label)
    parts: list[str] = []
    labels: list[str] = []
    where: dict[str, int] = {}
    for part, group in enumerate(groups):
        names = heads.get(part) or [f"Part {part + 1}"]
        labels.append(names[0] if len(names) == 1 else f"{names[0]} – {names[-1]}")
        held = [pieces.pieces[n] for n in group]
        text = "".join(piece.html for piece in held) + entries_below(
            [note for piece in held for note in piece.notes],
            [entry for piece in held for entry in piece.apparatus], f"-{part + 1}",
            labels[-1])
        parts.append(text)
        where = _ids(text, part) | where
    # the whole HTML is not kept beside its parts (a 2 MB novel's would double the cache)
    return Reading(replace(pieces.rendered, html=Markup("")), contents, parts, labels,
                   pieces.before, pieces.after + pieces.below, where)


def _ids(text: str, part: int) -> dict[str, int]:
    """Each ``id`` in ``text`` → ``part``."""
    return {html.unescape(found): part for found in _ID.findall(text)}


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
    """The reading view; a long text in parts shows its first (``?part=n``: the n-th), the
    others as links that the viewer's script replaces by the part when the reader reaches it."""
    data = document_data(doc_id, passages=False)
    # facsimile images from other sites only when the reader asks (?facsimiles=show); the
    # page's policy then allows exactly their origins, and no other page's
    images = request.args.get(IMAGES_PARAMETER) == IMAGES_ON
    text = rendered(doc_id, images, offsets=tags_editor())
    shown = _part_number(request.args.get("part", "1"), text) if text.parts else None
    types = [kind for kind in (*MENTION_TYPES, "name") if text.rendered.mentions.get(kind)]
    body = text.rendered.html if shown is None else Markup(
        text.before + "".join(part_html(text, number) if number == shown
                              else stub(doc_id, text, number, images)
                              for number in range(len(text.parts))) + text.after)
    page = render_template("documents/read.html", doc=data, text=text.rendered, body=body,
                           contents=text.contents if len(text.contents) >= 2 else [],
                           shown=shown, datetime=html_datetime(data["date"]),
                           type_labels=TYPE_LABELS, types=types,
                           permalink=site_url() + data["url"], images=images,
                           images_url=f"{data['url']}?{IMAGES_PARAMETER}={IMAGES_ON}")
    if not text.rendered.image_origins:
        return page
    return Response(page, mimetype="text/html", headers={
        "Content-Security-Policy": policy_with_images(text.rendered.image_origins)})


def _part_number(value: str, text: Reading) -> int:
    """The 0-based part of a 1-based ``?part=`` / ``/part/<n>``; 404 for any other value."""
    if not _NUMBER.fullmatch(value) or not 1 <= int(value) <= max(len(text.parts), 1):
        abort(404)
    return int(value) - 1


def part_html(text: Reading, number: int) -> str:
    """One part, in its wrapper (``data-part`` 1-based, as in the URLs)."""
    inner = text.parts[number] if text.parts else text.rendered.html
    return (f'<div class="part" id="ui-part-{number + 1}" data-part="{number + 1}">'
            f"{inner}</div>")


def stub(doc_id: str, text: Reading, number: int, images: bool) -> str:
    """A part not on this page: a link to it (the viewer's script loads it in place, with
    the page's facsimile images switch)."""
    base = url_for("documents.read", doc_id=doc_id)
    src = url_for("documents.part", doc_id=doc_id, number=number + 1) + (
        f"?{IMAGES_PARAMETER}={IMAGES_ON}" if images else "")
    return (f'<div class="part part-stub" id="ui-part-{number + 1}" data-part="{number + 1}" '
            f'data-src="{html.escape(src)}">'
            f'<p><a href="{html.escape(base)}?part={number + 1}#ui-part-{number + 1}">'
            f"Part {number + 1} of {len(text.parts)}: {html.escape(text.labels[number])}</a></p>"
            "</div>")


@bp.get("/documents/<doc_id>/part/<number>")
def part(doc_id: str, number: str) -> Response:
    """Part ``number`` (from 1) of a document, as an HTML fragment (its wrapper); a document
    read whole is one part."""
    text = rendered(doc_id, request.args.get(IMAGES_PARAMETER) == IMAGES_ON,
                    offsets=tags_editor())
    shown = _part_number(number, text)
    return Response(part_html(text, shown), mimetype="text/html")


@bp.get("/documents/<doc_id>/part-of/<path:anchor>")
def part_of(doc_id: str, anchor: str) -> Response:
    """Which part holds the element ``anchor`` (a passage's citation address, a note): JSON
    ``{"part": n, "url": …}`` (a document read whole: 1); 404 when no part holds it (it stands
    before or after the parts, on every page, or nowhere)."""
    text = rendered(doc_id, offsets=tags_editor())  # (an editor's parts are cut as theirs)
    number = text.where.get(anchor)
    if number is None:
        abort(404)
    return jsonify(part=number + 1,
                   url=url_for("documents.part", doc_id=doc_id, number=number + 1))


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
