"""Reading TEI files into index rows on every core, for rebuilds of many files.

Extraction (parsing, passages, facet XPath) costs more than writing the rows, and it is a pure
function of a file's bytes: worker processes extract while the parent writes to SQLite. Small
updates stay in the calling process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .facets import Facet
    from .index import DocumentRows

#: Files below which extraction stays in the calling process.
PARALLEL_MIN = 200
#: Files sent to a worker at once (fewer, larger messages).
CHUNK = 20
#: Chunks in flight per worker: enough to keep them busy, few enough to bound memory.
AHEAD = 3

#: What the process server imports once, for every worker forked from it (these workers and
#: the query workers): without it each worker spends half a second importing them.
PRELOAD = ["archive.index", "archive.query_worker"]

Extract = Callable[[Path, bytes, "tuple[Facet, ...]"], "DocumentRows"]


def extract_all(items: Sequence[tuple[Path, bytes]], facets: tuple[Facet, ...],
                extract: Extract) -> Iterator[DocumentRows]:
    """``extract(path, data, facets)`` of every item, in order, on several cores when many.

    A file that fails in a worker is extracted again here, so that its error is raised in
    this process with its own type and message.

    :raise tei.errors.TeiError: a file is not a well-formed TEI document.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        for path, data in items:
            yield extract(path, data, facets)
        return
    pool = ProcessPoolExecutor(workers, mp_context=worker_context())
    pending: deque[tuple[Sequence[tuple[Path, bytes]], Future]] = deque()
    starts = iter(range(0, len(items), CHUNK))

    def submit() -> None:
        start = next(starts, None)
        if start is not None:
            chunk = items[start:start + CHUNK]
            pending.append((chunk, pool.submit(_extract_chunk, chunk, facets)))

    try:
        for _ in range(workers * AHEAD):
            submit()
        while pending:
            chunk, future = pending.popleft()
            submit()
            for (path, data), rows in zip(chunk, future.result(), strict=True):
                yield rows if rows is not None else extract(path, data, facets)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def worker_context() -> Any:
    """The multiprocessing context of the archive's worker processes.

    forkserver: no fork of a parent that may run threads (the web viewer, rich's progress);
    the server preloads :data:`PRELOAD`, whichever kind of worker starts it first.
    """
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return context


def _extract_chunk(chunk: Sequence[tuple[Path, bytes]],
                   facets: tuple[Facet, ...]) -> list[DocumentRows | None]:
    from .index import extract

    found: list[DocumentRows | None] = []
    for path, data in chunk:
        try:
            found.append(extract(path, data, facets))
        except Exception:  # noqa: BLE001 - raised again, whole, by the parent
            found.append(None)
    return found
