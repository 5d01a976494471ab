"""``//NAME`` and ``//NAME[contains(., 'w')]`` on trees the cache does not keep (issue 21): the
hits of each document's elements of that name are kept apart from the trees, so asking again
(with any word) parses none of them, and gives the hits the kept trees give."""

from __future__ import annotations

from archive.config import Settings
from archive.index.documents import document_files
from archive.xpath import TreeCache, compile_query, evaluate_files

EXPRESSIONS = ("//tei:persName", "//tei:p[contains(., 'revolution')]", "//tei:p",
               "//tei:p[contains(., 'the')]", "//tei:persName[contains(., 'Marx')]")


def _run(expression: str, files: list[tuple[str, object]], cache: TreeCache, limit: int = 10_000,
         ) -> tuple[int, tuple[object, ...], str | None]:
    result = evaluate_files(compile_query(expression), files, limit=limit,  # type: ignore[arg-type]
                            timeout=60, cache=cache)
    return result.count, result.hits, result.message


def test_hits_kept_apart_answer_again_without_parsing(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)  # a scan larger than the budget: no tree is kept
    parsed = []
    for expression in EXPRESSIONS:
        found = _run(expression, files, none_kept)
        assert found == _run(expression, files, TreeCache()), expression  # the kept trees'
        assert found[0] > 0, expression
        parsed.append(none_kept.misses)
    assert not none_kept._entries
    # persName's and p's documents parsed once each; the other questions parse none
    assert parsed == [len(files), 2 * len(files), 2 * len(files), 2 * len(files),
                      2 * len(files)]


def test_a_limit_cuts_hits_kept_apart_as_it_cuts_the_trees_hits(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    _run("//tei:p", files, none_kept)
    for limit in (0, 1, 3, 7):
        for expression in ("//tei:p", "//tei:p[contains(., 'e')]"):
            assert _run(expression, files, none_kept, limit) == _run(
                expression, files, TreeCache(), limit)


def test_a_file_changed_in_place_is_read_again(corpus: Settings) -> None:
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    before = _run("//tei:persName", files, none_kept)
    path = corpus.tei_dir / "untitled_note.xml"
    path.write_text(path.read_text().replace(
        "This archive", "<persName>Rosa Luxemburg</persName> said this archive"))
    after = _run("//tei:persName", files, none_kept)
    assert after == _run("//tei:persName", files, TreeCache()) != before
    assert [hit.value for hit in after[1] if hit.doc == "untitled_note"] == ["Rosa Luxemburg"]
