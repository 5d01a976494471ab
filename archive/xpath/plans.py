"""Plans that let lxml do the walking for expressions it cannot run whole.

Aggregates (``count(distinct-values(//tei:persName/@ref))``): each path argument of an
atomizing function is run by lxml, its nodes atomized into ``xs:untypedAtomic`` values (what
elementpath makes of them too), and the rest of the expression, rewritten over variables, is
evaluated by elementpath on values only; only expressions that use nothing else of the document
are planned.

``PATH[P1][P2]...`` where ``PATH`` is within XPath 1.0 but a predicate is not (a cast, a typed
comparison): lxml selects ``PATH``'s elements in C, and elementpath evaluates each predicate on
each selected element alone, the result remembered per distinct element (per attribute set when
the predicate reads only attributes, since the same dates and refs recur across a corpus). A
predicate that reads only the element itself (its attributes and descendants, not its position
nor anything outside it) gives the same answer alone as inside the document, so the hits are
those of a full elementpath evaluation (tested on a table of queries). A predicate whose value
turns out to be a number (a position) makes the plan step aside for that document.

``for $x in PATH return EXPR``, where lxml can run ``PATH`` and, with ``$x`` holding one element,
``EXPR``: lxml selects ``PATH``'s elements, then evaluates ``EXPR`` once per element with ``$x``
bound to it (the focus stays the document's, as in the ``for``), the items concatenated in that
order, as ``for`` does; an ``EXPR`` that reads the focus only through ``$x`` is evaluated with the
element as its focus instead (no variable bound per element).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import elementpath
from elementpath.datatypes import UntypedAtomic
from lxml import etree

from tei.namespaces import NSMAP

from .analysis import OUTWARD_FUNCTIONS, lxml_safe, stays_inside, walk_tokens
from .attributes import AttributeMap, AttributeValuesPlan, attribute_name, attribute_values_plan
from .compile import compile_query
from .hits import string_value
from .parse import lxml_xpath, parse

if TYPE_CHECKING:
    from elementpath.aliases import ItemArgType, VariableValueType

#: Functions that read the context item when called without arguments.
_CONTEXT_FUNCTIONS = frozenset({"string", "normalize-space", "string-length", "name",
                                "local-name", "namespace-uri", "number", "data", "node-name",
                                "has-children", "nilled"})
#: Predicate results remembered per plan.
MEMO_SIZE = 100_000


class NoPlan(Exception):
    """The plan cannot answer for this document; evaluate it in full."""


class FilterPlan:
    """``PATH[P1]...[Pn]``: PATH by lxml, the predicates by elementpath per element."""

    def __init__(self, path: str, predicates: list[Any], attributes_only: bool,
                 read: tuple[str, ...] | None = None) -> None:
        """:param read: the Clark names of the only attributes the predicates read, when
            known (the answer is remembered by their values alone)."""
        self.path = path
        self.predicates = predicates
        self.attributes_only = attributes_only
        self.read = read if attributes_only else None
        self.memo: dict[Any, bool] = {}

    def select(self, selected: Any) -> list[Any]:
        """The elements of the expression in document order, from PATH's items.

        :raise NoPlan: a predicate gave a number (a position test).
        :raise elementpath.ElementPathError: a predicate failed on an element.
        """
        found = []
        for element in selected:
            if not isinstance(element, etree._Element) or not isinstance(element.tag, str):
                raise NoPlan
            key: Any
            if self.read is not None:  # the values of the attributes read, in C
                key = tuple(map(element.get, self.read))
            elif self.attributes_only:
                key = (element.tag, tuple(sorted(element.attrib.items())))
            else:
                key = etree.tostring(element, with_tail=False)
            keep = self.memo.get(key)
            if keep is None:
                keep = self._remember(key, self._keep(element))
            if keep:
                found.append(element)
        return found

    def keeps(self, tag: str, values: tuple[str | None, ...]) -> bool:
        """Whether the predicates keep an element named ``tag`` whose attributes :attr:`read`
        (not None) have ``values`` (None: absent), as :meth:`select` would keep it: they read
        nothing else of it, so an element made of those alone gives the same answer.

        :raise NoPlan: as :meth:`select`.
        :raise elementpath.ElementPathError: as :meth:`select`.
        """
        keep = self.memo.get(values)
        if keep is None:
            assert self.read is not None
            keep = self._remember(values, self._keep(etree.Element(tag, {
                name: value for name, value in zip(self.read, values, strict=True)
                if value is not None})))
        return keep

    def _remember(self, key: Any, keep: bool) -> bool:
        if len(self.memo) >= MEMO_SIZE:
            self.memo.clear()
        self.memo[key] = keep
        return keep

    def _keep(self, element: etree._Element) -> bool:
        # (types-lxml's tag type, str | bytes | QName, fails elementpath's element protocol)
        nodes = elementpath.get_node_tree(element, namespaces=NSMAP,  # type: ignore[arg-type]
                                          fragment=True)
        for predicate in self.predicates:
            context = elementpath.XPathContext(nodes, item=nodes, namespaces=NSMAP)
            items = list(predicate.select(context))
            if len(items) == 1 and isinstance(items[0], (int, float, Decimal)) \
                    and not isinstance(items[0], bool):
                raise NoPlan
            if not predicate.boolean_value(items):
                return False
        return True


@lru_cache(maxsize=256)
def filter_plan(expression: str, namespaces: tuple[tuple[str, str], ...]) -> FilterPlan | None:
    """The plan of an expression elementpath would run whole, or None when there is none."""
    top = parse(expression, namespaces)
    if top.symbol not in ("/", "//") or top.label != "operator" or not len(top):
        return None
    step = top[-1]
    predicates: list[Any] = []  # elementpath tokens
    while step.symbol == "[" and step.label == "operator":
        predicates.insert(0, step[1])
        step = step[0]
    if not predicates or step.symbol not in (":", "(name)", "*") or step.label == "function":
        return None
    path = (top[0].source if len(top) == 2 else "") + top.symbol + step.source
    try:
        if compile_query(path, dict(namespaces)).engine != "lxml":
            return None
    except Exception:  # noqa: BLE001 - no plan; the full evaluation reports any error
        return None
    if not all(_local(predicate) for predicate in predicates):
        return None
    return FilterPlan(path, predicates, all(_attributes_only(p) for p in predicates),
                      _attributes_read(predicates, namespaces))


def _attributes_read(predicates: list[Any], namespaces: tuple[tuple[str, str], ...],
                     ) -> tuple[str, ...] | None:
    # the Clark names of the attributes the predicates name (None: one is not a plain name)
    names = set()
    for token in (t for predicate in predicates for t in walk_tokens(predicate)):
        if token.label == "axis":
            return None  # attribute::a, or anything else of the kind: every attribute
        if token.symbol == "@":
            name = attribute_name(token, namespaces)
            if name is None:
                return None
            names.add(name)
    return tuple(sorted(names))


class ForPlan:
    """``for $x in PATH return EXPR``: both by lxml, ``EXPR`` once per element of ``PATH``.

    When ``EXPR`` reads the focus only through ``$x`` (``count($x//tei:persName)``), it is
    evaluated with the element as its context item and ``$x`` written ``self::node()``: the
    same nodes, without binding a variable per element (a third of the loop's time).
    """

    def __init__(self, variable: str, path: Any, body: Any,
                 namespaces: tuple[tuple[str, str], ...]) -> None:
        self.variable = variable
        self.path = str(path.source)  # (its items: see archive.xpath.evaluate)
        lxml_xpath(self.path, namespaces)  # lxml refuses it here, if it does
        self.elements = _elements_only(path)  # PATH's items need no checking
        focused = _focused(body, variable)
        self.focused = focused is not None
        self.body = lxml_xpath(body.source if focused is None else focused, namespaces)

    def bindings(self, found: Any) -> list[etree._Element]:
        """``PATH``'s elements, in document order, from its items.

        :raise NoPlan: ``PATH`` gave something other than elements.
        """
        if not self.elements and (not isinstance(found, list) or not all(
                isinstance(item, etree._Element) and isinstance(item.tag, str)
                for item in found)):
            raise NoPlan
        return cast(list[etree._Element], found)

    def items(self, tree: etree._ElementTree | None, element: etree._Element) -> list[Any]:
        """``EXPR``'s items with the variable bound to ``element`` (``tree``, its document,
        is needed only when the body is not read with the element as focus)."""
        if self.focused:
            result = self.body(element)
        else:
            result = self.body(element.getroottree() if tree is None else tree,
                               **{self.variable: element})
        return result if isinstance(result, list) else [result]


@lru_cache(maxsize=256)
def for_plan(expression: str, namespaces: tuple[tuple[str, str], ...]) -> ForPlan | None:
    """The plan of a one-variable ``for`` lxml can run, or None when there is none."""
    top = parse(expression, namespaces)
    if top.symbol != "for" or top.label != "expression" or len(top) != 3 \
            or top[0].symbol != "$":
        return None
    variable, path, body = top[0][0].value, top[1], top[2]
    if not lxml_safe(path) or not lxml_safe(body, variables=frozenset({variable})):
        return None
    try:
        return ForPlan(variable, path, body, namespaces)
    except etree.XPathError:
        return None  # lxml refuses what elementpath accepts: elementpath decides


@lru_cache(maxsize=256)
def descendant_name(expression: str, namespaces: tuple[tuple[str, str], ...]) -> str | None:
    """The Clark name of an expression ``//NAME`` (a name test, prefixed or not, with no
    predicate): its items are the tree's elements of that name in document order, as
    ``tree.iter`` gives them (see :meth:`TreeCache.elements`); else None."""
    return _descendant_name(parse(expression, namespaces), dict(namespaces))


@lru_cache(maxsize=256)
def containing(expression: str, namespaces: tuple[tuple[str, str], ...],
               ) -> tuple[str, str] | None:
    """(Clark name, literal) of an expression ``//NAME[contains(., 'literal')]``: its items are
    the tree's elements of that name whose string value holds the literal, in document order
    (see :meth:`TreeCache.texts`); else None."""
    token = parse(expression, namespaces)
    if token.symbol != "//" or token.label != "operator" or len(token) != 1:
        return None
    step = token[0]
    if step.symbol != "[" or step.label != "operator":
        return None
    test, predicate = step
    if predicate.symbol != "contains" or predicate.label != "function" or len(predicate) != 2 \
            or predicate[0].symbol != "." or predicate[1].symbol != "(string)":
        return None
    name = name_test(test, dict(namespaces))
    return None if name is None else (name, str(predicate[1].value))


def _descendant_name(token: Any, namespaces: dict[str, str]) -> str | None:
    # the Clark name of `//NAME` (a name, prefixed or not, no predicate), else None
    if token.symbol != "//" or token.label != "operator" or len(token) != 1:
        return None
    return name_test(token[0], namespaces)


def name_test(step: Any, namespaces: dict[str, str]) -> str | None:
    """The Clark name of a parsed name test (prefixed or not), else None (a wildcard, any
    other token, an unknown prefix)."""
    if step.symbol == "(name)" and step.label == "name":
        return str(step.value)  # no prefix: no namespace, in XPath 1.0
    if step.symbol == ":" and step.label in ("symbol", "name") and len(step) == 2 \
            and step[0].symbol == "(name)" and step[1].symbol == "(name)" \
            and step[0].value in namespaces:
        return f"{{{namespaces[step[0].value]}}}{step[1].value}"
    return None


def _elements_only(path: Any) -> bool:
    # the path's last step is a name test on an axis of elements: it selects elements only
    step = path
    while True:
        if step.symbol in ("/", "//") and step.label == "operator" and len(step):
            step = step[-1]
        elif step.symbol == "[" and step.label == "operator":
            step = step[0]
        else:
            break
    if step.label == "axis" and step.symbol not in ("attribute", "namespace") and len(step):
        step = step[0]
    return step.symbol in (":", "(name)", "*") and "function" not in step.label \
        and (step.symbol != ":" or step[1].symbol in ("(name)", "*"))


def _focused(body: Any, variable: str) -> str | None:
    # the body with $variable written self::node(), when that is its only reading of the focus
    # and none of its string literals holds a "$" (so that the rewriting is of names only)
    if not _through(body, variable) or any(
            token.label == "literal" and "$" in str(token.value) for token in walk_tokens(body)):
        return None
    source = str(body.source)
    written = re.compile(rf"\$\s*{re.escape(variable)}(?![\w.\-])")
    uses = sum(token.symbol == "$" for token in walk_tokens(body))
    if len(written.findall(source)) != uses:
        return None
    return written.sub("self::node()", source)


def _through(token: Any, variable: str) -> bool:
    # reads the focus only through the variable, and the variable only where it stands for
    # the focus (not inside a predicate nor after a step, where the focus is another node)
    symbol, label = token.symbol, token.label
    if symbol == "$":
        return bool(token[0].value == variable)
    if label == "literal":
        return True
    if symbol in ("/", "//") and label == "operator":
        if len(token) == 1:
            return not _uses(token[0], variable)  # from the document's root either way
        return len(token) == 2 and _through(token[0], variable) \
            and not _uses(token[1], variable)
    if symbol == "[" and label == "operator":
        return _through(token[0], variable) and not _uses(token[1], variable)
    if label == "function":
        return len(token) > 0 and symbol not in OUTWARD_FUNCTIONS \
            and all(_through(child, variable) for child in token)
    if (label == "operator" and symbol not in ("!",)) or (symbol == "(" and label ==
                                                            "expression"):
        return all(_through(child, variable) for child in token)
    return False


def _uses(token: Any, variable: str) -> bool:
    return any(t.symbol == "$" and t[0].value == variable for t in walk_tokens(token))


#: Functions that only atomize (or count) their first argument.
_ATOMIZING = frozenset({"distinct-values", "data", "sum", "avg", "min", "max", "string-join",
                        "count", "exists", "empty"})


class AtomPlan:
    """``f(PATH, ...)``: PATH's nodes by lxml, atomized, the rest by elementpath on values."""

    def __init__(self, token: Any, paths: list[str], maps: list[AttributeValuesPlan | None],
                 ) -> None:
        self.token = token
        self.paths = paths
        self.maps = maps  # per path: its values from the tree's attribute map (//NAME/@a)
        self.native = _native(token)
        # the variables read only as distinct-values($v): a value again adds nothing to them
        self.distinct_only = frozenset(
            name for name in (f"__p{number}" for number in range(len(paths)))
            if _only_distinct(token, name))

    def evaluate(self, select: Callable[[str], Any],
                 attribute_map: Callable[[str], AttributeMap | None] | None = None,
                 ) -> list[Any]:
        """The expression's items on one document.

        :param select: the items of one of the paths in the document (lxml's).
        :param attribute_map: the tree's map of an attribute (see archive.xpath.attributes),
            or None where the path is to be selected instead.
        :raise elementpath.ElementPathError: the evaluation failed.
        """
        return self.finish(self.strings(select, attribute_map))

    def strings(self, select: Callable[[str], Any],
                attribute_map: Callable[[str], AttributeMap | None] | None = None,
                seen: dict[str, set[str]] | None = None,
                distinct: Callable[[AttributeValuesPlan], list[str]] | None = None,
                ) -> dict[str, list[str]]:
        """Each path's atomized nodes on one document, by the name of its variable.

        :param seen: for documents read one after the other (a corpus), the values each
            variable of :attr:`distinct_only` was given before, added to here: such a variable
            gets only the first of each value not seen yet, in document order, which leaves
            its distinct values, and their order, as they were.
        :param distinct: with ``seen``, the document's distinct values of a path planned from
            the attribute map, in order (:meth:`TreeCache.distinct_values`, kept).
        """
        found = {}
        for number, (path, plan) in enumerate(zip(self.paths, self.maps, strict=True)):
            name = f"__p{number}"
            before = None if seen is None or name not in self.distinct_only \
                else seen.setdefault(name, set())
            if before is not None and plan is not None and distinct is not None:
                values = [value for value in distinct(plan) if value not in before]
            else:
                mapped = None if plan is None or attribute_map is None \
                    else attribute_map(plan.attribute)
                values = [_atomized(node) for node in select(path)] \
                    if mapped is None or plan is None else plan.values(mapped)
                if before is not None:
                    values = [value for value in dict.fromkeys(values) if value not in before]
            if before is not None:
                before.update(values)
            found[name] = values
        return found

    def finish(self, strings: dict[str, list[str]]) -> list[Any]:
        """The expression's items from its paths' values (of one document, or of several
        documents one after the other: the expression over their collection).

        :raise elementpath.ElementPathError: the evaluation failed.
        """
        if self.native is not None:
            return self.native(strings)
        variables: dict[str, VariableValueType] = {
            name: _untyped(values) for name, values in strings.items()}
        context = elementpath.XPathContext(None, item=UntypedAtomic(""), variables=variables)
        return list(self.token.select(context))


@lru_cache(maxsize=256)
def atom_plan(expression: str, namespaces: tuple[tuple[str, str], ...]) -> AtomPlan | None:
    """The plan of an aggregate over element or attribute paths, or None when there is none."""
    paths: list[str] = []
    for token in walk_tokens(parse(expression, namespaces)):
        if token.label != "function" or token.symbol not in _ATOMIZING or not len(token):
            continue
        argument = token[0]
        if argument.symbol not in ("/", "//") or argument.label != "operator" \
                or not _ends_in_element_or_attribute(argument) or argument.source in paths:
            continue
        try:
            if compile_query(argument.source, dict(namespaces)).engine == "lxml":
                paths.append(argument.source)
        except Exception:  # noqa: BLE001 - no plan; the full evaluation reports any error
            continue
    if not paths:
        return None
    # the paths as the parser writes them (`[@ref = '#x']`): the expression so written when
    # it is written otherwise (`[@ref="#x"]`)
    rewritten = expression if all(path in expression for path in paths) \
        else str(parse(expression, namespaces).source)
    for number, path in enumerate(paths):
        if path not in rewritten:
            return None
        rewritten = rewritten.replace(path, f"$__p{number}")
    try:
        token = parse(rewritten, namespaces)
    except Exception:  # noqa: BLE001
        return None
    if not _context_free(token):
        return None
    return AtomPlan(token, paths, [attribute_values_plan(parse(path, namespaces), namespaces)
                                   for path in paths])


def _native(token: Any) -> Callable[[dict[str, list[str]]], list[Any]] | None:
    # count, distinct-values, exists and empty over one variable, nested, in Python: the
    # variables hold xs:untypedAtomic values, which distinct-values compares as strings (in
    # elementpath too, keeping the first of each), and whose string is the plain str used here
    if token.symbol == "$" and len(token) == 1:
        name = token[0].value
        return lambda variables: variables[name]
    if token.label != "function" or len(token) != 1:
        return None
    inner = _native(token[0])
    if inner is None:
        return None
    operations: dict[str, Callable[[list[Any]], list[Any]]] = {
        "count": lambda items: [len(items)],
        "distinct-values": lambda items: list(dict.fromkeys(items)),
        "exists": lambda items: [bool(items)],
        "empty": lambda items: [not items],
    }
    operation = operations.get(token.symbol)
    if operation is None or (token.symbol == "distinct-values" and token[0].symbol != "$"):
        return None  # distinct-values of counts or booleans: elementpath decides
    return lambda variables: operation(inner(variables))


def _only_distinct(token: Any, variable: str) -> bool:
    # every use of $variable is as distinct-values' one argument
    uses = sum(t.symbol == "$" and t[0].value == variable for t in walk_tokens(token))
    distinct = sum(t.symbol == "distinct-values" and t.label == "function" and len(t) == 1
                   and t[0].symbol == "$" and t[0][0].value == variable
                   for t in walk_tokens(token))
    return bool(uses) and uses == distinct


def _untyped(values: list[str]) -> list[ItemArgType]:
    return list(map(UntypedAtomic, values))


def _atomized(node: Any) -> str:
    return string_value(node) if isinstance(node, etree._Element) else str(node)


def _ends_in_element_or_attribute(path: Any) -> bool:
    step = path[-1]
    while step.symbol == "[" and step.label == "operator":
        step = step[0]
    return step.symbol == "@" or (step.symbol in (":", "(name)", "*")
                                  and "function" not in step.label
                                  and (step.symbol != ":" or step[1].symbol in ("(name)", "*")))


def _context_free(token: Any) -> bool:
    # uses neither the context item nor the document (conservative: unknown → False)
    symbol, label = token.symbol, token.label
    if symbol == "$" or label == "literal":
        return True
    if symbol == ":" and len(token) == 2:
        return "function" in token[1].label and all(_context_free(c) for c in token[1])
    if symbol in ("castable", "cast", "instance", "treat"):
        return _context_free(token[0])
    if "function" in label:
        if symbol in OUTWARD_FUNCTIONS or (symbol in _CONTEXT_FUNCTIONS and not len(token)):
            return False
        return all(_context_free(child) for child in token)
    if (label == "operator" and symbol not in ("/", "//", "[", "!")) \
            or (symbol == "(" and label == "expression"):
        return all(_context_free(child) for child in token)
    return False


def _local(token: Any) -> bool:
    # reads only the context element (attributes, descendants), never its place; a literal
    # (a position, when an integer) is no predicate to remember
    return stays_inside(token) and token.label != "literal"


def _attributes_only(token: Any) -> bool:
    # reads nothing but the context element's attributes (conservative: unknown → False)
    symbol, label = token.symbol, token.label
    if symbol == "@":
        return len(token) == 1 and token[0].symbol in ("(name)", ":")
    if symbol in ("castable", "cast", "instance", "treat"):
        return _attributes_only(token[0])  # the second operand is a type
    if symbol == ":" and len(token) == 2:
        if "function" in token[1].label:  # xs:date(...), fn:string(...): look at arguments
            return all(_attributes_only(child) for child in token[1])
        return False  # a prefixed element name test
    if label in ("literal", "variable") or symbol == "$":
        return True
    if label == "function" or "function" in label:
        if symbol in _CONTEXT_FUNCTIONS and not len(token):
            return False
        return symbol not in OUTWARD_FUNCTIONS and all(_attributes_only(c) for c in token)
    if label == "operator" and symbol not in ("/", "//", "[", "!", "|", "union", "intersect",
                                                "except"):
        return all(_attributes_only(child) for child in token)
    if symbol == "(" and label == "expression":
        return all(_attributes_only(child) for child in token)
    return False
