"""Annotation benchmark: the recogniser against the gold samples, beside bare spaCy NER.

Prints strict P/R/F1 per type, date-normalisation accuracy and entity-linking F1 for

- the pipeline with the bundled sample registry (what ``archive tag`` does),
- the pipeline with an empty registry (NER, patterns, coreference and dates only: a fairer
  guess at texts whose names the registry does not hold),
- bare spaCy NER (PERSON→person, GPE/LOC→place, ORG→org, DATE→date, no normalisation),

each figure beside its target, then throughput (words/s) of the whole pipeline and of bare
spaCy NER on the same blocks, warm models, best of several repetitions.

The scorer and the gold are in ``eval/`` of the shared third-party material: ``$ARCHIVE_SHARED_DIR``
(default ``../shared`` beside the repository), as for the tests. Run: ``make bench-annotation``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.annotate.ner import load_nlp
from archive.annotate.recognise import BATCH_SIZE, Recogniser
from archive.commands.tag import mention_records, source_offsets
from archive.config import SAMPLE_REGISTRY_DIR, SAMPLES_DIR
from archive.ingest.sources import read_source
from archive.model import Source
from archive.registry.authority import Registry

SPACY_TYPES = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org", "DATE": "date"}
TARGETS = {"person": 0.90, "place": 0.90, "date": 0.90, "org": 0.80, "date_norm": 0.95,
           "linking": 0.95, "speed_ratio": 0.7, "over_baseline": 0.15}
REPETITIONS = 5


def load_scorer() -> tuple[ModuleType, Path]:
    """Import score.py from ``$ARCHIVE_SHARED_DIR/eval`` (default ``../shared/eval``).

    :return: the module and the eval directory.
    """
    eval_dir = Path(os.environ.get("ARCHIVE_SHARED_DIR") or REPO.parent / "shared") / "eval"
    path = eval_dir / "score.py"
    if not path.is_file():
        sys.exit(f"bench-annotation: error: no scorer at {path} (set ARCHIVE_SHARED_DIR to the "
                 f"folder holding eval/)")
    spec = importlib.util.spec_from_file_location("eval_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, eval_dir


def spacy_records(source: Source, docs: Sequence[Any]) -> list[dict[str, Any]]:
    """Bare spaCy entities of a source's blocks as evaluation records."""
    records = []
    for block, doc in zip(source.blocks, docs, strict=True):
        for ent in doc.ents:
            kind = SPACY_TYPES.get(ent.label_)
            where = source_offsets(block, ent.start_char, ent.end_char) if kind else None
            if where:
                records.append({"start": where[0], "end": where[1], "type": kind})
    return records


def evaluate(scorer: ModuleType, gold_dir: Path, predictions: dict[str, list[dict[str, Any]]]
             ) -> dict[str, Any]:
    """Score predictions (doc → records) with score.py's own loader and scorer."""
    with tempfile.TemporaryDirectory() as tmp:
        for doc, records in predictions.items():
            with open(Path(tmp) / f"{doc}.jsonl", "w", encoding="utf-8") as f:
                f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        gold = scorer.load_dir(str(gold_dir), is_gold=True)
        pred = scorer.load_dir(tmp, is_gold=False)
    result: dict[str, Any] = scorer.score(gold, pred)
    return result


def best_rate(run: Callable[[], object], words: int) -> float:
    """Words per second of the best of several runs."""
    best = float("inf")
    for _ in range(REPETITIONS):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return words / best


def _f(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def main() -> int:
    scorer, eval_dir = load_scorer()
    gold_dir = eval_dir / "gold"
    stems = sorted(p.stem for p in gold_dir.glob("*.jsonl"))
    sources = {stem: read_source(SAMPLES_DIR / f"{stem}.txt") for stem in stems}
    blocks = {stem: [b.text for b in s.blocks] for stem, s in sources.items()}
    nlp = load_nlp()
    full = Recogniser(Registry.load(SAMPLE_REGISTRY_DIR), nlp=nlp)
    bare = Recogniser(Registry(), nlp=nlp)

    results = {
        "pipeline": evaluate(scorer, gold_dir, {
            s: mention_records(sources[s], full.recognise(blocks[s])) for s in stems}),
        "no registry": evaluate(scorer, gold_dir, {
            s: mention_records(sources[s], bare.recognise(blocks[s])) for s in stems}),
        "spaCy": evaluate(scorer, gold_dir, {
            s: spacy_records(sources[s], list(nlp.pipe(blocks[s]))) for s in stems}),
    }
    names = list(results)
    print(f"annotation benchmark: {len(stems)} gold documents ({', '.join(stems)})")
    print(f"{'strict F1':22s}" + "".join(f"{n:>13s}" for n in names) + f"{'target':>9s}")
    for kind in ("person", "place", "org", "date"):
        row = [results[n]["per_type"][kind]["strict"]["f1"] for n in names]
        print(f"  {kind:20s}" + "".join(f"{_f(x):>13s}" for x in row) + f"{TARGETS[kind]:>9.2f}")
    overall = [results[n]["overall"]["strict"]["f1"] for n in names]
    need = overall[-1] + TARGETS["over_baseline"]
    print(f"  {'overall':20s}" + "".join(f"{_f(x):>13s}" for x in overall) + f"{need:>9.2f}")
    norms = [results[n]["date_normalisation"]["accuracy"] for n in names]
    print(f"{'date normalisation':22s}" + "".join(f"{_f(x):>13s}" for x in norms)
          + f"{TARGETS['date_norm']:>9.2f}")
    links = [results[n]["entity_linking"]["all"]["f1"] for n in names]
    print(f"{'linking F1 (pairwise)':22s}" + "".join(f"{_f(x):>13s}" for x in links)
          + f"{TARGETS['linking']:>9.2f}")
    for n in names[:2]:
        p = results[n]["overall"]["strict"]
        print(f"  {n}: overall strict P={_f(p['precision'])} R={_f(p['recall'])}")

    words = sum(len(t.split()) for bs in blocks.values() for t in bs)
    all_blocks = [t for s in stems for t in blocks[s]]
    full.recognise(all_blocks)  # warm both paths
    pipeline_rate = best_rate(lambda: [full.recognise(blocks[s]) for s in stems], words)
    spacy_rate = best_rate(
        lambda: [[d.ents for d in nlp.pipe(blocks[s], batch_size=BATCH_SIZE)] for s in stems], words)
    ratio = pipeline_rate / spacy_rate
    print(f"throughput ({words} words, best of {REPETITIONS}): "
          f"pipeline {pipeline_rate:,.0f} words/s,"
          f" bare spaCy NER {spacy_rate:,.0f} words/s, ratio {ratio:.2f}"
          f" (target >= {TARGETS['speed_ratio']})")
    met = (all(results["pipeline"]["per_type"][k]["strict"]["f1"] >= TARGETS[k]
               for k in ("person", "place", "org", "date"))
           and overall[0] >= need and (norms[0] or 0) >= TARGETS["date_norm"]
           and (links[0] or 0) >= TARGETS["linking"] and ratio >= TARGETS["speed_ratio"])
    print("all targets met" if met else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
