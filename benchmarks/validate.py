"""Time archive validation (archive.rng + archive.sch + registry ids) over N documents.

Usage: python benchmarks/validate.py [N] [--data DIR]
Uses DIR/tei/*.xml when present (DIR defaults to $ARCHIVE_DATA or ./archive-data), else builds
the sample archive into a temporary directory first. ``--fixtures N`` times the valid test
fixture replicated N times instead. Schema compilation is timed separately.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.config import Settings
from archive.validation import load_registry_ids, validate_document
from tei.parse import parse_file  # noqa: E402
from tei.validate import compile_relaxng, compile_schematron  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "schematron" / "valid_document.xml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=int, default=0, metavar="N")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings.from_env(args.data)
    if args.fixtures:
        files = [FIXTURE] * args.fixtures
    else:
        if not settings.tei_dir.is_dir():
            from archive.build import build, sample_sources

            settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "data")
            print(f"building the sample archive in {settings.data_dir} ...", flush=True)
            build(settings, sample_sources())
        files = sorted(settings.tei_dir.glob("*.xml"))
    started = time.perf_counter()
    compile_relaxng(ROOT / "schemas" / "archive.rng")
    compile_schematron(ROOT / "schemas" / "archive.sch")
    compiled = time.perf_counter()
    registry_ids = load_registry_ids(settings)
    trees = [parse_file(file) for file in files]
    parsed = time.perf_counter()
    invalid = sum(not validate_document(tree, settings, registry_ids, str(file)).valid
                  for tree, file in zip(trees, files, strict=True))
    done = time.perf_counter()
    print(f"compile schemas: {(compiled - started) * 1000:.0f} ms; "
          f"parse: {(parsed - compiled) * 1000:.0f} ms; {invalid} invalid")
    print(f"validate: {len(files)} documents in {(done - parsed) * 1000:.0f} ms "
          f"(target: well under 1 s for the sample archive)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
