"""Indexing on every core, for rebuilds of many files.

Reading a TEI file into rows (parsing, passages, facet XPath) and writing them with Python's
sqlite3 cost more than copying rows between SQLite databases, and both are pure functions of a
file's bytes: worker processes read chunks of files into scratch databases while the parent
copies finished ones into the index (see :func:`archive.index.update_index`), and one more worker
makes the full-text index of the scratch databases copied so far (:func:`feed_aside`). Small
updates stay in the calling process, where a pool would cost more than it saves.

Every worker the archive starts (these, the query workers, their process server) ends when the
archive process that started it ends, however it ends (:func:`die_with_parent`): a killed
rebuild leaves no worker behind. Workers may run under limits (:class:`WorkLimits`): address
space, and time per piece of work (a document's facets), past which the kernel ends the worker;
its report file tells the caller what it was doing (:func:`overrun_report`).
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

#: Files below which indexing stays in the calling process.
PARALLEL_MIN = 200
#: Files a worker indexes into one scratch database. Each numbers the values its rows name
#: (facet values, attribute values, mention keys) once, and the rebuild looks each up in the
#: index once: most values recur across documents, so that larger chunks send fewer (at
#: 10,000 documents, 50 a chunk sent 8 times the distinct values).
CHUNK = 200
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


@dataclass(frozen=True)
class WorkLimits:
    """Limits of a pool's workers.

    :param seconds: a piece of work (from :func:`start_work` to :func:`end_work`) may run this
        long; past it the kernel ends the worker, whose report file in ``reports`` says what
        it was doing.
    :param memory: bytes of address space a worker may add to what it started with (beyond
        it, allocations fail: MemoryError).
    :param reports: the folder of the overrun reports (see :func:`overrun_report`).
    """

    seconds: float
    memory: int
    reports: str


def map_on_cores(task: Callable[..., Result], chunks: Sequence[Item],
                 *arguments: Any, limits: WorkLimits | None = None,
                 ) -> Generator[Result, None, None]:
    """``task(chunk, *arguments)`` for every chunk, in worker processes, yielded in order.

    :param limits: the workers' limits (none: only that they die with this process).
    :raise Exception: whatever ``task`` raised (tasks should report failures in their result).
    :raise concurrent.futures.process.BrokenProcessPool: a worker died (killed by its limits:
        see :func:`overrun_report`, or from outside).
    """
    pool = ProcessPoolExecutor(max(1, min(workers(), len(chunks))), mp_context=_pool_context(),
                               initializer=_start_worker, initargs=(limits,))
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


class Fed(Generic[Item, Result]):
    """A worker process running ``task(items, *arguments)`` while the caller sends it the items
    one by one (:meth:`send`), as they come (see :func:`feed_aside`)."""

    def __init__(self, process: Any, connection: Connection) -> None:
        self._process = process
        self._connection = connection

    def send(self, item: Item) -> None:
        """Give the task its next item (it reads them in this order)."""
        try:
            self._connection.send(item)
        except OSError:  # it ended: result() says why
            pass

    def result(self) -> Result:
        """Tell the task the items have ended, and wait for what it returns.

        :raise Exception: whatever the task raised.
        :raise concurrent.futures.process.BrokenProcessPool: the process died (killed).
        """
        try:
            self._connection.send(None)
            done, value = self._connection.recv()
        except (OSError, EOFError):
            self.stop()
            raise BrokenProcessPool("the worker process ended abruptly") from None
        self._process.join()
        self._connection.close()
        if not done:
            raise value
        result: Result = value
        return result

    def stop(self) -> None:
        """End the process now, whatever it is doing (a failed caller)."""
        self._process.kill()
        self._process.join()
        self._connection.close()


def feed_aside(task: Callable[..., Result], *arguments: Any) -> Fed[Any, Result]:
    """``task(items, *arguments)`` in one worker process, ``items`` an iterator of what the
    caller sends (:meth:`Fed.send`) until it asks for the result (:meth:`Fed.result`): the
    task works on each item as soon as it is sent, beside the caller.

    Started before other pools, it leaves this process with its one thread (a pool started
    next still forks: see _pool_context)."""
    here, there = multiprocessing.Pipe()
    process = _pool_context().Process(target=_run_fed, args=(task, there, arguments),
                                      name="archive-aside", daemon=True)
    process.start()
    there.close()  # (the worker's end: a dead worker then reads as the pipe's end)
    return Fed(process, here)


def _run_fed(task: Callable[..., Any], connection: Connection,
             arguments: tuple[Any, ...]) -> None:
    die_with_parent()
    try:
        result = (True, task(iter(connection.recv, None), *arguments))
    except Exception as error:  # noqa: BLE001 - raised again by the caller (Fed.result)
        result = (False, error)
    connection.send(result)


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


# --- in the workers --------------------------------------------------------------------------

#: prctl's option: the signal the kernel sends this process when its parent ends (Linux).
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a worker process: end when the process that started it ends.

    On Linux the kernel kills it (``PR_SET_PDEATHSIG``) when its parent ends; the parent of a
    worker started by the process server is that server, which ends once no process holds its
    "alive" pipe: the worker gives up its copy, so that the server ends with the archive
    process even while the worker is busy. Everywhere, a thread waits for the archive process's
    end (its sentinel pipe, which the kernel closes however it ends) and ends the worker then
    (when it gets the GIL: one long C call, a regular expression, holds it); this also covers
    a parent that ended before the kernel was asked.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)  # (the module's one ForkServer)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if alive is not None and multiprocessing.parent_process() is not None:
        os.close(alive)  # this worker starts no process through the server
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    if sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the thread below still watches
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), daemon=True,
                         name="archive-parent-watch").start()


def _end_with(sentinel: int) -> None:
    wait([sentinel])  # readable once the parent has ended
    os._exit(1)


def _start_worker(limits: WorkLimits | None) -> None:
    die_with_parent()
    if limits is None:
        return
    limit_memory(limits.memory)
    # the kernel ends a worker past its time (SIGALRM's default action): a Python thread or
    # handler could not, while one C call (a regular expression, lxml's XPath) holds the GIL
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    report = Path(limits.reports) / f"work-{os.getpid()}.txt"
    _WATCH.update(seconds=limits.seconds,
                  fd=os.open(report, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def limit_memory(extra: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra`` bytes (a fork
    starts with its parent's: a cap below that would fail every allocation)."""
    try:
        with open("/proc/self/statm") as statm:
            used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        used = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = used + extra if hard == resource.RLIM_INFINITY else min(used + extra, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


#: The limited worker's time per piece of work (None: not limited), and the descriptor of its
#: report file: when the current piece of work must end, what it is (a file), and what part
#: of it runs (a facet), written as they change so that they are there when it is killed.
_WATCH: dict[str, Any] = {"seconds": None, "fd": -1, "what": "", "step": "", "deadline": 0.0}


def start_work(what: str) -> None:
    """Start the clock of a piece of work (no cost where no limit is set)."""
    seconds = _WATCH["seconds"]
    if seconds is not None:
        _WATCH.update(what=what, step="", deadline=time.time() + seconds)
        _note("")
        signal.setitimer(signal.ITIMER_REAL, seconds)


def work_step(step: str) -> None:
    """Name the part of the piece of work that runs now, for the report."""
    if _WATCH["seconds"] is not None:
        _WATCH["step"] = step
        _note(step)


def current_step() -> str:
    """The part of the piece of work that runs now (see :func:`work_step`)."""
    step: str = _WATCH["step"]
    return step


def end_work() -> None:
    """Stop the clock."""
    if _WATCH["seconds"] is not None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _WATCH["deadline"] = math.inf
        _note("")


def _note(step: str) -> None:
    line = "\t".join((repr(_WATCH["deadline"]), _WATCH["what"], step)) + "\n"
    os.pwrite(_WATCH["fd"], line.encode("utf-8", "replace"), 0)


def overrun_report(folder: str) -> tuple[str, str] | None:
    """What a worker killed by its time limit was doing: (the piece of work, its part), from
    the reports of the workers of ``folder`` (the one whose deadline has passed)."""
    now = time.time()
    for report in sorted(Path(folder).glob("work-*.txt")):
        fields = report.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
        if len(fields) == 3 and float(fields[0]) <= now:
            return fields[1], fields[2]
    return None
