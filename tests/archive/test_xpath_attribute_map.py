"""A tree's map of one attribute: the elements carrying it, in document order, whatever the way
libxml2 is asked for them (by name for an attribute in no namespace)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from archive.xpath.attributes import attribute_map
from tei.namespaces import XML_NS

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.mark.parametrize("attribute", ["ref", "when", "type", f"{{{XML_NS}}}id",
                                       f"{{{XML_NS}}}lang", "absent"])
def test_the_map_holds_every_element_carrying_the_attribute_in_order(attribute: str) -> None:
    for path in sorted(CORPUS.glob("*.xml")):
        tree = etree.parse(str(path))
        found = attribute_map(tree, attribute)
        ranked = sorted((rank, value, tag, element) for value, by_tag in found.items()
                        for tag, pairs in by_tag.items() for rank, element in pairs)
        carrying = [element for element in tree.iter() if element.get(attribute) is not None]
        assert [element for *_, element in ranked] == carrying
        assert all(value == element.get(attribute) and tag == element.tag
                   for _, value, tag, element in ranked)
