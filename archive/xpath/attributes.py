"""Attribute-equality queries answered from a per-tree map, like BaseX's attribute index.

``//NAME[@a = 'x']``, ``//NAME[@a = ('x', 'y')]`` and ``//*[@a = 'x']`` (also with the
operands swapped, and ``tei:*``) select the elements of the document that carry attribute
``a`` with one of the literal values. Rather than walking the tree for each query, the worker
keeps, per cached tree and per attribute name asked for, the elements carrying that attribute
grouped by value, in document order (:func:`attribute_map`, held by
:class:`archive.xpath.TreeCache` and dropped with the tree). A general comparison of an
attribute with strings compares string values (an attribute is ``xs:untypedAtomic`` in 3.1, a
string in 1.0), so the selected elements are exactly those of a full evaluation, in the same
order (tested against both engines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import Any

from lxml import etree

from .parse import parse

#: The elements carrying one attribute: by value, then by tag, each with its rank in document
#: order, so that ``//NAME[@a = 'x']`` is two dictionary lookups.
AttributeMap = dict[str, dict[str, list[tuple[int, Any]]]]


@dataclass(frozen=True)
class AttributePlan:
    """``//NAME[@attribute = values]``: the elements found from the tree's attribute map."""

    attribute: str  # Clark name
    values: tuple[str, ...]  # distinct, as written
    tag: str | None  # Clark name of the elements; None for any element
    namespace: str | None = None  # for ``prefix:*``: the elements' namespace URI

    def select(self, found: AttributeMap) -> list[Any]:
        """The matching elements in document order.

        :param found: the tree's map of :attr:`attribute` (see :func:`attribute_map`).
        """
        if self.tag is not None and len(self.values) == 1:
            by_tag = found.get(self.values[0])
            return [element for _, element in by_tag.get(self.tag, ())] if by_tag else []
        return [element for _, (_, element) in self.chosen(found)]

    def chosen(self, found: AttributeMap) -> list[tuple[str, tuple[int, Any]]]:
        """(tag, (rank, what the map holds)) of the matching elements, in document order
        (a map kept apart from its tree holds their hit fields, or None: see
        :meth:`archive.xpath.TreeCache.attribute_hits`)."""
        ranked = [(tag, pair) for value in self.values
                  for tag, pairs in found.get(value, {}).items() if self.selects_tag(tag)
                  for pair in pairs]
        ranked.sort(key=_chosen_rank)  # one element has one value and one tag: no duplicates
        return ranked

    def selects_tag(self, tag: str) -> bool:
        """Whether the elements chosen may be named ``tag`` (Clark)."""
        if self.tag is not None:
            return tag == self.tag
        return self.namespace is None or tag.startswith(f"{{{self.namespace}}}")


@dataclass(frozen=True)
class AttributeValuesPlan:
    """``//NAME/@attribute``: the attribute's values in document order, from the tree's map."""

    attribute: str  # Clark name
    test: AttributePlan  # the elements (its values unused)

    def values(self, found: AttributeMap) -> list[str]:
        """:param found: the tree's map of :attr:`attribute`."""
        tag = self.test.tag
        ranked = [(rank, value) for value, by_tag in found.items()
                  for rank, _ in by_tag.get(tag, ())] if tag is not None else [
            (rank, value) for value, by_tag in found.items()
            for name, pairs in by_tag.items() if self.test.selects_tag(name) for rank, _ in pairs]
        ranked.sort(key=_rank)  # one value per element: ranks are distinct
        return [value for _, value in ranked]

    @cached_property
    def key(self) -> str:
        """What the plan reads, as a name (the attribute, and the elements' name or
        namespace)."""
        return f"{self.attribute} {self.test.tag or self.test.namespace or '*'}"


def _rank(pair: tuple[int, Any]) -> int:
    return pair[0]


def _chosen_rank(chosen: tuple[str, tuple[int, Any]]) -> int:
    return chosen[1][0]


def attribute_map(tree: etree._ElementTree, attribute: str) -> AttributeMap:
    """The elements of ``tree`` carrying ``attribute`` (a Clark name), by value and tag."""
    qname = etree.QName(attribute)
    found: AttributeMap = {}
    carrying = _carrying(qname.localname) if not qname.namespace \
        and _NAME.fullmatch(qname.localname) else partial(
        _CARRYING, local=qname.localname, uri=qname.namespace or "")
    for rank, element in enumerate(carrying(tree)):
        by_tag = found.setdefault(element.get(attribute), {})
        by_tag.setdefault(element.tag, []).append((rank, element))
    return found


#: The elements carrying an attribute: libxml2 walks the tree, Python sees only those.
_CARRYING = etree.XPath("//*[@*[local-name() = $local and namespace-uri() = $uri]]")


#: A name written as it is in an XPath step (the others are tested by _CARRYING).
_NAME = re.compile(r"[^\W\d][\w.-]*")


@lru_cache(maxsize=64)
def _carrying(local: str) -> etree.XPath:
    # the same for an attribute in no namespace, named (twice as fast as the test of each
    # attribute's name by functions)
    return etree.XPath(f"//*[@{local}]")


@lru_cache(maxsize=256)
def attribute_plan(expression: str,
                   namespaces: tuple[tuple[str, str], ...]) -> AttributePlan | None:
    """The plan of ``//NAME[@a = literal(s)]``, or None for any other expression."""
    if "" in dict(namespaces):
        return None  # a default element namespace: unprefixed names would need it
    top = parse(expression, namespaces)
    if top.symbol != "//" or top.label != "operator" or len(top) != 1:
        return None
    step = top[0]
    if step.symbol != "[" or step.label != "operator":
        return None
    test, predicate = step[0], step[1]
    if predicate.symbol != "=" or predicate.label != "operator":
        return None
    for attribute, literals in ((predicate[0], predicate[1]), (predicate[1], predicate[0])):
        name = attribute_name(attribute, namespaces)
        values = _strings(literals)
        if name is not None and values:
            return _with_test(test, name, tuple(dict.fromkeys(values)), namespaces)
    return None


def attribute_values_plan(path: Any, namespaces: tuple[tuple[str, str], ...],
                          ) -> AttributeValuesPlan | None:
    """The plan of the parsed path ``//NAME/@a`` (also ``//*/@a``, ``//prefix:*/@a``), or None
    for any other."""
    if "" in dict(namespaces) or path.symbol != "/" or path.label != "operator" \
            or len(path) != 2:
        return None
    elements, attribute = path
    if elements.symbol != "//" or elements.label != "operator" or len(elements) != 1:
        return None
    name = attribute_name(attribute, namespaces)
    test = None if name is None else _with_test(elements[0], name, (), namespaces)
    return None if test is None else AttributeValuesPlan(test.attribute, test)


def _with_test(test: Any, attribute: str, values: tuple[str, ...],
               namespaces: tuple[tuple[str, str], ...]) -> AttributePlan | None:
    if test.symbol == "*" and test.label == "wildcard symbol":
        return AttributePlan(attribute, values, None)
    if test.symbol == "(name)" and test.label == "name":
        return AttributePlan(attribute, values, str(test.value))
    if test.symbol == ":" and test.label == "symbol" and len(test) == 2 \
            and test[0].symbol == "(name)":
        uri = dict(namespaces).get(test[0].value)
        if uri is None:
            return None
        if test[1].symbol == "(name)":
            return AttributePlan(attribute, values, f"{{{uri}}}{test[1].value}")
        if test[1].symbol == "*":
            return AttributePlan(attribute, values, None, uri)
    return None


def attribute_name(token: Any, namespaces: tuple[tuple[str, str], ...]) -> str | None:
    """``@a`` or ``@prefix:a`` as a Clark name (unprefixed attributes are in no namespace);
    None for anything else."""
    if token.symbol != "@" or len(token) != 1:
        return None
    name = token[0]
    if name.symbol == "(name)":
        return str(name.value)
    if name.symbol == ":" and len(name) == 2 and name[0].symbol == "(name)" \
            and name[1].symbol == "(name)":
        uri = dict(namespaces).get(name[0].value)
        return f"{{{uri}}}{name[1].value}" if uri else None
    return None


def _strings(token: Any) -> list[str] | None:
    # 'x', ('x'), ('x', 'y', ...): string literals only
    if token.symbol == "(string)":
        return [str(token.value)]
    if token.symbol == "(" and token.label == "expression" and len(token) == 1:
        return _strings(token[0])
    if token.symbol == "," and token.label == "operator":
        left, right = _strings(token[0]), _strings(token[1])
        return left + right if left is not None and right is not None else None
    return None
