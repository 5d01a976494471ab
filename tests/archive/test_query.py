"""Corpus-wide XPath: both engines agree, hits, limits, errors, pruning, the CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.errors import QueryError
from archive.index.documents import document_files
from archive.index.update import update_index
from archive.search.corpus import evaluate_query, run_query
from archive.xpath.compile import MAX_EXPRESSION, compile_query
from archive.xpath.evaluate import evaluate_files
from archive.xpath.hits import Hit
from archive.xpath.tree_cache import TreeCache

#: Each test runs on the SQLite index and on PostgreSQL (tests/postgres.py).
pytestmark = pytest.mark.usefixtures("index_engine")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def settings(indexed_corpus: Settings) -> Settings:
    return indexed_corpus


# Queries lxml may run, with the number of result items over the fixture corpus.
AGREEMENT = [
    ("//tei:persName", 12),
    ("//tei:persName/@ref", 11),
    ("//tei:text//tei:date[@when]", 5),
    ("//tei:p[tei:persName][1]", 4),
    ("//tei:p/text()", 50),
    ("//tei:text//text()", 142),
    ("//comment()", 1),
    ("//tei:placeName[@ref = '#moscow']", 3),
    ("//tei:p[contains(., 'Moscow')]/@xml:id", 3),
    ("count(//tei:persName)", 4),
    ("//tei:*[starts-with(@ref, '#leon')]", 4),
    ("//tei:date[@from and @to] | //tei:date[@notBefore]", 5),
    ("//tei:p[not(@xml:id)]", 3),  # two in headers
    ("//tei:item[last()]", 1),
    ("//tei:head[string-length() = 15]", 0),
    ("//tei:persName[normalize-space(.) != 'Trotsky']/@resp", 10),
    ("//tei:div/tei:head/following-sibling::tei:p[1]", 5),
    ("boolean(//tei:orgName)", 4),
    ("//node()[self::tei:lb]", 1),
    ("//tei:title[@level='j']/text()", 2),
    ("//tei:p[substring(@xml:id, 1, 1) = 'p']", 11),
    ("//tei:p[local-name() = 'p'][2]", 4),
    # steps lxml is given as /descendant::NAME[P]
    ("//tei:p[@xml:id]//tei:persName[@ref]", 9),
    ("/tei:TEI/tei:text//tei:p[tei:persName and not(@n)]", 9),
    ("//tei:*[@ref][contains(., 'o')]/@ref", 17),
    ("//tei:p[tei:placeName | tei:orgName]", 9),
    # upward steps that name elements (never the document node)
    ("//tei:date[not(ancestor::tei:list or ancestor::tei:listBibl)]", 13),
    ("//tei:persName/parent::tei:p", 9),
]


@pytest.mark.parametrize(("expression", "count"), AGREEMENT)
def test_lxml_and_elementpath_give_identical_results(settings: Settings, expression: str,
                                                     count: int) -> None:
    compiled = compile_query(expression)
    files = document_files(settings)
    fast = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    full = evaluate_files(dataclasses.replace(compiled, engine="elementpath"), files,
                          limit=10_000, timeout=60, cache=TreeCache())
    assert compiled.engine == "lxml"
    assert fast.count == count
    assert (fast.count, fast.hits) == (full.count, full.hits)


@pytest.mark.parametrize(("expression", "source"), [
    ("//tei:placeName[@ref = '#moscow']", "/descendant::tei:placeName[@ref = '#moscow']"),
    ("//tei:p[@n]//tei:hi[contains(., 'x')]",
     "/descendant::tei:p[@n]/descendant::tei:hi[contains(., 'x')]"),
    ("/tei:TEI/tei:text//tei:*[tei:lb]/@n", "/tei:TEI/tei:text/descendant::tei:*[tei:lb]/@n"),
    ("//tei:date[@from] | //tei:date", "/descendant::tei:date[@from] | //tei:date"),
    ("//tei:persName", "//tei:persName"),  # libxml2 walks the descendants itself
    ("//tei:p[tei:persName][1]", "//tei:p[tei:persName][1]"),  # positions: as written
    ("//tei:item[last()]", "//tei:item[last()]"),
    ("//tei:p[count(tei:lb)]", "//tei:p[count(tei:lb)]"),
    ("//node()[self::tei:lb]", "//node()[self::tei:lb]"),
    ("count(//tei:p[@n])", "count(//tei:p[@n])"),
])
def test_lxml_is_given_descendant_steps_where_no_predicate_is_a_position(
        expression: str, source: str) -> None:
    from archive.xpath.analysis import lxml_source
    from archive.xpath.parse import parse_expression

    assert lxml_source(parse_expression(expression)) == source


def test_string_value_is_xpath_string_of_every_element() -> None:
    from lxml import etree

    from archive.xpath.hits import string_value
    from tei.parse import parse_tei

    string = etree.XPath("string(.)")
    elements = [element for path in sorted(FIXTURES.glob("*.xml"))
                for element in parse_tei(path).iter() if isinstance(element.tag, str)]
    assert len(elements) > 100
    assert [string_value(element) for element in elements] == [
        str(string(element)) for element in elements]


@pytest.mark.parametrize("expression", [
    "name(/*)",  # 3.1 chooses the prefix
    "//tei:date[@when > 1900]",  # 1.0 compares numbers where 3.1 raises
    "1 div 3",  # double in 1.0, decimal in 3.1
    "/",  # lxml never returns the document node
    "//tei:persName/..",
    "//tei:persName/ancestor::node()",  # reaches the document node
    "tei:TEI",  # relative at the top: lxml's context is the root element
    "string(//tei:title)",  # 1.0 takes the first of many, 3.1 raises
    "//tei:date/@when ! substring(., 1, 4)",
    "(//tei:head, //tei:p)",
])
def test_expressions_that_differ_in_xpath_1_run_in_elementpath(expression: str) -> None:
    assert compile_query(expression).engine == "elementpath"


# Queries elementpath must decide, planned as lxml's path plus elementpath's predicates.
PLANNED = [
    ("//tei:date[@when castable as xs:date][xs:date(@when) lt xs:date('1930-01-01')]", 2),
    ("//tei:date[string-length(@when) gt 4]", 6),
    ("/tei:TEI/tei:text//tei:date[exists(@from)]", 3),
    ("//tei:p[count(.//tei:persName) > 1]", 1),
    ("//tei:persName[matches(@ref, '^#leon')]", 4),
    ("//tei:p[string-length(normalize-space(.)) mod 2 = 0]", 7),
    ("//tei:*[@when castable as xs:gYear]", 2),
]


@pytest.mark.parametrize(("expression", "count"), PLANNED)
def test_planned_predicates_give_the_full_evaluation(settings: Settings, expression: str,
                                                      count: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.xpath import evaluate, plans

    compiled = compile_query(expression)
    assert compiled.engine == "elementpath"
    assert plans.filter_plan(compiled.expression, compiled.namespaces) is not None
    files = document_files(settings)
    planned = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    monkeypatch.setattr(evaluate, "filter_plan", lambda *_: None)
    full = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    assert planned.count == count
    assert (planned.count, planned.hits) == (full.count, full.hits)


#: Aggregates evaluated in Python over lxml's values, not by elementpath.
IN_PYTHON = {"count(distinct-values(//tei:persName/@ref))",
             "count(distinct-values(//tei:text//tei:date/@when))",
             "distinct-values(//tei:persName/@ref)", "exists(//tei:quote)",
             "empty(distinct-values(//tei:orgName/@ref))"}


@pytest.mark.parametrize(("expression", "values"), [
    ("count(distinct-values(//tei:persName/@ref))", ["3", "2", "3", "0"]),
    ("string-join(distinct-values(//tei:orgName/@ref), ' ')",
     ["#left-opposition #central-committee", "#first-international",
      "#poum #comintern", ""]),
    ("exists(//tei:quote) or count(//tei:p) > 5", ["false", "true", "false", "false"]),
    ("sum(//tei:p/@n) + count(//tei:head)", ["2", "1", "1", "1"]),
    ("count(distinct-values(//tei:text//tei:date/@when))", ["2", "2", "1", "0"]),
    ("distinct-values(//tei:persName/@ref)",
     ["#joseph-stalin", "#leon-trotsky", "#victor-serge", "#louise-michel", "#karl-marx",
      "#andreu-nin", "#george-orwell", "#leon-trotsky"]),
    ("exists(//tei:quote)", ["false", "true", "false", "false"]),
    ("empty(distinct-values(//tei:orgName/@ref))", ["false", "false", "false", "true"]),
])
def test_aggregates_over_paths_give_the_full_evaluation(
        settings: Settings, expression: str, values: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.xpath import evaluate, plans

    compiled = compile_query(expression)
    plan = plans.atom_plan(compiled.expression, compiled.namespaces)
    assert plan is not None
    assert (plan.native is not None) == (expression in IN_PYTHON)
    files = document_files(settings)
    planned = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    monkeypatch.setattr(evaluate, "atom_plan", lambda *_: None)
    full = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    assert [hit.value for hit in planned.hits] == values
    assert planned.hits == full.hits


@pytest.mark.parametrize("expression", [
    "string-join(//tei:persName/@ref, ' ')", "string-join(//tei:*/@n, ' ')",
    "count(//*/@xml:id)", "string-join(distinct-values(//*/@when), ',')",
    "sum(//tei:p/@n) + count(distinct-values(//tei:date/@when))"])
def test_attribute_values_from_the_attribute_map_give_the_full_evaluation(
        settings: Settings, expression: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.xpath import evaluate, plans

    compiled = compile_query(expression)
    plan = plans.atom_plan(compiled.expression, compiled.namespaces)
    assert plan is not None and all(plan.maps)  # every path read from the tree's map
    files = document_files(settings)
    planned = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    monkeypatch.setattr(evaluate, "atom_plan", lambda *_: None)
    full = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
    assert planned.count == full.count > 0
    assert planned.hits == full.hits


@pytest.mark.parametrize("expression", [
    "//tei:item[last()]", "//tei:p[position() > 1]", "//tei:p[1]",
    "//tei:persName[../@xml:id = 'p1']", "//tei:p[//tei:quote]", "count(//tei:p) + position()",
    "string-join(//tei:p/text())", "string-join(//tei:p ! string(.))"])
def test_expressions_that_look_outside_their_items_are_not_planned(expression: str) -> None:
    from archive.xpath.plans import atom_plan, filter_plan

    compiled = compile_query(expression)
    assert filter_plan(compiled.expression, compiled.namespaces) is None
    assert atom_plan(compiled.expression, compiled.namespaces) is None


def test_atomic_results_count_one_item_each(settings: Settings) -> None:
    result = run_query(settings, "//tei:date/@when ! substring(., 1, 4)")
    assert result.count == 8
    assert [(hit.doc, hit.value) for hit in result.hits] == [
        ("doc-left-opposition", "1997"), ("doc-left-opposition", "1923"),
        ("doc-left-opposition", "1917"), ("doc-paris-commune", "2009"),
        ("doc-paris-commune", "1871"), ("doc-paris-commune", "1871"),
        ("doc-spanish-revolution", "1998"), ("doc-spanish-revolution", "1936")]
    assert {(hit.kind, hit.target, hit.name, hit.context) for hit in result.hits} == {
        ("atomic", None, None, "")}
    assert not result.truncated


def test_element_hits_carry_target_and_context(settings: Settings) -> None:
    result = run_query(settings, "//tei:placeName[@ref = '#moscow']")
    assert result.hits == (
        Hit("doc-left-opposition", "p1", "element", "tei:placeName", "Moscow",
            "…orchestrated by Joseph Stalin engulfed Moscow, the dissidents of the Left "
            "Opposition…"),
        Hit("doc-left-opposition", "p2", "element", "tei:placeName", "Moscow",
            "…tral Committee; Leon Trotsky wrote from Moscow against the bureaucracy."),
        Hit("doc-spanish-revolution", "p3", "element", "tei:placeName", "Moscow",
            "In early May 1937 agents directed from Moscow by the Comintern hunted followers of Tr…"),
    )


@pytest.mark.parametrize(("expression", "expected"), [
    ("//tei:orgName[@ref = '#poum']/@ref",
     ("doc-spanish-revolution", "p1", "attribute", "ref", "#poum")),
    ("//tei:hi/text()", ("doc-left-opposition", "i2", "text", None, "triumphant")),
    ("//comment()", ("doc-spanish-revolution", "d1", "comment", None,
                     " a comment inside the body ")),
    ("/", ("doc-left-opposition", None, "document", None, None)),
    ("//tei:teiHeader//tei:title[1]/text()", ("doc-left-opposition", None, "text", None,
                                              "Left Opposition")),
    # a paragraph without xml:id is a passage: cited by its path from the division
    ("//tei:body//tei:p[not(@xml:id)]", ("doc-spanish-revolution", "d1.p4", "element", "tei:p",
                               "A paragraph without an identifier mentions Paris.")),
])
def test_kinds_of_hits(settings: Settings, expression: str, expected: tuple) -> None:
    hit = run_query(settings, expression).hits[0]
    value = None if hit.kind == "document" else hit.value
    assert (hit.doc, hit.target, hit.kind, hit.name, value) == expected


def test_text_hit_context_points_at_the_tail(settings: Settings) -> None:
    hits = run_query(settings, "//tei:p[@xml:id = 'p4']/text()[3]").hits
    assert [(hit.value, hit.context) for hit in hits] == [
        (" had lost the debate in ", "By late 1924 Trotsky had lost the debate in Leningrad.")]


def test_result_limit_stops_cleanly(settings: Settings) -> None:
    result = run_query(settings, "//tei:persName", limit=3)
    assert len(result.hits) == 3
    assert result.truncated
    assert result.message == ("query stopped at the result limit of 3 items: "
                              "1 of 3 documents searched")
    assert result.count == 5  # every item of the documents evaluated


def test_limit_reached_on_the_last_document_is_not_a_cut(settings: Settings) -> None:
    result = run_query(settings, "//tei:comment", limit=0)
    assert (result.count, result.truncated) == (0, False)


def test_time_limit_stops_cleanly(settings: Settings) -> None:
    result = run_query(settings, "//tei:p", timeout=0)
    assert result.truncated
    assert result.hits == ()
    assert result.message == ("query stopped at the time limit of 0 s: "
                              "0 of 4 documents searched")


@pytest.mark.parametrize(("expression", "message"), [
    ("//tei:p[", "XPath error XPST0003 at line 1, column 8: unexpected end of source"),
    ("//foo:p", "XPath error XPST0081 at line 1, column 6: prefix 'foo' is not declared"),
    ("unknown-fn(1)", "XPath error XPST0017 at line 1, column 1: unknown function 'unknown-fn'"),
    ("  ", "empty XPath expression"),
])
def test_static_errors_carry_code_and_position(settings: Settings, expression: str,
                                               message: str) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(settings, expression)
    assert str(caught.value) == message


def test_dynamic_error_names_the_document(settings: Settings) -> None:
    with pytest.raises(QueryError, match=r"^doc-left-opposition: XPath error FORG0001"):
        run_query(settings, "//tei:date[@when > 1900]")


@pytest.mark.parametrize("run", [run_query, evaluate_query], ids=["in a worker", "here"])
def test_query_errors_keep_code_and_position_as_attributes(settings: Settings, run) -> None:
    with pytest.raises(QueryError) as caught:  # through the worker's pipe as well
        run(settings, "//tei:p[", limit=10, timeout=10)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("XPST0003", 1, 8)
    with pytest.raises(QueryError) as caught:
        run(settings, "//tei:date[@when > 1900]", limit=10, timeout=10)
    assert caught.value.code == "FORG0001"
    with pytest.raises(QueryError) as caught:
        run(settings, "  ", limit=10, timeout=10)
    assert (caught.value.code, caught.value.line, caught.value.column) == (None, None, None)


def test_index_prunes_documents_that_cannot_match(settings: Settings) -> None:
    assert run_query(settings, "//tei:orgName[@ref = '#poum']").documents == 1
    assert run_query(settings, "//tei:quote").documents == 1
    assert run_query(settings, "count(//tei:quote)").documents == 4  # a value per document
    assert run_query(settings, "//tei:quote | //tei:lb").documents == 4


def test_a_changed_file_is_not_pruned_by_a_stale_index(settings: Settings) -> None:
    path = settings.tei_dir / "untitled_note.xml"
    path.write_text(path.read_text().replace("none of its notes", "<quote>none</quote> of"))
    result = run_query(settings, "//tei:quote")
    assert [hit.doc for hit in result.hits] == ["doc-paris-commune", "untitled_note"]


def test_prefixed_names_that_are_function_names_match(settings: Settings) -> None:
    # elementpath 5.1 left tei:head unbound (head() is a 3.0 function)
    compiled = dataclasses.replace(compile_query("//tei:head"), engine="elementpath")
    result = evaluate_files(compiled, document_files(settings), limit=100, timeout=60)
    assert result.count == 5


def test_extra_namespaces_are_bound(settings: Settings) -> None:
    result = run_query(settings, "count(//t:persName)",
                       namespaces={"t": "http://www.tei-c.org/ns/1.0"})
    assert [hit.value for hit in result.hits] == ["5", "3", "4", "0"]


def test_tree_cache_keeps_to_its_budget() -> None:
    cache = TreeCache(budget=(FIXTURES / "paris_commune.xml").stat().st_size * 9)
    cache.get(FIXTURES / "paris_commune.xml")
    cache.get(FIXTURES / "untitled_note.xml")
    assert cache.used <= cache.budget
    assert list(cache._entries) == [str(FIXTURES / "untitled_note.xml")]


def test_cli_json_shape(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "query",
                                      "//tei:orgName[@ref = '#poum']", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["query", "count", "hits", "elapsed_ms", "truncated"]
    assert data["hits"] == [
        {"doc": "doc-spanish-revolution", "target": "p1", "kind": "element",
         "name": "tei:orgName", "value": "POUM",
         "context": "…ers of Barcelona answered the coup; the POUM of Andreu Nin joined the "
                    "fighting."},
        {"doc": "doc-spanish-revolution", "target": "p2", "kind": "element",
         "name": "tei:orgName", "value": "POUM",
         "context": "…to 1939. George Orwell served with the POUM militia, and Juan Andrade "
                    "edited its pa…"}]
    assert (data["count"], data["truncated"]) == (2, False)


def test_cli_csv_and_limit_message(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "query",
                                      "//tei:orgName/@ref", "--format", "csv", "--limit", "1"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "doc,target,kind,name,value,context",
        'doc-left-opposition,p1,attribute,ref,#left-opposition,"…engulfed Moscow, the '
        'dissidents of the Left Opposition waged their final struggle."']
    assert result.stderr == ("archive: query stopped at the result limit of 1 items: "
                             "1 of 3 documents searched\n")


def test_cli_syntax_error_is_one_line(settings: Settings) -> None:
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "query", "//tei:p["])
    assert result.exit_code == 1
    assert result.stderr == ("archive: error: XPath error XPST0003 at line 1, column 8: "
                             "unexpected end of source\n")


# --- bounded queries: the worker is stopped, whatever the expression does ---------------------

def _heavy_document(settings: Settings) -> None:
    # 80 chains of 200 nested elements: lxml's //*//* alone takes half a minute on this file
    path = settings.tei_dir / "untitled_note.xml"
    chains = ("<hi>" * 200 + "x" + "</hi>" * 200) * 80
    path.write_text(path.read_text().replace("none of its notes", f"none {chains} of"))


@pytest.mark.parametrize(("expression", "engine"), [
    ("//*//*//*//*", "lxml"),  # inside libxml2's C code: only a kill stops it
    # 10^8 steps in elementpath, inside one function call: no check between items
    ("count(//tei:p) + count(for $a in 1 to 10000, $b in 1 to 10000 return $a * $b)",
     "elementpath"),
])
def test_a_query_passing_its_time_limit_is_stopped(settings: Settings, expression: str,
                                                   engine: str) -> None:
    _heavy_document(settings)
    started = time.perf_counter()
    result = run_query(settings, expression, timeout=2)
    elapsed = time.perf_counter() - started
    # (uncut, either runs far longer; the slack is for a busy machine: the worker killed and
    # a new one started)
    assert elapsed < 2 + 10
    assert result.truncated
    assert result.message is not None
    assert result.message.startswith("query stopped at the time limit of 2 s: ")
    assert result.engine == engine
    assert run_query(settings, "count(//tei:quote)").count == 4  # a new worker answers


def test_count_of_a_huge_range_is_stopped(settings: Settings) -> None:
    # elementpath evaluates constant expressions while parsing: the worker passes its memory
    # allowance at once, says so, and the next query gets a working worker
    started = time.perf_counter()
    with pytest.raises(QueryError, match="^query stopped: out of memory$"):
        run_query(settings, "count((1 to 10000000000))", timeout=2)
    assert time.perf_counter() - started < 2 + 10
    assert run_query(settings, "count(//tei:quote)").count == 4


def test_an_expression_longer_than_the_limit_is_refused(settings: Settings) -> None:
    expression = " or ".join(["//tei:p"] * 1500)
    with pytest.raises(QueryError) as caught:
        run_query(settings, expression)
    assert str(caught.value) == (f"XPath expression too long: {len(expression)} characters"
                                 f" (at most {MAX_EXPRESSION})")
    longest = f"string-length('{'a' * (MAX_EXPRESSION - 17)}')"
    values = [hit.value for hit in run_query(settings, longest).hits]
    assert values == [str(MAX_EXPRESSION - 17)] * 4


def test_an_expression_nested_too_deeply_is_an_error_not_a_crash(settings: Settings) -> None:
    with pytest.raises(QueryError, match="^query stopped: nested too deeply$"):
        run_query(settings, " or ".join(["//tei:p"] * 900))


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 6, 9, 12, 100])
def test_workers_sharing_a_query_give_the_result_of_one_pass(settings: Settings,
                                                             limit: int) -> None:
    for expression in ("//tei:persName", "//tei:p/@xml:id", "count(//tei:p)"):
        ours = run_query(settings, expression, limit=limit)
        one_pass = evaluate_query(settings, expression, limit=limit, timeout=60)
        assert (ours.count, ours.hits, ours.truncated, ours.message, ours.documents) == (
            one_pass.count, one_pass.hits, one_pass.truncated, one_pass.message,
            one_pass.documents)


def test_queries_from_several_threads_share_the_workers(settings: Settings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    expressions = ["count(//tei:persName)", "//tei:orgName[@ref = '#poum']", "//tei:quote"] * 4
    with ThreadPoolExecutor(6) as pool:
        counts = list(pool.map(lambda e: run_query(settings, e).count, expressions))
    assert counts == [4, 2, 1] * 4


# //NAME[@a = literal(s)]: answered from each tree's attribute map, with the item count over
# the fixture corpus and the crafted document below (ref on persName, placeName, orgName).
ATTRIBUTE_PLANNED = [
    ("//tei:placeName[@ref = '#moscow']", 3),
    ("//tei:persName[@ref = '#moscow']", 0),  # the value is on other elements only
    ("//*[@ref = '#paris']", 5),
    ("//tei:*[@ref = '#leon-trotsky']", 5),  # not on '#leon-trotsky ' (a space)
    ("//tei:p[@xml:id = 'p1']", 5),
    ("//*[@xml:id = 'p1']", 5),
    ("//*[@xml:id = 'no-such-id']", 0),
    ("//tei:persName[@ref = ('#karl-marx', '#leon-trotsky', '#karl-marx')]", 7),
    ("//*[('#poum', '#barcelona', '#paris') = @ref]", 9),
    ("//tei:title[@level = 'j']", 2),
    ("//tei:term[@type = \"kind\"]", 4),
    ("//tei:p[@n = ('x')]", 1),
    ("//tei:seg[@ana = ''] ", 1),  # an empty value
]

CRAFTED = """<TEI xmlns="http://www.tei-c.org/ns/1.0" xmlns:ex="urn:example">
  <teiHeader><fileDesc><titleStmt><title>Crafted</title></titleStmt>
    <publicationStmt><p>For the attribute plan.</p></publicationStmt>
    <sourceDesc><p>Written for a test.</p></sourceDesc></fileDesc></teiHeader>
  <text><body>
    <p xml:id="p1" n="x" ex:ref="#paris">Nested: <placeName ref="#paris">Paris, home of
      <orgName ref="#paris">the <persName ref="#paris">Commune</persName></orgName></placeName>
      and of <persName ref="#karl-marx" ex:ref="#paris">Marx</persName>.</p>
    <p xml:id="p9"><seg ana="">empty</seg> <seg ana=" ">blank</seg>
      <seg ref="#leon-trotsky">Trotsky</seg> <persName ref="#leon-trotsky ">not him</persName></p>
  </body></text>
</TEI>
"""


@pytest.fixture
def crafted(indexed_copy: Callable[..., Settings]) -> Settings:
    """The fixture corpus plus a document where one value sits on nested elements."""
    return indexed_copy({"zz_crafted.xml": CRAFTED})


@pytest.mark.parametrize(("expression", "count"), ATTRIBUTE_PLANNED)
def test_attribute_plan_gives_the_full_evaluation(crafted: Settings, expression: str,
                                                  count: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.xpath import evaluate
    from archive.xpath.attributes import attribute_plan

    compiled = compile_query(expression)
    assert attribute_plan(compiled.expression, compiled.namespaces) is not None
    files = document_files(crafted)
    cache = TreeCache()
    planned = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=cache)
    warm = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=cache)
    monkeypatch.setattr(evaluate, "attribute_plan", lambda *_: None)
    full = evaluate_files(dataclasses.replace(compiled, engine="elementpath"), files,
                          limit=10_000, timeout=60, cache=TreeCache())
    assert planned.count == count
    assert (planned.count, planned.hits) == (full.count, full.hits) == (warm.count, warm.hits)
    if compiled.engine == "lxml":
        lxml = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=TreeCache())
        assert (lxml.count, lxml.hits) == (planned.count, planned.hits)


@pytest.mark.parametrize("expression", [expression for expression, _ in ATTRIBUTE_PLANNED] + [
    "count(distinct-values(//tei:persName/@ref))", "string-join(//tei:*/@ref, ' ')",
    "count(//tei:persName[@ref = '#karl-marx'])"])
def test_trees_not_kept_are_queried_by_lxml_with_the_same_items(crafted: Settings,
                                                                expression: str) -> None:
    # a tree the cache does not keep (a scan larger than its budget) is not walked to build
    # an attribute map used once: lxml selects in it, with the items of the map's answer
    compiled = compile_query(expression)
    files = document_files(crafted)
    kept = TreeCache()
    mapped = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=kept)
    assert kept.misses == len(files) and len(kept._entries) == len(files)
    none_kept = TreeCache(budget=0)
    selected = evaluate_files(compiled, files, limit=10_000, timeout=60, cache=none_kept)
    assert (selected.count, selected.hits) == (mapped.count, mapped.hits)
    assert not none_kept._entries and none_kept.misses == len(files)
    # nor is a map built with it: its hits and values come from the map kept apart
    assert (none_kept._spare.attributes if none_kept._spare else {}) == {}


def test_attribute_plan_keeps_document_order_of_nested_elements(crafted: Settings) -> None:
    result = evaluate_query(crafted, "//*[@ref = ('#karl-marx', '#paris')]", limit=100,
                            timeout=60, cache=TreeCache())
    crafted_hits = [(hit.name, hit.value.split()[0]) for hit in result.hits
                    if hit.doc == "zz_crafted"]
    assert crafted_hits == [("tei:placeName", "Paris,"), ("tei:orgName", "the"),
                            ("tei:persName", "Commune"), ("tei:persName", "Marx")]


def test_attribute_plan_reads_namespaced_attributes(crafted: Settings) -> None:
    result = run_query(crafted, "//*[@ex:ref = '#paris']", namespaces={"ex": "urn:example"})
    assert [(hit.doc, hit.name, hit.target) for hit in result.hits] == [
        ("zz_crafted", "tei:p", "p1"), ("zz_crafted", "tei:persName", "p1")]


@pytest.mark.parametrize("expression", [
    "//tei:p[@n = 'x'][1]", "//tei:p[@n != 'x']", "//tei:p[@n = ()]", "//tei:p[@n = 1]",
    "/tei:TEI//tei:p[@n = 'x']", "//tei:p[@n = 'x']/@n", "//tei:p[@n = 'x' and @rend = 'y']",
    "//tei:p[@* = 'x']", "//tei:p[@n = ('x', 1)]", "//tei:p[@n = //tei:p/@rend]",
    "//node()[@n = 'x']"])
def test_other_expressions_get_no_attribute_plan(expression: str) -> None:
    from archive.xpath.attributes import attribute_plan

    compiled = compile_query(expression)
    assert attribute_plan(compiled.expression, compiled.namespaces) is None


def test_a_warm_tree_changed_in_place_answers_from_its_new_content(settings: Settings) -> None:
    cache = TreeCache()
    path = settings.tei_dir / "untitled_note.xml"
    expression = "//tei:p[@xml:id = 'p1']"
    before = evaluate_query(settings, expression, limit=100, timeout=60, cache=cache)
    path.write_text(path.read_text().replace(
        '<p xml:id="p1">This archive', '<p xml:id="p1">Now this archive'))
    after = evaluate_query(settings, expression, limit=100, timeout=60, cache=cache)
    fresh = evaluate_query(settings, expression, limit=100, timeout=60, cache=TreeCache())
    assert after.hits == fresh.hits != before.hits
    assert [hit.value for hit in after.hits if hit.doc == "untitled_note"] == [
        "Now this archive gathers essays on revolutions; none of its notes carries a date."]


# --- stamps between queries (inotify where Linux has it, else stats) -----------------------

def _quote_into_untitled_note(settings: Settings) -> None:
    path = settings.tei_dir / "untitled_note.xml"
    path.write_text(path.read_text().replace("none of its notes", "<quote>none</quote> of"))


@pytest.mark.parametrize("watched", [True, False], ids=["watched", "stat'ed"])
def test_a_file_written_between_two_queries_is_seen_by_the_next(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, watched: bool) -> None:
    from archive.xpath import tree_cache

    if not watched:
        monkeypatch.setattr(tree_cache, "_inotify", None)
    cache = TreeCache()
    before = evaluate_query(settings, "//tei:quote", limit=100, timeout=60, cache=cache)
    assert [hit.doc for hit in before.hits] == ["doc-paris-commune"]
    assert ((str(settings.tei_dir), os.getpid()) in tree_cache._WATCHED) == watched
    _quote_into_untitled_note(settings)  # in place: the folder itself does not change
    after = evaluate_query(settings, "//tei:quote", limit=100, timeout=60, cache=cache)
    assert [hit.doc for hit in after.hits] == ["doc-paris-commune", "untitled_note"]
    (settings.tei_dir / "untitled_note.xml").unlink()
    gone = evaluate_query(settings, "//tei:quote", limit=100, timeout=60, cache=cache)
    assert [hit.doc for hit in gone.hits] == ["doc-paris-commune"]


def test_a_watched_file_is_read_again_only_when_written(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.xpath import tree_cache

    folder = settings.tei_dir
    paths = [str(path) for path in sorted(folder.glob("*.xml"))]
    first = tree_cache.folder_stamps(folder, paths)
    stat_ed: list[str] = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *a, **k: stat_ed.append(str(path))
                        or real_stat(path, *a, **k))
    assert tree_cache.folder_stamps(folder, paths) == first
    assert stat_ed == []  # nothing was written: no stat at all
    _quote_into_untitled_note(settings)
    now = tree_cache.folder_stamps(folder, paths)
    assert stat_ed == [str(folder / "untitled_note.xml")]
    assert now == [(stat.st_mtime_ns, stat.st_size) for stat in map(real_stat, paths)] != first
    monkeypatch.setattr(tree_cache, "FULL_CHECK_EVERY", 0.0)  # after a while, all again
    tree_cache.folder_stamps(folder, paths)
    assert len(stat_ed) == 1 + len(paths)


def test_a_replaced_folder_is_watched_anew(settings: Settings) -> None:
    from archive.xpath import tree_cache

    folder = settings.tei_dir
    paths = [str(path) for path in sorted(folder.glob("*.xml"))]
    tree_cache.folder_stamps(folder, paths)
    copy = folder.with_name("tei-copy")
    shutil.copytree(folder, copy)
    shutil.rmtree(folder)
    copy.rename(folder)
    assert tree_cache.folder_stamps(folder, paths) == tree_cache.file_stamps(paths)
    _quote_into_untitled_note(settings)  # in the new folder: the old watch would not tell
    assert tree_cache.folder_stamps(folder, paths) == tree_cache.file_stamps(paths)


def test_a_binding_without_a_prefix_is_a_query_error() -> None:
    """lxml refuses an empty prefix with a TypeError: the caller gets a QueryError saying why."""
    with pytest.raises(QueryError, match="needs a prefix"):
        compile_query("//p", {"": "http://www.tei-c.org/ns/1.0"})
