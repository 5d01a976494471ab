"""Expressions of the elements alone answered from each document's outline (issue 21): on
trees the cache does not keep, an expression that reads nothing but the elements' names,
nesting and order (an ancestor step, a ``for`` loop of counts) is evaluated on the document's
outline, kept apart from the trees, its elements' hits found by rank: asked again, or another
such expression, it parses no document, and its answer is the full trees' answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.xpath import TreeCache, compile_query, evaluate_files
from archive.xpath.analysis import reads_outline_only
from archive.xpath.parse import parse
from tei.namespaces import NSMAP

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: TEI of several shapes: the archive's own documents, a play, a genetic notebook, letters,
#: an inscription, a manuscript description, a teiCorpus.
FILES = [(path.stem, path) for path in [
    *sorted((FIXTURES / "corpus").glob("*.xml")),
    *(FIXTURES / "editions" / name for name in (
        "genetic_notebook.xml", "corpus.xml", "dracor_play.xml", "inscription.xml",
        "manuscript.xml")),
    *sorted((FIXTURES / "editions" / "letters").glob("*.xml"))]]

OUTLINED = (
    "//tei:date[ancestor::tei:p[tei:orgName]]",
    "for $p in //tei:p return count($p//tei:persName)",
    "//tei:body//tei:p[2]",
    "//tei:*[last()]",
    "//tei:sp[tei:speaker][following-sibling::tei:stage]",
    "//tei:l[preceding::tei:stage] | //tei:head[ancestor::tei:div]",
    "//tei:div[count(tei:p) > 1]/tei:head",
    "//tei:p[not(tei:persName)][position() mod 2 = 0]",
    "//*:persName[ancestor-or-self::*:p]/following-sibling::*[1]",
    "count(//tei:p) + count(//tei:l)",
    "some $d in //tei:div satisfies exists($d//tei:placeName)",
    "//tei:text//* except //tei:body//*",
    "//tei:TEI/tei:teiHeader/*",
    "//element()[tei:del][tei:add]",
)


def _run(expression: str, cache: TreeCache) -> tuple[int, tuple[object, ...], str | None]:
    result = evaluate_files(compile_query(expression), FILES, limit=100_000,  # type: ignore[arg-type]
                            timeout=60, cache=cache)
    return result.count, result.hits, result.message


@pytest.mark.parametrize("expression", OUTLINED)
def test_an_outline_gives_the_full_answer_and_asked_again_parses_nothing(
        expression: str) -> None:
    assert reads_outline_only(parse(expression, tuple(NSMAP.items())))
    full = _run(expression, TreeCache())  # every tree kept: evaluated on the trees
    none_kept = TreeCache(budget=0)  # no tree kept: outlines and hits kept apart
    first = _run(expression, none_kept)
    assert none_kept.misses == len(FILES)  # each parsed once, to make its outline
    again = _run(expression, none_kept)
    assert none_kept.misses == len(FILES)  # none parsed again
    assert first == again == full
    assert any(key[1] == "<" for key in none_kept._aside)


def test_another_expression_of_the_elements_alone_parses_only_for_hits_not_made() -> None:
    none_kept = TreeCache(budget=0)
    _run("//tei:p[ancestor::tei:body]", none_kept)
    parsed = none_kept.misses
    # numbers need no hit; the paragraphs' hits were made: nothing to parse
    for expression in ("for $d in //tei:div return count($d/tei:p)", "count(//tei:body//tei:p)",
                       "//tei:p[preceding-sibling::tei:p]", "//tei:div/tei:p[1]"):
        assert _run(expression, none_kept) == _run(expression, TreeCache()), expression
        assert none_kept.misses == parsed, expression
    # another name's hits are made from the documents that have them, once
    found = _run("//tei:persName[ancestor::tei:p]", none_kept)
    assert found == _run("//tei:persName[ancestor::tei:p]", TreeCache())
    assert none_kept.misses == parsed + len({hit.doc for hit in found[1]})


def test_a_file_changed_in_place_has_its_outline_made_again(tmp_path: Path) -> None:
    source = FIXTURES / "corpus" / "untitled_note.xml"
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    files = [(path.stem, path)]
    expression = "//tei:persName[ancestor::tei:p]"
    none_kept = TreeCache(budget=0)

    def run() -> tuple[int, tuple[object, ...]]:
        result = evaluate_files(compile_query(expression), files,  # type: ignore[arg-type]
                                limit=100, timeout=60, cache=none_kept)
        return result.count, result.hits

    before = run()
    assert run() == before
    path.write_text(path.read_text().replace(
        "This archive", "<persName>Rosa Luxemburg</persName> said this archive"))
    after = run()
    assert after != before
    assert [hit.value for hit in after[1]] == ["Rosa Luxemburg"]


def test_a_query_whose_answer_is_the_document_node_is_evaluated_on_the_tree() -> None:
    # "." passes the analysis (its value is the document node only at the top): the outline's
    # answer is caught and the tree's given
    none_kept = TreeCache(budget=0)
    assert _run(".", none_kept) == _run(".", TreeCache())
    assert _run(".", none_kept)[1][0].value.strip()  # the document's text, not the outline's


@pytest.mark.parametrize(("expression", "outlined"), [
    ("//tei:p[tei:persName = 'x']", False),  # a string value compared
    ("//tei:p[@n]", False),
    ("//tei:p/@n", False),
    ("//tei:p/text()", False),
    ("//tei:p/node()", False),
    ("//comment()", False),
    ("//tei:p[contains(., 'x')]", False),
    ("//tei:p[string-length(.) > 2]", False),
    ("count(//tei:p) = '1'", False),
    ("name(//tei:p[1])", False),
    ("//tei:p[xs:integer(1)]", False),
    ("//tei:p[1.5]", False),
    ("/", False),  # the document node: its text
    ("//tei:p/..", False),
    ("//tei:p/ancestor::node()", False),
    ("//tei:p[tei:hi = 1]", False),
    ("//tei:p[count(tei:hi) = 1]", True),
    ("//tei:p[-1]", True),
    ("for $p in //tei:p return $p/tei:hi", True),
    ("//tei:p/element()", True),
    ("//*:p", True),
])
def test_what_reads_more_than_the_elements_is_not_answered_from_the_outline(
        expression: str, outlined: bool) -> None:
    assert reads_outline_only(parse(expression, tuple(NSMAP.items()))) is outlined
