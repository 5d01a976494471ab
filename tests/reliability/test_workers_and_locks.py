"""Writers and their workers: killed, they leave no process and no lock behind; running, they
keep other writers out, so that nobody's work is lost.

Real processes, real SIGKILL: a rebuild on cores (at least PARALLEL_MIN files) is killed once
its workers run; none of its processes may live on, and the next writer takes the lock over.
A registry change made while a build runs either waits for nothing and is refused with one
line naming the build, or survives it: never "rc 0" and lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.config import SAMPLES_DIR
from archive.index.workers import PARALLEL_MIN, workers
from benchmarks.corpus import FIXTURES, build_corpus

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists() or workers() < 2,
                                reason="needs Linux's /proc and two cores (a pool of workers)")


def command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive", "--data", str(data), *args]


def archive(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(data, *args), capture_output=True, text=True, timeout=600)


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> set[int]:
    """Every living process under ``pid``."""
    parents = {int(name): parent_of(int(name)) for name in os.listdir("/proc") if name.isdigit()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":  # a zombie holds nothing: it waits for init to reap it
            living.add(pid)
    return living


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TEI files enough for a rebuild on cores (no index yet)."""
    data = tmp_path_factory.mktemp("corpus")
    build_corpus(data / "tei", PARALLEL_MIN * 4, sorted(FIXTURES.glob("*.xml")))
    return data


def kill_when_workers_run(args: list[str], at_least: int = 2, settle: float = 0.0) -> set[int]:
    """Start ``args``, SIGKILL it ``settle`` seconds after it has ``at_least`` processes under
    it; return them."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        workers_seen: set[int] = set()
        while process.poll() is None and time.monotonic() - started < 300:
            workers_seen = descendants(process.pid)
            if len(workers_seen) >= at_least:
                break
            time.sleep(0.01)
        time.sleep(settle)
        workers_seen |= descendants(process.pid)
        assert process.poll() is None, "ended before its workers were seen"
        assert workers_seen, "no worker started"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        workers_seen |= descendants(process.pid)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return workers_seen


def assert_all_end(pids: set[int]) -> None:
    deadline = time.monotonic() + 10
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    survivors = alive(pids)
    for pid in survivors:  # (not left to trouble the rest of the suite)
        os.kill(pid, signal.SIGKILL)
    assert not survivors, f"workers survived their killed parent: {sorted(survivors)}"


@pytest.mark.parametrize("what", ["reindex", "build"])
def test_a_killed_rebuild_leaves_no_worker_and_the_next_writer_takes_the_lock(
        corpus: Path, tmp_path: Path, what: str) -> None:
    data = tmp_path / "data"
    (data / "tei").mkdir(parents=True)
    for path in (corpus / "tei").glob("*.xml"):
        os.link(path, data / "tei" / path.name)
    # reindex --full: a rebuild; build: one source, then the index of every file (there is
    # none yet: a rebuild on cores)
    args = ["reindex", "--full"] if what == "reindex" else \
        ["build", "--no-annotate", str(sorted(SAMPLES_DIR.glob("*.txt"))[0])]
    pids = kill_when_workers_run(command(data, *args))
    assert_all_end(pids)

    added = archive(data, "registry", "add", "--type", "person", "--name", "Vera Zasulich")
    assert added.returncode == 0, added.stderr
    assert "taking over the lock of archive " in added.stderr
    assert "Vera Zasulich" in archive(data, "registry", "show", "vera-zasulich").stdout
    assert archive(data, "reindex").returncode == 0  # and the index is whole again
    assert archive(data, "facets").returncode == 0


def test_a_writer_facing_a_live_holder_names_it_in_one_line(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom pathlib import Path\n"
         "from archive.store import data_lock\n"
         "with data_lock(Path(sys.argv[1])):\n    print('held', flush=True)\n    time.sleep(60)",
         str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        for args in (["registry", "add", "--type", "person", "--name", "Vera Zasulich"],
                     ["review", "accept", "nobody"], ["reindex"]):
            refused = archive(tmp_path, *args)
            assert refused.returncode == 1
            lines = refused.stderr.strip().splitlines()
            assert len(lines) == 1, refused.stderr
            assert lines[0].startswith(
                f"archive: error: another archive process (pid {holder.pid}: ")
            assert lines[0].endswith(f") is writing to {tmp_path}")
            assert ", since " in lines[0]
    finally:
        holder.kill()
        holder.communicate()
    assert not (tmp_path / "registry").exists()  # nothing was written


def test_a_registry_change_during_a_build_is_refused_or_kept(tmp_path: Path) -> None:
    sources = sorted(SAMPLES_DIR.glob("*.txt"))
    data = tmp_path / "data"
    build = subprocess.Popen(command(data, "build", *map(str, sources)),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()  # while it writes its documents (and its registry)
        while not list((data / "tei").glob("*.xml")) and time.monotonic() - started < 300:
            assert build.poll() is None
            time.sleep(0.01)
        added = archive(data, "registry", "add", "--type", "person", "--name", "Vera Zasulich")
        reindexed = archive(data, "reindex")
        assert build.wait(timeout=600) == 0
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    for done in (added, reindexed):
        if done.returncode != 0:
            assert done.stderr.startswith("archive: error: another archive process (pid "
                                          f"{build.pid}: archive build, since "), done.stderr
    kept = archive(data, "registry", "show", "vera-zasulich")
    assert (added.returncode == 0) == (kept.returncode == 0), "rc 0, and the entry was lost"


def test_a_killed_query_leaves_no_worker(corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "tei").mkdir(parents=True)
    for path in list((corpus / "tei").glob("*.xml"))[:20]:
        os.link(path, data / "tei" / path.name)
    assert archive(data, "reindex").returncode == 0
    # query workers start from the process server, whose children they are (with the
    # server and its resource tracker: at least three processes)
    # server and its resource tracker: at least three processes), and this one spends its
    # time inside one call of Python's re
    stuck = "matches(string-join((1 to 40) ! 'a') || 'b', '(a+)+$')"
    pids = kill_when_workers_run(command(data, "query", stuck, "--timeout", "600"), at_least=3,
                                 settle=2.0)
    assert_all_end(pids)


def test_the_lock_taken_again_is_held_until_the_outermost_block_ends(tmp_path: Path) -> None:
    import threading

    from archive.errors import ArchiveError
    from archive.store import data_lock

    def refused() -> bool:
        done = archive(tmp_path, "reindex")
        return done.returncode == 1 and "another archive process (pid " in done.stderr

    with data_lock(tmp_path):
        with data_lock(tmp_path):  # (a build's update_index)
            pass
        assert refused()  # still held: POSIX locks go with any close of the file
        errors: list[Exception] = []

        def other_thread() -> None:
            try:
                with data_lock(tmp_path):
                    pass
            except ArchiveError as error:
                errors.append(error)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert [str(error) for error in errors] == [
            f"{tmp_path}: another thread of this process is writing to this data directory"]
        assert refused()
    assert not refused()
