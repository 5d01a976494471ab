"""Corpus-wide XPath: one expression evaluated on every TEI document of the data directory.

:func:`run_query` hands the evaluation to a worker process that can be stopped
(:mod:`.worker`); :func:`evaluate_query` is the evaluation itself, in this process. The index
rules out the documents that cannot match (:func:`candidates`), never a file written since.
"""

from __future__ import annotations

import time

from ..config import Settings
from ..xpath import (
    MAX_EXPRESSION,
    QueryResult,
    TreeCache,
    compile_query,
    corpus_plan,
    evaluate_files,
)
from .bounds import ANSWER_BYTES
from .candidates import candidates
from .worker import run_in_worker


def run_query(
    settings: Settings, expression: str, *, namespaces: dict[str, str] | None = None,
    limit: int | None = None, timeout: float | None = None, hit_bytes: int | None = None,
    answer_bytes: int | None = ANSWER_BYTES, corpus: bool = False,
) -> QueryResult:
    """Evaluate ``expression`` on every document, in id order, the document node as context.

    The evaluation runs in a worker process, stopped when it passes the time limit even inside
    one long evaluation; its warm tree cache serves the next query.

    :param limit: hits reported before evaluation stops (default ``settings.query_limit``).
    :param timeout: seconds before evaluation stops (default ``settings.query_timeout``).
    :param hit_bytes: UTF-8 bytes a hit's value, and its context, are cut to (None: whole).
    :param answer_bytes: UTF-8 bytes of all the hits' values and contexts, after which the
        answer stops (None: no bound); both are applied in the worker (see :mod:`.bounds`).
    :param corpus: ask the expression once, its context the collection of all the documents
        (``count(distinct-values(//tei:placeName/@ref))`` is one number for the archive; see
        :func:`archive.xpath.corpus_plan`); its items are hits of no document (``doc`` empty).
    :return: the hits; ``truncated`` and ``message`` tell when a limit stopped it early or a
        bound cut it.
    :raise QueryError: a static error, a dynamic error in one document, an expression
        longer than :data:`MAX_EXPRESSION`, or with ``corpus`` an expression that cannot be
        asked of the corpus at once, or the time limit passed before every document was read.
    """
    if len(expression) > MAX_EXPRESSION:  # refused before anything is sent anywhere
        compile_query(expression)
    if corpus:
        corpus_plan(compile_query(expression, namespaces))  # refused here when it cannot be
    return run_in_worker(settings, expression, namespaces=namespaces,
                         limit=settings.query_limit if limit is None else limit,
                         timeout=settings.query_timeout if timeout is None else timeout,
                         hit_bytes=hit_bytes, answer_bytes=answer_bytes, corpus=corpus)


def evaluate_query(settings: Settings, expression: str, *,
                   namespaces: dict[str, str] | None = None, limit: int, timeout: float,
                   cache: TreeCache | None = None) -> QueryResult:
    """:func:`run_query`'s evaluation in this process, in one pass (no stopping it early)."""
    started = time.perf_counter()
    compiled = compile_query(expression, namespaces)
    _, chosen = candidates(settings, compiled)
    return evaluate_files(compiled, [(found.doc, found.path) for found in chosen], limit=limit,
                          timeout=timeout, started=started, cache=cache,
                          known={found.doc for found in chosen if found.known})
