"""Canonical output: UTF-8, one declaration, stable two-space indentation of structure only.

Only element-only containers (header parts, ``body``, ``div``, ``list``, registry lists, ...)
are indented. Elements that may hold text (``p``, ``head``, ``item``, names, dates, ...) are
written exactly as they are, so indentation never adds a character to the text.
Serialising the same tree twice gives the same bytes.
"""

from __future__ import annotations

from lxml import etree

from .namespaces import TEI_NS

# TEI elements whose content is mixed (text may stand beside elements): never reindented.
MIXED = frozenset(
    f"{{{TEI_NS}}}{name}"
    for name in (
        "p ab head item label bibl quote q hi ref lb title author editor publisher pubPlace "
        "resp name persName placeName orgName date idno biblScope licence language change term "
        "note l cell forename surname roleName addName geo country settlement region desc "
        "catDesc distributor authority edition extent measure num rs said signed salute "
        "dateline trailer byline docAuthor docTitle titlePart foreign emph mentioned soCalled "
        "gloss term unclear sic corr orig reg abbr expan add del gap seg w pc occupation "
        "birth death floruit affiliation event age sex residence nationality faith education "
        "state trait location placeName offset district bloc label"
    ).split()
)

_INDENT = "  "


def indent(element: etree._Element, level: int = 0) -> None:
    """Reindent element-only containers in place (see module docstring)."""
    children = [child for child in element if isinstance(child.tag, str)]
    if not children or element.tag in MIXED or not _only_whitespace(element):
        return
    element.text = "\n" + _INDENT * (level + 1)
    for child in element:
        child.tail = "\n" + _INDENT * (level + 1)
        if isinstance(child.tag, str):
            indent(child, level + 1)
    element[-1].tail = "\n" + _INDENT * level


def _only_whitespace(element: etree._Element) -> bool:
    if element.text and element.text.strip():
        return False
    return all(not (child.tail and child.tail.strip()) for child in element)


def serialize(tree: etree._ElementTree | etree._Element, *, reindent: bool = True) -> bytes:
    """Serialise a tree canonically.

    :param tree: the document (its root is copied before reindenting, the input stays as is).
    :param reindent: indent structure; False keeps every whitespace as found (imported TEI).
    :return: UTF-8 bytes with an XML declaration and a final newline.
    """
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    if reindent:
        root = _copy(root)
        indent(root)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def _copy(root: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(root))
