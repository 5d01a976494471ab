"""Work a rebuild's workers do once that they did for each facet or each document (issue 21:
index builds on two cores): facets of one path select its items once a document, and each
document's texts are deflated by a copy of one deflater holding the preset dictionary; work
they leave undone: a passage facet is evaluated only on the leaves holding what it selects."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from lxml import etree

from archive.config import Settings
from archive.errors import QueryError
from archive.index import facets as facets_module
from archive.index.facets import Facet, _map_plan, _selected_names, facet_values, load_facets
from archive.index.rows import extract
from archive.index.texts import (
    _LEVEL,
    _RAW,
    _packer,
    _serialise,
    make_dictionary,
    pack_texts,
    unpack_texts,
)
from tei.errors import TeiError
from tei.namespaces import TEI_NS
from tei.parse import parse_tei

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIXTURES / "corpus"


def test_facets_of_one_path_select_its_items_once_with_the_values_of_each_alone(
        tmp_path: Path) -> None:
    facets = load_facets(Settings(data_dir=tmp_path))
    dated = [facet for facet in facets if facet.name in ("year", "decade")]
    plans = [_map_plan(facet.xpath, facet.level) for facet in dated]
    assert plans[0] is not None and plans[1] is not None
    assert plans[0].left is plans[1].left  # (the shipped year and decade share their path)
    seen = 0
    for path in sorted(CORPUS.glob("*.xml")):
        tree = parse_tei(path)
        selected: dict[tuple[object, object], list[object]] = {}
        years, decades = (plan.values(tree, selected) for plan in plans)
        assert list(selected) == [(plans[0].left, tree)]  # one evaluation of the path
        seen += len(selected[(plans[0].left, tree)])
        assert years == plans[0].values(tree, {})
        assert decades == plans[1].values(tree, {})
        # the document's rows are those of each facet evaluated alone, in the same order
        assert facet_values(facets, tree, str(path)) == [
            row for facet in facets for row in facet_values((facet,), tree, str(path))]
    assert seen > 0  # (the fixtures hold dates)


def test_each_documents_texts_deflate_as_with_a_new_deflater() -> None:
    documents = [[(text, words) for _, _, text, _, _, words in
                  extract(path, path.read_bytes(), ()).passages]
                 for path in sorted(CORPUS.glob("*.xml"))]
    dictionary = make_dictionary(documents[:2])
    assert dictionary
    for chosen in (dictionary, b""):
        for texts in documents + documents[:1]:  # (again: nothing is carried over)
            packed = pack_texts(texts, chosen)
            fresh = zlib.compressobj(_LEVEL, zlib.DEFLATED, _RAW, zlib.DEF_MEM_LEVEL,
                                     zlib.Z_DEFAULT_STRATEGY, chosen)
            assert packed == fresh.compress(_serialise(texts)) + fresh.flush()
            assert unpack_texts(packed, chosen) == texts
        assert _packer(chosen) is _packer(chosen)  # made once a dictionary


#: Passage facets: (expression, the names of what it selects below a leaf; None: not known, so
#: evaluated on every leaf).
PASSAGE_EXPRESSIONS = [
    (".//tei:persName | .//tei:rs[@type = 'person']", {"persName", "rs"}),  # (shipped)
    (".//tei:date ! string(@when)", {"date"}),
    ("self::tei:p ! 'a paragraph'", {"p"}),  # the leaf itself
    ("tei:persName/tei:forename", {"forename"}),
    (".//tei:persName[xs:integer(@ref) > 0]", {"persName"}),  # fails where there is one
    (".//tei:placeName ! xs:integer(.)", {"placeName"}),  # fails where there is one
    (".//tei:persName[xs:integer(@ref) > 0]/tei:surname", None),  # fails before its last step
    (".//tei:*", None),
    ("ancestor::tei:div ! 'in a div'", None),
    (".//tei:persName/@ref", None),
]


@pytest.fixture(scope="module")
def fixture_trees() -> list[etree._ElementTree]:
    trees = []
    for path in sorted(FIXTURES.rglob("*.xml")):
        try:
            trees.append(parse_tei(path))
        except TeiError:
            continue  # the fixtures of bad input
    return trees


@pytest.mark.parametrize(("expression", "names"), PASSAGE_EXPRESSIONS)
def test_passage_facets_are_evaluated_on_the_leaves_holding_what_they_select(
        expression: str, names: set[str] | None, fixture_trees: list[etree._ElementTree],
        monkeypatch: pytest.MonkeyPatch) -> None:
    found = _selected_names(expression)
    assert found == (None if names is None else {f"{{{TEI_NS}}}{name}" for name in names})
    facets = (Facet("test", "Test", "passage", expression),
              Facet("test_refs", "Test", "passage", expression, refs=True))

    def outcome(tree: etree._ElementTree) -> list[tuple[str, str | None, str]] | str:
        try:
            return facet_values(facets, tree, "test.xml")
        except QueryError as error:
            return str(error)

    chosen = [outcome(tree) for tree in fixture_trees]
    monkeypatch.setattr(facets_module, "_selected_names", lambda _: None)  # every leaf
    assert chosen == [outcome(tree) for tree in fixture_trees]
    assert any(chosen)  # values, or the error, somewhere
