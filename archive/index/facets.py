"""Declared facets (see :mod:`archive.index.declared`): XPath expressions in TOML, evaluated on
each document at index time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import elementpath
from lxml import etree

from tei.namespaces import NSMAP
from tei.passages import Passage, passages

from ..config import Settings
from ..errors import QueryError
from ..registry import ENTRY_ELEMENTS, PLAIN_REFS, DocumentRefs, Registry
from ..xpath import (
    OUTWARD_FUNCTIONS,
    Unsupported,
    any_name_test,
    classify,
    compile_nodes,
    compile_query,
    compile_value,
    evaluate_tree,
    lxml_safe,
    name_test,
    parse_expression,
    stays_inside,
    walk_tokens,
)
from .declared import DEFAULT_FACETS as DEFAULT_FACETS
from .declared import FACETS_FILE as FACETS_FILE
from .declared import LEVELS as LEVELS
from .declared import Facet as Facet
from .declared import facets_signature as facets_signature
from .declared import load_facets as load_facets
from .declared import read_declarations
from .workers import work_step

_read = read_declarations  # (its name here before the declarations had their module)


def leaf_passages(root: etree._Element) -> list[Passage]:
    """The passages that hold no other passage (see :mod:`tei.passages`), in document order."""
    return [passage for passage in passages(root) if passage.leaf]


def facet_values(facets: tuple[Facet, ...], tree: etree._ElementTree, path: str,
                 refs: DocumentRefs | None = None, leaves: list[Passage] | None = None,
                 ) -> list[tuple[str, str | None, str]]:
    """Every (facet, passage address or None, value) of one document, duplicates dropped.

    :param refs: how this document's pointers resolve (facets declared ``refs = true``).
    :param leaves: the :func:`leaf_passages` of the tree, when the caller has them.
    :raise QueryError: a facet's expression fails on this document (named in the message).
    """
    rows: dict[tuple[str, str | None, str], None] = {}
    # most documents hold no list entry: then no name needs its ancestors looked at
    listed = next(tree.getroot().iter(*ENTRY_ELEMENTS), None) is not None
    keys: dict[etree._Element, list[str]] = {}  # each name's, once (person, passage_person)
    nodes = None
    selected: dict[tuple[Any, Any], list[Any]] = {}  # the items of each plan's path, once
    holding: dict[frozenset[str], list[Passage]] = {}  # the leaves holding these names, once
    contexts: list[Passage] = []
    for facet in facets:
        work_step(facet.name)  # what a worker's report names if this facet runs too long
        compiled = facet.compiled()
        plan = None if facet.refs else _map_plan(facet.xpath, facet.level)
        if facet.level == "passage":
            if leaves is None:
                leaves = leaf_passages(tree.getroot())
            contexts = _holding(facet, tree.getroot(), leaves, holding)
        if plan is not None:
            try:
                for context in [None] if facet.level == "document" else contexts:
                    where = None if context is None else context.address
                    for value in plan.values(tree if context is None else context.element,
                                             selected):
                        rows[(facet.name, where, value)] = None
                continue
            except _NoPlan:
                pass  # evaluated in full below (the rows found so far are the same)
            except QueryError as error:
                raise QueryError(f"facet {facet.name!r}: {error}", path) from None
        if compiled.engine == "elementpath" and nodes is None:
            # (types-lxml's tag type, str | bytes | QName, fails elementpath's element protocol)
            nodes = elementpath.get_node_tree(tree, namespaces=NSMAP)  # type: ignore[arg-type]
        try:
            values = _ref_values(refs, listed, keys) if facet.refs else _strings
            if facet.level == "document":
                for value in values(evaluate_tree(compiled, tree, nodes)):
                    rows[(facet.name, None, value)] = None
                continue
            for passage in contexts:
                items = evaluate_tree(compiled, tree, nodes, item=passage.element)
                for value in values(items):
                    rows[(facet.name, passage.address, value)] = None
        except QueryError as error:
            raise QueryError(f"facet {facet.name!r}: {error}", path) from None
    return list(rows)


# --- passages that can hold a value ----------------------------------------------------------
# A passage facet is evaluated on every leaf passage, most of which hold none of what it
# selects (passage_person: a leaf without a name). When its expression selects, from the leaf
# down, elements of known names (``.//tei:persName | .//tei:rs[@type = 'person']``, or such a
# path before ``!``), it is evaluated only on the leaves holding an element of one of those
# names: on the others it selects nothing, and evaluates nothing that could fail (no predicate
# but the last step's, whose elements are not there; nothing after ``!``).

#: Axes that stay on the context item or below it.
_DOWN_AXES = frozenset({"self", "child", "descendant", "descendant-or-self"})


def _holding(facet: Facet, root: etree._Element, leaves: list[Passage],
             found: dict[frozenset[str], list[Passage]]) -> list[Passage]:
    """The leaves that may give the passage facet a value (see above), in document order.

    :param found: the leaves holding each set of names, filled here (once a document)."""
    names = _selected_names(facet.xpath)
    if names is None:
        return leaves
    chosen = found.get(names)
    if chosen is None:
        elements = {passage.element for passage in leaves}
        holders: set[etree._Element] = set()
        for element in root.iter(*names):
            node: etree._Element | None = element
            while node is not None and node not in elements:
                node = node.getparent()
            if node is not None:  # the leaf it is in (a leaf holds no other passage)
                holders.add(node)
        chosen = found[names] = [passage for passage in leaves if passage.element in holders]
    return chosen


def _selected_names(xpath: str) -> frozenset[str] | None:
    """The Clark names of the elements the passage-level expression selects below its context
    item, by which it is known to select nothing where none is (None: not known)."""
    if xpath not in _NAMES:
        try:
            token = parse_expression(xpath)
        except QueryError:
            token = None
        _NAMES[xpath] = None if token is None else _last_names(token)
    return _NAMES[xpath]


_NAMES: dict[str, frozenset[str] | None] = {}


def _last_names(token: Any) -> frozenset[str] | None:
    symbol, label = token.symbol, token.label
    if label == "operator" and symbol in ("|", "union"):
        branches = [_last_names(branch) for branch in token]
        if any(names is None for names in branches):
            return None
        return frozenset().union(*branches)  # type: ignore[arg-type]
    if label == "operator" and symbol == "!":  # what follows is evaluated on its items alone
        return _last_names(token[0])
    if label == "operator" and symbol in ("/", "//") and len(token) == 2:
        return _last_names(token[1]) if _downward(token[0]) else None
    if label == "operator" and symbol == "[":  # (its predicates are tested on its elements)
        return _last_names(token[0])
    if label == "axis" and symbol in _DOWN_AXES:
        return _name(token[0])
    return _name(token)


def _downward(token: Any) -> bool:
    """Whether the path goes from the context item down by names alone (nothing to fail)."""
    symbol, label = token.symbol, token.label
    if symbol == "." and label == "context item expression":
        return True
    if label == "operator" and symbol in ("/", "//") and len(token) == 2:
        return _downward(token[0]) and _downward(token[1])
    if label == "axis" and symbol in _DOWN_AXES:
        return any_name_test(token[0])
    return any_name_test(token)


def _name(token: Any) -> frozenset[str] | None:
    """The Clark name of a name test (None: a wildcard, or no name test)."""
    name = name_test(token, token.parser.namespaces)
    return None if name is None else frozenset({name})


# --- fast path for `PATH ! EXPR` -------------------------------------------------------------
# Facets are mostly "select nodes, then compute a value from each": PATH ! EXPR. When PATH runs
# in lxml (see archive.xpath.compile) and EXPR only looks at the item itself (its value, or an
# element's attributes and descendants), EXPR is evaluated on that item alone, and remembered
# per distinct item: the result is the full evaluation's, at a fraction of the cost, since the
# same refs and dates recur across a corpus. When EXPR reads nothing but the element's
# attributes and lies within archive.xpath.values' subset (the year and decade facets), it runs
# as Python closures, remembered per values of the attributes it reads (an xml:id or @resp does
# not make a date new). Else, when EXPR is within that subset with paths lxml runs from the
# element in its tree (archive.xpath.compile_nodes: the author, publication and kind facets,
# whose paths may look up the ancestor axis), it runs so, element by element, not remembered;
# elsewhere elementpath evaluates it.

_NODE_FUNCTIONS = OUTWARD_FUNCTIONS | {"name", "local-name", "namespace-uri", "node-name",
                                       "has-children", "nilled"}
_MEMO_SIZE = 100_000


class _MapPlan:
    def __init__(self, left: str, right: Any, level: str, element_ok: bool,
                 value_ok: bool) -> None:
        self.left = compile_query(left, element_context=level == "passage")
        self.right, self.element_ok, self.value_ok = right, element_ok, value_ok
        self.native = compile_value(right) if element_ok else None
        self.nodes = compile_nodes(right, self.left.namespaces) if self.native is None else None
        self.memo: dict[Any, list[str]] = {}

    def values(self, context: Any, selected: dict[tuple[Any, Any], list[Any]]) -> list[str]:
        """The values of the facet from ``context`` (a tree, or a passage's element).

        :param selected: the items of the paths evaluated so far on this document, by path
            and context, filled here: facets of the same path (the year and the decade
            mentioned) select its items once.
        """
        items = selected.get((self.left, context))
        if items is None:
            items = selected[(self.left, context)] = evaluate_tree(
                self.left, context if isinstance(context, etree._ElementTree)
                else context.getroottree(), item=None if isinstance(
                    context, etree._ElementTree) else context)
        values: list[str] = []
        for item in items:
            if isinstance(item, etree._Element) and isinstance(item.tag, str):
                if self.nodes is not None:
                    try:
                        values.extend(_strings(self.nodes(item)))
                        continue
                    except Unsupported:
                        pass  # remembered per element below, or evaluated in full
                if not self.element_ok:
                    raise _NoPlan
                key: Any = ("attributes", *map(item.get, self.native.attributes)) \
                    if self.native else ("element", etree.tostring(item, with_tail=False))
            elif isinstance(item, str) and self.value_ok:
                key = ("value", str(item))
            else:
                raise _NoPlan
            found = self.memo.get(key)
            if found is None:
                found = self._evaluate(item, key)
                if len(self.memo) > _MEMO_SIZE:
                    self.memo.clear()
                self.memo[key] = found
            values.extend(found)
        return values

    def _evaluate(self, item: Any, key: tuple[Any, ...]) -> list[str]:
        if key[0] == "attributes" and self.native is not None:
            try:
                return [value for value in (" ".join(s.split()) for s in self.native(item))
                        if value]
            except Unsupported:
                pass  # elementpath decides (a value, or the error the specification names)
        if key[0] == "value":
            value = elementpath.datatypes.UntypedAtomic(key[1])
            context = elementpath.XPathContext(None, item=value)
        else:
            nodes = elementpath.get_node_tree(item, namespaces=NSMAP, fragment=True)
            context = elementpath.XPathContext(nodes, item=nodes, namespaces=NSMAP)
        try:
            return list(_strings(list(self.right.select(context))))
        except elementpath.ElementPathError as error:
            raise QueryError(str(error)) from None


class _NoPlan(Exception):
    """An item the fast path cannot take: the facet is evaluated in full."""


def _map_plan(xpath: str, level: str) -> _MapPlan | None:
    key = (xpath, level)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(xpath, level)
    return _PLANS[key]


_PLANS: dict[tuple[str, str], _MapPlan | None] = {}


def _make_plan(xpath: str, level: str) -> _MapPlan | None:
    token = parse_expression(xpath)
    if token.symbol != "!" or token.label != "operator":
        return None
    left, right = token[0], token[1]
    if not lxml_safe(left, element_context=level == "passage"):
        return None
    tokens = list(walk_tokens(right))
    element_ok = stays_inside(right)
    value_ok = not any(
        t.symbol in ("/", "//", "@", "..", ":", "(name)", "*") and t.label != "variable"
        and t.label != "literal" and not (t.symbol == "*" and t.label == "operator")
        or t.label in ("axis", "kind test")
        or (t.label == "function" and t.symbol in _NODE_FUNCTIONS) for t in tokens)
    plan = _MapPlan(left.source, right, level, element_ok, value_ok)
    if not element_ok and not value_ok and plan.nodes is None:
        return None
    return plan


def _strings(items: list[Any]) -> Iterator[str]:
    for item in items:
        value = " ".join(classify(item)[4].split())
        if value:
            yield value


def _ref_values(refs: DocumentRefs | None, listed: bool,
                keys: dict[etree._Element, list[str]] | None = None,
                ) -> Callable[[list[Any]], Iterator[str]]:
    """Values of a ``refs = true`` facet: an element gives its @ref targets (else @key, else in
    an imported document its surface form), an attribute or string its pointer tokens.

    :param listed: whether the document holds list entries, whose names are no mentions.
    :param keys: the keys of the elements met so far in this document (filled here).
    """
    resolver = refs or PLAIN_REFS
    known = {} if keys is None else keys

    def values(items: list[Any]) -> Iterator[str]:
        for item in items:
            if isinstance(item, etree._Element) and isinstance(item.tag, str):
                # lxml's (the common case): no string value
                found = known.get(item)
                if found is None:
                    found = known[item] = resolver.element_keys(item, listed=listed)
                yield from found
                continue
            kind, owner, _, _, value = classify(item)
            if kind == "element":
                yield from resolver.element_keys(owner, listed=listed)
            else:
                yield from filter(None, map(resolver.key, value.split()))

    return values


def registry_labels(settings: Settings) -> dict[str, str]:
    """Registry id → preferred name, for facets declared with ``labels = "registry"``.

    A data directory without a registry has no labels: values stand for themselves.
    """
    if not settings.registry_dir.is_dir():
        return {}
    registry = Registry.load(settings.registry_dir)
    return {entry_id: entry.name for entry_id, entry in registry.entries.items()}
