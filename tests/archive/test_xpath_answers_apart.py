"""Queries no other part kept apart answers (``ancestor``, ``for``/``return``, any path) on
trees the cache does not keep (issue 21): each document's answer is kept apart from the trees,
so asking again parses none of them, and gives the hits the kept trees give."""

from __future__ import annotations

import pytest

from archive.config import Settings
from archive.index.documents import document_files
from archive.xpath import TreeCache, compile_query, evaluate_files

EXPRESSIONS = (
    "//tei:date[ancestor::tei:p[tei:orgName]]",
    "for $p in //tei:p return count($p//tei:persName)",
    "//tei:persName/@ref",
    "//tei:p/text()",
    "//tei:body//tei:p[2]",
    "for $p in //tei:p return string-length($p)",  # elementpath's
)


def _run(expression: str, files: list[tuple[str, object]], cache: TreeCache, limit: int = 10_000,
         ) -> tuple[int, tuple[object, ...], str | None]:
    result = evaluate_files(compile_query(expression), files, limit=limit,  # type: ignore[arg-type]
                            timeout=60, cache=cache)
    return result.count, result.hits, result.message


def test_answers_kept_apart_answer_again_without_parsing(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)  # a scan larger than the budget: no tree is kept
    for expression in EXPRESSIONS:
        before = none_kept.misses
        found = _run(expression, files, none_kept)
        parsed = none_kept.misses - before
        # each parsed once; an expression of the elements alone after the first, only where
        # its elements' hits were not made before: their outlines are kept (see
        # test_xpath_outline.py), the loop's counts need none, p[2] those holding one
        assert parsed == {EXPRESSIONS[1]: 0, EXPRESSIONS[4]: len({hit.doc for hit in found[1]})
                          }.get(expression, len(files)), expression
        assert found == _run(expression, files, TreeCache()), expression  # the kept trees'
        assert found[0] > 0, expression
        again = _run(expression, files, none_kept)
        assert none_kept.misses - before == parsed, expression  # and no more
        assert again == found, expression
    assert not none_kept._entries


def test_an_answer_cut_by_a_limit_is_not_kept(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    expression = "for $p in //tei:p return count($p//tei:persName)"
    for limit in (0, 1, 3, 10_000, 2, 10_000):
        assert _run(expression, files, none_kept, limit) == _run(
            expression, files, TreeCache(), limit), limit


def test_a_file_changed_in_place_is_read_again(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    expression = "//tei:persName[ancestor::tei:p]"
    before = _run(expression, files, none_kept)
    path = corpus.tei_dir / "untitled_note.xml"
    path.write_text(path.read_text().replace(
        "This archive", "<persName>Rosa Luxemburg</persName> said this archive"))
    after = _run(expression, files, none_kept)
    assert after == _run(expression, files, TreeCache()) != before
    assert [hit.value for hit in after[1] if hit.doc == "untitled_note"] == ["Rosa Luxemburg"]


def test_a_kept_tree_keeps_no_answer_apart(corpus: Settings) -> None:
    files = document_files(corpus)
    cache = TreeCache()  # room for every tree of the fixture corpus
    _run("//tei:date[ancestor::tei:p[tei:orgName]]", files, cache)
    assert len(cache._entries) == len(files) and cache.aside_used == 0


@pytest.mark.parametrize("clock", ["current-date()", "fn:current-date ()",
                                   "function-lookup(xs:QName('fn:current' || '-date'), 0)()"])
def test_an_answer_of_the_clock_is_never_kept(corpus: Settings, clock: str) -> None:
    # current-date() changes while the file does not: each asking reads the tree again, however
    # the function is named
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    expression = "//tei:date[@when castable as xs:date][xs:date(@when) lt " + clock + "]" \
                 "/string(@when)"
    for run in (1, 2):
        found = _run(expression, files, none_kept)
        assert found[0] > 0
        assert none_kept.misses == run * len(files)
    assert none_kept.aside_used == 0 or all(
        not key.startswith("?") for _, key in none_kept._aside)
