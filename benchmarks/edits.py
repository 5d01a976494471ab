"""Benchmark of an editor's save: the time of one tag edit on a sample-size document.

Builds the sample archive once in a temporary directory, then times tag saves through
:mod:`archive.curation` as the browser's save will call it: read the document, check its ETag,
change the tag, stamp the header, run the schema gate (RELAX NG + Schematron + registry
pointers), write atomically under the lock and the journal, log the change, update the index.
Adds and removes a tag in turn on the largest sample document. Then the same saves through the
real HTTP endpoint: a real ``archive serve --editing`` with an editor logged in, each save a
JSON POST with the CSRF token and the ETag as If-Match (webui/tagging.py), timed at the client.
Run: ``python benchmarks/edits.py [--runs 30]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from archive.accounts import add_user  # noqa: E402
from archive.build import build, sample_sources  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.curation import add_tag, document_etag, list_tags, remove_tag  # noqa: E402
from archive.validation import load_registry_ids, validate_document  # noqa: E402
from tei.parse import parse_tei  # noqa: E402
from tei.passages import passages  # noqa: E402
from tei.read import text_of  # noqa: E402

SAVE_TARGET = 300.0  # ms, a document of the sample size, schema gate included
ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "the benchmark's password"


def http_saves(settings: Settings, doc: str, passage: str, start: int, end: int, words: str,
               runs: int) -> list[float]:
    """Milliseconds of ``runs`` saves (add, remove in turn) through the real HTTP endpoint;
    the tag removed is named by its offsets, as the page names it."""
    add_user(settings, "bench", "editor", PASSWORD)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "archive", "--data", str(settings.data_dir), "serve",
         "--editing", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        form = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore
        opener.open(f"{base}/login", urllib.parse.urlencode(
            {"name": "bench", "password": PASSWORD, "csrf_token": token}).encode())
        page = opener.open(f"{base}/documents/{doc}").read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore
        etag = re.search(r'data-etag="([0-9a-f]+)"', page).group(1)  # type: ignore
        times: list[float] = []
        for run in range(runs):
            body: dict[str, object] = (
                {"op": "add", "passage": passage, "start": start, "end": end, "type": "org",
                 "text": words}
                if run % 2 == 0 else
                {"op": "remove", "passage": passage, "tag": {"start": start, "end": end}})
            request = urllib.request.Request(
                f"{base}/api/edit/documents/{doc}/tags", json.dumps(body).encode(),
                {"Content-Type": "application/json", "X-CSRFToken": token,
                 "If-Match": f'"{etag}"'})
            began = time.perf_counter()
            with opener.open(request) as response:
                answer = json.load(response)
            times.append((time.perf_counter() - began) * 1000)
            etag = answer["etag"]
        return times
    finally:
        server.terminate()
        server.wait(timeout=30)


def report(label: str, times: list[float]) -> None:
    """One line: median and p95 of ``times`` beside the target."""
    times = sorted(times)
    median, p95 = statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]
    verdict = "ok" if p95 <= SAVE_TARGET else "OVER"
    print(f"  {label:<53}{median:>8.1f} ms {p95:>8.1f} ms   target <= {SAVE_TARGET:.0f} ms"
          f"  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        settings = Settings(data_dir=Path(work) / "data")
        build(settings, sample_sources())
        path = max(settings.tei_dir.glob("*.xml"), key=lambda p: p.stat().st_size)
        doc = path.stem
        root = parse_tei(path).getroot()
        # the longest paragraph's first untagged word of 6+ letters
        passage = max((p for p in passages(root) if p.leaf), key=lambda p: len(text_of(p.element)))
        covered = {i for t in list_tags(settings, doc, passage.address)
                   for i in range(t.start, t.end)}
        text = text_of(passage.element)
        start = next(i for i in range(len(text) - 6) if text[i:i + 6].isalpha()
                     and (i == 0 or not text[i - 1].isalnum())
                     and not covered & set(range(i, i + 6)))
        end = start
        while end < len(text) and text[end].isalpha():
            end += 1
        saves: list[float] = []
        for run in range(args.runs):
            seen = document_etag(settings, doc)
            began = time.perf_counter()
            if run % 2 == 0:
                add_tag(settings, doc, editor="bench", seen=seen, passage=passage.address,
                        kind="org", start=start, end=end)
            else:
                number = next(t.number for t in list_tags(settings, doc, passage.address)
                              if t.start == start)
                remove_tag(settings, doc, editor="bench", seen=seen, passage=passage.address,
                           number=number)
            saves.append((time.perf_counter() - began) * 1000)
        data = path.read_bytes()
        ids = load_registry_ids(settings)
        gates = []
        for _ in range(10):
            began = time.perf_counter()
            validate_document(data, settings, ids, path=str(path))
            gates.append((time.perf_counter() - began) * 1000)
        web = http_saves(settings, doc, passage.address, start, end, text[start:end],
                         args.runs)
    print(f"tag save on {doc} ({len(data) // 1024} KB, {args.runs} saves; median, p95)")
    report("one tag save, schema gate and index update included", saves)
    print(f"  of which the schema gate (median)                    "
          f"{statistics.median(gates):>8.1f} ms")
    report("the same through HTTP (serve --editing, JSON POST)", web)


if __name__ == "__main__":
    main()
