"""Load test of the viewer: 20 concurrent clients, 5,000 mixed requests, loopback only.

Builds the sample archive (or uses --data), serves it with waitress on 127.0.0.1 and a free
port in a child process, sends requests mixed over browse with facets, reading view, entity
pages, search and XPath queries from 20 threads, then stops the server. Bounded in count and
time: it stops by itself. Prints requests/s, p50/p95/p99 latency and errors beside targets,
twice: as served (the viewer's response cache on) and with every page built (cache off).
Run: ``python benchmarks/load.py [--requests 5000] [--clients 20] [--data DIR]``.
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
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
P95_TARGET_MS = 200.0
DEADLINE_S = 600  # the whole run stops by itself after this


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def archive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", *args], capture_output=True,
                          text=True, check=True, cwd=ROOT)


def urls_for(data: Path, port: int) -> list[str]:
    """A realistic mix of the viewer's pages for this archive."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/api/documents")
    documents = json.loads(conn.getresponse().read())
    conn.request("GET", "/api/facets")
    facets = {f["name"]: [r["value"] for r in f["results"]]
              for f in json.loads(conn.getresponse().read())["facets"]}
    conn.close()
    ids = [d["id"] for d in documents["documents"]]
    persons, places = facets.get("person", [])[:8], facets.get("place", [])[:5]
    mix = [f"/documents/{i}" for i in ids]
    mix += [f"/entities/{p}" for p in persons]
    mix += [f"/?person={p}" for p in persons] + [f"/?person={p}&place={q}"
                                                for p in persons[:3] for q in places[:3]]
    mix += ["/search?q=" + quote(w) for w in ("opposition", "bureaucracy", "Trotsky letter")]
    mix += ["/query?q=" + quote(q) for q in (
        "//tei:persName[@ref='#leon-trotsky']", "count(//tei:date)",
        "//tei:date[@when castable as xs:date][xs:date(@when) lt xs:date('1924-01-01')]")]
    mix += ["/api/facets?person=" + p for p in persons[:3]]
    return mix


def family(url: str) -> str:
    """The page family of a URL, for the per-family figures."""
    if url.startswith("/api/"):
        return "api"
    if url.startswith("/?"):
        return "browse"
    return url.strip("/").split("/")[0].split("?")[0] or "browse"


def run(port: int, urls: list[str], requests: int, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    by_family: dict[str, list[float]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    rng = random.Random(1923)
    plan = [rng.choice(urls) for _ in range(requests)]
    stop_at = time.monotonic() + DEADLINE_S

    def client(share: list[str]) -> None:
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
                if status != 200 and status != 0:
                    errors.append(f"{url}: HTTP {status}")
        conn.close()

    threads = [threading.Thread(target=client, args=(plan[i::clients],)) for i in range(clients)]
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
    for name, times in sorted(by_family.items()):
        times.sort()
        print(f"  {name:<10} {len(times):5d} requests, p50 {statistics.median(times):6.1f} ms, "
              f"p95 {times[int(len(times) * 0.95) - 1]:6.1f} ms")
    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "p50": statistics.median(ordered), "p95": pct(0.95), "p99": pct(0.99),
            "errors": len(errors)}


def serve_and_load(data: Path, scratch: Path, options: argparse.Namespace,
                   cache: bool) -> dict[str, float]:
    """Start a server on a free loopback port, send the load, stop the server."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "ARCHIVE_RESPONSE_CACHE": "true" if cache else "false"}
    # the server's log goes to a file: a pipe nobody reads would fill and block it
    with open(scratch / f"server-{port}.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(data), "serve", "--port", str(port),
             "--threads", "8"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(100):  # wait for the server, 10 s at most
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            urls = urls_for(data, port)
            print(f"{options.clients} clients, {options.requests} requests over {len(urls)} URLs "
                  f"(browse with facets, reading view, entities, search, XPath), response cache "
                  f"{'on (as served)' if cache else 'off (every page built)'} ...", flush=True)
            return run(port, urls, options.requests, options.clients)
        finally:
            server.terminate()
            server.wait(timeout=10)


def report(result: dict[str, float], label: str) -> None:
    ok = result["errors"] == 0 and result["p95"] <= P95_TARGET_MS
    print(f"load ({label}): {result['requests']:.0f} requests in {result['seconds']:.1f} s = "
          f"{result['rps']:.0f} requests/s")
    print(f"load ({label}): latency p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms "
          f"(target ≤ {P95_TARGET_MS:.0f} ms), p99 {result['p99']:.1f} ms")
    print(f"load ({label}): errors {result['errors']:.0f} (target 0) — "
          f"{'met' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--data", type=Path,
                        help="an archive to serve (default: build the samples)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = options.data or Path(scratch) / "data"
        if options.data is None:
            print("building the sample archive ...", flush=True)
            archive("--data", str(data), "build")
        served = serve_and_load(data, Path(scratch), options, cache=True)
        built = serve_and_load(data, Path(scratch), options, cache=False)
    report(served, "as served")
    report(built, "cache off")


if __name__ == "__main__":
    main()
