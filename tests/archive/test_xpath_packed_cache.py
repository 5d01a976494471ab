"""What the tree cache keeps of the trees it does not keep is packed and deflated (issue 21):
a repeated scan of more documents than the trees' budget holds reads its answers again without
parsing, within a budget the same answers kept as tuples of strings overflowed (at 60,000
documents a warm run parsed most documents again)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive.config import Settings
from archive.index.documents import document_files
from archive.xpath import deflate, inflate, pack, unpack
from archive.xpath.compile import compile_query
from archive.xpath.evaluate import evaluate_files
from archive.xpath.tree_cache import TreeCache

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    from benchmarks.corpus import build_corpus

    folder = tmp_path_factory.mktemp("scan")
    build_corpus(folder / "tei", 24, sorted(FIXTURES.glob("*.xml")))
    return document_files(Settings(data_dir=folder))


# (expression, bytes of the budget a document): kept as tuples, these took 4-8 times more
@pytest.mark.parametrize(("expression", "room"), [
    ("//tei:persName", 1_600),  # the hits' fields by name (TreeCache.named_hits)
    ("//tei:p[contains(., 'the')]", 1_600),
    ("//tei:date[ancestor::tei:p[tei:orgName]]", 1_600),  # answers (TreeCache.keep_answer)
    ("for $p in //tei:p return count($p//tei:persName)", 400),
    # a map of every @ref kept apart, a tuple an element, filled the budget at 60,000
    # documents and the selected elements' hits found no room (TreeCache.attribute_hits)
    ("//tei:*[@ref = '#leon-trotsky']", 1_600),
    ("//tei:*[@ref = ('#moscow', '#leon-trotsky')]", 1_600),
])
def test_a_repeated_scan_past_the_trees_budget_reads_its_answers_packed(
        files: list[tuple[str, Path]], expression: str, room: int) -> None:
    compiled = compile_query(expression)
    full = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    cache = TreeCache(budget=0)  # no tree kept
    cache.values_budget = room * len(files)
    first = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=cache)
    assert cache.misses == len(files)
    again = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=cache)
    assert cache.misses == len(files)  # none parsed again
    assert cache.aside_used <= cache.values_budget
    assert (first.count, first.hits) == (again.count, again.hits) == (full.count, full.hits)


@pytest.mark.parametrize("record", [
    pack([("d", "p1", "element", "tei:p", "a … b", "x a … b y")] * 9, 1),
    pack([("d", None, "atomic", None, "1", "")], 1),
    pack([], 1),
    {"{http://www.tei-c.org/ns/1.0}p": [(0, "p1"), (3, "p4")]},
])
def test_a_deflated_record_is_the_record(record: object) -> None:
    assert inflate(deflate(record)) == record
    if isinstance(record, tuple):
        assert unpack(inflate(deflate(record))) == unpack(record)


def test_the_workers_setting_bounds_what_they_keep_apart_too(
        indexed_corpus: Settings, channel: Callable[[], Any]) -> None:
    # ARCHIVE_QUERY_CACHE_MB bounds a worker's trees and, half as much again, what it keeps
    # apart from the trees not kept (it was a fixed 128 MB whatever the setting)
    from archive.search import worker
    from archive.xpath import TREES

    small = dataclasses.replace(indexed_corpus, query_cache_mb=2)
    try:
        worker._answer(channel(), channel(), small, "//tei:persName", None, 100, 60, 0, 1)
        assert (TREES.budget, TREES.values_budget) == (2 * 1024**2, 1024**2)
    finally:
        TREES.clear()
        TREES.resize(256 * 1024**2, 128 * 1024**2)


def test_a_smaller_values_budget_puts_out_the_oldest_kept_apart(
        files: list[tuple[str, Path]]) -> None:
    cache = TreeCache(budget=0)
    evaluate_files(compile_query("//tei:persName"), files, limit=10_000, timeout=60,
                   cache=cache)
    held = cache.aside_used
    assert held > 0
    cache.resize(0, held // 2)
    assert 0 < cache.aside_used <= held // 2 == cache.values_budget
