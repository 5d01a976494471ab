"""Load test of the viewer: 20 concurrent clients, 5,000 mixed requests, loopback only.

Builds the sample archive (or uses --data), serves it with waitress on 127.0.0.1 and a free
port in a child process, sends requests mixed over browse with facets, reading view, entity
pages, search and XPath queries from 20 threads, then stops the server. Bounded in count and
time: it stops by itself. Prints requests/s, p50/p95/p99 latency and errors beside targets,
twice: as served (the viewer's response cache on) and with every page built (cache off).
Then a reading page's latency while 8 clients send heavy XPath queries without pause (the
viewer's pool for heavy requests refuses those beyond it with 503): its p95 beside the target.
Run: ``python benchmarks/load.py [--requests 5000] [--clients 20] [--data DIR]``.

``--viewers 2 --index postgresql://…`` serves the archive from two viewer processes on two
ports sharing one PostgreSQL index (the TEI files shared on disk), the clients spread over
them as a proxy would; ``--postgresql`` does that against a throwaway PostgreSQL cluster of
its own (benchmarks/postgres.py). ``make bench-scale`` runs it at scale (benchmarks/scale.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 200.0
DEADLINE_S = 600  # the whole run stops by itself after this
#: Under heavy queries: the query, how many clients send it, for how long, and the target.
HEAVY_QUERY = "count(//* ! //* ! //*)"
HEAVY_CLIENTS = 8
HEAVY_SECONDS = 30.0
HEAVY_P95_TARGET_MS = 500.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def archive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)


def _answers(conn: http.client.HTTPConnection, url: str) -> bool:
    """Whether ``url`` is answered (200)."""
    conn.request("GET", quote(url))
    response = conn.getresponse()
    response.read()
    return response.status == 200


def urls_for(data: Path, port: int) -> tuple[list[str], list[str]]:
    """A realistic mix of the viewer's pages for this archive, and an error line for each of
    the viewer's replies it is made from that was not the JSON expected (its pages then left
    out of the mix)."""
    errors: list[str] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    documents = _member(conn, "/api/documents", "documents", errors) or []
    facets = {f["name"]: [r["value"] for r in f["results"]]
              for f in _member(conn, "/api/facets", "facets", errors) or []}
    # the XPath workers started (a process and its imports, seconds), as on a server that has
    # answered a query since it started: queries meanwhile would wait for them, and beyond
    # the viewer's pool for heavy requests be refused
    conn.request("GET", "/api/query?q=count(//tei:p)")
    conn.getresponse().read()
    # the entity pages of the commonest persons that have one (a registry entry: the ids of
    # generated books, --shape eebo, have none, and their pages are 404 by design)
    entities = [p for p in facets.get("person", []) if _answers(conn, f"/api/entities/{p}")][:8]
    conn.close()
    ids = [d["id"] for d in documents]
    persons, places = facets.get("person", [])[:8], facets.get("place", [])[:5]
    mix = [f"/documents/{i}" for i in ids]
    mix += [f"/entities/{p}" for p in entities]
    mix += [f"/?person={p}" for p in persons] + [f"/?person={p}&place={q}"
                                                for p in persons[:3] for q in places[:3]]
    mix += ["/search?q=" + quote(w) for w in ("opposition", "bureaucracy", "Trotsky letter")]
    mix += ["/query?q=" + quote(q) for q in (
        "//tei:persName[@ref='#leon-trotsky']", "count(//tei:date)",
        "//tei:date[@when castable as xs:date][xs:date(@when) lt xs:date('1924-01-01')]")]
    mix += ["/api/facets?person=" + p for p in persons[:3]]
    return mix, errors


def _member(conn: http.client.HTTPConnection, url: str, key: str,
            errors: list[str]) -> list[Any] | None:
    """The list ``key`` of ``url``'s JSON reply; None, with a line in ``errors`` saying what
    came back instead (its status and the start of its body, on one line)."""
    conn.request("GET", url)
    response = conn.getresponse()
    body = response.read()
    try:
        found = json.loads(body)[key] if response.status == 200 else None
    except (ValueError, KeyError, TypeError):  # not JSON, or not an object holding key
        found = None
    if isinstance(found, list):
        return found
    text = " ".join(body[:200].decode("utf-8", "replace").split())
    errors.append(f"{url}: HTTP {response.status}, not JSON with a list {key!r}: {text!r}")
    return None


def family(url: str) -> str:
    """The page family of a URL, for the per-family figures."""
    if url.startswith("/api/"):
        return "api"
    if url.startswith("/?"):
        return "browse"
    return url.strip("/").split("/")[0].split("?")[0] or "browse"


def run(ports: list[int], urls: list[str], requests: int, clients: int,
        errors: list[str] | None = None) -> dict[str, float]:
    """``requests`` requests of ``urls`` from ``clients`` threads, client i on ``ports[i % n]``
    (several viewers behind one proxy).

    :param errors: errors already met (those of :func:`urls_for`), counted with the run's.
    """
    latencies: list[float] = []
    by_family: dict[str, list[float]] = {}
    errors = list(errors or [])
    refused = 0  # 503 + Retry-After: the viewer's pool for heavy requests was full
    lock = threading.Lock()
    rng = random.Random(1923)
    plan = [rng.choice(urls) for _ in range(requests)]
    stop_at = time.monotonic() + DEADLINE_S

    def client(share: list[str], port: int) -> None:
        nonlocal refused
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for url in share:
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError as error:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors.append(f"{url}: {error}")
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                by_family.setdefault(family(url), []).append(elapsed)
                if status == 503 and response.getheader("Retry-After"):
                    refused += 1
                elif status != 200 and status != 0:
                    errors.append(f"{url}: HTTP {status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(plan[i::clients], ports[i % len(ports)]))
               for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    for line in errors[:5]:
        print("  error:", line)
    families: dict[str, float] = {}
    for name, times in sorted(by_family.items()):
        times.sort()
        families[f"p95 {name}"] = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"  {name:<10} {len(times):5d} requests, p50 {statistics.median(times):6.1f} ms, "
              f"p95 {families[f'p95 {name}']:6.1f} ms")
    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "p50": statistics.median(ordered), "p95": pct(0.95), "p99": pct(0.99),
            "errors": len(errors), "refused": refused, **families}


def under_heavy_queries(port: int, urls: list[str]) -> dict[str, float]:
    """A reading page, again and again, while :data:`HEAVY_CLIENTS` clients send
    :data:`HEAVY_QUERY` without pause for :data:`HEAVY_SECONDS`."""
    # (a search page when the archive listed no document: see urls_for)
    page = next((url for url in urls if url.startswith("/documents/")), urls[0])
    stop = threading.Event()
    statuses: list[int] = []
    lock = threading.Lock()

    def heavy() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not stop.is_set():
            try:
                conn.request("GET", "/api/query?q=" + quote(HEAVY_QUERY))
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            with lock:
                statuses.append(status)
        conn.close()

    threads = [threading.Thread(target=heavy) for _ in range(HEAVY_CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the queries under way
    latencies, errors = [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ends = time.monotonic() + HEAVY_SECONDS
    while time.monotonic() < ends:
        started = time.perf_counter()
        conn.request("GET", page)
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status != 200
        time.sleep(0.05)  # a reader, not a flood
    conn.close()
    stop.set()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {"requests": len(latencies), "p50": statistics.median(latencies),
            "p95": latencies[int(len(latencies) * 0.95) - 1], "max": latencies[-1],
            "errors": errors, "answered": statuses.count(200), "refused": statuses.count(503),
            "failed": len(statuses) - statuses.count(200) - statuses.count(503)}


@contextmanager
def viewers(data: Path, scratch: Path, count: int = 1,
            env: dict[str, str] | None = None) -> Iterator[list[int]]:
    """``count`` ``archive serve`` processes of ``data`` on free loopback ports (8 threads each,
    the environment with ``env`` added), each answering; stopped on leaving."""
    servers: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for _ in range(count):
            port = free_port()
            # the server's log goes to a file: a pipe nobody reads would fill and block it
            with open(scratch / f"server-{port}.log", "wb") as log:
                servers.append(subprocess.Popen(
                    [sys.executable, "-m", "archive", "--data", str(data), "serve", "--port",
                     str(port), "--threads", "8"], cwd=ROOT, stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}))
            ports.append(port)
        for port, server in zip(ports, servers, strict=True):
            for _ in range(300):  # wait for the server, 30 s at most
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    if server.poll() is not None:
                        raise SystemExit(
                            f"archive serve stopped: see {scratch}/server-{port}.log") from None
                    time.sleep(0.1)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def serve_and_load(data: Path, scratch: Path, options: argparse.Namespace,
                   cache: bool, heavy: bool = False) -> dict[str, float]:
    """Start ``options.viewers`` servers on free loopback ports (sharing ``options.index``
    when given), send the load (or the heavy queries beside a reader), stop the servers."""
    env = {"ARCHIVE_RESPONSE_CACHE": "true" if cache else "false"}
    if options.index:
        env["ARCHIVE_INDEX_URL"] = options.index
    with viewers(data, scratch, options.viewers, env) as ports:
        urls, errors = urls_for(data, ports[0])
        for port in ports[1:]:  # each viewer's XPath workers started, as in urls_for
            errors += urls_for(data, port)[1]
        if heavy:
            print(f"a reader beside {HEAVY_CLIENTS} clients sending {HEAVY_QUERY} for "
                  f"{HEAVY_SECONDS:.0f} s ...", flush=True)
            for line in errors[:5]:
                print("  error:", line)
            result = under_heavy_queries(ports[0], urls)
            result["errors"] += len(errors)
            return result
        shared = (f" over {len(ports)} viewer processes sharing one PostgreSQL index"
                  if options.index and len(ports) > 1 else
                  f" over {len(ports)} viewer processes" if len(ports) > 1 else "")
        print(f"{options.clients} clients, {options.requests} requests over {len(urls)} URLs "
              f"(browse with facets, reading view, entities, search, XPath){shared}, response "
              f"cache {'on (as served)' if cache else 'off (every page built)'} ...", flush=True)
        return run(ports, urls, options.requests, options.clients, errors)


def report(result: dict[str, float], label: str) -> None:
    ok = result["errors"] == 0 and result["p95"] <= P95_TARGET_MS
    print(f"load ({label}): {result['requests']:.0f} requests in {result['seconds']:.1f} s = "
          f"{result['rps']:.0f} requests/s")
    print(f"load ({label}): latency p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms "
          f"(target ≤ {P95_TARGET_MS:.0f} ms), p99 {result['p99']:.1f} ms")
    print(f"load ({label}): errors {result['errors']:.0f} (target 0), XPath queries refused as"
          f" busy (503 + Retry-After) {result['refused']:.0f} — {'met' if ok else 'MISSED'}")


def report_heavy(result: dict[str, float]) -> None:
    ok = result["errors"] == 0 and result["p95"] <= HEAVY_P95_TARGET_MS
    print(f"load (8 heavy queries): reading page p50 {result['p50']:.1f} ms, p95 "
          f"{result['p95']:.1f} ms (target ≤ {HEAVY_P95_TARGET_MS:.0f} ms), max "
          f"{result['max']:.1f} ms over {result['requests']:.0f} requests, errors "
          f"{result['errors']:.0f} — {'met' if ok else 'MISSED'}")
    print(f"load (8 heavy queries): queries answered {result['answered']:.0f}, refused 503 "
          f"{result['refused']:.0f}, failed {result['failed']:.0f}")


def load_figures(data: Path, scratch: Path, options: argparse.Namespace) -> None:
    """The three runs of the load test on ``data`` (its index built), then their figures."""
    served = serve_and_load(data, scratch, options, cache=True)
    built = serve_and_load(data, scratch, options, cache=False)
    heavy = serve_and_load(data, scratch, options, cache=True, heavy=True)
    report(served, "as served")
    report(built, "cache off")
    report_heavy(heavy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--data", type=Path,
                        help="an archive to serve (default: build the samples)")
    parser.add_argument("--viewers", type=int, default=1,
                        help="viewer processes on as many ports, the clients spread over them")
    parser.add_argument("--index", metavar="URL",
                        help="the PostgreSQL index the viewers share (ARCHIVE_INDEX_URL)")
    parser.add_argument("--postgresql", action="store_true",
                        help="two viewers sharing a throwaway PostgreSQL cluster started here")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        if options.postgresql:
            sys.path.insert(0, str(ROOT))
            from benchmarks.postgres import throwaway_database

            options.index = stack.enter_context(throwaway_database())
            options.viewers = max(options.viewers, 2)
        index = ["--index", options.index] if options.index else []
        data = options.data or Path(scratch) / "data"
        if options.data is None:
            print("building the sample archive ...", flush=True)
            archive(*index, "--data", str(data), "build")
        elif options.index:
            print(f"filling {options.index} from {data} (archive reindex --full) ...", flush=True)
            archive(*index, "--data", str(data), "reindex", "--full")
        load_figures(data, Path(scratch), options)


if __name__ == "__main__":
    main()
