"""Import and index rates: files/s and MB/s of ``archive import`` and ``archive reindex --full``.

By default a generated edition of other projects' shapes (letters with their own person lists,
plays of speeches and verse, prose chapters with notes; none with an ``xml:id`` on its
passages) is imported into a fresh data directory with one ``archive import DIR`` (reading,
ids, journal, registry merge and the index update), then indexed again from scratch. With
``--from DIR`` a folder of real TEI (editions you gathered) is imported instead, with
``--rename`` so that ids two projects share do not stop the run (its figures have no targets:
they depend on the files; files it refuses, non-TEI, count in files/s).
Run: ``make bench-import`` or ``python benchmarks/imports.py [--files 600] [--from DIR]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "archive" / "samples"
TEI_NS = "http://www.tei-c.org/ns/1.0"
#: Floors on this project's 2-core reference machine (the index update included).
IMPORT_FILES_TARGET = 20.0
IMPORT_MB_TARGET = 2.0
INDEX_FILES_TARGET = 50.0


def sentences() -> list[str]:
    """Sentences of the bundled samples, to fill the generated documents."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt")))
    found = [s.strip() for s in text.replace("\n", " ").split(". ") if 40 < len(s) < 300]
    return [s.replace("&", "and").replace("<", "").replace(">", "") + "." for s in found]


def header(title: str, extra: str = "") -> str:
    return (f'<teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>'
            f'<publicationStmt><p>Generated for the import benchmark.</p></publicationStmt>'
            f'<sourceDesc><p>Synthetic.</p></sourceDesc></fileDesc>{extra}</teiHeader>')


def document(n: int, pool: list[str], rng: random.Random) -> str:
    """The n-th generated document: a letter, a play or a prose chapter."""
    def some(k: int) -> str:
        return " ".join(rng.choice(pool) for _ in range(k))

    kind = n % 3
    if kind == 0:  # a letter with its own person list, pointers into it
        people = "".join(f'<person xml:id="p{i}"><persName>Writer {n % 40} {i}</persName>'
                         f'</person>' for i in range(3))
        body = (f'<opener>Dear <persName ref="#p1">Writer {n % 40} 1</persName>,</opener>'
                + "".join(f"<p>{some(6)}</p>" for _ in range(12)) + "<closer>Yours</closer>")
        return (f'<TEI xmlns="{TEI_NS}">' + header(
            f"Letter {n}", f"<profileDesc><particDesc><listPerson>{people}</listPerson>"
            f'</particDesc><correspDesc><correspAction type="sent"><date when="19{n % 90 + 10}">'
            f"19{n % 90 + 10}</date></correspAction></correspDesc></profileDesc>")
            + f"<text><body><div>{body}</div></body></text></TEI>")
    if kind == 1:  # a play: speeches of verse lines and stage directions
        speeches = "".join(f'<sp who="#r{i % 3}"><speaker>Role {i % 3}</speaker>'
                           + "".join(f"<l>{rng.choice(pool)}</l>" for _ in range(4)) + "</sp>"
                           + (f"<stage>{rng.choice(pool)}</stage>" if i % 4 == 0 else "")
                           for i in range(30))
        return (f'<TEI xmlns="{TEI_NS}">' + header(f"Play {n}")
                + f'<text><body><div type="act"><head>Act 1</head>{speeches}</div></body>'
                f"</text></TEI>")
    paragraphs = "".join(f"<p>{some(5)}<note>{rng.choice(pool)}</note> {some(3)}</p>"
                         for _ in range(16))
    return (f'<TEI xmlns="{TEI_NS}">' + header(f"Chapter {n}")
            + f"<text><body><div><head>Chapter {n}</head>{paragraphs}</div></body></text></TEI>")


def run(archive: list[str], data: Path, *args: str, refusals: bool = False) -> float:
    """Seconds ``archive ARGS`` took; exit on failure (exit status 1 allowed with
    ``refusals``: a folder import that refused some files imported the others)."""
    started = time.perf_counter()
    result = subprocess.run([*archive, "--data", str(data), *args], capture_output=True,
                            text=True, timeout=3600)
    if result.returncode and not (refusals and result.returncode == 1):
        sys.exit(f"archive {' '.join(args[:1])} failed: {result.stderr.strip()[-500:]}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600, help="generated documents")
    parser.add_argument("--from", dest="source", type=Path, default=None,
                        help="a folder of real TEI files to import instead")
    args = parser.parse_args()
    archive = [sys.executable, "-m", "archive"]
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        work = Path(scratch)
        if args.source is not None:
            folder, options = args.source, ["--rename"]
        else:
            folder, options = work / "edition", []
            folder.mkdir()
            pool, rng = sentences(), random.Random(17)
            for n in range(args.files):
                (folder / f"doc{n:05d}.xml").write_text(document(n, pool, rng),
                                                        encoding="utf-8")
        files = sorted(folder.rglob("*.xml"))
        megabytes = sum(path.stat().st_size for path in files) / 1e6
        data = work / "data"
        imported = run(archive, data, "import", *options, str(folder),
                       refusals=args.source is not None)
        stored = len(list((data / "tei").glob("*.xml")))
        indexed = run(archive, data, "reindex", "--full")
        what = str(args.source) if args.source else f"{len(files)} generated documents"
        import_rates = (len(files) / imported, megabytes / imported)
        index_rates = (stored / indexed, megabytes / indexed)
        print(f"import of {what} ({len(files)} files, {megabytes:.1f} MB, {stored} stored), one"
              f" `archive import`, index update included: {imported:.1f} s")
        if args.source is not None:  # the scholar's own files: figures to compare, no targets
            print(f"  import rate: {import_rates[0]:.1f} files/s, {import_rates[1]:.2f} MB/s")
            print(f"  index rate (reindex --full): {index_rates[0]:.1f} files/s, "
                  f"{index_rates[1]:.2f} MB/s")
            return 0
        print(f"  import rate: {import_rates[0]:.1f} files/s (target >= "
              f"{IMPORT_FILES_TARGET:.0f}), {import_rates[1]:.2f} MB/s (target >= "
              f"{IMPORT_MB_TARGET:.0f})")
        print(f"  index rate (reindex --full): {index_rates[0]:.1f} files/s (target >= "
              f"{INDEX_FILES_TARGET:.0f}), {index_rates[1]:.2f} MB/s")
        ok = (import_rates[0] >= IMPORT_FILES_TARGET and import_rates[1] >= IMPORT_MB_TARGET
              and index_rates[0] >= INDEX_FILES_TARGET)
        print("all targets met" if ok else "a target is missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
