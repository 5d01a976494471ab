"""Benchmark of the index, faceted lookup and corpus-wide XPath on scaled corpora.

Builds corpora of 1,000 and 10,000 documents (benchmarks/corpus.py) in a temporary folder,
then prints each figure beside its target. Run: ``python benchmarks/query.py [--sizes 1000]``.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.config import Settings  # noqa: E402
from archive.lookup import lookup  # noqa: E402
from archive.index import connect, update_index  # noqa: E402
from archive.query import TREES, run_query  # noqa: E402
from benchmarks.corpus import build_corpus, source_files  # noqa: E402
from tei.namespaces import TEI_NS  # noqa: E402

INDEX_RATE_TARGET = 200  # documents per second
LOOKUP_P95_TARGET = 20.0  # ms, at 10,000 documents
MEMORY_TARGET = 1024  # MB
LOOKUP_RUNS = 40

XPATHS = {
    "simple path": "//tei:persName",
    "attribute predicate": "//tei:placeName[@ref = '#moscow']",
    "XPath 2+ typed comparison": "//tei:date[@when castable as xs:date]"
                                 "[xs:date(@when) lt xs:date('1930-01-01')]",
    "contains()": "//tei:p[contains(., 'revolution')]",
    "count/distinct-values": "count(distinct-values(//tei:persName/@ref))",
}


def report(label: str, value: float, unit: str, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"  {label:<44} {value:>10.1f} {unit:<6} target {target}{verdict}")


def selections(settings: Settings) -> list[tuple[str, dict[str, list[str]], str | None]]:
    """Five typical selections, with values taken from the index."""
    db = connect(settings)
    try:
        def top(facet: str, rank: int = 0) -> str:
            rows = db.execute("SELECT value FROM facet_totals WHERE facet = ?"
                              " ORDER BY count DESC, value LIMIT 1 OFFSET ?", (facet, rank))
            row = rows.fetchone()
            return row[0] if row else ""
        return [
            ("one person", {"person": [top("person", 3)]}, None),
            ("two places (OR)", {"place": [top("place", 1), top("place", 2)]}, None),
            ("decade AND kind", {"decade": [top("decade")], "kind": [top("kind")]}, None),
            ("person AND year", {"person": [top("person")], "year": [top("year")]}, None),
            ("full text + kind", {"kind": [top("kind", 1)]}, "revolution"),
        ]
    finally:
        db.close()


def bench_lookup(settings: Settings) -> float:
    worst = 0.0
    for label, chosen, text in selections(settings):
        times = []
        for _ in range(LOOKUP_RUNS):
            started = time.perf_counter()
            result = lookup(settings, chosen, text)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
        worst = max(worst, p95)
        print(f"    lookup {label:<20} {result['count']:>6} docs  p50 {p50:6.1f} ms"
              f"  p95 {p95:6.1f} ms")
    return worst


def bench_xpath(settings: Settings) -> dict[str, float]:
    TREES.clear()
    warm: dict[str, float] = {}
    for label, expression in XPATHS.items():
        cold = run_query(settings, expression, limit=1_000_000, timeout=600)
        started = time.perf_counter()
        again = run_query(settings, expression, limit=1_000_000, timeout=600)
        warm[label] = (time.perf_counter() - started) * 1000
        print(f"    xpath {label:<28} {again.count:>7} items  {again.engine:<11}"
              f" first {cold.elapsed_ms:8.0f} ms  cached {warm[label]:8.0f} ms"
              f"  ({again.documents} docs searched)")
    return warm


def bench_basex(tei_dir: Path, ours: dict[str, float]) -> None:
    if shutil.which("basex") is None:
        print("    BaseX: not installed (apt-get install basex), comparison skipped")
        return
    with tempfile.TemporaryDirectory() as dbpath:
        setup = f"SET DBPATH {dbpath}; CREATE DB bench {tei_dir}"
        subprocess.run(["basex", "-c", setup], check=True, capture_output=True, timeout=900)
        for label, expression in XPATHS.items():
            xquery = f"declare namespace tei='{TEI_NS}'; {expression}"
            done = subprocess.run(["basex", "-V", "-c", f"SET DBPATH {dbpath}; OPEN bench;"
                                   f" XQUERY {xquery}"], capture_output=True, text=True,
                                  timeout=600)
            found = re.search(r"Total Time:\s*([\d.]+)\s*ms", done.stdout + done.stderr)
            if not found:
                print(f"    BaseX {label:<28} no timing ({done.stderr.strip()[:80]})")
                continue
            theirs = float(found.group(1))
            print(f"    BaseX {label:<28} {theirs:8.0f} ms   ours/BaseX "
                  f"{ours[label] / max(theirs, 0.001):6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    sources = source_files(Settings.from_env().data_dir)
    print(f"sources: {len(sources)} TEI documents from {sources[0].parent}")
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        for size in args.sizes:
            settings = Settings(data_dir=Path(tmp) / f"corpus-{size}")
            started = time.perf_counter()
            build_corpus(settings.tei_dir, size, sources)
            print(f"\n{size} documents (assembled in {time.perf_counter() - started:.1f} s)")
            indexed = update_index(settings, full=True)
            rate = size / indexed.seconds
            report("index build", rate, "docs/s", f">= {INDEX_RATE_TARGET}",
                   rate >= INDEX_RATE_TARGET)
            worst = bench_lookup(settings)
            report("facet lookup p95 (worst of five)", worst, "ms",
                   f"<= {LOOKUP_P95_TARGET:g} at 10k", worst <= LOOKUP_P95_TARGET
                   if size >= 10000 else None)
            if size == 1000:
                ours = bench_xpath(settings)
                bench_basex(settings.tei_dir, ours)
            shutil.rmtree(settings.data_dir)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    report("peak memory", peak, "MB", f"< {MEMORY_TARGET}", peak < MEMORY_TARGET)


if __name__ == "__main__":
    main()
