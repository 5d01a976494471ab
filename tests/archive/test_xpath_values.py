"""Facet values computed by archive.xpath.values' closures agree with elementpath's evaluation.

The second half: expressions of an element in its tree (paths run by lxml, the ancestor axis
too), on real documents (the editions' fixtures, and the shared samples where present).

Each expression of the table runs on documents holding one ``<date>`` each, with attribute
values chosen at the edges (negative and short years, spaces, junk, missing and empty
attributes): once as a facet (closures, or elementpath where they step aside) and once by
elementpath on the whole document. Values, or the fact of an error, must be the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from archive.errors import QueryError
from archive.index.facets import DEFAULT_FACETS, Facet, _map_plan, _read, _strings, facet_values
from archive.xpath.compile import compile_query
from archive.xpath.evaluate import evaluate_tree
from tei.errors import TeiError
from tei.namespaces import TEI_NS
from tei.parse import parse_bytes

SHIPPED = {facet.name: facet.xpath for facet in _read(DEFAULT_FACETS)}

ATTRIBUTES = [
    {"when": "1924"}, {"when": "1924-05-03"}, {"when": "-0044"}, {"when": "0999-12"},
    {"when": " 1924 "}, {"when": ""}, {"when": "abcd"}, {"when": "19x4"}, {"when": "+1924"},
    {"from": "1917", "to": "1921"}, {"from": "1921", "to": "1917"}, {"notBefore": "1899-01"},
    {"notBefore": "1898", "notAfter": "1902-06-30"}, {"to": "1930"}, {"from": "1917"},
    {"from": "abc", "to": "1920"}, {"when": "١٩٢٤"}, {},
]

#: (expression, whether the closures take it)
EXPRESSIONS = [
    (SHIPPED["year"], True),
    (SHIPPED["decade"], True),
    ("//tei:date ! string(@when)", True),
    ("//tei:date ! (if (@when) then 'attribute' else 'none')", True),
    ("//tei:date ! (if (string(@when)) then 'full' else 'empty')", True),
    ("//tei:date ! concat(@when, '/', @to, 7)", True),
    ("//tei:date ! substring(@when, 0, 3)", True),
    ("//tei:date ! substring(@when, 6)", True),
    ("//tei:date ! substring(@when, -1, 3)", True),
    ("//tei:date ! xs:integer(@when)", True),
    ("//tei:date ! (@when, @from, 'none')[2]", True),
    ("//tei:date ! (@when, @from)[0]", True),
    ("//tei:date ! (@from to @to)", True),
    ("//tei:date ! (matches(@when, '^\\d{4}$') or @from)", True),
    ("//tei:date ! (matches(@when, '^-') and @when)", True),
    ("//tei:date ! normalize-space(@when)", True),
    ("//tei:date ! (@when ! concat(., 's'))", True),
    ("//tei:date ! (@when ! normalize-space())", True),
    ("//tei:date ! (let $y := xs:integer(substring(@when, 1, 4)) return $y to $y + 1)", False),
    ("//tei:date ! matches(xs:integer(@when), '1')", True),
    ("//tei:date ! string(.)", False),
    ("//tei:date ! @xml:id", False),
]


def document(attributes: dict[str, str]) -> etree._ElementTree:
    root = etree.fromstring(f'<TEI xmlns="{TEI_NS}"><text><body><p>On '
                            "<date>a day</date>.</p></body></text></TEI>")
    date = root.find(f".//{{{TEI_NS}}}date")
    for name, value in attributes.items():
        date.set(name, value)
    return etree.ElementTree(root)


def outcome(run) -> list[str] | str:  # noqa: ANN001 - a function of no arguments
    try:
        return list(dict.fromkeys(run()))
    except QueryError:
        return "error"


@pytest.mark.parametrize(("expression", "native"), EXPRESSIONS)
def test_closures_agree_with_elementpath(expression: str, native: bool) -> None:
    plan = _map_plan(expression, "document")
    assert plan is not None and (plan.native is not None) == native
    facet = Facet("test", "Test", "document", expression)
    compiled = compile_query(expression)
    for attributes in ATTRIBUTES:
        tree = document(attributes)
        fast = outcome(lambda: [v for _, _, v in facet_values((facet,), tree, "test.xml")])
        full = outcome(lambda: list(_strings(evaluate_tree(compiled, tree))))
        assert fast == full, (expression, attributes)


def test_remembered_per_values_of_the_attributes_read() -> None:
    # the same values of the attributes the expression reads give the same values, whatever
    # else the element holds (its words, an xml:id): remembered once
    plan = _map_plan(SHIPPED["year"], "document")
    assert plan.native.attributes == ("from", "notAfter", "notBefore", "to", "when")
    first = plan.values(document({"from": "1817", "to": "1819"}), {})
    remembered = len(plan.memo)
    tree = document({"from": "1817", "to": "1819", "resp": "#me",
                     "{http://www.w3.org/XML/1998/namespace}id": "d9"})
    tree.getroot().find(f".//{{{TEI_NS}}}date").text = "other words"
    assert plan.values(tree, {}) == first == ["1817", "1818", "1819"]
    assert len(plan.memo) == remembered


# --- expressions of an element in its tree: paths run by lxml (archive.xpath.compile_nodes) ----

EDITIONS = Path(__file__).resolve().parents[1] / "fixtures" / "editions"

#: A document at the edges of the node expressions: an author whose name holds an idno, a ptr
#: and a note, one with only a name, one with nothing but text; names inside a note (the
#: ancestor axis looks outside the element); an empty attribute; a comment.
EDGES = f"""<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>T</title>
<author><persName>Mary <hi>Russell</hi>  Mitford<idno>VIAF 1</idno></persName>
  <note>a note</note></author>
<author>Jane <ptr target="#x"/>Austen<note>born 1775</note><idno>2</idno></author>
<author><name>A.<!-- c --> N. Other</name><persName>Not this</persName></author>
<author/></titleStmt>
<publicationStmt><p/></publicationStmt>
<sourceDesc><bibl><title level="j"> The  Times </title><publisher>P</publisher></bibl>
<bibl><publisher>Only a publisher</publisher></bibl><bibl/></sourceDesc></fileDesc>
<profileDesc><textClass><keywords><term type="kind"> letter </term><term type="kind"/>
</keywords></textClass></profileDesc></teiHeader>
<text><body><p>By <persName ref="#a" type="">Ann <hi>B.</hi></persName> on
<date when="1900">a day</date>.<note>See <persName>Carl</persName>, <date when="1901"/>.</note>
</p><p><hi>first</hi> then <hi>second</hi></p></body></text></TEI>"""

#: (expression, whether compile_nodes takes it)
NODE_EXPRESSIONS = [
    (SHIPPED["author"], True),
    (SHIPPED["publication"], True),
    (SHIPPED["kind"], True),
    ("//tei:persName ! string-join(.//text()[not(ancestor::tei:note)], '|')", True),
    ("//tei:persName ! string-join(text(), '|')", True),
    ("//tei:p ! normalize-space(string-join((tei:hi, .)[1]//text(), ' '))", True),
    ("//tei:author ! (tei:persName, tei:name, 'none')[1]", True),
    ("//tei:author ! (tei:name, tei:persName)", True),
    ("//tei:date ! (if (ancestor::tei:note) then 'in a note' else string(@when))", True),
    ("//tei:persName ! ../@type", True),
    ("//tei:persName ! (@type, tei:hi, 'none')[2]", True),
    ("//tei:p ! (tei:persName, tei:hi)//text()", True),  # several nodes: elementpath decides
    ("//tei:p ! concat(tei:hi[1], '+', tei:hi[2])", True),
    ("//tei:bibl ! matches(tei:title, 'Times')", True),
    ("//tei:p ! count(.//tei:persName)", False),
    ("//tei:persName ! string-join(ancestor::*/local-name(), '/')", False),
]


@pytest.fixture(scope="module")
def node_documents(request: pytest.FixtureRequest) -> list[etree._ElementTree]:
    """The edges above, the editions' fixtures, and the shared samples where present."""
    paths = sorted(EDITIONS.rglob("*.xml"))
    try:  # real files of other projects
        paths += sorted(request.getfixturevalue("tei_samples").glob("*.xml"))
    except pytest.skip.Exception:
        pass  # not here: the fixtures alone (under CI the fixture fails instead)
    trees = [etree.ElementTree(etree.fromstring(EDGES))]
    for path in paths:
        try:
            trees.append(parse_bytes(path.read_bytes(), str(path)))
        except TeiError:
            continue  # the fixtures of bad input (not TEI, a billion laughs)
    return trees


@pytest.mark.parametrize(("expression", "compiled"), NODE_EXPRESSIONS)
def test_node_expressions_agree_with_elementpath(
        expression: str, compiled: bool, node_documents: list[etree._ElementTree]) -> None:
    plan = _map_plan(expression, "document")
    assert (plan is not None and plan.nodes is not None) == compiled
    facet = Facet("test", "Test", "document", expression)
    # elementpath 5.1 gives E//text() grouped by parent, not in document order (see
    # test_text_nodes_come_in_document_order): it is asked the same with the descendant axis
    whole = compile_query(expression.replace("//text()", "/descendant::text()"))
    assert whole.engine == "elementpath"  # (else this compares lxml with itself)
    found = 0
    for tree in node_documents:
        fast = outcome(lambda tree=tree: [
            v for _, _, v in facet_values((facet,), tree, "test.xml")])
        full = outcome(lambda tree=tree: list(_strings(evaluate_tree(whole, tree))))
        assert fast == full, (expression, tree.docinfo.URL)
        found += len(full)
    assert found  # the table's expressions select something in these documents


def test_shipped_facets_build_no_elementpath_tree(
        node_documents: list[etree._ElementTree], monkeypatch: pytest.MonkeyPatch) -> None:
    # every shipped facet runs in lxml (and Python closures): the index build never makes
    # elementpath's node tree of a document (which cost more than all the rest of a facet)
    import elementpath

    built: list[object] = []
    real = elementpath.get_node_tree
    monkeypatch.setattr(elementpath, "get_node_tree",
                        lambda *args, **kwargs: built.append(args) or real(*args, **kwargs))
    facets = tuple(_read(DEFAULT_FACETS))
    values = [facet_values(facets, tree, "test.xml") for tree in node_documents]
    assert any(facet == "author" for rows in values for facet, _, _ in rows)
    assert built == []


def test_text_nodes_come_in_document_order() -> None:
    # a name with markup inside: its words in the order they are written (elementpath 5.1,
    # which evaluated the author facet before, gave "Mary Mitford Russell": E//text() grouped
    # by parent, where XPath's path operator gives document order)
    tree = etree.ElementTree(etree.fromstring(EDGES))
    facet = next(facet for facet in _read(DEFAULT_FACETS) if facet.name == "author")
    assert [value for _, _, value in facet_values((facet,), tree, "test.xml")] == [
        "Mary Russell Mitford", "Jane Austen", "Not this"]
