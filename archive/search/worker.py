"""Queries from users run in worker processes that can really be stopped.

An XPath evaluation inside lxml's C code or one elementpath function call (``count((1 to
10000000000))``, ``//*//*//*//*``) cannot be interrupted from Python, so it runs in a child
process: the worker checks the time limit between documents and stops cleanly when it can,
and the caller kills it when it has not answered within the limit plus :data:`GRACE`. Workers
are reused, so their parsed-tree cache stays warm between queries (the web console's case);
at most :data:`WORKERS` run at once, further queries wait for one. A query that finds several
workers free is shared: each chooses and evaluates its own share of the documents (every n-th
in id order, the same share from one query to the next, so each keeps its share's trees), and
the caller merges their records in document order, cut where a single pass would have stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import gc
import itertools
import math
import resource
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from operator import attrgetter
from typing import Any, cast

from tei import errors as tei_errors
from tei.errors import TeiError

from .. import errors as archive_errors
from ..config import Settings
from ..errors import ArchiveError, QueryError
from ..index import die_with_parent, worker_context
from ..xpath import (
    TREES,
    VALUES_SHARE,
    CompiledQuery,
    Packed,
    PackedHits,
    QueryResult,
    compile_query,
    corpus_hits,
    corpus_plan,
    document_record,
    document_values,
    engine_used,
    index_answer,
    make_hit,
    pack,
    unpack,
)
from .answers import ANSWERS_KEPT, answer_key
from .bounds import Budget
from .candidates import candidates, corpus_state

#: Seconds between two batches of records a query worker sends.
PROGRESS_EVERY = 0.2

#: Seconds past the time limit before a worker that has not answered is killed.
GRACE = 1.0
#: Seconds a new worker may take to start (a process and its imports).
START_TIMEOUT = 60.0
#: Queries evaluated at once; each worker holds its own tree cache.
WORKERS = 2
#: Bytes of a plan sent by the side pipe: with its header, within PIPE_BUF (4096), so the
#: write goes into the (drained) pipe at once and never waits for the reader.
SIDE_PLAN = 4000
#: Address space of a worker, in bytes: a runaway query fails there, not in the machine.
WORKER_MEMORY = 4 * 1024**3


@dataclass
class _Worker:
    process: Any
    connection: Connection
    plans: Connection  # the side pipe of its plans (see _answer), read at the end of a query
    number: int  # in order of starting: a query gives workers their shares in this order
    ready: bool = False  # it has said that it started (its imports done)

    def stop(self) -> list[tuple[Any, ...]]:
        """Terminate, then kill, and forget the process; return the plans it had sent."""
        self.process.terminate()
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        sent = self.plans_sent()
        self.connection.close()
        self.plans.close()
        return sent

    def plans_sent(self) -> list[tuple[Any, ...]]:
        """The plans waiting in the side pipe (a stopped worker's last may be cut short)."""
        found = []
        try:
            while self.plans.poll(0):
                found.append(self.plans.recv())
        except (EOFError, OSError):
            pass
        return found


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
    plans, their_plans = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(theirs, their_plans), daemon=True,
                              name="archive-query-worker")
    process.start()
    theirs.close()
    their_plans.close()
    return _Worker(process, ours, plans, next(_STARTED))


_STARTED = itertools.count()


def run_in_worker(settings: Settings, expression: str, *, namespaces: dict[str, str] | None,
                  limit: int, timeout: float, hit_bytes: int | None = None,
                  answer_bytes: int | None = None, corpus: bool = False) -> QueryResult:
    """:func:`archive.search.evaluate_query` in workers, stopped at ``timeout`` + :data:`GRACE`.

    When several workers are free, each evaluates its share of the documents (every n-th in id
    order, so that each keeps the trees of its share warm) and their records are merged in
    document order, cut where one process evaluating them in order would have stopped: the
    result is the same. Workers that read different lists of documents (the folder or the index
    changed meanwhile) are asked again. Hits are cut to ``hit_bytes`` and the answer to
    ``answer_bytes`` in the workers, before they are sent (see :mod:`.bounds`).

    With ``corpus`` a function of paths (see :func:`archive.xpath.corpus_plan`) is asked once
    of the whole corpus: the workers send each document's values of its paths, evaluated here
    once in document order; an answer is only given when every document was read.

    The same query asked again while nothing changed is answered from its last answer, kept
    here (see :mod:`.answers`), without the workers.

    :raise QueryError: a static or dynamic error reported by a worker, a worker that ended
        unexpectedly, or documents that kept changing during the query.
    """
    started = time.perf_counter()
    bounds = (hit_bytes, answer_bytes)
    # an answer kept from the same query asked under the same state (see .answers)
    ANSWERS_KEPT.resize(int(settings.query_cache_mb * 1024 * 1024 * ANSWERS_SHARE))
    key = answer_key(settings, expression, namespaces, limit, bounds, corpus) \
        if ANSWERS_KEPT.budget else None
    state = corpus_state(settings) if ANSWERS_KEPT.seen(key) else None
    kept = ANSWERS_KEPT.get(key, state, (time.perf_counter() - started) * 1000)
    if kept is not None:
        return kept
    for _ in range(ATTEMPTS):
        merge = _share(settings, expression, namespaces, limit, timeout, bounds, corpus)
        if len(set(merge.listings.values())) <= 1:
            elapsed = (time.perf_counter() - started) * 1000
            with _collector_paused():
                result = None
                if corpus:
                    plan = corpus_plan(compile_query(expression, namespaces))
                    if plan is not None:
                        result = merge.corpus_result(plan, elapsed)
                        cost = sum(ANSWER_HIT + len(hit.value) + len(hit.context)
                                   for hit in result.hits)
                if result is None:
                    result = merge.result(elapsed)
                    cost = ANSWER_FACTOR * merge.received + ANSWER_HIT * merge.rows
                if merge.whole:
                    ANSWERS_KEPT.put(key, state, result, cost)
                return result
    raise QueryError("the documents changed during the query: run it again")


#: Of a worker's tree budget (``query_cache_mb``), what the calling process may fill with the
#: answers it keeps (see .answers): 128 MB at the default 256.
ANSWERS_SHARE = 0.5
#: An answer's estimated bytes per byte of the workers' messages it was made of (their strings
#: as Python holds them: about twice their pickled size)...
ANSWER_FACTOR = 2
#: ... and per hit held as a tuple (a record of few hits, or a corpus-wide query's hit) besides
#: its strings (measured: 31,703 hits of ``//tei:*[@ref = '#x']``, ~7 a document, in 3.9 MB of
#: messages held 19 MB; 38,748 of ``//tei:p[contains(., 'w')]``, packed, in 41 MB held 82 MB).
ANSWER_HIT = 400


#: Queries asked again when the documents changed while the workers read their list.
ATTEMPTS = 3

#: The youngest generation's threshold of a worker's garbage collector (Python's is 700): a
#: query makes up to hundreds of thousands of hits that outlive it, and each few dozen
#: thousand new objects would otherwise set off a full collection, which walks everything the
#: worker keeps (its trees' maps and what it keeps apart: millions of objects), for most of a
#: warm query's time. What a query leaves in cycles (elementpath's node trees of the trees not
#: kept) waits at most this many new objects.
WORKER_GC_THRESHOLD = 50_000

_PAUSED = 0  # the queries of this process whose answers are being gathered (see below)
_RESUME = False  # whether collection was on when the first of them began
_PAUSED_LOCK = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while a worker's records are read, or the hits merged, here:
    hundreds of thousands of hits, plain tuples that form no cycle, would otherwise set off
    full collections walking everything the calling process holds (a viewer's caches).
    Collection resumes, as it was, when no query of this process is reading or merging (never
    while waiting for the workers)."""
    global _PAUSED, _RESUME
    with _PAUSED_LOCK:
        if _PAUSED == 0:
            _RESUME = gc.isenabled()
            gc.disable()
        _PAUSED += 1
    try:
        yield
    finally:
        with _PAUSED_LOCK:
            _PAUSED -= 1
            if _PAUSED == 0 and _RESUME:
                gc.enable()


def _share(settings: Settings, expression: str, namespaces: dict[str, str] | None,
           limit: int, timeout: float, bounds: tuple[int | None, int | None],
           corpus: bool = False) -> _Merge:
    # one query shared out to the free workers, their records gathered until each has ended;
    # a worker gets the same share from one query to the next, so its trees stay warm
    workers = sorted(_POOL.take(WORKERS), key=attrgetter("number"))
    merge = _Merge(expression, limit, timeout, len(workers), bounds)
    pending = dict(enumerate(workers))
    try:
        for shard, worker in pending.items():
            worker.connection.send((settings, expression, namespaces, limit, timeout, shard,
                                    len(workers), bounds, corpus))
        for worker in pending.values():  # the time limit runs from their start
            if not worker.ready:
                if not worker.connection.poll(START_TIMEOUT):
                    raise QueryError("the query worker did not start")
                worker.connection.recv()
                worker.ready = True
        deadline = time.perf_counter() + timeout + GRACE
        while pending:
            by_connection = {worker.connection: shard for shard, worker in pending.items()}
            ready = wait(list(by_connection), max(0.0, deadline - time.perf_counter()))
            if not ready:
                break  # the rest are stopped below
            # (wait returns some of the objects it was given: these connections)
            for connection in cast(list[Connection], ready):
                shard = by_connection[connection]
                with _collector_paused():
                    data = connection.recv_bytes()
                    merge.received += len(data)
                    last = merge.read(shard, ForkingPickler.loads(data))
                if last:
                    worker = pending.pop(shard)
                    for plan in worker.plans_sent():
                        merge.read(shard, plan)
                    _POOL.give_back(worker)
    except (EOFError, OSError):
        raise QueryError("the query worker ended unexpectedly") from None
    finally:
        for shard, worker in pending.items():
            for plan in worker.stop():
                merge.read(shard, plan)
            _POOL.give_back(None)
    return merge


class _Merge:
    """Records of documents from the workers, merged as one ordered evaluation would.

    Documents are named by their position among all the documents in id order; each worker's
    plan lists its candidates, and their union in order is what one pass would evaluate.
    """

    def __init__(self, expression: str, limit: int, timeout: float, shards: int,
                 bounds: tuple[int | None, int | None] = (None, None)) -> None:
        self.expression, self.limit, self.timeout, self.shards = expression, limit, timeout, shards
        self.bounds = bounds
        self.engine = "lxml"
        self.listings: dict[int, tuple[Any, ...]] = {}  # shard → its list of documents' stamp
        self.chosen: dict[int, list[int]] = {}  # shard → positions of its candidates
        # by position: (items, the hits as sent (by field, see .records), stopped inside it)
        self.records: dict[int, tuple[int, Packed, bool]] = {}
        self.values: dict[int, dict[str, list[str]]] = {}  # by position, asked of the corpus
        self.errors: dict[int, Exception] = {}  # by position; -1: a static error
        self.stops: dict[int, str] = {}  # shard → why it stopped early ("time", "limit", "size")
        self.cut = False  # a worker cut a hit to the hit's bound
        self.received = 0  # bytes of the workers' messages
        self.rows = 0  # hits of the records taken sent as tuples (fewer than FEW a document)
        self.whole = True  # the answer is whole as asked: no time limit cut it (see result)

    def read(self, shard: int, message: tuple[Any, ...]) -> bool:
        """Take one message; True when it is the worker's last for this query."""
        kind: str = message[0]
        if kind == "plan":
            self.engine = message[1]
            self.listings[shard], self.chosen[shard] = message[2], message[3]
        elif kind == "values":
            self.values.update(message[1])
        elif kind in ("records", "end"):  # hits made now, while other workers still work
            for position, count, hits, partial in message[-1]:
                self.records[position] = (count, hits, partial)  # made hits in result()
            if kind == "end" and message[1]:
                self.stops[shard] = message[1]
            if kind == "end" and len(message) > 3:  # ("end", why, cut, records)
                self.cut = self.cut or message[2]
            return kind == "end"
        elif kind == "error":
            error = _rebuild_error(*message[2:])
            if message[1] is None:  # a static error: the same in every worker
                self.errors[-1] = error
            else:
                self.errors[message[1]] = error
            return True
        return False

    def result(self, elapsed_ms: float) -> QueryResult:
        """The merged answer; the records are taken out as their hits are made (once)."""
        if -1 in self.errors:
            raise self.errors[-1]
        order = sorted(itertools.chain.from_iterable(self.chosen.values()))
        # a share whose worker was stopped before its plan came could hold any document from
        # its first position on: the merge ends there
        unplanned = [shard for shard in range(self.shards) if shard not in self.chosen]
        cut = min(unplanned) if unplanned else math.inf
        records, errors, limit = self.records, self.errors, self.limit
        reasons = {"time": f"the time limit of {self.timeout:g} s",
                   "limit": f"the result limit of {limit} items",
                   "size": f"the answer size limit of {self.bounds[1] or 0:,} bytes"}
        budget = Budget(*self.bounds)
        budget.cut = self.cut
        unbounded = self.bounds == (None, None)  # then the hits taken are all of a record's
        last: dict[int, int] = {}  # shard → its last document evaluated
        for position in sorted(records):
            last[position % self.shards] = position
        # the records as they came, each hit made when read: 2.5 million hits as tuples were
        # most of a 3.6 GB caller at 60,000 documents
        hits = PackedHits()
        kept = count = done = 0  # hits, items and documents of the documents taken
        message = stopped = None  # the note, and which of the reasons ended the merge
        # (with unplanned shares the cut is one of them, an int)
        for index, position in enumerate([*order, int(cut)] if unplanned else order):
            if position in errors:
                raise errors[position]
            # (taken out: its strings are freed as its hits are made, not held beside them)
            record = records.pop(position, None) if position < cut else None
            if record is None:  # not evaluated: its worker stopped at the time limit or its
                # own share of the result limit (then the cut is just above)
                why = self.stops.get(position % self.shards) if position < cut else None
                stopped = why if why in ("limit", "size") else "time"
                break
            if 0 <= limit <= kept:
                stopped = "limit"
                break
            count += record[0]
            kept += record[1][0]
            if record[1][1] and record[1][1][0][0] == "rows":  # (a tuple a hit: see cost)
                self.rows += record[1][0]
            done += 1
            room = max(0, limit - len(hits))
            if unbounded:
                hits.append(record[1], room)
            else:
                rows = unpack(record[1])[:room]
                taken = budget.take(rows)
                # (hits cut to their bounds are new tuples: packed again)
                hits.append(record[1] if taken == rows else pack(taken), len(taken))
            shard = position % self.shards
            if budget.full or (self.stops.get(shard) == "size" and last[shard] == position):
                # the hits reached the answer's size here, or its worker found they did
                stopped, index = "size", index + 1
                break
            if record[2]:  # stopped inside this document
                stopped = "time"
                break
        if stopped is not None:
            message = self._stopped(reasons[stopped], index, order)
        self.whole = stopped != "time"
        notes = [note for note in (message, budget.note()) if note]
        return QueryResult(self.expression, count, hits, elapsed_ms, bool(notes),
                           self.engine, done, "; ".join(notes) or None)

    def corpus_result(self, plan: Any, elapsed_ms: float) -> QueryResult:
        """The expression asked once of every document's values, in document order.

        :raise QueryError: a document's error, or a share not read to its end (the time
            limit): an answer over part of the corpus would be a wrong answer.
        """
        if -1 in self.errors:
            raise self.errors[-1]
        order = sorted(itertools.chain.from_iterable(self.chosen.values()))
        for position in order:
            if position in self.errors:
                raise self.errors[position]
        done = sum(position in self.values for position in order)
        if len(self.chosen) < self.shards or done < len(order):
            raise QueryError(f"query stopped at the time limit of {self.timeout:g} s: "
                             f"{done} of {len(order)} documents searched, and a query of the "
                             f"whole corpus answers only when every document was read")
        hits = corpus_hits(plan, (self.values[position] for position in order))
        budget = Budget(*self.bounds)
        shown = hits if self.limit < 0 else hits[:self.limit]
        kept = list(map(make_hit, budget.take([tuple(hit) for hit in shown])))
        cut = len(kept) < len(hits)
        notes = [note for note in (
            f"query stopped at the result limit of {self.limit} items" if cut and not
            budget.full else None, budget.note()) if note]
        return QueryResult(self.expression, len(hits), tuple(kept), elapsed_ms, bool(notes),
                           self.engine, done, "; ".join(notes) or None)

    @staticmethod
    def _stopped(reason: str, index: int, order: list[int]) -> str:
        return f"query stopped at {reason}: {index} of {len(order)} documents searched"


def _rebuild_error(kind: str, message: str, path: str | None, line: int | None,
                   column: int | None, code: str | None) -> Exception:
    classes: dict[str, type[Exception]] = {cls.__name__: cls for cls in _error_classes()}
    cls = classes.get(kind)
    if cls is None:
        return QueryError(message)
    if issubclass(cls, TeiError):
        return cls(message, path, line, column)
    if issubclass(cls, QueryError):
        return cls(message, path, code=code, line=line, column=column)
    return cls(message, path)


def _error_classes() -> list[type[Exception]]:
    found: list[type[Exception]] = []
    for module in (archive_errors, tei_errors):
        found += [value for value in vars(module).values() if isinstance(value, type)
                  and issubclass(value, (ArchiveError, TeiError))]
    return found


# --- in the worker ---------------------------------------------------------------------------

def _serve(connection: Connection, plans: Connection) -> None:
    """The worker's loop: one query at a time, until the caller goes away."""
    die_with_parent()  # a killed viewer or command leaves no worker behind
    gc.set_threshold(WORKER_GC_THRESHOLD, *gc.get_threshold()[1:])
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    connection.send(("ready",))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        _answer(connection, plans, *job)


def _pruning(compiled: CompiledQuery, gather: Any) -> CompiledQuery:
    # asked of the corpus, a function of one path needs only the documents that path needs:
    # the others give it no value
    if gather is None or len(gather.paths) != 1:
        return compiled
    path = compile_query(gather.paths[0], compiled.namespace_map)
    return dataclasses.replace(compiled, names=path.names, attributes=path.attributes)


def _answer(connection: Connection, plans: Connection, settings: Settings, expression: str,
            namespaces: dict[str, str] | None, limit: int, timeout: float, shard: int,
            shards: int, bounds: tuple[int | None, int | None] = (None, None),
            corpus: bool = False) -> None:
    """Evaluate this worker's share of the documents, sending records as they come.

    Records and errors name a document by its position among all the documents in id order.
    The plan (the engine and the candidates) goes first, by the side pipe when it is small:
    the caller reads it when the query ends or the worker is stopped, so it is not woken for
    it (a wake-up costs more than a small query's evaluation on a busy machine). Hits are cut
    to their bounds here, before they are sent (see :mod:`.bounds`); when the share's hits reach
    the answer's size the share stops.
    """
    started = time.perf_counter()
    deadline = started + timeout
    index: int | None = None
    try:
        compiled = compile_query(expression, namespaces)
        gather = corpus_plan(compiled) if corpus else None  # the corpus's: values only
        trees = settings.query_cache_mb * 1024 * 1024
        TREES.resize(trees, int(trees * VALUES_SHARE))
        TREES.new_query()
        listing, chosen = candidates(settings, _pruning(compiled, gather), shard, shards)
        answer = index_answer(compiled)
        if gather is not None:  # asked of the corpus, a document without values adds none
            chosen = [found for found in chosen if not found.known]
        plan = ForkingPickler.dumps(("plan", engine_used(compiled), listing,
                                     [found.position for found in chosen]))
        (plans if len(plan) <= SIDE_PLAN else connection).send_bytes(plan)
        records: list[tuple[Any, ...]] = []
        own = 0  # hits of this share
        budget = Budget(*bounds)
        unbounded = bounds == (None, None)
        sent = time.perf_counter()
        why = None
        seen: dict[str, set[str]] = {}  # asked of the corpus: the values the share gave
        for index, doc, path, stamp, known in chosen:
            now = time.perf_counter()
            if now > deadline:
                why = "time"
                break
            if gather is None and 0 <= limit <= own:
                why = "limit"
                break
            if now - sent > PROGRESS_EVERY:
                connection.send(("values" if gather else "records", records))
                records, sent = [], now
            if gather is not None:
                records.append((index, document_values(gather, compiled, TREES, path, stamp,
                                                       seen)))
                continue
            if known and answer:
                count, hits, partial = answer.hits(doc, limit - own)
                record = pack(budget.take(hits))  # by field
            else:  # (an attribute predicate's kept sealed: see document_record)
                count, record, partial = document_record(
                    compiled, TREES, path, doc, deadline, limit - own, stamp,
                    None if unbounded else budget.take)
            own += record[0]
            records.append((index, count, record, partial))
            if budget.full:
                why = "size"
                break
            if partial:
                why = "time"
                break
        if gather is not None:
            connection.send(("values", records))
            records = []
        connection.send(("end", why, budget.cut, records))
    except (ArchiveError, TeiError) as error:
        connection.send(("error", index, type(error).__name__,
                         getattr(error, "message", str(error)), error.path,
                         getattr(error, "line", None), getattr(error, "column", None),
                         getattr(error, "code", None)))
    except (MemoryError, RecursionError) as error:
        what = "out of memory" if isinstance(error, MemoryError) else "nested too deeply"
        connection.send(("error", index, "QueryError", f"query stopped: {what}", None, None,
                         None, None))
