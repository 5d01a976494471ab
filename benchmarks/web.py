"""Benchmark of the viewer: server time of the reading view and of the browse page.

Builds a corpus of 10,000 documents with benchmarks/corpus.py (kept in --work between runs, as
indexing it takes minutes), then times requests through Flask's test client, in process, so
the figure is the server's own time (routing, index, rendering, templates), not the network's.
Run: ``python benchmarks/web.py [--documents 10000] [--work DIR]``.
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
    args = parser.parse_args()
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
    samples = samples_dir()
    if any(samples.glob("*.xml")):
        reading_samples(args.work, samples)
    else:
        print(f"viewer on the real TEI samples: skipped, no *.xml in {samples} "
              "(set ARCHIVE_SHARED_DIR to the folder holding tei-samples/)")


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


if __name__ == "__main__":
    main()
