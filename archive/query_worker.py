"""Queries from users run in worker processes that can really be stopped.

An XPath evaluation inside lxml's C code or one elementpath function call (``count((1 to
10000000000))``, ``//*//*//*//*``) cannot be interrupted from Python, so it runs in a child
process: the worker checks the time limit between documents and stops cleanly when it can,
and the caller kills it when it has not answered within the limit plus :data:`GRACE`. Workers
are reused, so their parsed-tree cache stays warm between queries (the web console's case);
at most :data:`WORKERS` run at once, further queries wait for one. A query that finds several
workers free is shared: each evaluates every n-th document, and the caller merges their records
in document order, cut where a single pass would have stopped.
"""

from __future__ import annotations

import atexit
import resource
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from tei.errors import TeiError

from .config import Settings
from .errors import ArchiveError, QueryError
from .index_workers import worker_context
from .query import (
    PROGRESS_EVERY,
    TIMED_OUT,
    TREES,
    Hit,
    HitMaker,
    QueryResult,
    candidate_files,
    compile_query,
    evaluate_document,
)

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

    def take(self, most: int = 1) -> list[_Worker]:
        """One worker (waiting for one if need be), and more up to ``most`` if free now."""
        with self.lock:
            while not self.idle and self.alive >= WORKERS:
                self.lock.wait()
            chosen: list[_Worker] = []
            while self.idle and len(chosen) < most:
                chosen.append(self.idle.pop())
            new = 0
            while len(chosen) + new < most and self.alive < WORKERS:
                self.alive += 1
                new += 1
        for _ in range(new):
            try:
                chosen.append(_start())
            except BaseException:
                self.give_back(None)
                for worker in chosen:
                    self.give_back(worker)
                raise
        return chosen

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


def _start() -> _Worker:
    context = worker_context()  # workers start with the imports done
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True,
                              name="archive-query-worker")
    process.start()
    theirs.close()
    return _Worker(process, ours)


def run_in_worker(settings: Settings, expression: str, *, namespaces: dict[str, str] | None,
                  limit: int, timeout: float) -> QueryResult:
    """:func:`archive.query.evaluate_query` in workers, stopped at ``timeout`` + :data:`GRACE`.

    When several workers are free, each evaluates every n-th document (each keeping the trees
    of its share warm) and their records are merged in document order, cut where one process
    evaluating them in order would have stopped: the result is the same.

    :raise QueryError: a static or dynamic error reported by a worker, or a worker that ended
        unexpectedly.
    """
    started = time.perf_counter()
    workers = _POOL.take(WORKERS)
    merge = _Merge(expression, limit, timeout, len(workers))
    pending = dict(enumerate(workers))
    try:
        for shard, worker in pending.items():
            worker.connection.send((settings, expression, namespaces, limit, timeout, shard,
                                    len(workers)))
        for worker in pending.values():  # the time limit runs from their start
            if not worker.connection.poll(START_TIMEOUT):
                raise QueryError("the query worker did not start")
            worker.connection.recv()
        deadline = time.perf_counter() + timeout + GRACE
        while pending:
            by_connection = {worker.connection: shard for shard, worker in pending.items()}
            ready = wait(list(by_connection), max(0.0, deadline - time.perf_counter()))
            if not ready:
                break  # the rest are stopped below
            for connection in ready:
                shard = by_connection[connection]  # type: ignore[index]
                if merge.read(shard, connection.recv()):  # type: ignore[union-attr]
                    _POOL.give_back(pending.pop(shard))
    except (EOFError, OSError):
        raise QueryError("the query worker ended unexpectedly") from None
    finally:
        for worker in pending.values():
            worker.stop()
            _POOL.give_back(None)
    return merge.result((time.perf_counter() - started) * 1000)


class _Merge:
    """Records of documents from the workers, merged as one ordered evaluation would."""

    def __init__(self, expression: str, limit: int, timeout: float, shards: int) -> None:
        self.expression, self.limit, self.timeout, self.shards = expression, limit, timeout, shards
        self.engine = "lxml"
        self.total = 0
        self.records: dict[int, tuple[int, list[tuple[Any, ...]], bool]] = {}
        self.errors: dict[int, Exception] = {}
        self.stops: dict[int, str] = {}  # shard → why it stopped early ("time", "limit")

    def read(self, shard: int, message: tuple[Any, ...]) -> bool:
        """Take one message; True when it is the worker's last for this query."""
        kind = message[0]
        if kind == "plan":
            self.engine, self.total = message[1], message[2]
        elif kind == "records":
            for index, count, hits, partial in message[1]:
                self.records[index] = (count, hits, partial)
        elif kind == "end":
            if message[1]:
                self.stops[shard] = message[1]
            return True
        elif kind == "error":
            error = _rebuild_error(*message[2:])
            if message[1] is None:  # a static error: the same in every worker
                self.errors[-1] = error
            else:
                self.errors[message[1]] = error
            return True
        return False

    def result(self, elapsed_ms: float) -> QueryResult:
        if -1 in self.errors:
            raise self.errors[-1]
        hits: list[Hit] = []
        count = done = 0
        message = None
        for index in range(self.total):
            if index in self.errors:
                raise self.errors[index]
            record = self.records.get(index)
            why = self.stops.get(index % self.shards, "time")
            if record is None and why == "time":
                message = self._stopped(f"the time limit of {self.timeout:g} s", index)
                break
            if 0 <= self.limit <= len(hits):
                message = self._stopped(f"the result limit of {self.limit} items", index)
                break
            if record is None:  # stopped by its own share of the limit: cut just above
                message = self._stopped(f"the result limit of {self.limit} items", index)
                break
            found, found_hits, partial = record
            count += found
            done += 1
            hits.extend(Hit(*fields) for fields in found_hits[:max(0, self.limit - len(hits))])
            if partial:
                message = self._stopped(f"the time limit of {self.timeout:g} s", index)
                break
        return QueryResult(self.expression, count, tuple(hits), elapsed_ms,
                           message is not None, self.engine, done, message)

    def _stopped(self, reason: str, index: int) -> str:
        return f"query stopped at {reason}: {index} of {self.total} documents searched"


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
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(("started",))
        _answer(connection, *job)


def _answer(connection: Connection, settings: Settings, expression: str,
            namespaces: dict[str, str] | None, limit: int, timeout: float, shard: int,
            shards: int) -> None:
    """Evaluate this worker's share of the documents, sending records as they come."""
    started = time.perf_counter()
    deadline = started + timeout
    index: int | None = None
    try:
        compiled = compile_query(expression, namespaces)
        files = candidate_files(settings, compiled)
        connection.send(("plan", compiled.engine, len(files)))
        records: list[tuple[Any, ...]] = []
        own = 0  # hits of this share
        sent = time.perf_counter()
        why = None
        for index in range(shard, len(files), shards):
            now = time.perf_counter()
            if now > deadline:
                why = "time"
                break
            if 0 <= limit <= own:
                why = "limit"
                break
            if now - sent > PROGRESS_EVERY:
                connection.send(("records", records))
                records, sent = [], now
            doc, path = files[index]
            count, hits, partial, maker = 0, [], False, None
            for item in evaluate_document(compiled, TREES, path, doc, deadline):
                if item is TIMED_OUT:
                    partial = True
                    break
                count += 1
                if own + len(hits) < limit:
                    maker = maker or HitMaker(doc, compiled.namespaces, TREES.hit_memo(path))
                    hits.append(_fields(maker.hit(item)))
            own += len(hits)
            records.append((index, count, hits, partial))
            if partial:
                why = "time"
                break
        connection.send(("records", records))
        connection.send(("end", why))
    except (ArchiveError, TeiError) as error:
        connection.send(("error", index, type(error).__name__,
                         getattr(error, "message", str(error)), error.path,
                         getattr(error, "line", None), getattr(error, "column", None)))
    except (MemoryError, RecursionError) as error:
        what = "out of memory" if isinstance(error, MemoryError) else "nested too deeply"
        connection.send(("error", index, "QueryError", f"query stopped: {what}", None, None,
                         None))


def _fields(hit: Hit) -> tuple[Any, ...]:
    return hit.doc, hit.target, hit.kind, hit.name, hit.value, hit.context
