"""Queries from users run in worker processes that can really be stopped.

An XPath evaluation inside lxml's C code or one elementpath function call (``count((1 to
10000000000))``, ``//*//*//*//*``) cannot be interrupted from Python, so it runs in a child
process: the worker checks the time limit between documents and stops cleanly when it can,
and the caller kills it when it has not answered within the limit plus :data:`GRACE`. Workers
are reused, so their parsed-tree cache stays warm between queries (the web console's case);
at most :data:`WORKERS` run at once, further queries wait for one.
"""

from __future__ import annotations

import atexit
import dataclasses
import multiprocessing
import resource
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tei.errors import TeiError

from .config import Settings
from .errors import ArchiveError, QueryError
from .query import Hit, QueryResult, evaluate_query

#: Seconds past the time limit before a worker that has not answered is killed.
GRACE = 1.0
#: Seconds a new worker may take to start (a process and its imports).
START_TIMEOUT = 60.0
#: Queries evaluated at once; each worker holds its own tree cache.
WORKERS = 2
#: Address space of a worker, in bytes: a runaway query fails there, not in the machine.
WORKER_MEMORY = 4 * 1024**3


@dataclass
class _Worker:
    process: Any
    connection: Connection

    def stop(self) -> None:
        """Terminate, then kill, and forget the process."""
        self.process.terminate()
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.connection.close()


class _Pool:
    """Idle workers, started on demand, at most :data:`WORKERS` alive."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.idle: list[_Worker] = []
        self.alive = 0

    def take(self) -> _Worker:
        with self.lock:
            while not self.idle and self.alive >= WORKERS:
                self.lock.wait()
            if self.idle:
                return self.idle.pop()
            self.alive += 1
        try:
            return _start()
        except BaseException:
            self.give_back(None)
            raise

    def give_back(self, worker: _Worker | None) -> None:
        """Return a worker for reuse, or ``None`` when it was stopped."""
        with self.lock:
            if worker is None:
                self.alive -= 1
            else:
                self.idle.append(worker)
            self.lock.notify()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
            self.alive -= len(idle)
        for worker in idle:
            worker.stop()


_POOL = _Pool()
atexit.register(_POOL.close)


def stop_workers() -> None:
    """Stop the idle workers of this process (new ones start on the next query)."""
    _POOL.close()


def _context() -> Any:
    # forkserver: a clean process to fork from, never a copy of a parent running threads
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload([__name__])  # workers start with the imports done
    return context


def _start() -> _Worker:
    context = _context()
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True,
                              name="archive-query-worker")
    process.start()
    theirs.close()
    return _Worker(process, ours)


def run_in_worker(settings: Settings, expression: str, *, namespaces: dict[str, str] | None,
                  limit: int, timeout: float) -> QueryResult:
    """:func:`archive.query.evaluate_query` in a worker, stopped at ``timeout`` + :data:`GRACE`.

    :raise QueryError: a static or dynamic error reported by the worker, or a worker that
        ended unexpectedly.
    """
    started = time.perf_counter()
    worker = _POOL.take()
    healthy = False
    state = _State()
    try:
        worker.connection.send((settings, expression, namespaces, limit, timeout))
        if not worker.connection.poll(START_TIMEOUT):
            raise QueryError("the query worker did not start")
        state.read(worker.connection.recv())  # "started": the time limit runs from here
        deadline = time.perf_counter() + timeout + GRACE
        while state.result is None:
            if not worker.connection.poll(max(0.0, deadline - time.perf_counter())):
                return state.stopped(expression, timeout, started)
            state.read(worker.connection.recv())
        healthy = True
        return dataclasses.replace(state.result, elapsed_ms=(time.perf_counter() - started) * 1000)
    except (EOFError, OSError):
        code = worker.process.exitcode
        raise QueryError(f"the query worker ended unexpectedly (exit code {code})") from None
    finally:
        if not healthy and state.error is None:
            worker.stop()
            _POOL.give_back(None)
        else:
            _POOL.give_back(worker)


class _State:
    """What the caller has heard from a worker about one query."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.count = self.done = self.total = 0
        self.engine = "lxml"
        self.result: QueryResult | None = None
        self.error: Exception | None = None

    def read(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "plan":
            self.engine, self.total = message[1], message[2]
        elif kind == "progress":
            self.hits.extend(Hit(*hit) for hit in message[1])
            self.count, self.done = message[2], message[3]
        elif kind == "done":
            self.hits.extend(Hit(*hit) for hit in message[1])
            fields = message[2]
            self.result = QueryResult(**fields, hits=tuple(self.hits))
        elif kind == "error":
            self.error = _rebuild_error(*message[1:])
            raise self.error

    def stopped(self, expression: str, timeout: float, started: float) -> QueryResult:
        message = (f"query stopped at the time limit of {timeout:g} s: {self.done} of"
                   f" {self.total} documents searched")
        return QueryResult(expression, self.count, tuple(self.hits),
                           (time.perf_counter() - started) * 1000, True, self.engine,
                           self.done, message)


def _rebuild_error(kind: str, message: str, path: str | None, line: int | None,
                   column: int | None) -> Exception:
    classes: dict[str, Any] = {cls.__name__: cls for cls in _error_classes()}
    cls = classes.get(kind)
    if cls is None:
        return QueryError(message)
    if issubclass(cls, TeiError):
        return cls(message, path, line, column)
    return cls(message, path)


def _error_classes() -> list[type]:
    from tei import errors as tei_errors

    from . import errors

    found = []
    for module in (errors, tei_errors):
        found += [value for value in vars(module).values() if isinstance(value, type)
                  and issubclass(value, (ArchiveError, TeiError))]
    return found


# --- in the worker ---------------------------------------------------------------------------

def _serve(connection: Connection) -> None:
    """The worker's loop: one query at a time, until the caller goes away."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    while True:
        try:
            settings, expression, namespaces, limit, timeout = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(("started",))
        _answer(connection, settings, expression, namespaces, limit, timeout)


def _answer(connection: Connection, settings: Settings, expression: str,
            namespaces: dict[str, str] | None, limit: int, timeout: float) -> None:
    sent = 0

    def progress(hits: list[Hit], count: int, done: int) -> None:
        nonlocal sent
        connection.send(("progress", [_fields(hit) for hit in hits[sent:]], count, done))
        sent = len(hits)

    def plan(engine: str, total: int) -> None:
        connection.send(("plan", engine, total))

    try:
        result = evaluate_query(settings, expression, namespaces=namespaces, limit=limit,
                                timeout=timeout, progress=progress, plan=plan)
    except (ArchiveError, TeiError) as error:
        connection.send(("error", type(error).__name__, getattr(error, "message", str(error)),
                         error.path, getattr(error, "line", None),
                         getattr(error, "column", None)))
        return
    except (MemoryError, RecursionError) as error:
        what = "out of memory" if isinstance(error, MemoryError) else "nested too deeply"
        connection.send(("error", "QueryError", f"query stopped: {what}", None, None, None))
        return
    fields = {"query": result.query, "count": result.count, "elapsed_ms": result.elapsed_ms,
              "truncated": result.truncated, "engine": result.engine,
              "documents": result.documents, "message": result.message}
    connection.send(("done", [_fields(hit) for hit in result.hits[sent:]], fields))


def _fields(hit: Hit) -> tuple[Any, ...]:
    return hit.doc, hit.target, hit.kind, hit.name, hit.value, hit.context
