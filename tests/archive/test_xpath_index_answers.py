"""Functions of paths answered from the index (issue 21): on a document where the index shows
that none of the paths has a node, the items are the expression's on empty paths, and the file
is not parsed; every answer is the one of parsing every document (count, order of hits, their
passage addresses), on the fixture corpus, imported editions and a generated corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.index.documents import document_files
from archive.index.update import update_index
from archive.search import evaluate_query, run_query
from archive.xpath import TreeCache, compile_query, evaluate_files, index_answer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EDITIONS = FIXTURES / "editions"


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Settings]:
    """The fixture corpus; imported editions (tests/fixtures/editions and reading); a corpus
    generated as the benchmarks make theirs, from the fixture corpus. Each indexed."""
    from benchmarks.corpus import build_corpus

    found = {}
    fixture = tmp_path_factory.mktemp("fixture")
    shutil.copytree(FIXTURES / "corpus", fixture / "tei", ignore=shutil.ignore_patterns("registry"))
    shutil.copytree(FIXTURES / "corpus" / "registry", fixture / "registry")
    found["fixture"] = Settings(data_dir=fixture)
    editions = tmp_path_factory.mktemp("editions")
    files = [EDITIONS / name for name in ("genetic_notebook.xml", "corpus.xml", "dracor_play.xml",
                                          "inscription.xml", "manuscript.xml")]
    files += sorted((EDITIONS / "letters").glob("*.xml")) + sorted(
        (FIXTURES / "reading").glob("*.xml"))
    result = CliRunner().invoke(cli, ["--data", str(editions), "import", *map(str, files)])
    assert result.exit_code == 0, result.output
    found["editions"] = Settings(data_dir=editions)
    generated = tmp_path_factory.mktemp("generated")
    build_corpus(generated / "tei", 40, sorted((FIXTURES / "corpus").glob("*.xml")))
    found["generated"] = Settings(data_dir=generated)
    for settings in found.values():
        update_index(settings)
    return found


def refs(settings: Settings) -> tuple[str, str]:
    """A persName @ref of one document only, and the commonest."""
    from collections import Counter

    from lxml import etree

    from tei.namespaces import NSMAP

    counted: Counter[str] = Counter()
    for _, path in document_files(settings):
        counted.update(set(etree.parse(str(path)).xpath("//tei:persName/@ref",
                                                         namespaces=NSMAP)))
    ranked = counted.most_common()
    return ranked[-1][0], ranked[0][0]


#: (expression, whether some document of each corpus holds none of its paths)
EXPRESSIONS = [
    ("count(//tei:persName[@ref = 'RARE'])", True),
    ("count(//tei:persName[@ref='COMMON'])", False),  # not as the parser writes it
    ("count(//tei:*[@ref = 'RARE'])", True),
    ("exists(//tei:persName[@ref = 'RARE'])", True),
    ("exists(//tei:quote)", False),
    ("empty(//tei:orgName)", False),
    ("count(distinct-values(//tei:placeName/@ref))", False),
    ("string-join(//tei:persName/@ref, ' ')", False),
    ("""string-join(//tei:persName[@ref="COMMON"]/@ref, "it's")""", False),
    ("count(//tei:quote) + count(//tei:lg)", False),
    ("sum(//tei:measure/@quantity)", False),
]


@pytest.mark.parametrize("corpus", ["fixture", "editions", "generated"])
@pytest.mark.parametrize(("expression", "rules_out"), EXPRESSIONS)
def test_the_index_answers_as_parsing_every_document_does(
        corpora: dict[str, Settings], corpus: str, expression: str, rules_out: bool) -> None:
    settings = corpora[corpus]
    rare, common = refs(settings)
    expression = expression.replace("RARE", rare).replace("COMMON", common)
    compiled = compile_query(expression)
    assert index_answer(compiled) is not None
    files = document_files(settings)
    parsed_all = TreeCache()
    full = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=parsed_all)
    assert parsed_all.misses == len(files)  # (every document parsed)
    answered = TreeCache()
    indexed = evaluate_query(settings, expression, limit=10_000, timeout=60, cache=answered)
    assert (indexed.count, indexed.hits) == (full.count, full.hits)
    assert indexed.documents == full.documents == len(files)
    workers = run_query(settings, expression, limit=10_000, timeout=60)
    assert (workers.count, workers.hits) == (full.count, full.hits)
    assert answered.misses < len(files) if rules_out else answered.misses <= len(files)


def test_documents_holding_no_path_are_not_parsed(corpora: dict[str, Settings]) -> None:
    settings = corpora["generated"]
    rare, _ = refs(settings)
    files = document_files(settings)
    answered = TreeCache()
    found = evaluate_query(settings, f"count(//tei:persName[@ref = '{rare}'])", limit=10_000,
                           timeout=60, cache=answered)
    assert sorted(hit.value for hit in found.hits) == ["0"] * (len(files) - 1) + ["1"]
    assert answered.misses == 1  # only the document holding it
    both = TreeCache()
    evaluate_query(settings, "count(//tei:quote) + count(//tei:lg)", limit=10_000, timeout=60,
                   cache=both)
    holding = [path for _, path in files if _holds(path, "//tei:quote | //tei:lg")]
    assert both.misses == len(holding) < len(files)
    # an attribute the index does not keep (xml:id) rules out nothing: all parsed
    every = TreeCache()
    evaluate_query(settings, "count(//*[@xml:id = 'nowhere'])", limit=10_000, timeout=60,
                   cache=every)
    assert every.misses == len(files)


def _holds(path: Path, expression: str) -> bool:
    from lxml import etree

    from tei.namespaces import NSMAP

    return bool(etree.parse(str(path)).xpath(expression, namespaces=NSMAP))


def test_a_file_changed_since_it_was_indexed_is_parsed(corpora: dict[str, Settings],
                                                       tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    shutil.copytree(corpora["fixture"].data_dir, tmp_path, dirs_exist_ok=True)
    expression = "count(//tei:persName[@ref = '#nobody-indexed'])"
    before = evaluate_query(settings, expression, limit=100, timeout=60, cache=TreeCache())
    assert {hit.value for hit in before.hits} == {"0"}
    _, path = document_files(settings)[0]
    text = path.read_text("utf-8")
    at = text.index("</p>")
    path.write_text(text[:at] + '<persName ref="#nobody-indexed">X</persName>' + text[at:],
                    "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    after = evaluate_query(settings, expression, limit=100, timeout=60, cache=TreeCache())
    assert [hit.value for hit in after.hits] == ["1"] + ["0"] * (len(after.hits) - 1)
    workers = run_query(settings, expression, limit=100, timeout=60)
    assert workers.hits == after.hits


def test_a_corpus_question_reads_only_documents_holding_one_of_its_paths(
        corpora: dict[str, Settings]) -> None:
    from lxml import etree

    from tei.namespaces import NSMAP

    settings = corpora["editions"]
    files = [path for _, path in document_files(settings)]
    quotes = sum(len(etree.parse(str(path)).xpath("//tei:quote", namespaces=NSMAP))
                 for path in files)
    types = {value for path in files
             for value in etree.parse(str(path)).xpath("//tei:lg/@type", namespaces=NSMAP)}
    asked = run_query(settings, "count(//tei:quote) + count(distinct-values(//tei:lg/@type))",
                      corpus=True)
    assert [hit.value for hit in asked.hits] == [str(quotes + len(types))]
    holding = [path for path in files if _holds(path, "//tei:quote | //tei:lg")]
    assert asked.documents == len(holding) < len(files)


@pytest.mark.parametrize("expression", [
    "count(//*)", "count(//@n)",  # a path the index cannot rule out
    "1 div count(//tei:quote)",  # an error on empty paths: each document reports it
    "//tei:persName", "for $p in //tei:p return count($p//tei:persName)",  # no function
])
def test_expressions_the_index_cannot_answer_get_no_answer(expression: str) -> None:
    assert index_answer(compile_query(expression)) is None


@pytest.mark.parametrize("corpus", ["fixture", "editions", "generated"])
@pytest.mark.parametrize("expression", [
    "//tei:persName", "for $p in //tei:p return count($p//tei:persName)",
    "for $d in //tei:div return $d/tei:head", "count(//tei:p)",
    "//tei:p[contains(., 'revolution')]", "//tei:persName[contains(., 'Tro')]",
    "//tei:p[contains(., '')]", "//tei:head[contains(., 'é')]",
])
def test_the_benchs_named_paths_and_loops_give_elementpaths_hits(
        corpora: dict[str, Settings], corpus: str, expression: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # //NAME from the tree's elements by name, the loop's body with its element as focus:
    # the hits (values, contexts, passage addresses) of elementpath's full evaluation
    import dataclasses

    from archive.xpath import evaluate

    settings = corpora[corpus]
    files = document_files(settings)
    compiled = compile_query(expression)
    cache = TreeCache()
    planned = evaluate_files(compiled, files, limit=100_000, timeout=60, cache=cache)
    warm = evaluate_files(compiled, files, limit=100_000, timeout=60, cache=cache)
    for plan in ("filter_plan", "for_plan", "atom_plan"):  # elementpath alone
        monkeypatch.setattr(evaluate, plan, lambda *_: None)
    full = evaluate_files(dataclasses.replace(compiled, engine="elementpath"), files,
                          limit=100_000, timeout=60, cache=TreeCache())
    assert planned.count > 0 or "contains" in expression  # (no such word in some corpora)
    assert (planned.count, planned.hits) == (warm.count, warm.hits) == (full.count, full.hits)


@pytest.mark.parametrize(("expression", "found"), [
    ("//tei:p[contains(., 'revolution')]", ("{http://www.tei-c.org/ns/1.0}p", "revolution")),
    ('//p[contains(., "it\'s")]', ("p", "it's")),
    ("//tei:p[contains(., 'x')][1]", None),  # a position after it
    ("//tei:p[contains(text(), 'x')]", None),  # the first text node, not the string value
    ("//tei:p[contains(@n, 'x')]", None),
    ("/tei:TEI//tei:p[contains(., 'x')]", None),
])
def test_the_strings_of_named_elements_answer_only_contains_of_the_element(
        expression: str, found: tuple[str, str] | None) -> None:
    from archive.xpath.plans import containing

    compiled = compile_query(expression)
    assert containing(compiled.expression, compiled.namespaces) == found


@pytest.mark.parametrize("corpus", ["fixture", "editions", "generated"])
def test_hits_of_trees_not_kept_have_the_passage_addresses_of_kept_ones(
        corpora: dict[str, Settings], corpus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a tree the cache does not keep is parsed again at each query; where its passages are
    # (tag and rank) is kept apart, and the addresses found from it are those read in full
    from archive.xpath import tree_cache

    def not_again(root: object) -> None:
        raise AssertionError("the passages of a described tree read again")

    files = document_files(corpora[corpus])
    for expression in ("//tei:persName", "//tei:p[contains(., 'e')]", "//tei:l | //tei:head",
                       "//tei:*[@ref]", "//text()[contains(., 'a')]", "//@xml:id",
                       "//tei:rdg", "//tei:line", "//tei:note"):
        compiled = compile_query(expression)
        kept = evaluate_files(compiled, files, limit=100_000, timeout=60, cache=TreeCache())
        cache = TreeCache(budget=0)
        first = evaluate_files(compiled, files, limit=100_000, timeout=60, cache=cache)
        named = expression in ("//tei:persName", "//tei:p[contains(., 'e')]", "//tei:rdg",
                               "//tei:line", "//tei:note",
                               "//tei:l | //tei:head")  # (by rank, from the outline)
        described = {key for key in cache._aside if not key[1].startswith("?")}
        # the others' answers are kept apart whole (see test_xpath_answers_apart.py): asked
        # otherwise, each tree is parsed again and its passages found from their description
        asked = compiled if named else compile_query(f"({expression})")
        with monkeypatch.context() as patched:
            patched.setattr(tree_cache, "passage_addresses", not_again)
            again = evaluate_files(asked, files, limit=100_000, timeout=60, cache=cache)
        assert (first.count, first.hits) == (again.count, again.hits) == (kept.count, kept.hits)
        if named:
            # their hits are kept apart too (see test_xpath_named_hits.py and
            # test_xpath_outline.py): parsed once
            assert cache.misses == len(files)
            continue
        assert cache.misses == 2 * len(files)  # parsed at each query: no tree kept
        assert described == {key for key in cache._aside if not key[1].startswith("?")}
        assert len(described) == len({hit.doc for hit in kept.hits})
