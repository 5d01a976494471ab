"""Tagging on a Dask cluster (``archive build --scheduler tcp://host:8786``).

Each source's task (:func:`archive.build.tagging.tag_source`: encode and tag, return the
bytes) runs on a worker of a Dask ``distributed`` scheduler; the building process validates,
writes and indexes what comes back, in the order of the sources, exactly as a local build
does. A task writes nothing and depends on nothing but its arguments, so a task whose worker
is lost simply runs again on another (Dask does that; ``retries`` covers a task that raised).

The workers get the registry as the build began (sent once, fetched by each worker once)
and the path of the archive's trained model when it has one (then on a file system the
workers share); each worker process loads its recogniser once per registry, not per task.
Workers need this package installed (``pip install 'tei-archive[cluster]'``), and one
thread each (``dask worker --nthreads 1 --nworkers N``): the recogniser is not shared
between threads (tasks of one process take turns).
"""

from __future__ import annotations

import hashlib
import pickle
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tei.errors import TeiError

from ..annotate import Recogniser, current_model, load_nlp
from ..config import Settings
from ..errors import ArchiveError
from ..model import Source
from ..registry import Registry
from .tagging import Tagged, tag_source

#: A scheduler's address: [protocol://]host:port (Dask takes tcp when none is given).
ADDRESS = re.compile(r"([a-z][a-z0-9+.-]*://)?(\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):[0-9]{1,5}")
#: Seconds to reach the scheduler, and to wait for its first worker.
CONNECT_TIMEOUT = 10.0
#: Times a task that raised (a worker's error, not a bad source) is tried again elsewhere.
RETRIES = 3
#: Tasks submitted ahead of the one the building process waits for, per worker thread.
AHEAD_PER_WORKER = 8


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to tag: sent once to each worker, shared by the build's tasks.

    :param key: a digest of the rest: a worker keeps one recogniser per key.
    :param registry: the registry as the build began, or None when names are not tagged.
    :param model: the directory of the archive's trained model, or None: the packaged one.
    """

    key: str
    registry: Registry | None
    model: str | None
    titles_in_names: bool


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address`` with at least one worker,
    closed at the end.

    :raise ArchiveError: Dask is not installed, or the scheduler cannot be reached (or has
        no worker) within :data:`CONNECT_TIMEOUT` seconds.
    """
    try:
        import distributed
    except ImportError:
        raise ArchiveError("--scheduler needs Dask: pip install 'tei-archive[cluster]'"
                           ) from None
    if not ADDRESS.fullmatch(address):
        raise ArchiveError(f"cannot reach the Dask scheduler at {address}: not a scheduler "
                           "address (tcp://host:8786)")
    make: Any = distributed.Client  # (distributed is not typed throughout)
    try:
        client = make(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise ArchiveError(f"cannot reach the Dask scheduler at {address}: "
                           f"{_one_line(error)}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise ArchiveError(f"the Dask scheduler at {address} has no worker: "
                               f"{_one_line(error)}") from None
        yield client
    finally:
        client.close()


def tag_on_cluster(client: Any, settings: Settings, registry: Registry,
                   sources: Sequence[Source], previous: Sequence[str | None], when: str, *,
                   annotate_names: bool = True) -> Iterator[Tagged]:
    """The sources tagged on the cluster's workers, yielded in the order of ``sources``.

    A few tasks per worker are in flight ahead of the one yielded next, so the cluster keeps
    busy while the building process writes, and holds only those results.

    :raise ArchiveError: a source's task failed as it would in a local build (the same error),
        or failed :data:`RETRIES` times on the workers.
    """
    model = current_model(settings.data_dir) if annotate_names else None
    setup = _setup(registry if annotate_names else None, model, settings.titles_in_names)
    run = uuid.uuid4().hex
    # A task, not scattered data: were every worker holding it lost, Dask makes it again.
    shared = client.submit(_given, setup, key=f"archive-setup-{run}", pure=False)
    threads = max(1, sum(client.nthreads().values()))
    ahead = AHEAD_PER_WORKER * threads
    pending: deque[tuple[int, Any]] = deque()  # (number of the source, its task's future)
    submitted = 0
    try:
        while submitted < len(sources) or pending:
            while submitted < len(sources) and len(pending) < ahead:
                pending.append((submitted, client.submit(
                    tag_task, shared, sources[submitted], previous[submitted], when,
                    key=f"archive-tag-{run}-{submitted}", retries=RETRIES)))
                submitted += 1
            number, future = pending.popleft()
            try:
                result = future.result()
            except Exception as error:  # failed on every try (workers lost again and again)
                raise ArchiveError(f"tagging failed on the Dask cluster: {_one_line(error)}",
                                   sources[number].path) from None
            finally:
                future.release()
            if isinstance(result, (ArchiveError, TeiError)):
                raise result  # the bad source's own error, as a local build reports it
            yield result
    finally:
        for _, future in pending:
            future.cancel()
        shared.release()


def tag_task(setup: WorkerSetup, source: Source, previous_date: str | None,
             when: str) -> Tagged | ArchiveError | TeiError:
    """The task a worker runs: tag one source, write nothing. A bad source's error is
    returned, not raised: it would fail again on any worker."""
    with _WORKER_LOCK:
        try:
            return tag_source(source, previous_date, when, _recogniser(setup))
        except (ArchiveError, TeiError) as error:
            return error


#: This worker process's recogniser and the key of the setup it was made from.
_WORKER_RECOGNISER: dict[str, Recogniser] = {}
_WORKER_LOCK = threading.Lock()


def _recogniser(setup: WorkerSetup) -> Recogniser | None:
    """The recogniser of ``setup``, loaded once per worker process, with no proposals yet."""
    if setup.registry is None:
        return None
    recogniser = _WORKER_RECOGNISER.get(setup.key)
    if recogniser is None:
        if setup.model is not None and not Path(setup.model).is_dir():
            raise ArchiveError("the archive's trained model is not on this Dask worker: a "
                               "trained model needs a file system the workers share",
                               setup.model)
        nlp = load_nlp(setup.model) if setup.model else load_nlp()
        recogniser = Recogniser(setup.registry, nlp=nlp, titles_in_names=setup.titles_in_names)
        _WORKER_RECOGNISER.clear()  # one registry at a time: the last build's
        _WORKER_RECOGNISER[setup.key] = recogniser
    recogniser.forget_proposals()  # each task proposes as if it were alone: it is pure
    return recogniser


def _given(setup: WorkerSetup) -> WorkerSetup:
    return setup


def _setup(registry: Registry | None, model: Path | None, titles_in_names: bool) -> WorkerSetup:
    model_path = str(model.resolve()) if model else None
    digest = hashlib.sha256(pickle.dumps((registry, model_path, titles_in_names))).hexdigest()
    return WorkerSetup(digest, registry, model_path, titles_in_names)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
