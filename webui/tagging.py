"""Correcting tags in the reading view (``archive serve --editing``, editors): the writing
routes behind ``webui/static/tagging.js``.

Every route takes JSON and answers JSON, under ``/api/edit/``; each edit goes through
:mod:`archive.curation` exactly as the command line's ``archive tags`` does (validated, atomic,
locked, logged, undoable). A passage is named by its address, a span by character offsets in
the passage's text (the reading view marks them: ``data-o``/``data-e``, see
:func:`webui.render.offsets`); an existing tag by its offsets too (the server finds its number).

The page carries the ETag of the file it rendered (``<meta name="archive-document">``); an edit
sends it as ``If-Match``. A document changed since is refused with 409 and the changes made
since (who, when, what); a data directory busy with another writer, after a short retry, with
503 and ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from archive.curation import (
    TAG_TYPES,
    Edit,
    Place,
    add_tag,
    apply_all,
    check_etag,
    document_etag,
    join_tags,
    list_tags,
    preview_apply_all,
    propose_date,
    relink_tag,
    remove_tag,
    retype_tag,
    split_tag,
    undo,
)
from archive.errors import ArchiveError, ConflictError
from tei.parse import parse_tei
from tei.passages import passages
from tei.read import text_of

from .auth import editor_required
from .data import document_or_404, document_path, get_settings
from .editing import may_undo, write

bp = Blueprint("tagging", __name__)

#: Occurrences one "apply to every occurrence" may change.
MAX_PLACES = 2000

Result = TypeVar("Result")


def file_id(doc_id: str) -> str:
    """The id curation knows a document of the index by (its file's name)."""
    return document_path(document_or_404(doc_id)).stem


def tags_editor() -> bool:
    """Whether this request is an editor's with editing on (who gets the tagging tools)."""
    return bool(current_app.config.get("EDITING")) and current_user.is_authenticated \
        and current_user.has_role("editor")


@bp.app_context_processor
def page_data() -> dict[str, Any]:
    """For an editor's reading view: ``tagging`` = the document and the ETag of its file (the
    template loads tagging.js and gives both to it)."""
    if request.endpoint != "documents.read" or not tags_editor():
        return {}
    doc_id = (request.view_args or {}).get("doc_id", "")
    try:
        return {"tagging": {"doc": doc_id,
                            "etag": document_etag(get_settings(), file_id(doc_id))}}
    except (ArchiveError, HTTPException):  # the reading view's 404 page: nothing to tag
        return {}


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "Send a JSON object.")
    return data


def _text(data: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            abort(400, f"{key!r} is missing.")
        return None
    if not isinstance(value, str) or len(value) > 10_000:
        abort(400, f"{key!r} must be a string.")
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        abort(400, f"{key!r} must be a whole number.")
    return value


def _kind(data: dict[str, Any]) -> str:
    kind = _text(data, "type")
    if kind not in TAG_TYPES:
        abort(400, f"'type' must be one of {', '.join(TAG_TYPES)}.")
    return str(kind)


def _seen() -> str:
    """The ETag the editor's page was made from (``If-Match``)."""
    seen = request.headers.get("If-Match", "").strip().strip('"')
    if not seen:
        abort(428, "Send the document's ETag as If-Match (reload the page).")
    return seen


def conflict(error: ConflictError) -> Response:
    """409 with the changes made since the editor's view (who, when, what)."""
    response = jsonify({"error": error.message, "status": 409,
                        "changes": [change.to_json() for change in error.changes
                                    if hasattr(change, "to_json")]})
    response.status_code = 409
    return response


def attempt(call: Callable[[], Result]) -> Result | Response:
    """``call()`` through :func:`webui.editing.write` (a busy data lock waited for, then 503
    with ``Retry-After``); a conflict is 409, any other refusal 400 with its one line."""
    try:
        return write(call)
    except ConflictError as error:
        return conflict(error)
    except ArchiveError as error:
        abort(400, error.message[:1].upper() + error.message[1:] + ".")


def answer(edit: Edit | Response, doc: str | None = None) -> Response:
    """What a save answers: the logged change, the document's new ETag, its undo route."""
    if isinstance(edit, Response):
        return edit
    change = edit.change
    return jsonify({"change": change.to_json(), "etag": edit.etags.get(doc or "", None),
                    "etags": edit.etags, "what": change.what,
                    "undo": f"/api/edit/undo/{change.id}"})


def tag_number(doc: str, passage: str, data: dict[str, Any]) -> int:
    """The number of the tag ``data["tag"]`` names by its offsets (and type) in ``passage``."""
    tag = data.get("tag")
    if not isinstance(tag, dict):
        abort(400, "'tag' (its start and end) is missing.")
    start, end = _int(tag, "start"), _int(tag, "end")
    kind = tag.get("type")
    try:
        tags = list_tags(get_settings(), doc, passage)
    except ArchiveError as error:
        abort(400, error.message[:1].upper() + error.message[1:] + ".")
    found = [t.number for t in tags if (t.start, t.end) == (start, end)
             and (kind is None or t.type == kind)]
    if not found:
        abort(409, f"No tag at characters {start}-{end} of passage {passage} now: reload the "
                   "page.")
    return found[0]


@bp.post("/api/edit/documents/<doc_id>/tags")
@editor_required
def edit_tags(doc_id: str) -> Response:
    """One tag edit: ``op`` add, retype, relink, remove, split or join (see the module)."""
    path = document_path(document_or_404(doc_id))
    doc = path.stem
    data = _json()
    seen = _seen()
    settings = get_settings()
    try:  # first: a tag named by offsets in a view that is no longer current is not found
        check_etag(settings, path, seen)
    except ConflictError as error:
        return conflict(error)
    passage = str(_text(data, "passage"))
    op = data.get("op")
    common: dict[str, Any] = {"editor": current_user.name, "seen": seen, "passage": passage}
    entity, new_name = _text(data, "entity", False), _text(data, "new", False)
    call: Callable[[], Edit]
    if op == "add":
        start, end, kind = _int(data, "start"), _int(data, "end"), _kind(data)
        text = _text(data, "text")
        when = _text(data, "when", False)

        def call() -> Edit:
            # the offsets the page computed must name the words the editor selected
            if (passage_text(doc_id, passage) or "")[start:end] != text:
                raise ConflictError(f"passage {passage} does not hold the selected words at "
                                    f"{start}-{end} now: reload the page and select again")
            return add_tag(settings, doc, kind=kind, start=start, end=end, entity=entity,
                           new_name=new_name, when=when, **common)
    elif op in ("retype", "relink", "remove", "split", "join"):
        number = tag_number(doc, passage, data)
        if op == "retype":
            kind = _kind(data)

            def call() -> Edit:
                return retype_tag(settings, doc, number=number, kind=kind, entity=entity,
                                  new_name=new_name, **common)
        elif op == "relink":
            def call() -> Edit:
                return relink_tag(settings, doc, number=number, entity=entity,
                                  new_name=new_name, **common)
        elif op == "remove":
            def call() -> Edit:
                return remove_tag(settings, doc, number=number, **common)
        elif op == "split":
            at = _int(data, "at")

            def call() -> Edit:
                return split_tag(settings, doc, number=number, at=at, **common)
        else:
            def call() -> Edit:
                return join_tags(settings, doc, number=number, **common)
    else:
        abort(400, "'op' must be add, retype, relink, remove, split or join.")
    return answer(attempt(call), doc)


def passage_text(doc_id: str, passage: str) -> str | None:
    """The text of ``passage`` as the edits count its characters (None: no such passage)."""
    root = parse_tei(document_path(document_or_404(doc_id))).getroot()
    return next((text_of(p.element) for p in passages(root) if p.address == passage), None)


@bp.get("/api/edit/documents/<doc_id>/date")
@editor_required
def date_proposal(doc_id: str) -> Response:
    """The normalised value the date normaliser reads in ``?text=`` (in this document)."""
    text = request.args.get("text", "")[:500]
    return jsonify({"text": text, "attributes": propose_date(get_settings(), file_id(doc_id),
                                                              text) if text.strip() else {}})


def _scope(data: dict[str, Any]) -> str:
    scope = data.get("scope", "document")
    if scope == "archive":
        return "archive"
    if scope != "document":
        abort(400, "'scope' must be document or archive.")
    return f"document:{file_id(str(_text(data, 'doc')))}"


@bp.post("/api/edit/apply-all/preview")
@editor_required
def apply_all_preview() -> Response:
    """The places "apply to every occurrence" would change, with their contexts."""
    data = _json()
    form, kind = str(_text(data, "form")), _kind(data)
    entity = _text(data, "entity", False)
    scope = _scope(data)
    places = attempt(lambda: preview_apply_all(get_settings(), form, kind, entity, scope))
    if isinstance(places, Response):
        return places
    return jsonify({"form": form, "type": kind, "entity": entity,
                    "places": [asdict(place) for place in places[:MAX_PLACES]],
                    "truncated": len(places) > MAX_PLACES})


@bp.post("/api/edit/apply-all")
@editor_required
def apply_all_places() -> Response:
    """Tag exactly the places of a preview (sent back as they were shown)."""
    data = _json()
    kind = _kind(data)
    entity, new_name = _text(data, "entity", False), _text(data, "new", False)
    raw = data.get("places")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_PLACES:
        abort(400, "'places' must be the preview's list of places.")
    fields = set(Place.__dataclass_fields__)
    try:
        places = [Place(**{key: place[key] for key in fields}) for place in raw]
    except (KeyError, TypeError):
        abort(400, "'places' must be the preview's list of places.")
    if any(not isinstance(getattr(place, key), int) for place in places
           for key in ("start", "end")):
        abort(400, "'places' must be the preview's list of places.")
    return answer(attempt(lambda: apply_all(get_settings(), places, editor=current_user.name,
                                            kind=kind, entity=entity, new_name=new_name)))


@bp.post("/api/edit/undo/<change>")
@editor_required
def undo_change(change: str) -> Response:
    """Undo a change (its number): an editor their own, an admin any."""
    settings = get_settings()
    if not change.isdecimal() or len(change) > 9:
        abort(404, f"No change {change!r}.")
    change_id = int(change)
    may_undo(change_id)
    done = attempt(lambda: undo(settings, change_id, current_user.name))
    if isinstance(done, Response):
        return done
    return jsonify({"change": done.to_json(), "what": done.what})
