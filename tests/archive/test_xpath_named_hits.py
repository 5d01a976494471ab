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


def test_attribute_hits_kept_apart_answer_again_without_parsing(corpus: Settings) -> None:
    # //NAME[@a = 'x'] on trees not kept: the selected elements' hits are kept in the map of
    # the attribute kept apart; asked again, no tree is parsed; another value parses only the
    # trees holding elements not selected before
    files = document_files(corpus)
    holding = {"#leon-trotsky": {"doc-left-opposition", "doc-spanish-revolution"}}
    none_kept = TreeCache(budget=0)
    steps = [("//tei:*[@ref = '#leon-trotsky']", len(files)),  # the maps are made: all parsed
             ("//tei:*[@ref = '#leon-trotsky']", 0),
             ("//tei:persName[@ref = '#leon-trotsky']", 0),  # a subset of those selected
             ("//tei:*[@ref = ('#moscow', '#leon-trotsky')]", None),
             ("//tei:*[@ref = ('#moscow', '#leon-trotsky')]", 0),
             ("//tei:*[@ref = '#nobody']", 0)]
    for expression, parses in steps:
        before = none_kept.misses
        found = _run(expression, files, none_kept)
        assert found == _run(expression, files, TreeCache()), expression  # the kept trees'
        if parses is not None:
            assert none_kept.misses - before == parses, expression
    assert {hit.doc for hit in _run("//tei:*[@ref = '#leon-trotsky']", files, none_kept)[1]} \
        == holding["#leon-trotsky"]
    assert not none_kept._entries


def test_filtered_hits_kept_apart_answer_again_without_parsing(corpus: Settings) -> None:
    # //NAME[P] where P reads only attributes (a cast, a typed comparison: elementpath's):
    # the elements' hits are kept apart with those attributes' values, P asked of them alone
    files = document_files(corpus)
    none_kept = TreeCache(budget=0)
    steps = [("//tei:date[@when castable as xs:date]"
              "[xs:date(@when) lt xs:date('1930-01-01')]", len(files)),
             ("//tei:date[@when castable as xs:date]"
              "[xs:date(@when) lt xs:date('1930-01-01')]", 0),
             ("//tei:date[@when castable as xs:date][xs:date(@when) ge xs:date('1871-05-01')]",
              0),  # the same attribute read: the same records
             ("//tei:persName[matches(@ref, 'trotsky$')]", len(files)),
             ("//tei:persName[matches(@ref, '^#l')]", 0),
             ("//tei:date[@when castable as xs:date][1]", None)]  # a position: in full
    for expression, parses in steps:
        compiled = compile_query(expression)
        assert compiled.engine == "elementpath"
        before = none_kept.misses
        found = _run(expression, files, none_kept)
        assert found == _run(expression, files, TreeCache()), expression  # the kept trees'
        assert found[0] > 0, expression
        if parses is not None:
            assert none_kept.misses - before == parses, expression
