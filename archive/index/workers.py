"""Indexing on every core, for rebuilds of many files.

Reading a TEI file into rows (parsing, passages, facet XPath) and writing them with Python's
sqlite3 cost more than copying rows between SQLite databases, and both are pure functions of a
file's bytes: worker processes read chunks of files into scratch databases while the parent
copies finished ones into the index (see :func:`archive.index.update_index`). Small updates stay
in the calling process, where a pool would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

#: Files below which indexing stays in the calling process.
PARALLEL_MIN = 200
#: Files a worker indexes into one scratch database.
CHUNK = 50
#: Chunks in flight per worker: enough to keep them busy, few enough to bound memory.
AHEAD = 3

#: What the process server imports once, for every worker forked from it (these workers and
#: the query workers): without it each worker spends half a second importing them.
PRELOAD = ["archive.index", "archive.search"]

Item = TypeVar("Item")
Result = TypeVar("Result")


def workers() -> int:
    """Worker processes for a rebuild: one per core, at most 8."""
    return min(os.cpu_count() or 1, 8)


def parallel(files: int) -> bool:
    """Whether indexing this many files is worth a pool of workers."""
    return files >= PARALLEL_MIN and workers() >= 2


def map_on_cores(task: Callable[..., Result], chunks: Sequence[Item],
                 *arguments: Any) -> Generator[Result, None, None]:
    """``task(chunk, *arguments)`` for every chunk, in worker processes, yielded in order.

    :raise Exception: whatever ``task`` raised (tasks should report failures in their result).
    """
    pool = ProcessPoolExecutor(workers(), mp_context=_pool_context())
    pending: deque[Future[Result]] = deque()
    starts = iter(chunks)

    def submit() -> None:
        chunk = next(starts, None)
        if chunk is not None:
            pending.append(pool.submit(task, chunk, *arguments))

    try:
        for _ in range(workers() * AHEAD):
            submit()
        while pending:
            future = pending.popleft()
            submit()
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_aside(task: Callable[..., Result], *arguments: Any) -> Future[Result]:
    """``task(*arguments)`` in one worker process, while the caller goes on."""
    pool = ProcessPoolExecutor(1, mp_context=_pool_context())
    try:
        return pool.submit(task, *arguments)
    finally:
        pool.shutdown(wait=False)  # the process ends once the task has


def _pool_context() -> Any:
    # fork, when nothing but this thread runs: the workers start at once, with the modules
    # already imported (the process server takes half a second to import them). A fork of a
    # process running other threads (the viewer, rich's progress) could copy a held lock.
    # The workers only compute and write their own files, and end by os._exit: nothing
    # inherited (an open index connection) is used or closed there.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return worker_context()


def start_early() -> None:
    """Start the workers' process server now, when they will be started by it, so that its
    imports overlap the caller's work (reading and hashing the files) instead of delaying
    the first chunk."""
    if _pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


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
