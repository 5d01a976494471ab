"""Benchmark of the index and the facets at scale (issue 21: 60,000 documents on one laptop).

Assembles N documents as benchmarks/corpus.py does (kept in --work between runs: assembling
60,000 takes minutes), builds the index in full with ``archive reindex --full``, then prints
each figure beside its target: build rate (and the CPU time it took: on a shared machine, how
busy the cores were), index size against the TEI's, peak memory of the build and of the viewer
(all their processes together, sampled from /proc, and the largest one), facet lookup p95 in
process and through ``/api/facets`` of a real ``archive serve`` (response cache off), the first
lookup after a start, and ``archive facets`` from the command line. Run:
``python benchmarks/scale.py [--docs 60000] [--work DIR]`` (``make bench-scale``);
``--no-build`` measures the index already in the work folder;
``--shape eebo`` measures documents of EEBO-TCP's shape (fewer, longer books: ~25 KB on average,
up to megabytes, few names tagged) instead of the assembled ones.

``--engines sqlite,postgresql`` (the default) measures it all on each engine — PostgreSQL a
throwaway cluster started here (benchmarks/postgres.py), its database filled by the same
``archive reindex --full`` with ``ARCHIVE_INDEX_URL`` — then a load run on each (20 clients,
5,000 requests, benchmarks/load.py) against two viewer processes sharing the one index, and
prints the figures side by side. ``--engines sqlite`` measures SQLite alone.

Then the issue's XPath queries (benchmarks/query.py's set) through the query workers, first
and warm, on each engine, beside BaseX asked the same queries of the same files (a main-memory
database, once, warm: best of 3), with both counts; ``--no-xpath`` leaves them out.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from archive.config import Settings  # noqa: E402
from benchmarks.corpus import SHAPES, build_corpus, build_eebo_corpus, source_files  # noqa: E402
from benchmarks.query import report as print_figure  # noqa: E402
from benchmarks.query import selections  # noqa: E402

BUILD_RATE_TARGET = 400  # documents per second, on 2 cores
SIZE_TARGET = 1.0  # index bytes per TEI byte
MEMORY_TARGET = 2048  # MB, build and serving
LOOKUP_P95_TARGET = 20.0  # ms, through /api/facets
FIRST_LOOKUP_TARGET = 1000.0  # ms
CLI_TARGET = 1000.0  # ms
LOAD_P95_TARGET = 200.0  # ms, as bench-load's
RUNS = 30
#: The command line of the archive, as this Python runs it (its PYTHONPATH and all).
ARCHIVE = [sys.executable, "-m", "archive"]


def prepare(work: Path, count: int, shape: str = "assembled") -> Settings:
    """The data directory of ``count`` documents of a shape (benchmarks/corpus.py) in ``work``
    (made once)."""
    settings = Settings(data_dir=work / f"scale-{count}" if shape == "assembled"
                        else work / f"scale-{shape}-{count}")
    done = settings.data_dir / ".bench-ready"
    if not done.exists():
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        started = time.perf_counter()
        print(f"assembling {count} documents in {settings.tei_dir} (once) ...", flush=True)
        make_corpus(settings.tei_dir, count, shape)
        done.touch()
        print(f"  assembled in {time.perf_counter() - started:.0f} s", flush=True)
    return settings


def make_corpus(tei_dir: Path, count: int, shape: str) -> None:
    """``count`` documents of the shape: ``assembled`` from the samples' passages (many short
    documents), or ``eebo`` (fewer, longer ones, as EEBO-TCP's books)."""
    if shape == "eebo":
        build_eebo_corpus(tei_dir, count)
    else:
        build_corpus(tei_dir, count, source_files(None))


#: The figures of each engine, by label: (value, unit, target, met), for the table at the end.
FIGURES: dict[str, dict[str, tuple[float, str, str, bool | None]]] = {}
#: The engine being measured (its name keys FIGURES).
ENGINE = ["sqlite"]


def report(label: str, value: float, unit: str, target: str, ok: bool | None) -> None:
    """Print a figure beside its target (benchmarks.query.report) and keep it for the table."""
    print_figure(label, value, unit, target, ok)
    FIGURES.setdefault(ENGINE[0], {})[label] = (value, unit, target, ok)


def tei_bytes(settings: Settings) -> int:
    return sum(path.stat().st_size for path in settings.tei_dir.glob("*.xml"))


def index_bytes(settings: Settings) -> int:
    if settings.index_url:  # the tables and their indexes in PostgreSQL
        from benchmarks.postgres import tables_bytes

        return tables_bytes(settings.index_url)
    return sum(Path(f"{settings.index_path}{suffix}").stat().st_size
               for suffix in ("", "-wal") if Path(f"{settings.index_path}{suffix}").exists())


#: Runs a command and then writes, as the last line of its standard error, the peak resident
#: memory (KB) of its largest process: the command's or one of its workers' (ru_maxrss of the
#: processes it waited for, which waited for theirs).
_LARGEST = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]);"
            " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
            " sys.exit(code)")


def build(settings: Settings, count: int) -> None:
    """``archive reindex --full``: its rate, the cores it kept busy, and the peak memory of it
    and its workers."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", _LARGEST, *ARCHIVE, "--data",
                                str(settings.data_dir), "reindex", "--full"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with MemoryWatch(process.pid, without_root=True) as memory:
        out, err = process.communicate()
    seconds = time.perf_counter() - started
    *errors, largest = err.strip().splitlines() or [""]
    if process.returncode:
        raise SystemExit(f"reindex failed: {' '.join(errors).strip()}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(f"    {out.strip().splitlines()[-1]}")
    print(f"    CPU {cpu:.1f} s in {seconds:.1f} s: {cpu / seconds:.2f} cores busy on average"
          f" (on two idle cores at best {count / cpu * 2:.0f} docs/s); load {_load()}")
    report("index build", count / seconds, "docs/s", f">= {BUILD_RATE_TARGET}",
           count / seconds >= BUILD_RATE_TARGET)
    memory.report("the build", int(largest) / 1024)


def _load() -> str:
    """The load averages of the machine (1, 5, 15 minutes): the others' work beside ours."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


class MemoryWatch:
    """The peak resident memory of a process and all its descendants together (its workers),
    sampled from /proc every 50 ms while the ``with`` block runs (Linux; elsewhere nothing)."""

    def __init__(self, pid: int, without_root: bool = False) -> None:
        """:param without_root: count only the descendants (``pid`` a wrapper)."""
        self.pid = pid
        self.without_root = without_root
        self.peak = 0  # bytes, of the whole tree at one moment
        self.largest = 0  # bytes, of its largest process (its high-water mark, VmHWM)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> MemoryWatch:
        self.thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        self.thread.join()

    def __enter__(self) -> MemoryWatch:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def _watch(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while True:
            total = 0
            for pid in _tree(self.pid)[1 if self.without_root else 0:]:
                try:
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
                    status = Path(f"/proc/{pid}/status").read_text()
                except (OSError, ValueError, IndexError):
                    continue  # ended meanwhile
                high = next((line for line in status.splitlines()
                             if line.startswith("VmHWM:")), None)
                if high is not None:
                    self.largest = max(self.largest, int(high.split()[1]) * 1024)
            self.peak = max(self.peak, total)
            if self.stop.wait(0.05):
                return

    def report(self, what: str, largest_mb: float | None = None) -> None:
        """Print the peak beside the target.

        :param largest_mb: the largest process's peak as the kernel counted it
            (``ru_maxrss``), when known: more exact than the samples of a process that
            lived less than their interval.
        """
        largest = max(self.largest / 2**20, largest_mb or 0)
        if not self.peak and not largest:
            print(f"    peak memory of {what}: not measured (no /proc)")
            return
        print(f"    {what}: its largest process {largest:.0f} MB at its peak")
        report(f"peak memory of {what} (all its processes)", max(self.peak / 2**20, largest),
               "MB", f"<= {MEMORY_TARGET}", max(self.peak / 2**20, largest) <= MEMORY_TARGET)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/*/stat's parent ids."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def sizes(settings: Settings) -> None:
    tei, index = tei_bytes(settings), index_bytes(settings)
    print(f"    TEI {tei / 1e6:.0f} MB, index {index / 1e6:.0f} MB")
    if settings.index_url:  # beside the index, not in it: the files a viewer host copies
        from benchmarks.postgres import tables_bytes

        print(f"    the archive's files stored for viewer hosts:"
              f" {tables_bytes(settings.index_url, store=True) / 1e6:.0f} MB")
    report("index size / TEI size", index / tei, "x", f"<= {SIZE_TARGET}",
           index / tei <= SIZE_TARGET)


def table_sizes(settings: Settings, shown: int = 12) -> None:
    """The index's largest tables and indexes (SQLite's dbstat, or PostgreSQL's own sizes of
    the published index), against the TEI's size."""
    tei = tei_bytes(settings)
    if settings.index_url:
        from benchmarks.postgres import relation_sizes

        rows = relation_sizes(settings.index_url)
    else:
        db = sqlite3.connect(f"file:{settings.index_path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"
                              " ORDER BY 2 DESC").fetchall()
        except sqlite3.OperationalError:  # a SQLite built without the dbstat table
            print("    (the sizes of the tables: not known to this SQLite)")
            return
        finally:
            db.close()
    for name, size in rows[:shown]:
        print(f"      {name:<34} {size / 1e6:8.1f} MB  {size / tei:5.2f} x TEI")
    rest = sum(size for _, size in rows[shown:])
    print(f"      {'(the others)':<34} {rest / 1e6:8.1f} MB  {rest / tei:5.2f} x TEI")


_FIRST = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from archive.config import Settings
from archive.index import lookup
imported = time.perf_counter()
result = lookup(Settings.from_env(Path(sys.argv[1])), json.loads(sys.argv[2]))
done = time.perf_counter()
print(json.dumps([(imported - started) * 1000, (done - imported) * 1000, result["count"]]))
"""


def first_lookup(settings: Settings, chosen: dict[str, list[str]]) -> None:
    """A fresh process's first lookup (after its imports), and the imports."""
    done = subprocess.run([sys.executable, "-c", _FIRST, str(settings.data_dir),
                           json.dumps(chosen)], capture_output=True, text=True, check=True)
    imports, first, count = json.loads(done.stdout)
    print(f"    a fresh process: imports {imports:.0f} ms, then its first lookup ({count} docs)")
    report("first lookup after a start", first, "ms", f"<= {FIRST_LOOKUP_TARGET:g}",
           first <= FIRST_LOOKUP_TARGET)


def cli(settings: Settings, chosen: dict[str, list[str]]) -> None:
    """``archive facets --select ...`` from the command line, best of three."""
    selects = [f"--select={name}={value}" for name, values in chosen.items()
               for value in values]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([*ARCHIVE, "--data", str(settings.data_dir), "facets", *selects],
                       capture_output=True, check=True)
        best = min(best, (time.perf_counter() - started) * 1000)
    report("`archive facets` from the command line", best, "ms", f"<= {CLI_TARGET:g}",
           best <= CLI_TARGET)


def in_process(settings: Settings,
               chosen: list[tuple[str, dict[str, list[str]], str | None]]) -> None:
    from archive.index import lookup

    worst = 0.0
    for label, selection, text in chosen:
        times, cpu = [], []
        for _ in range(RUNS):
            started, used = time.perf_counter(), time.process_time()
            result = lookup(settings, selection, text)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        worst = max(worst, p95)
        # the CPU time too: on a shared machine the wall time also counts the others' work
        print(f"    lookup {label:<20} {result['count']:>6} docs  p50"
              f" {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms"
              f"  (CPU p50 {statistics.median(cpu):5.1f} ms)")
    report("facet lookup p95 in process (worst of five)", worst, "ms", "", None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(port: int, url: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: HTTP {response.status}")
        return body
    finally:
        conn.close()


def query(selection: dict[str, list[str]], text: str | None) -> str:
    """The query string of a selection and words."""
    pairs = [(name, value) for name, values in selection.items() for value in values]
    return urlencode(pairs + ([("q", text)] if text else []))


def served(settings: Settings,
           chosen: list[tuple[str, dict[str, list[str]], str | None]]) -> None:
    """A real ``archive serve`` (response cache off): the time from its start to its first
    answer of /api/facets, the p95 of /api/facets, and its peak memory."""
    port = _free_port()
    urls = [f"/api/facets?{query(selection, text)}" for _, selection, text in chosen]
    started = time.perf_counter()
    server = subprocess.Popen([*ARCHIVE, "--data", str(settings.data_dir), "serve", "--port",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "ARCHIVE_RESPONSE_CACHE": "false"})
    memory = MemoryWatch(server.pid).start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _get(port, urls[0])
                break
            except (ConnectionRefusedError, ConnectionResetError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("archive serve did not answer") from None
                time.sleep(0.02)
        print(f"    `archive serve` started and answered its first /api/facets in"
              f" {(time.perf_counter() - started) * 1000:.0f} ms")
        worst = 0.0
        for (label, _, _), url in zip(chosen, urls, strict=True):
            times = []
            for _ in range(RUNS):
                begun = time.perf_counter()
                _get(port, url)
                times.append((time.perf_counter() - begun) * 1000)
            p95 = sorted(times)[int(len(times) * 0.95) - 1]
            worst = max(worst, p95)
            print(f"    /api/facets {label:<20} p50 {statistics.median(times):6.1f} ms"
                  f"  p95 {p95:6.1f} ms")
        report("/api/facets p95 (cache off, worst of five)", worst, "ms",
               f"<= {LOOKUP_P95_TARGET:g}", worst <= LOOKUP_P95_TARGET)
    finally:
        server.terminate()
        server.wait(timeout=30)
        memory.finish()
    memory.report("the viewer")


def measure(settings: Settings, args: argparse.Namespace) -> None:
    """Every figure of one engine's index (``settings.index_url``: PostgreSQL's)."""
    if not args.no_build:
        build(settings, args.docs)
    sizes(settings)
    table_sizes(settings)
    chosen = selections(settings)
    first_lookup(settings, chosen[0][1])
    cli(settings, chosen[0][1])
    in_process(settings, chosen)
    served(settings, chosen)


def load(settings: Settings, args: argparse.Namespace) -> None:
    """20 clients, 5,000 requests (benchmarks/load.py) over two viewer processes of the data
    directory sharing this engine's index, response cache off (every page built), then on."""
    from benchmarks.load import serve_and_load

    options = argparse.Namespace(viewers=2, index=settings.index_url, clients=args.clients,
                                 requests=args.requests)
    with tempfile.TemporaryDirectory() as scratch:
        for cache, label in ((False, "cache off"), (True, "as served")):
            result = serve_and_load(settings.data_dir, Path(scratch), options, cache=cache)
            ok = result["errors"] == 0 and result["p95"] <= LOAD_P95_TARGET
            report(f"load, 2 viewers, {label}: requests/s", result["rps"], "req/s", "", None)
            report(f"load, 2 viewers, {label}: p95", result["p95"], "ms",
                   f"<= {LOAD_P95_TARGET:g}", ok)
            report(f"load, 2 viewers, {label}: errors", result["errors"], "", "0",
                   result["errors"] == 0)
            for name, value in result.items():  # each page kind's (benchmarks/load.py family)
                if name.startswith("p95 "):
                    report(f"load, 2 viewers, {label}: {name}", value, "ms", "", None)


#: BaseX's warm times and counts of the queries (benchmarks.query.basex_times), asked once.
BASEX: dict[str, tuple[float, int | None]] = {}


def xpath(settings: Settings, working_copy: Settings) -> None:
    """The issue's XPath queries through the query workers (benchmarks.query.bench_xpath) on
    this engine's index, each beside BaseX's time on the same files, with the counts."""
    from archive.search.worker import stop_workers
    from benchmarks.query import basex_times, bench_xpath, compare_basex, xpaths

    queries = xpaths(working_copy)  # the rarest and commonest @ref, from the SQLite copy
    try:
        ours = bench_xpath(settings, queries)
    finally:
        stop_workers()
    if not BASEX:
        BASEX.update(basex_times(settings.tei_dir, queries))
    for label, (ratio, same) in compare_basex(BASEX, ours).items():  # printed there
        FIGURES.setdefault(ENGINE[0], {})[f"XPath÷BaseX {label}"] = (
            ratio, "x", "<= 1 (same count)", ratio <= 1 and same)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    this process, which asked the queries and held their hits: peak {peak:.0f} MB")


def on_engines(settings: Settings, args: argparse.Namespace) -> None:
    """:func:`measure` and :func:`load` on each engine of ``args.engines``, then the figures
    side by side. PostgreSQL: a throwaway cluster, ``ARCHIVE_INDEX_URL`` set for the
    processes started (``archive reindex``, ``facets``, ``serve``) and in ``settings``."""
    from dataclasses import replace

    from benchmarks.postgres import throwaway_database

    for engine in args.engines:
        ENGINE[0] = engine
        print(f"\n{args.docs} documents ({args.shape}) in {settings.data_dir}, index on {engine}"
              f" (load {_load()})", flush=True)
        if engine == "sqlite":
            os.environ.pop("ARCHIVE_INDEX_URL", None)
            measure(settings, args)
            load(settings, args)
            if args.xpath:
                xpath(settings, settings)
            continue
        with throwaway_database() as url:
            os.environ["ARCHIVE_INDEX_URL"] = url
            try:
                on_postgresql = replace(settings, index_url=url)
                if args.no_build:  # the working copy published as it is
                    subprocess.run([*ARCHIVE, "--data", str(settings.data_dir), "reindex"],
                                   capture_output=True, check=True)
                measure(on_postgresql, args)
                load(on_postgresql, args)
                if args.xpath:
                    xpath(on_postgresql, settings)
            finally:
                os.environ.pop("ARCHIVE_INDEX_URL", None)
    side_by_side(args.engines)


def side_by_side(engines: list[str]) -> None:
    """One line per figure: its value on each engine, and its target."""
    if len(engines) < 2:
        return
    print(f"\n  {'figure':<52}" + "".join(f"{name:>14}" for name in engines) + "  target")
    labels = list(dict.fromkeys(label for name in engines for label in FIGURES.get(name, {})))
    for label in labels:
        cells, target = "", ""
        for name in engines:
            figure = FIGURES.get(name, {}).get(label)
            if figure is None:
                cells += f"{'-':>14}"
                continue
            value, unit, target, ok = figure
            mark = "" if ok is None else (" ok" if ok else " MISS")
            cells += f"{value:>9.1f}{mark:<5}"
        print(f"  {label:<52}{cells}  {target} {figure[1] if figure else ''}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=60_000)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-scale")
    parser.add_argument("--no-build", action="store_true",
                        help="measure the index already in the work folder")
    parser.add_argument("--engines", type=lambda text: text.split(","),
                        default=["sqlite", "postgresql"],
                        help="the index engines measured, side by side (sqlite,postgresql)")
    parser.add_argument("--shape", choices=SHAPES, default="assembled",
                        help="the corpus: many short documents assembled from the samples, or"
                             " EEBO-TCP's fewer, longer books (benchmarks/corpus.py)")
    parser.add_argument("--clients", type=int, default=20, help="clients of the load run")
    parser.add_argument("--requests", type=int, default=5000, help="requests of the load run")
    parser.add_argument("--no-xpath", dest="xpath", action="store_false",
                        help="leave out the XPath queries and BaseX beside them")
    args = parser.parse_args()
    unknown = set(args.engines) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown engine {', '.join(sorted(unknown))}: sqlite or postgresql")
    settings = prepare(args.work, args.docs, args.shape)
    on_engines(settings, args)


if __name__ == "__main__":
    main()
