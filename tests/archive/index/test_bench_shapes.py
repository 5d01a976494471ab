"""The scale bench's corpus shapes (benchmarks/corpus.py): the EEBO-TCP shape gives fewer,
longer documents, of books' structure and few names, that the archive indexes as any other."""

from __future__ import annotations

import statistics
from pathlib import Path

from lxml import etree

from archive.config import Settings
from archive.index import lookup, update_index
from benchmarks.corpus import FIXTURES, build_corpus, build_eebo_corpus
from benchmarks.scale import prepare
from tei.namespaces import NSMAP
from tei.parse import parse_tei


def _names_per_kb(files: list[Path]) -> float:
    names = sum(len(parse_tei(path).xpath("//tei:text//tei:persName", namespaces=NSMAP))
                for path in files)
    return names / (sum(path.stat().st_size for path in files) / 1000)


def test_the_eebo_shape_has_long_documents_with_a_tail(tmp_path: Path) -> None:
    files = build_eebo_corpus(tmp_path, 400)
    sizes = sorted(path.stat().st_size for path in files)
    assert 15_000 < statistics.mean(sizes) < 40_000
    assert sizes[0] >= 2_000 and sizes[-1] > 20 * statistics.median(sizes)  # a long tail
    assert build_eebo_corpus(tmp_path / "again", 3)[2].read_bytes() == files[2].read_bytes()


def test_the_eebo_shape_is_a_book_with_few_names(tmp_path: Path) -> None:
    files = build_eebo_corpus(tmp_path / "eebo", 40)
    trees = [parse_tei(path) for path in files]
    for path in ("//tei:front/tei:div[@type = 'title_page']",
                 "//tei:body/tei:div[@type = 'book']/tei:div[@type = 'chapter']/tei:head",
                 "//tei:div[@type = 'chapter']/tei:p/tei:hi", "//tei:lg/tei:l", "//tei:pb"):
        assert sum(bool(tree.xpath(path, namespaces=NSMAP)) for tree in trees) > 20, path
    assert not any(tree.xpath("//tei:p/@xml:id", namespaces=NSMAP) for tree in trees)
    assembled = build_corpus(tmp_path / "assembled", 40, sorted(FIXTURES.glob("*.xml")))
    assert _names_per_kb(files) < _names_per_kb(assembled) / 3


def test_the_bench_prepares_and_the_archive_indexes_the_eebo_shape(tmp_path: Path) -> None:
    settings = prepare(tmp_path, 30, "eebo")
    assert settings.data_dir == tmp_path / "scale-eebo-30"
    files = sorted(settings.tei_dir.glob("*.xml"))
    assert [path.name for path in files] == [f"eebo-{n:05d}.xml" for n in range(1, 31)]
    for path in files:
        etree.parse(str(path))  # well-formed
    update_index(settings)
    result = lookup(Settings(data_dir=settings.data_dir), {}, facet_size=100)
    assert result["count"] == 30
    counted = {facet["name"]: facet["results"] for facet in result["facets"]}
    for name in ("kind", "year", "decade", "person", "author"):
        assert counted[name], name
    assert all(1353 <= int(item["value"]) <= 1700 for item in counted["year"])  # (as printed)
