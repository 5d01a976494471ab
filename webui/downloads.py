"""Downloads: a document's TEI export, the browse selection as teiCorpus / zip / CSV, an
entity's mentions as CSV. Every file comes from :mod:`archive.interchange.export`; ids are checked
against the index (or registry) first, as everywhere in the viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app

from archive.errors import ArchiveError, QueryError
from archive.index import lookup
from archive.interchange import export_corpus, export_mentions_csv, export_tei, export_zip

from .browse import current_selection
from .data import document_or_404, entity_or_404, get_settings, require_index
from .limits import heavy

bp = Blueprint("downloads", __name__)

TEI_TYPE = "application/tei+xml"
CSV_TYPE = "text/csv"  # werkzeug adds "; charset=utf-8"
#: Sent with every file the viewer serves as it is (TEI, exports): a browser that shows one
#: treats it as a sandboxed page of its own origin that may load and run nothing (XHTML
#: elements in a TEI file, an ``xml-stylesheet`` naming another document).
RAW_FILE_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'",
                    "X-Content-Type-Options": "nosniff"}


def attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    """``data`` as a download named ``filename`` (an id-safe name: no quoting needed)."""
    response = Response(data, mimetype=mimetype, headers=RAW_FILE_HEADERS)
    disposition = f'attachment; filename="{filename}"'
    if not filename.isascii():  # an id in another script: RFC 6266's filename*
        fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
        disposition = (f'attachment; filename="{fallback}"; '
                       f"filename*=UTF-8''{quote(filename, safe='')}")
    response.headers["Content-Disposition"] = disposition
    return response


def selected_ids() -> list[str]:
    """The ids of every document the browse page's selection matches, in the page's order.

    :raise werkzeug.exceptions.NotFound: the selection matches no document.
    :raise werkzeug.exceptions.RequestEntityTooLarge: more than ``EXPORT_LIMIT`` documents.
    """
    limit = current_app.config["EXPORT_LIMIT"]
    selection = current_selection()
    require_index()  # a clear 503 when there is no index yet
    try:
        result = lookup(get_settings(), selection.chosen(), selection.text or None, limit=limit + 1,
                        facet_size=1)
    except QueryError as error:
        abort(400, str(error))
    if not result["count"]:
        abort(404, "No document matches the selection.")
    if result["count"] > limit:
        abort(413, f"The selection holds {result['count']} documents; the viewer exports up to "
                   f"{limit}. Narrow the selection, or use `archive export --all`.")
    return [document["id"] for document in result["documents"]]


def _export(make: Callable[[], bytes | str]) -> bytes | str:
    # one of the few heavy requests at once (503 beyond); the index and the files can disagree
    # for a moment (a build under way): say so, no traceback
    try:
        with heavy():
            return make()
    except ArchiveError as error:
        abort(404, str(error))


@bp.get("/documents/<doc_id>/export.tei")
def document_tei(doc_id: str) -> Response:
    """One self-contained TEI document: the registry entries it points to travel with it."""
    doc_id = document_or_404(doc_id)["id"]
    data = _export(lambda: export_tei(get_settings(), doc_id))
    return attachment(data, TEI_TYPE, f"{doc_id}.xml")


@bp.get("/export.teicorpus")
def selection_corpus() -> Response:
    ids = selected_ids()
    data = _export(lambda: export_corpus(get_settings(), ids))
    return attachment(data, TEI_TYPE, "selection.teicorpus.xml")


@bp.get("/export.zip")
def selection_zip() -> Response:
    ids = selected_ids()
    data = _export(lambda: export_zip(get_settings(), ids))
    return attachment(data, "application/zip", "selection.zip")


@bp.get("/export.csv")
def selection_csv() -> Response:
    ids = selected_ids()
    data = _export(lambda: export_mentions_csv(get_settings(), ids))
    return attachment(data, CSV_TYPE, "selection-mentions.csv")


@bp.get("/entities/<entity_id>/mentions.csv")
def entity_csv(entity_id: str) -> Response:
    entity_id = entity_or_404(entity_id).id
    data = _export(lambda: export_mentions_csv(get_settings(), entity=entity_id))
    return attachment(data, CSV_TYPE, f"{entity_id}-mentions.csv")
