"""Value expressions on one element's attributes, run as Python closures instead of elementpath.

A facet such as *year* is ``PATH ! EXPR``: lxml selects the elements, then EXPR computes values
from each one's attributes (``let``, ``if``, ``matches``, ``substring``, ``xs:integer``,
``to``...). elementpath spends about half a millisecond per element on such an EXPR; the
closures built here take microseconds. Only a small, exactly specified subset is compiled:

- literals (a negative integer too), ``$variables``, ``let``, ``if``, ``and``, ``or``,
  ``(...)``, ``,``, ``!``, ``to``, a positional predicate ``[n]`` with an integer literal;
- ``@name`` (no prefix) on the element itself; the context item ``.`` only where it is not the
  element (inside the right operand of ``!``), so that nothing but attributes is read;
- ``string``, ``concat``, ``substring``, ``matches`` (pattern a literal, no flags),
  ``normalize-space``, ``xs:integer``, ``string-join`` (of nodes and strings).

:func:`compile_nodes` takes the same subset and paths too: where a path from the element (or
from a node the closures computed, such as ``((tei:persName, tei:name)[1], .)[1]//text()``)
is one lxml reads as 3.1 does (:func:`.analysis.lxml_safe`: the ancestor axis too), lxml runs
it on the element in its own tree. Such an expression (the *author* facet) may look outside
the element, so its values are not remembered per element; it runs in microseconds where
elementpath first needs a node tree of the whole document.

Anything else makes :func:`compile_value` (:func:`compile_nodes`) return None (elementpath
evaluates). At run time, any
case outside the rules implemented here (a type error, a cast that fails, a sequence where one
item is expected) raises :class:`Unsupported`, and the caller asks elementpath, which then
gives the value or the error the specification prescribes. Agreement with elementpath is tested
on a table of expressions and attribute values (tests/archive/test_xpath_values.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from elementpath.regex import translate_pattern
from lxml import etree

from .analysis import lxml_safe, walk_tokens
from .hits import classify
from .parse import lxml_xpath

#: Items are attribute nodes (:class:`Attribute`), str, int or bool (and, in
#: :func:`compile_nodes`' closures, lxml's elements and its text and attribute nodes); a
#: closure maps the context item and the variables in scope to a list of items.
Closure = Callable[[Any, dict[str, list[Any]]], list[Any]]

_INTEGER = re.compile(r"[ \t\n\r]*([+-]?[0-9]+)[ \t\n\r]*\Z")
_SPACE = re.compile(r"[ \t\n\r]+")


class Attribute(str):
    """An attribute node, by its value: a node, so true as a boolean even when empty."""


#: Paths are run by lxml with these prefixes bound (None: no path is compiled).
Namespaces = tuple[tuple[str, str], ...] | None


class Unsupported(Exception):
    """A case these closures do not decide: evaluate with elementpath instead."""


class ValueFunction:
    """A compiled value expression: ``function(element)`` gives the string values of its items,
    which depend on nothing but the element's attributes named in :attr:`attributes`."""

    def __init__(self, closure: Closure, attributes: tuple[str, ...]) -> None:
        self.closure = closure
        self.attributes = attributes

    def __call__(self, element: etree._Element) -> list[str]:
        """:raise Unsupported: a case to leave to elementpath."""
        return [_string(item) for item in self.closure(element, {})]


class NodeFunction:
    """A compiled expression of one element in its tree (see :func:`compile_nodes`):
    ``function(element)`` gives its items (lxml's nodes, or atomic values)."""

    def __init__(self, closure: Closure) -> None:
        self.closure = closure

    def __call__(self, element: etree._Element) -> list[Any]:
        """:raise Unsupported: a case to leave to elementpath."""
        try:
            return self.closure(element, {})
        except etree.XPathError as error:  # (none is expected of expressions lxml_safe takes)
            raise Unsupported(str(error)) from None


def compile_value(token: Any) -> ValueFunction | None:
    """The expression as a function of one element's attributes, or None outside the subset."""
    closure = _compile(token, element=True, scope=frozenset())
    if closure is None:
        return None
    names = {t[0].value for t in walk_tokens(token) if t.symbol == "@"}
    return ValueFunction(closure, tuple(sorted(names)))


def compile_nodes(token: Any, namespaces: tuple[tuple[str, str], ...]) -> NodeFunction | None:
    """The expression as a function of one element in its tree, its paths run by lxml, or
    None outside the subset (see the module's docstring).

    :param namespaces: the prefixes the expression was parsed with (sorted pairs).
    """
    closure = _compile(token, element=True, scope=frozenset(), paths=namespaces)
    return None if closure is None else NodeFunction(closure)


def _compile(token: Any, element: bool, scope: frozenset[str],
             paths: Namespaces = None) -> Closure | None:
    # element: the context item is the element itself (without paths: only its attributes
    # may be read)
    symbol, label = token.symbol, token.label
    children = list(token)
    if label == "literal" and symbol in ("(integer)", "(string)"):
        value = token.value
        return lambda item, variables: [value]
    if symbol == "-" and len(children) == 1 and children[0].symbol == "(integer)":
        negative = -children[0].value
        return lambda item, variables: [negative]
    if symbol == "$" and label == "variable":
        name = token.value
        return (lambda item, variables: variables[name]) if name in scope else None
    if symbol == "." and (not element or paths is not None):
        return lambda item, variables: [item]
    if symbol == "@" and len(children) == 1 and children[0].symbol == "(name)":
        return _attribute(children[0].value)
    if paths is not None and _path_like(token):
        return _path(token, element, scope, paths)
    if symbol == "(" and label == "expression":
        if not children:
            return lambda item, variables: []
        return _compile(children[0], element, scope, paths) if len(children) == 1 else None
    if symbol == "let" and label == "expression":
        return _let(children, element, scope, paths)
    if symbol == "if" and label == "expression":
        return _if(children, element, scope, paths)
    if symbol == ":" and len(children) == 2 and children[0].value == "xs" \
            and children[1].symbol == "integer" and len(children[1]) == 1:
        argument = _compile(children[1][0], element, scope, paths)
        return None if argument is None else (
            lambda item, variables: _cast_integer(argument(item, variables)))
    if label == "operator":
        return _operator(symbol, children, element, scope, paths)
    if "function" in label:
        return _function(symbol, children, element, scope, paths)
    return None


def _attribute(name: str) -> Closure:
    def select(item: Any, variables: dict[str, list[Any]]) -> list[Any]:
        if not isinstance(item, etree._Element):
            raise Unsupported("an attribute step on an item that is not the element")
        value = item.get(name)
        return [] if value is None else [Attribute(value)]
    return select


def _path_like(token: Any) -> bool:
    # a location path, a step, or a union of them (not a function call such as xs:integer(.))
    symbol, label = token.symbol, token.label
    if symbol in ("/", "//", "|") and label == "operator":
        return True
    if symbol == "[" and label == "operator":
        return _path_like(token[0])
    if label in ("axis", "kind test") or symbol in ("@", ".."):
        return True
    return symbol in (":", "(name)", "*") and label in ("symbol", "name", "wildcard symbol") \
        and (symbol != ":" or token[1].symbol in ("(name)", "*"))


def _path(token: Any, element: bool, scope: frozenset[str],
          paths: tuple[tuple[str, str], ...]) -> Closure | None:
    """A path lxml runs from the element it is given: whole, or (``E/P``, ``E//P``) its last
    part ``P`` from the one node the closure of ``E`` gives."""
    if lxml_safe(token, element_context=True):
        whole = _lxml(token.source, paths)
        return None if whole is None else (lambda item, variables: _run(whole, item))
    if token.symbol not in ("/", "//") or token.label != "operator" or len(token) != 2 \
            or not lxml_safe(token[1], element_context=True):
        return None
    left = _compile(token[0], element, scope, paths)
    step = _lxml(("descendant-or-self::node()/" if token.symbol == "//" else "")
                 + token[1].source, paths)
    if left is None or step is None:
        return None

    def path(item: Any, variables: dict[str, list[Any]]) -> list[Any]:
        nodes = left(item, variables)
        if len(nodes) > 1:
            raise Unsupported("a path from several nodes (whose results lxml does not merge)")
        return _run(step, nodes[0]) if nodes else []
    return path


def _lxml(source: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath | None:
    try:
        return lxml_xpath(source, namespaces)
    except etree.XPathError:
        return None  # lxml refuses what elementpath accepts (a function as a step)


def _run(path: etree.XPath, item: Any) -> list[Any]:
    if not isinstance(item, etree._Element) or not isinstance(item.tag, str):
        raise Unsupported("a path from an item that is not an element")
    found = path(item)
    if not isinstance(found, list):
        raise Unsupported("a path that gives no nodes")
    return found


def _all(children: list[Any], element: bool, scope: frozenset[str],
         paths: Namespaces) -> list[Closure] | None:
    compiled = [_compile(child, element, scope, paths) for child in children]
    return None if any(closure is None for closure in compiled) else compiled  # type: ignore


def _let(children: list[Any], element: bool, scope: frozenset[str],
         paths: Namespaces) -> Closure | None:
    # children: $a, expression, $b, expression, ..., return expression
    if len(children) % 2 != 1:
        return None
    bindings = []
    for variable, expression in zip(children[:-1:2], children[1:-1:2], strict=True):
        if variable.symbol != "$":
            return None
        closure = _compile(expression, element, scope, paths)
        if closure is None:
            return None
        bindings.append((variable.value, closure))
        scope = scope | {variable.value}
    body = _compile(children[-1], element, scope, paths)
    if body is None:
        return None

    def let(item: Any, variables: dict[str, list[Any]]) -> list[Any]:
        inner = dict(variables)
        for name, closure in bindings:
            inner[name] = closure(item, inner)
        return body(item, inner)
    return let


def _if(children: list[Any], element: bool, scope: frozenset[str],
        paths: Namespaces) -> Closure | None:
    parts = _all(children, element, scope, paths) if len(children) == 3 else None
    if parts is None:
        return None
    condition, then, otherwise = parts
    return lambda item, variables: (then if _boolean(condition(item, variables))
                                    else otherwise)(item, variables)


def _operator(symbol: str, children: list[Any], element: bool,
              scope: frozenset[str], paths: Namespaces) -> Closure | None:
    if symbol == "!" and len(children) == 2:
        first = _compile(children[0], element, scope, paths)
        then = _compile(children[1], False, scope, paths)
        if first is None or then is None:
            return None
        return lambda item, variables: [result for each in first(item, variables)
                                        for result in then(each, variables)]
    if symbol == "[" and len(children) == 2 and children[1].symbol == "(integer)":
        sequence, position = _compile(children[0], element, scope, paths), children[1].value
        if sequence is None:
            return None
        return lambda item, variables: (sequence(item, variables)[position - 1:position]
                                        if position >= 1 else [])
    parts = _all(children, element, scope, paths) if len(children) == 2 else None
    if parts is None:
        return None
    left, right = parts
    if symbol == ",":
        return lambda item, variables: left(item, variables) + right(item, variables)
    if symbol == "and":
        return lambda item, variables: [_boolean(left(item, variables))
                                        and _boolean(right(item, variables))]
    if symbol == "or":
        return lambda item, variables: [_boolean(left(item, variables))
                                        or _boolean(right(item, variables))]
    if symbol == "to":
        def to(item: Any, variables: dict[str, list[Any]]) -> list[Any]:
            low, high = (_one_integer(side(item, variables)) for side in (left, right))
            return [] if low is None or high is None else list(range(low, high + 1))
        return to
    return None


def _function(symbol: str, children: list[Any], element: bool,
              scope: frozenset[str], paths: Namespaces) -> Closure | None:
    if not children:  # string(), normalize-space(): of the context item
        if (element and paths is None) or symbol not in ("string", "normalize-space"):
            return None
        children_closures: list[Closure] = [lambda item, variables: [item]]
    else:
        compiled = _all(children, element, scope, paths)
        if compiled is None:
            return None
        children_closures = compiled
    arguments = children_closures
    if symbol == "string" and len(arguments) == 1:
        return lambda item, variables: [_optional_string(arguments[0](item, variables), True)]
    if symbol == "normalize-space" and len(arguments) == 1:
        return lambda item, variables: [
            _SPACE.sub(" ", _optional_string(arguments[0](item, variables))).strip(" ")]
    if symbol == "concat" and len(arguments) >= 2:
        return lambda item, variables: ["".join(
            _optional_string(argument(item, variables), True) for argument in arguments)]
    if symbol == "substring" and len(arguments) in (2, 3):
        return lambda item, variables: [_substring(
            _optional_string(arguments[0](item, variables)),
            *(_exact_integer(argument(item, variables)) for argument in arguments[1:]))]
    if symbol == "string-join" and len(arguments) in (1, 2):
        return lambda item, variables: [
            (_one_string(arguments[1](item, variables)) if len(arguments) == 2 else "").join(
                map(_node_or_string, arguments[0](item, variables)))]
    if symbol == "matches" and len(children) == 2 and children[1].symbol == "(string)":
        try:
            pattern = re.compile(translate_pattern(children[1].value, 0, "1.0"))
        except Exception:  # noqa: BLE001 - an invalid pattern: elementpath reports it
            return None
        subject = arguments[0]
        return lambda item, variables: [
            pattern.search(_optional_string(subject(item, variables))) is not None]
    return None


# --- the few rules of the data model these closures need --------------------------------------

#: Items that are nodes: their boolean value is true, even when their string is empty.
_NODES = (Attribute, etree._Element, etree._ElementUnicodeResult)


def _boolean(items: list[Any]) -> bool:
    """The effective boolean value."""
    if not items:
        return False
    first = items[0]
    if isinstance(first, _NODES):
        return True
    if len(items) > 1:
        raise Unsupported("FORG0006: a sequence of several atomic values has no boolean value")
    return bool(first)  # bool, str (not empty), int (not 0)


def _optional_string(items: list[Any], any_atomic: bool = False) -> str:
    """An ``xs:string?`` argument (or, with ``any_atomic``, any atomic value as a string)."""
    if not items:
        return ""
    if len(items) > 1:
        raise Unsupported("XPTY0004: a sequence where one item is expected")
    item = items[0]
    if isinstance(item, (str, etree._Element)):
        return _node_or_string(item)
    if any_atomic and isinstance(item, (bool, int)):
        return _string(item)
    raise Unsupported("XPTY0004: not a string")


def _node_or_string(item: Any) -> str:
    """A node's string value (atomised: an ``xs:untypedAtomic``), or a string."""
    if isinstance(item, str):
        return str(item)
    if isinstance(item, etree._Element):
        return classify(item)[4]
    raise Unsupported("XPTY0004: not a node nor a string")


def _one_string(items: list[Any]) -> str:
    if len(items) != 1:
        raise Unsupported("XPTY0004: not one string")
    return _node_or_string(items[0])


def _exact_integer(items: list[Any]) -> int:
    if len(items) != 1 or not isinstance(items[0], int) or isinstance(items[0], bool):
        raise Unsupported("a number argument that is not one integer")
    return int(items[0])


def _one_integer(items: list[Any]) -> int | None:
    # an operand of `to`: empty, an integer, or an untyped value cast to one
    if not items:
        return None
    if len(items) > 1:
        raise Unsupported("XPTY0004: a sequence where one integer is expected")
    item = items[0]
    if isinstance(item, Attribute):
        return _cast_integer(items)[0]
    return _exact_integer(items)


def _cast_integer(items: list[Any]) -> list[int]:
    """``xs:integer(...)`` of a string, attribute or integer."""
    if not items:
        return []
    if len(items) > 1:
        raise Unsupported("XPTY0004: a sequence where one item is expected")
    item = items[0]
    if isinstance(item, int) and not isinstance(item, bool):
        return [item]
    match = _INTEGER.match(item) if isinstance(item, str) else None
    if match is None:
        raise Unsupported("FORG0001: not an integer")
    return [int(match.group(1))]


def _substring(value: str, start: int, length: int | None = None) -> str:
    # the characters at positions p with start <= p < start + length (1-based)
    low = max(start, 1) - 1
    high = len(value) if length is None else min(len(value), start + length - 1)
    return value[low:high] if high > low else ""


def _string(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, (str, int)):
        return str(item)
    raise Unsupported("an item that is not atomic")
