"""Facet values computed by archive.xpath.values' closures agree with elementpath's evaluation.

Each expression of the table runs on documents holding one ``<date>`` each, with attribute
values chosen at the edges (negative and short years, spaces, junk, missing and empty
attributes): once as a facet (closures, or elementpath where they step aside) and once by
elementpath on the whole document. Values, or the fact of an error, must be the same.
"""

from __future__ import annotations

import pytest
from lxml import etree

from archive.errors import QueryError
from archive.index.facets import DEFAULT_FACETS, Facet, _map_plan, _read, _strings, facet_values
from archive.xpath.compile import compile_query
from archive.xpath.evaluate import evaluate_tree
from tei.namespaces import TEI_NS

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
    first = plan.values(document({"from": "1817", "to": "1819"}))
    remembered = len(plan.memo)
    tree = document({"from": "1817", "to": "1819", "resp": "#me",
                     "{http://www.w3.org/XML/1998/namespace}id": "d9"})
    tree.getroot().find(f".//{{{TEI_NS}}}date").text = "other words"
    assert plan.values(tree) == first == ["1817", "1818", "1819"]
    assert len(plan.memo) == remembered
