"""Benchmark of an editor's save: the time of one tag edit on a sample-size document.

Builds the sample archive once in a temporary directory, then times tag saves through
:mod:`archive.curation` as the browser's save will call it: read the document, check its ETag,
change the tag, stamp the header, run the schema gate (RELAX NG + Schematron + registry
pointers), write atomically under the lock and the journal, log the change, update the index.
Adds and removes a tag in turn on the largest sample document.
Run: ``python benchmarks/edits.py [--runs 30]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root

from archive.build import build, sample_sources  # noqa: E402
from archive.config import Settings  # noqa: E402
from archive.curation import add_tag, document_etag, list_tags, remove_tag  # noqa: E402
from archive.validation import load_registry_ids, validate_document  # noqa: E402
from tei.parse import parse_tei  # noqa: E402
from tei.passages import passages  # noqa: E402
from tei.read import text_of  # noqa: E402

SAVE_TARGET = 300.0  # ms, a document of the sample size, schema gate included


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
    saves.sort()
    median, p95 = statistics.median(saves), saves[int(len(saves) * 0.95) - 1]
    verdict = "ok" if p95 <= SAVE_TARGET else "OVER"
    print(f"tag save on {doc} ({len(data) // 1024} KB, {args.runs} saves; median, p95)")
    print(f"  one tag save, schema gate and index update included {median:>8.1f} ms "
          f"{p95:>8.1f} ms   target <= {SAVE_TARGET:.0f} ms  {verdict}")
    print(f"  of which the schema gate (median)                      "
          f"{statistics.median(gates):>8.1f} ms")


if __name__ == "__main__":
    main()
