"""JSON twins of the pages: the same plain data the templates get."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .browse import browse_data
from .documents import document_data
from .entities import REGISTERS, entity_data, register_data, registers_data
from .query import query_data
from .search import search_data

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/documents")
def documents() -> Response:
    data = browse_data()
    return jsonify({key: data[key] for key in ("query", "selections", "total", "page",
                                               "page_size", "documents")})


@bp.get("/facets")
def facets() -> Response:
    data = browse_data(listed=False)  # its documents are not part of the answer
    return jsonify({key: data[key] for key in ("query", "selections", "total", "facets",
                                               "facets_failed", "years", "decades")})


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> Response:
    return jsonify(document_data(doc_id))


@bp.get("/entities")
def registers() -> Response:
    return jsonify(registers_data())


def register(kind: str) -> Response:
    return jsonify(register_data(kind))


for _kind in REGISTERS:  # static rules: they win over /entities/<entity_id>
    bp.add_url_rule(f"/entities/{_kind}", "register", register, methods=["GET"],
                    defaults={"kind": _kind})


@bp.get("/entities/<entity_id>")
def entity(entity_id: str) -> Response:
    return jsonify(entity_data(entity_id))


@bp.get("/query")
def query() -> tuple[Response, int]:
    data = query_data(request.args.get("q", ""), corpus=request.args.get("corpus") == "1")
    return jsonify(data), 400 if data["error"] else 200


@bp.get("/search")
def search() -> Response:
    data = search_data()
    for hit in data["hits"]:
        hit.pop("marked", None)
    return jsonify(data)
