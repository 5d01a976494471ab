"""The XPath console: one expression over the whole corpus, hits as keyword-in-context lines."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from archive.errors import QueryError
from archive.search import run_query

from .data import get_settings
from .limits import heavy

bp = Blueprint("query", __name__)

MAX_LENGTH = 4000
EXAMPLES = (
    ("Every person named", "//tei:text//tei:persName"),
    ("Paragraphs naming Trotsky", "//tei:p[.//tei:persName[@ref = '#leon-trotsky']]"),
    ("Dates in the 1920s", "//tei:date[starts-with(@when, '192')]"),
    ("Uncertain machine tags", "//tei:text//*[@cert = ('medium', 'low')]"),
    ("Titles with their authors",
     "//tei:titleStmt ! concat(tei:title[1], ' — ', string-join(tei:author, '; '))"),
    ("Documents with more than ten places", "/tei:TEI[count(.//tei:placeName) > 10]//tei:title[1]"),
)
_POSITION = re.compile(r"at line (\d+), column (\d+)")


def query_data(expression: str, corpus: bool = False) -> dict[str, Any]:
    """Run ``expression``; hits, counts and limits, or the error with its position.

    :param corpus: ask it once of the whole corpus (see :func:`archive.search.run_query`):
        its items belong to no document (no ``url``).
    """
    config = current_app.config
    timeout, limit = float(config["QUERY_TIMEOUT"]), int(config["QUERY_LIMIT"])
    data: dict[str, Any] = {"query": expression, "corpus": corpus, "timeout": timeout,
                            "limit": limit,
                            "count": 0, "hits": [], "truncated": False, "message": None,
                            "error": None, "elapsed_ms": None}
    if not expression.strip():
        return data
    if len(expression) > MAX_LENGTH:
        abort(400, f"An XPath expression may have at most {MAX_LENGTH} characters")
    try:
        # one of the few heavy requests at once (503 beyond); bounded in the worker, before
        # the hits cross to this process (archive.search.bounds)
        with heavy():
            result = run_query(get_settings(), expression, limit=limit, timeout=timeout,
                               hit_bytes=int(config["QUERY_HIT_BYTES"]),
                               answer_bytes=int(config["QUERY_ANSWER_BYTES"]), corpus=corpus)
    except QueryError as error:
        found = _POSITION.search(str(error))
        data["error"] = {"message": str(error),
                         "line": int(found[1]) if found else None,
                         "column": int(found[2]) if found else None}
        return data
    hits = []
    for hit in result.hits:
        item = hit.as_dict()
        item["url"] = (url_for("documents.read", doc_id=hit.doc)
                       + (f"#{hit.target}" if hit.target else "")) if hit.doc else None
        item["kwic"] = split_context(hit.context, hit.value)
        hits.append(item)
    data.update(count=result.count, hits=hits, truncated=result.truncated,
                message=result.message, elapsed_ms=round(result.elapsed_ms, 1),
                documents=result.documents, engine=result.engine)
    return data


def split_context(context: str, value: str) -> dict[str, str] | None:
    """``{"left", "hit", "right"}`` when the hit's value stands in its context line, else None."""
    folded = " ".join(value.split())
    at = context.find(folded) if folded else -1
    if at < 0:
        return None
    return {"left": context[:at], "hit": folded, "right": context[at + len(folded):]}


def error_lines(expression: str, line: int | None, column: int | None) -> list[dict[str, Any]]:
    """The expression's lines, the faulty one with a caret under the column."""
    rows = []
    for number, text in enumerate(expression.splitlines() or [""], 1):
        caret = " " * max((column or 1) - 1, 0) + "^" if number == line else None
        rows.append({"number": number, "text": text, "caret": caret})
    return rows


@bp.get("/query")
def console() -> str:
    expression = request.args.get("q", "")
    data = query_data(expression, corpus=request.args.get("corpus") == "1")
    lines = (error_lines(expression, data["error"]["line"], data["error"]["column"])
             if data["error"] else [])
    return render_template("query/console.html", **data, examples=EXAMPLES, error_lines=lines)
