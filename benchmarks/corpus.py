"""Scaled corpora for benchmarks: N TEI documents assembled from real ones.

Each document takes the header of one source document and a body of passages drawn from all
of them, with fresh ids, shifted dates and refs spread over a larger pool of entities, so
that facets have realistic numbers of values. Usage::

    python benchmarks/corpus.py OUT_DIR N [SOURCE_TEI_DIR]
"""

from __future__ import annotations

import atexit
import copy
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

from lxml import etree

from tei.namespaces import NSMAP, TEI_BODY, TEI_DATE, TEI_DIV, TEI_TEXT, XML_ID
from tei.parse import parse_tei

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
#: Entities per type in the scaled corpus (refs of the sources are spread over them).
ENTITY_POOL = 400
KINDS = ("essay", "encyclopedia article", "editorial", "review", "interview", "letter")
_DATE_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")
_YEAR = re.compile(r"^(-?)(\d{4})")
_ID_PREFIX = re.compile(r"^([a-z]+)\d+$")


def source_files(data_dir: Path | None = None) -> list[Path]:
    """The data directory's TEI files when it has some, else the bundled samples, built (and
    tagged) into a scratch archive for the purpose."""
    if data_dir is not None:
        files = sorted((data_dir / "tei").glob("*.xml"))
        if files:
            return files
    from archive.build import build, sample_sources
    from archive.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-samples-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # scratch: gone at exit
    scratch = Settings(data_dir=folder / "data")
    print(f"building the sample archive in {scratch.data_dir} ...", flush=True)
    build(scratch, sample_sources())
    return sorted(scratch.tei_dir.glob("*.xml"))


def build_corpus(out_dir: Path, count: int, sources: list[Path], seed: int = 7) -> list[Path]:
    """Write ``count`` documents ``bench-00001.xml`` ... into ``out_dir``.

    :return: the files written.
    """
    rng = random.Random(seed)
    trees = [parse_tei(path) for path in sources]
    pool = [passage for tree in trees for passage in _passages(tree)]
    if not pool:
        raise SystemExit("the source documents have no passages to assemble from")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(1, count + 1):
        tree = _document(rng, trees, pool, number)
        path = out_dir / f"bench-{number:05d}.xml"
        path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
        written.append(path)
    return written


def _passages(tree: etree._ElementTree) -> list[etree._Element]:
    # Children of the body's divisions that are not divisions: heads, paragraphs, lists, ...
    return [element for div in tree.iter(TEI_DIV) for element in div
            if isinstance(element.tag, str) and element.tag != TEI_DIV]


def _document(rng: random.Random, trees: list[etree._ElementTree],
              pool: list[etree._Element], number: int) -> etree._ElementTree:
    root = copy.deepcopy(rng.choice(trees).getroot())
    doc_id = f"bench-{number:05d}"
    year = rng.randint(1850, 2020)
    _set(root, "//tei:publicationStmt/tei:idno[@type='archive']", doc_id)
    for title in root.xpath("//tei:titleStmt/tei:title[1]", namespaces=NSMAP):
        title.text = f"{title.text or 'Untitled'} ({number})"
    for date in root.xpath("//tei:sourceDesc//tei:date", namespaces=NSMAP):
        date.attrib.clear()
        date.set("when", f"{year}-{rng.randint(1, 12):02d}")
        date.text = str(year)
    for term in root.xpath("//tei:term[@type='kind']", namespaces=NSMAP):
        term.text = rng.choice(KINDS)
    text = root.find(TEI_TEXT)
    if text is not None:
        root.remove(text)
    body = etree.SubElement(etree.SubElement(root, TEI_TEXT), TEI_BODY)
    div = etree.SubElement(body, TEI_DIV)
    shift = rng.randint(-60, 60)
    for passage in rng.sample(pool, k=min(len(pool), rng.randint(12, 30))):
        div.append(_varied(copy.deepcopy(passage), rng, shift))
    _renumber(div)
    return etree.ElementTree(root)


def _set(root: etree._Element, xpath: str, value: str) -> None:
    for element in root.xpath(xpath, namespaces=NSMAP):
        element.text = value


def _varied(passage: etree._Element, rng: random.Random, shift: int) -> etree._Element:
    passage.tail = "\n"
    for element in passage.iter():
        ref = element.get("ref") if isinstance(element.tag, str) else None
        if ref and rng.random() < 0.7:
            element.set("ref", f"{ref}-{rng.randrange(ENTITY_POOL)}")
        if element.tag == TEI_DATE:
            for name in _DATE_ATTRIBUTES:
                value = element.get(name)
                match = _YEAR.match(value or "")
                if match:
                    year = int(match.group(1) + match.group(2)) + shift
                    element.set(name, f"{year:04d}{value[match.end():]}")
    return passage


def _renumber(div: etree._Element) -> None:
    counters: dict[str, int] = {}
    for element in div.iter():
        if not isinstance(element.tag, str):
            continue
        old = element.get(XML_ID)
        match = _ID_PREFIX.match(old or "")
        prefix = match.group(1) if match else ("d" if element is div else None)
        if prefix:
            counters[prefix] = counters.get(prefix, 0) + 1
            element.set(XML_ID, f"{prefix}{counters[prefix]}")


def main() -> None:  # pragma: no cover - command line
    out, count = Path(sys.argv[1]), int(sys.argv[2])
    sources = source_files(Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    build_corpus(out, count, sources)
    print(f"wrote {count} documents to {out} from {len(sources)} sources")


if __name__ == "__main__":
    main()
