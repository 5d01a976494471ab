"""`archive build --scheduler`: tagging on a real Dask cluster (a LocalCluster of two worker
processes on loopback), compared byte for byte with the local build of the same sources; one
worker SIGKILLed in the middle of a task; a scheduler that cannot be reached."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.config import Settings
from archive.index import entity_totals, lookup

distributed = pytest.importorskip("distributed", reason="the cluster extra (dask) is not "
                                  "installed: pip install -e '.[cluster]'")

ARCHIVE = [sys.executable, "-m", "archive"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, Any]]:
    """A real Dask scheduler with two worker processes (one thread each) on loopback, and a
    client of it for the tests to watch it."""
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as local:
        with distributed.Client(local) as client:
            yield local.scheduler_address, client


def build_on(scheduler: str, data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*ARCHIVE, "--data", str(data), "build", "--scheduler", scheduler],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*")) if path.is_file()}


def index_answers(data: Path) -> dict[str, Any]:
    """What the index answers: every document with every facet's counts, a full-text search,
    and the registers' totals."""
    settings = Settings(data_dir=data)
    return {"all": lookup(settings, {}, limit=1000, facet_size=1000),
            "text": lookup(settings, {}, "Trotsky", limit=1000, facet_size=1000),
            **{kind: entity_totals(settings, kind) for kind in ("person", "place", "org")}}


def assert_same_archive(data: Path, reference: Path) -> None:
    assert files(data / "tei") == files(reference / "tei")
    assert files(data / "registry") == files(reference / "registry")
    assert files(data / "sources") == files(reference / "sources")
    assert index_answers(data) == index_answers(reference)


def test_a_build_on_the_cluster_equals_the_local_build(
        cluster: tuple[str, Any], built_archive: Path, tmp_path: Path) -> None:
    address, _client = cluster
    data = tmp_path / "data"
    build = build_on(address, data)
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, err
    assert "5 documents" in out
    assert_same_archive(data, built_archive)


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cluster"


def test_a_name_an_earlier_document_proposed_keeps_its_own_id(
        cluster: tuple[str, Any], tmp_path: Path) -> None:
    """``José Martí`` (first document) and ``Jose Marti`` (second) are two proposals,
    ``jose-marti`` and ``jose-marti-2``, as in a local build: the second was tagged on a worker
    against the registry as the build began, where ``jose-marti`` was free."""
    from archive.build import build

    sources = sorted(FIXTURES.glob("marti-*.txt"))
    local = tmp_path / "local"
    assert build(Settings(data_dir=local), sources).failures == []
    assert 'ref="#jose-marti-2"' in (local / "tei" / "marti-plain.xml").read_text()
    data = tmp_path / "data"
    done = subprocess.run([*ARCHIVE, "--data", str(data), "build", "--scheduler", cluster[0],
                           *map(str, sources)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert_same_archive(data, local)


def _executing(dask_worker: Any) -> list[str]:
    """The keys of the tasks a worker is running now (run on the worker by ``client.run``)."""
    return [str(task.key) for task in dask_worker.state.executing]


def test_a_worker_killed_in_the_middle_of_a_task(
        cluster: tuple[str, Any], built_archive: Path, tmp_path: Path) -> None:
    from inotify_simple import INotify, flags

    address, client = cluster
    data = tmp_path / "data"
    (data / "tei").mkdir(parents=True)
    watch = INotify()  # every file moved into tei/: each document written once
    watch.add_watch(data / "tei", flags.MOVED_TO)
    build = build_on(address, data)
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and build.poll() is None and time.monotonic() < deadline:
        running = client.run(_executing)
        busy = [worker for worker, keys in running.items()
                if any(key.startswith("archive-tag-") for key in keys)]
        if busy:
            killed = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(killed, signal.SIGKILL)  # the worker process, not its nanny
        else:
            time.sleep(0.1)
    assert killed is not None, "no task was seen running on a worker"
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, err
    with pytest.raises(ProcessLookupError):
        os.kill(killed, 0)  # it died, mid-task, and the build went on without it
    assert_same_archive(data, built_archive)
    with watch:
        events = watch.read(timeout=0)
    written = Counter(event.name for event in events
                      if event.mask & flags.MOVED_TO and not event.name.startswith("."))
    assert written == Counter({name: 1 for name in files(built_archive / "tei")})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    address = f"tcp://127.0.0.1:{free_port()}"
    done = subprocess.run([*ARCHIVE, "--data", str(data), "build", "--scheduler", address],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"archive: error: cannot reach the Dask scheduler at {address}: ")
    assert not data.exists()


def test_not_an_address_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = subprocess.run([*ARCHIVE, "--data", str(data), "build", "--scheduler", "nowhere"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "archive: error: cannot reach the Dask scheduler at nowhere: not a scheduler address "
        "(tcp://host:8786)"]
    assert not data.exists()


def test_a_bad_source_is_the_same_one_line_as_in_a_local_build(
        cluster: tuple[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 au lait")  # not UTF-8
    errors = []
    for data, options in ((tmp_path / "local", []), (tmp_path / "data", ["--scheduler",
                                                                         cluster[0]])):
        done = subprocess.run([*ARCHIVE, "--data", str(data), "build", *options, str(bad)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 1
        errors.append(done.stderr)
        assert not data.exists()
    assert errors[0] == errors[1]
    assert len(errors[1].splitlines()) == 1 and str(bad) in errors[1]
