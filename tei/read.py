"""Reading values out of TEI trees: text, header fields, tagged names and dates."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from .namespaces import NSMAP, TEI_LB, TEI_NS

_IDNO = etree.XPath("string(/tei:TEI/tei:teiHeader/tei:fileDesc/tei:publicationStmt"
                    "/tei:idno[@type='archive'])", namespaces=NSMAP)
_TITLE = etree.XPath("string(/tei:TEI/tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[1])",
                     namespaces=NSMAP)
_CHANGE_WHEN = etree.XPath(
    "string(/tei:TEI/tei:teiHeader/tei:revisionDesc/tei:change[last()]/@when)", namespaces=NSMAP)


def text_of(element: etree._Element) -> str:
    """The characters of an element, markup removed; ``<lb/>`` counts as a newline.

    Comments and processing instructions are not text.
    """
    parts: list[str] = []
    _collect(element, parts)
    return "".join(parts)


def text_positions(element: etree._Element) -> dict[etree._Element, tuple[int, int]]:
    """Where each element inside ``element`` (itself included) starts and ends in its
    :func:`text_of`, in characters: the offsets tag edits take and the reading view marks."""
    found: dict[etree._Element, tuple[int, int]] = {}
    position = 0

    def walk(node: etree._Element) -> None:
        nonlocal position
        start = position
        if node.tag == TEI_LB:
            position += 1
        elif isinstance(node.tag, str) and node.text:
            position += len(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                position += len(child.tail)
        found[node] = (start, position)

    walk(element)
    return found


def _collect(element: etree._Element, parts: list[str]) -> None:
    if element.tag == TEI_LB:
        parts.append("\n")
    elif isinstance(element.tag, str) and element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def document_id(tree: etree._ElementTree) -> str:
    """The archive id from ``publicationStmt/idno[@type='archive']`` ('' when absent)."""
    return str(_IDNO(tree))


def document_title(tree: etree._ElementTree) -> str:
    return str(_TITLE(tree))


def last_change_date(tree: etree._ElementTree) -> str:
    """``@when`` of the last ``revisionDesc/change`` ('' when absent)."""
    return str(_CHANGE_WHEN(tree))


def iter_elements(root: etree._Element, local_names: frozenset[str]) -> Iterator[etree._Element]:
    """TEI elements of the given local names, in document order."""
    tags = [f"{{{TEI_NS}}}{name}" for name in sorted(local_names)]
    return root.iter(*tags)
