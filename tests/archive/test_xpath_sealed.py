"""A query worker keeps a query's answer per document sealed, the bytes it sends (issue 21):
asked again, ``//tei:*[@ref = '#x']`` or a loop is a lookup of each document's bytes, not its
items found again, their hits made and packed again (most of a warm ask's time), and the answer
is the same as a full evaluation's. The shapes whose hits are kept by element name (``//NAME``,
``//NAME[contains(., 'w')]``) are not kept a second time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from archive.config import Settings
from archive.index.documents import document_files
from archive.search.bounds import Budget
from archive.xpath import PackedHits, make_hit, pack, seal, unpack
from archive.xpath.compile import compile_query
from archive.xpath.evaluate import document_hits, document_record, evaluate_files
from archive.xpath.tree_cache import TreeCache

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

EXPRESSIONS = [
    "//tei:*[@ref = '#leon-trotsky']",
    "//tei:persName[@ref = ('#moscow', '#leon-trotsky')]",
    "//*[@ref = '#moscow']",
    "//tei:date[ancestor::tei:p[tei:orgName]]",
    "for $p in //tei:p return count($p//tei:persName)",
    "//tei:date[@when castable as xs:date][xs:date(@when) lt xs:date('1930-01-01')]",
]


@pytest.fixture()
def files(tmp_path: Path) -> list[tuple[str, Path]]:
    from benchmarks.corpus import build_corpus

    build_corpus(tmp_path / "tei", 12, sorted(FIXTURES.glob("*.xml")))
    return document_files(Settings(data_dir=tmp_path))


def _asked(expression: str, files: list[tuple[str, Path]], cache: TreeCache,
           ) -> list[tuple[int, tuple[object, ...], list[object]]]:
    # each document's (items, the record's first field, its hits) as a worker sends them
    compiled = compile_query(expression)
    found = []
    for doc, path in files:
        count, record, partial = document_record(compiled, cache, path, doc,
                                                 time.perf_counter() + 60, 10_000)
        assert not partial
        found.append((count, record[1][0] if record[1] else (), unpack(record, make_hit)))
    return found


@pytest.mark.parametrize("expression", EXPRESSIONS)
@pytest.mark.parametrize("budget", [256 * 1024 * 1024, 0])  # trees kept, and none kept
def test_a_query_asked_again_is_sent_from_its_sealed_answer(
        files: list[tuple[str, Path]], expression: str, budget: int) -> None:
    full = evaluate_files(compile_query(expression), files, limit=10_000, timeout=60,
                          cache=TreeCache())
    assert full.count > 0
    cache = TreeCache(budget)
    first = _asked(expression, files, cache)
    parsed = cache.misses
    again = _asked(expression, files, cache)
    assert cache.misses == parsed  # no tree parsed again
    # every document's answer, items or none, is the bytes kept the first time
    assert all(field[0] == "sealed" for _, field, _ in again)
    for asked in (first, again):
        assert sum(count for count, _, _ in asked) == full.count
        assert [hit for _, _, hits in asked for hit in hits] == list(full.hits)


@pytest.mark.parametrize("expression", ["//tei:persName", "//tei:p[contains(., 'the')]"])
def test_the_hits_kept_by_element_name_are_not_sealed_again(
        files: list[tuple[str, Path]], expression: str) -> None:
    cache = TreeCache(0)  # no tree kept: their hits kept apart by name
    first = _asked(expression, files, cache)
    parsed = cache.misses
    again = _asked(expression, files, cache)
    assert cache.misses == parsed and again == first and sum(c for c, _, _ in again) > 0
    assert all(field[0] != "sealed" for _, field, _ in again)


def test_a_sealed_answer_follows_its_file_and_its_document(
        files: list[tuple[str, Path]]) -> None:
    compiled = compile_query("//tei:*[@ref = '#leon-trotsky']")
    deadline = time.perf_counter() + 60
    doc, path = next((doc, path) for doc, path in files
                     if document_hits(compiled, TreeCache(), path, doc, deadline, 0)[0] > 1)
    cache = TreeCache()
    count, _, _ = document_record(compiled, cache, path, doc, deadline, 10_000)
    document_record(compiled, cache, path, doc, deadline, 10_000)  # (sealed now)
    # the same file named by another document id: its hits name that one
    _, record, _ = document_record(compiled, cache, path, "other", deadline, 10_000)
    assert {hit.doc for hit in unpack(record, make_hit)} == {"other"}
    # fewer items wanted than the document has: the first ones, counted all
    fewer, record, _ = document_record(compiled, cache, path, doc, deadline, 1)
    assert (fewer, record[0]) == (count, 1)
    # the file changed: its new answer, not the one kept
    text = path.read_text("utf-8").replace('ref="#leon-trotsky"', 'ref="#someone-else"', 1)
    path.write_text(text, "utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    changed, record, _ = document_record(compiled, cache, path, doc, deadline, 10_000)
    fresh, hits, _ = document_hits(compiled, TreeCache(), path, doc, deadline, 10_000)
    assert changed == fresh == count - 1
    assert unpack(record, make_hit) == hits


def test_a_sealed_answer_is_cut_to_the_answers_bounds(files: list[tuple[str, Path]]) -> None:
    compiled = compile_query("//tei:*[@ref = '#leon-trotsky']")
    cache = TreeCache()
    deadline = time.perf_counter() + 60
    for doc, path in files:
        document_record(compiled, cache, path, doc, deadline, 10_000)
    for doc, path in files:
        _, hits, _ = document_hits(compiled, TreeCache(), path, doc, deadline, 10_000)
        _, record, _ = document_record(compiled, cache, path, doc, deadline, 10_000,
                                       take=Budget(12, None).take)
        assert unpack(record) == Budget(12, None).take(hits)


@pytest.mark.parametrize("hits", [
    [("d", "p1", "element", "tei:p", "a … b", "x a … b y")] * 3,  # a few: rows
    [("d", f"p{n % 2}", "element", "tei:name", f"v{n}", f"c {n} …") for n in range(20)],
    [("d", None, "element", "tei:name", "v", "c")] * 9,
])
def test_a_sealed_record_reads_as_the_hits_it_was_made_of(
        hits: list[tuple[str, ...]]) -> None:
    sealed = seal(pack(hits))
    assert sealed[0] == len(hits) and isinstance(sealed[1][0][1], bytes)
    assert unpack(sealed) == hits
    answer = PackedHits()
    answer.append(sealed)
    answer.append(sealed, 2)
    assert list(answer) == [*hits, *hits[:2]]
    assert answer[len(hits)] == hits[0] and answer[1:3] == tuple(hits[1:3])
