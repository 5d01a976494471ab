"""Benchmark of the viewer: server time of the reading view and of the browse page.

Builds a corpus of 10,000 documents with benchmarks/corpus.py (kept in --work between runs, as
indexing it takes minutes), then times requests through Flask's test client, in process, so
the figure is the server's own time (routing, index, rendering, templates), not the network's.
Then the first screen of a long document: a generated novel of 2 MB (benchmarks/novel.py),
imported, timed as the server's first response without any cache and, when Chromium and
Playwright are here, as Chromium's first contentful paint.
Run: ``python benchmarks/web.py [--documents 10000] [--work DIR] [--long-only]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from archive.config import Settings
from archive.index.db import connect
from archive.index.lookup import lookup
from archive.index.update import update_index
from benchmarks.corpus import FIXTURES, build_corpus, source_files  # noqa: E402
from webui import create_app  # noqa: E402

READING_TARGET = 50.0  # ms, the longest document
FIRST_SCREEN_TARGET = 1000.0  # ms, the largest imported document (a 2 MB novel)
CHROMIUM = "/usr/bin/chromium"
#: The page's first contentful paint, once Chromium reports it.
PAINT = """() => new Promise((resolve) => new PerformanceObserver((list) => {
  const entry = list.getEntriesByName("first-contentful-paint")[0];
  if (entry) resolve(entry.startTime);
}).observe({ type: "paint", buffered: true }))"""
BROWSE_TARGET = 100.0  # ms, with facets, at 10,000 documents
RUNS = 20
ROOT = Path(__file__).resolve().parent.parent


def samples_dir() -> Path:
    """Real TEI files from other projects (the largest is longer than any generated document):
    ``../shared/tei-samples`` beside the repository, or under ``$ARCHIVE_SHARED_DIR``."""
    shared = os.environ.get("ARCHIVE_SHARED_DIR")
    return (Path(shared) if shared else ROOT.parent / "shared") / "tei-samples"


def prepare(work: Path, count: int) -> Settings:
    """A data directory of ``count`` generated documents, reused between runs; its index is
    brought up to date each time (a newer index schema rebuilds it)."""
    settings = Settings(data_dir=work / f"web-{count}")
    done = settings.data_dir / ".bench-ready"
    if not done.exists():
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        print(f"building {count} documents in {settings.data_dir} (once) ...", flush=True)
        build_corpus(settings.tei_dir, count, source_files(None))
        shutil.copytree(FIXTURES / "registry", settings.registry_dir)
        done.touch()
    started = time.perf_counter()
    report = update_index(settings)  # incremental: instant when the index is current
    if report.added or report.updated or report.full:
        print(f"  indexed in {time.perf_counter() - started:.0f} s", flush=True)
    return settings


def timed(client, url: str, runs: int = RUNS) -> tuple[float, float, float]:
    """(first, median, p95) milliseconds of GET ``url``."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    first, rest = times[0], sorted(times[1:])
    return first, statistics.median(rest), rest[int(len(rest) * 0.95) - 1]


def line(label: str, ms: float, target: float | None) -> None:
    verdict = "" if target is None else ("  ok" if ms <= target else "  MISSED")
    goal = f"target ≤ {target:.0f} ms" if target is not None else ""
    print(f"  {label:<52} {ms:>8.1f} ms   {goal}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-web")
    parser.add_argument("--long-only", action="store_true",
                        help="only the samples and the long novel (no 10,000-document corpus)")
    args = parser.parse_args()
    if not args.long_only:
        corpus(args)
    samples = samples_dir()
    if any(samples.glob("*.xml")):
        reading_samples(args.work, samples)
    else:
        print(f"viewer on the real TEI samples: skipped, no *.xml in {samples} "
              "(set ARCHIVE_SHARED_DIR to the folder holding tei-samples/)")
    first_screen(args.work)


def corpus(args: argparse.Namespace) -> None:
    """The reading view, browse pages and downloads at ``args.documents`` documents."""
    settings = prepare(args.work, args.documents)
    # the response cache off: these figures are the work of building each page
    client = create_app({"DATA_DIR": str(settings.data_dir),
                         "RESPONSE_CACHE": False}).test_client()
    db = connect(settings)
    longest, size = db.execute(
        "SELECT id, size FROM documents ORDER BY size DESC LIMIT 1").fetchone()
    person, place = (db.execute("SELECT value FROM facet_totals WHERE facet = ? ORDER BY count"
                                " DESC LIMIT 1", (facet,)).fetchone()[0]
                     for facet in ("person", "place"))
    # the download of a selection is bounded (EXPORT_LIMIT): time one of a few hundred documents
    exported = db.execute("SELECT value, count FROM facet_totals WHERE facet = 'person' AND"
                          " count <= 500 ORDER BY count DESC LIMIT 1").fetchone()
    db.close()
    print(f"viewer at {args.documents} documents ({RUNS} runs each; median, p95)")
    first, median, p95 = timed(client, f"/documents/{longest}")
    line(f"reading view, longest document ({size // 1024} KB), first", first, None)
    line("reading view, longest document, median (rendered cache)", median, READING_TARGET)
    line("reading view, longest document, p95", p95, READING_TARGET)
    for label, url, selection, words in (
            ("browse, nothing selected", "/", {}, None),
            ("browse, one person", f"/?person={person}", {"person": [person]}, None),
            ("browse, person + place", f"/?person={person}&place={place}",
             {"person": [person], "place": [place]}, None),
            ("browse, person + words", f"/?person={person}&q=revolution",
             {"person": [person]}, "revolution")):
        first, median, p95 = timed(client, url)
        line(f"{label}, median", median, BROWSE_TARGET)
        line(f"{label}, p95", p95, BROWSE_TARGET)
        share = []
        for _ in range(5):
            started = time.perf_counter()
            lookup(settings, selection, words, limit=50, facet_size=5000)
            share.append((time.perf_counter() - started) * 1000)
        line("  of which archive.index.lookup, median", statistics.median(share), None)
    # the reading view without the render cache: parse + behaviours table every time
    from webui import documents

    cold = []
    for _ in range(5):
        documents._cache.clear()
        started = time.perf_counter()
        client.get(f"/documents/{longest}")
        cold.append((time.perf_counter() - started) * 1000)
    line("reading view, longest document, uncached median", statistics.median(cold),
         READING_TARGET)
    for label, url in (("download: TEI export of the longest document",
                        f"/documents/{longest}/export.tei"),
                       (f"download: mentions of {exported[1]} documents as CSV",
                        f"/export.csv?person={exported[0]}"),
                       (f"download: {exported[1]} documents as a zip",
                        f"/export.zip?person={exported[0]}"),
                       ("download: one person's mentions as CSV",
                        f"/entities/{person}/mentions.csv")):
        _, median, _ = timed(client, url, runs=5)
        line(f"{label}, median", median, None)


def reading_samples(work: Path, samples: Path) -> None:
    """The reading view of the largest real TEI sample (~400 KB), uncached and cached."""
    from archive.interchange.importer import import_files
    from webui import documents

    settings = Settings(data_dir=work / "web-samples-imported")
    done = settings.data_dir / ".bench-ready"
    if not done.exists():
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        import_files(settings, sorted(samples.glob("*.xml")))  # as a reader would: imported
        done.touch()
    largest = max(settings.tei_dir.glob("*.xml"), key=lambda path: path.stat().st_size)
    # the response cache off: these figures are the work of building each page
    client = create_app({"DATA_DIR": str(settings.data_dir),
                         "RESPONSE_CACHE": False}).test_client()
    url = f"/documents/{largest.stem}"
    cold = []
    for _ in range(5):
        documents._cache.clear()
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        cold.append((time.perf_counter() - started) * 1000)
    print(f"viewer on the real TEI samples ({largest.name}, {largest.stat().st_size // 1024} KB)")
    line("reading view, uncached median (parse + behaviours)", statistics.median(cold),
         READING_TARGET)
    _, median, p95 = timed(client, url)
    line("reading view, rendered cache, median", median, READING_TARGET)
    line("reading view, rendered cache, p95", p95, READING_TARGET)


def first_screen(work: Path) -> None:
    """The first screen of the largest imported document: a generated 2 MB novel of 30
    chapters (made here, never fetched), read in parts."""
    from archive.interchange.importer import import_files
    from benchmarks.novel import novel_tei
    from webui import documents

    settings = Settings(data_dir=work / "web-novel")
    source = work / "novel-2mb.xml"
    done = settings.data_dir / ".bench-ready"
    if not done.exists():
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        source.write_text(novel_tei(30, 2_000_000), encoding="utf-8")
        import_files(settings, [source])
        done.touch()
    largest = max(settings.tei_dir.glob("*.xml"), key=lambda path: path.stat().st_size)
    client = create_app({"DATA_DIR": str(settings.data_dir),
                         "RESPONSE_CACHE": False}).test_client()
    url = f"/documents/{largest.stem}"
    cold, sizes = [], set()
    for _ in range(3):
        documents._cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        cold.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        sizes.add(len(response.data))
    parts = response.data.count(b' data-part="')
    print(f"first screen of the largest imported document ({largest.name}, "
          f"{largest.stat().st_size // 1024} KB, {parts} parts; page {max(sizes) // 1024} KB)")
    line("server, first response, no cache (median of 3)", statistics.median(cold),
         FIRST_SCREEN_TARGET)
    _, median, _ = timed(client, url, runs=5)
    line("server, rendered cache, median", median, None)
    _, median, _ = timed(client, f"{url}/part/{parts}", runs=5)
    line("one more part (as the reader reaches it), median", median, None)
    paint = first_paint(settings.data_dir, url)
    if paint is None:
        print("  Chromium's first contentful paint: skipped (no Playwright or Chromium here)")
        return
    line("Chromium: first contentful paint, no cache (median of 3)", paint, FIRST_SCREEN_TARGET)
    split_over, documents.SPLIT_OVER = documents.SPLIT_OVER, 1 << 40
    try:  # the same without parts, for comparison
        line("  the whole text in one page, for comparison", first_paint(
            settings.data_dir, url) or 0.0, None)
    finally:
        documents.SPLIT_OVER = split_over


def first_paint(data: Path, url: str, runs: int = 3) -> float | None:
    """Chromium's first contentful paint (ms, median of ``runs``) of ``url`` served by a real
    viewer, the render cache empty each time; None without Playwright or Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    import logging
    import threading

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log among the figures

    from webui import documents

    server = make_server("127.0.0.1", 0, create_app({"DATA_DIR": str(data),
                                                     "RESPONSE_CACHE": False}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            paints = []
            for _ in range(runs):
                page = browser.new_page()
                documents._cache.clear()
                page.goto(f"http://127.0.0.1:{server.server_port}{url}")
                paints.append(float(page.evaluate(PAINT)))
                page.close()
            browser.close()
            return statistics.median(paints)
    finally:
        server.shutdown()
        thread.join(5)


if __name__ == "__main__":
    main()
