"""Work a rebuild's workers do once that they did for each facet or each document (issue 21:
index builds on two cores): facets of one path select its items once a document, and each
document's texts are deflated by a copy of one deflater holding the preset dictionary."""

from __future__ import annotations

import zlib
from pathlib import Path

from archive.config import Settings
from archive.index.facets import _map_plan, facet_values, load_facets
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
from tei.parse import parse_tei

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"


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

