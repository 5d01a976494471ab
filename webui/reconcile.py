"""The Reconciliation Service API (W3C Entity Reconciliation Community Group, version 0.2: what
OpenRefine speaks) over the registry: other projects link their names to this archive's
persons, places and organisations.

- ``GET /reconcile``: the service manifest (no ``queries``), or the answers to a batch
  (``queries``, a JSON object of queries, by GET or a POST form; the older single ``query``
  too). A query has ``query`` (a name), optional ``type`` (``person``, ``place``, ``org`` or a
  list of them: a hard filter) and ``limit``; ``properties`` are not supported (ignored).
- Scores: 100 for the preferred name exactly (case, accents and spacing aside), 95 for a
  variant exactly, else up to 90: by string similarity (90 × difflib's ratio over the closest
  name, when at least 0.7), or when every word of the query is a word of a name (60 to 90, as
  much of the name as the query covers: ``Lenin`` for ``Vladimir Lenin``); others are left
  out. ``match`` is true for the one candidate when exactly one entry has the name exactly.
- ``/reconcile/suggest/entity?prefix=``: entries a name or variant of which (or one of its
  words) starts with the prefix; ``/reconcile/preview?id=``: a small HTML card for a frame.

Every answer is bounded (``RECONCILE_LIMIT`` candidates, ``RECONCILE_BATCH`` queries, a name
of at most :data:`MAX_QUERY` characters) and read only. Cross-origin access by CORS (the spec
asks for it); no JSONP (CORS does its work without running the caller's code).
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask import url_for as flask_url_for
from werkzeug.exceptions import HTTPException

from archive.config import ARCHIVE_NAME
from archive.registry import Entry

from .auth import reads_only
from .data import entity_or_404, get_registry

bp = Blueprint("reconcile", __name__)

#: Entity types: id → name (the registry's own types).
TYPES = {"person": "Person", "place": "Place", "org": "Organisation"}
MAX_QUERY = 500  # characters of one query's name
EXACT_NAME, EXACT_VARIANT, FUZZY_MAX, FUZZY_CUTOFF, WORDS_MIN = 100.0, 95.0, 90.0, 0.7, 60.0
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 160
_SPACES = re.compile(r"\s+")


@bp.after_request
def cross_origin(response: Response) -> Response:
    """Every answer of the service may be read by a page of another origin (read-only data)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.errorhandler(HTTPException)
def error(error: HTTPException) -> Response:
    """Errors as JSON (the spec leaves their body open): ``{"error", "status"}``."""
    response = jsonify({"error": error.description, "status": error.code})
    response.status_code = error.code or 500
    return response


def url_for(endpoint: str, **values: Any) -> str:
    """An absolute URL, under ``BASE_URL`` when it is set (as the permalinks are)."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/") + flask_url_for(endpoint, **values)
    return flask_url_for(endpoint, _external=True, **values)


# --- the service -------------------------------------------------------------------------------

@bp.route("/reconcile", methods=["GET", "POST"])
@reads_only
def service() -> Response:
    """The manifest, or the answers to ``queries`` / ``query``."""
    arguments = request.form if request.method == "POST" else request.args
    if "queries" in arguments:
        batch = _json_argument(arguments, "queries")
        if not isinstance(batch, dict):
            abort(400, "queries: a JSON object of queries by key.")
        if len(batch) > current_app.config["RECONCILE_BATCH"]:
            abort(413, f"At most {current_app.config['RECONCILE_BATCH']} queries a batch.")
        return jsonify({str(key): {"result": candidates(_query(key, value))}
                        for key, value in batch.items()})
    if "query" in arguments:  # the older single query: a name, or one query as JSON
        text = arguments["query"]
        single = _json_argument(arguments, "query") if text.lstrip().startswith("{") else text
        return jsonify({"result": candidates(_query("query", single))})
    return jsonify(manifest())


def manifest() -> dict[str, Any]:
    """The service manifest (version 0.2)."""
    registers = url_for("entities.registers")
    return {
        "versions": ["0.2"],
        "name": f"{ARCHIVE_NAME}: persons, places and organisations",
        "identifierSpace": registers + "/",
        "schemaSpace": registers + "/types/",
        "documentation": registers,
        "view": {"url": registers + "/{{id}}"},  # /entities/<id>: an entity's page
        "preview": {"url": url_for("reconcile.preview") + "?id={{id}}",
                    "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {"entity": {"service_url": url_for("reconcile.service"),
                               "service_path": "/suggest/entity"}},
        "defaultTypes": [{"id": key, "name": name} for key, name in TYPES.items()],
        "batchSize": current_app.config["RECONCILE_BATCH"],
    }


def _json_argument(arguments: Mapping[str, str], name: str) -> Any:
    try:
        return json.loads(arguments[name])
    except ValueError:
        abort(400, f"{name}: not JSON.")


def _query(key: object, value: object) -> tuple[str, set[str] | None, int]:
    """A query's name, types (None: any) and limit.

    :raise werkzeug.exceptions.BadRequest: a malformed query, named by its key.
    """
    if isinstance(value, str):
        value = {"query": value}
    if not isinstance(value, dict):
        abort(400, f"Query {key!r}: a JSON object or a name.")
    text = value.get("query")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUERY:
        abort(400, f"Query {key!r}: query must be a name of 1 to {MAX_QUERY} characters.")
    kinds = value.get("type")
    if isinstance(kinds, str):
        kinds = [kinds]
    if kinds is not None and not (isinstance(kinds, list)
                                  and all(isinstance(kind, str) for kind in kinds)):
        abort(400, f"Query {key!r}: type must be a type id or a list of them.")
    most = int(current_app.config["RECONCILE_LIMIT"])
    limit = value.get("limit", most)
    if isinstance(limit, float) and limit.is_integer():  # JSON has one kind of number: 3.0
        limit = int(limit)
    if type(limit) is not int or limit < 1:  # not 0, 2.5, Infinity, true or "3"
        abort(400, f"Query {key!r}: limit must be a positive integer.")
    return text, set(kinds) if kinds else None, min(limit, most)


def fold(name: str) -> str:
    """A name as compared: accents off, case folded, spaces single."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare.casefold()).strip()


def candidates(query: tuple[str, set[str] | None, int]) -> list[dict[str, Any]]:
    """The registry entries a query names, best first (score, then name, then id)."""
    text, kinds, limit = query
    wanted = fold(text)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(wanted)
    words = set(wanted.split())
    scored: list[tuple[float, Entry]] = []
    for entry in _entries(kinds):
        best = 0.0
        for position, name in enumerate((entry.name, *entry.variants)):
            folded = fold(name)
            if folded == wanted:
                best = max(best, EXACT_NAME if position == 0 else EXACT_VARIANT)
                continue
            if words <= set(folded.split()):  # every word of the query is one of the name's
                best = max(best, round(WORDS_MIN + (FUZZY_MAX - WORDS_MIN)
                                       * len(wanted) / len(folded), 1))
            matcher.set_seq1(folded)
            if (matcher.real_quick_ratio() >= FUZZY_CUTOFF
                    and matcher.quick_ratio() >= FUZZY_CUTOFF
                    and (ratio := matcher.ratio()) >= FUZZY_CUTOFF):
                best = max(best, round(FUZZY_MAX * ratio, 1))
        if best:
            scored.append((best, entry))
    scored.sort(key=lambda pair: (-pair[0], fold(pair[1].name), pair[1].id))
    exact = [entry for score, entry in scored if score >= EXACT_VARIANT]
    return [{"id": entry.id, "name": entry.name, "description": describe(entry),
             "type": [{"id": entry.type, "name": TYPES.get(entry.type, entry.type)}],
             "score": score, "match": len(exact) == 1 and entry is exact[0]}
            for score, entry in scored[:limit]]


def _entries(kinds: set[str] | None) -> Iterable[Entry]:
    return (entry for entry in get_registry().entries.values()
            if entry.type in TYPES and (kinds is None or entry.type in kinds))


def describe(entry: Entry) -> str:
    """A line telling namesakes apart: type, life dates, other names."""
    parts = [TYPES.get(entry.type, entry.type)]
    if entry.birth or entry.death:
        parts.append(f"{entry.birth or '?'}–{entry.death or '?'}")
    if entry.variants:
        parts.append("also " + "; ".join(entry.variants[:3]))
    return ", ".join(parts)


# --- suggest and preview -----------------------------------------------------------------------

@bp.get("/reconcile/suggest/entity")
def suggest() -> Response:
    """Entries a name (or a word of one) of which starts with ``prefix``, A–Z, one page from
    ``cursor``."""
    prefix = fold(request.args.get("prefix", ""))
    if not prefix or len(prefix) > MAX_QUERY:
        abort(400, f"prefix: 1 to {MAX_QUERY} characters.")
    kinds = set(request.args.getlist("type")) or None
    try:
        cursor = int(request.args.get("cursor", "0"))
    except ValueError:
        cursor = -1
    if cursor < 0:
        abort(400, "cursor: a number of suggestions to skip.")
    limit = int(current_app.config["RECONCILE_LIMIT"])
    found = []
    for entry in _entries(kinds):
        names = [fold(name) for name in (entry.name, *entry.variants)]
        if any(name.startswith(prefix) or f" {prefix}" in f" {name}" for name in names):
            found.append(entry)
    found.sort(key=lambda entry: (fold(entry.name), entry.id))
    return jsonify({"result": [
        {"id": entry.id, "name": entry.name, "description": describe(entry),
         "notable": [{"id": entry.type, "name": TYPES.get(entry.type, entry.type)}]}
        for entry in found[cursor:cursor + limit]]})


@bp.get("/reconcile/preview")
def preview() -> Response:
    """A small HTML card of entry ``id``, to be shown in another site's frame."""
    entry = entity_or_404(request.args.get("id", ""))
    page = render_template("reconcile/preview.html", entry=entry,
                           type_name=TYPES.get(entry.type, entry.type),
                           url=url_for("entities.show", entity_id=entry.id),
                           stylesheet=flask_url_for("static", filename="archive.css"))
    response = Response(page, mimetype="text/html")
    # meant for a frame of the reconciling tool: any site may frame it (frame-ancestors
    # overrides X-Frame-Options in browsers that know both); it runs no script
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none';"
        " form-action 'none'; frame-ancestors *")
    return response
