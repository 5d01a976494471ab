"""Static analysis of parsed XPath: which engine may run it, and what a document must hold.

Both work on elementpath's token tree (see :func:`archive.xpath.parse_expression`).
:func:`lxml_safe` is a conservative allow-list of constructs whose meaning is the same in
XPath 1.0 (lxml) and 3.1 (elementpath); :func:`requirements` lists the element names and
attribute values without which an expression cannot match, so that the index prunes documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# --- static analysis of the token tree ------------------------------------------------------
# Which expressions mean the same in XPath 1.0 (lxml) and 3.1 (elementpath)? Only those built
# from the constructs below. Left out on purpose: numeric comparisons and arithmetic on node
# values (3.1 raises FORG0001 where 1.0 gives NaN), `<`/`>` (1.0 compares numbers, 3.1 strings),
# `div` (decimal vs double), functions given a node-set where 3.1 wants one item, `name()`
# (prefix choice), `id()`, relative paths at the top (lxml's context is the root element, the
# query's is the document node) and a result that can hold the document node (a last step
# `..`, `parent::node()`, `ancestor::node()`, `/self::node()`...: libxml2 reaches the document
# node as 3.1 does, so such steps mean the same inside predicates and before further steps,
# but lxml leaves it out of the nodes it returns).

_STEP_AXES = frozenset({"child", "descendant", "descendant-or-self", "self", "attribute",
                        "following-sibling", "preceding-sibling", "following", "preceding"})
_UPWARD_AXES = frozenset({"parent", "ancestor", "ancestor-or-self"})
_KIND_TESTS = frozenset({"text", "comment", "node", "processing-instruction"})
_STRING_FUNCTIONS = frozenset({"contains", "starts-with", "substring-before", "substring-after",
                               "substring", "concat", "string", "normalize-space", "translate",
                               "local-name", "namespace-uri"})
_NUMBER_FUNCTIONS = frozenset({"count", "string-length", "position", "last"})
_BOOLEAN_FUNCTIONS = frozenset({"not", "boolean", "true", "false"})


#: Axes and functions that look beyond the context item (its place in the document, the
#: document itself, or the world): an expression using them is not a function of its item.
OUTWARD_AXES = frozenset({"parent", "ancestor", "ancestor-or-self", "preceding",
                          "preceding-sibling", "following", "following-sibling"})
OUTWARD_FUNCTIONS = frozenset({"root", "position", "last", "id", "idref", "element-with-id",
                               "doc", "doc-available", "collection", "uri-collection",
                               "base-uri", "document-uri", "path", "generate-id", "lang",
                               "innermost", "outermost", "current-dateTime", "current-date",
                               "current-time", "implicit-timezone", "default-collation"})


def walk_tokens(token: Any) -> Iterator[Any]:
    """Every token of a tree, leaving out the names of variables (``$x``)."""
    yield token
    if token.symbol != "$":
        for child in token:
            yield from walk_tokens(child)


def stays_inside(token: Any) -> bool:
    """Whether the expression reads only its context item (an element's attributes and
    descendants, or a value), never the item's place nor anything outside it."""
    return not any(
        (t.symbol in ("/", "//") and t.label == "operator" and len(t) == 1) or t.symbol == ".."
        or (t.label == "axis" and t.symbol in OUTWARD_AXES)
        or (t.label == "function" and t.symbol in OUTWARD_FUNCTIONS) for t in walk_tokens(token))


def lxml_safe(token: Any, element_context: bool = False,
              variables: frozenset[str] = frozenset()) -> bool:
    """True when lxml's XPath 1.0 gives exactly the 3.1 result for this parsed expression.

    :param variables: names of variables that will hold one element each.
    """
    return (_safe(token, element_context, variables)
            and not _may_return_document(token))


#: Axes whose step with a kind test (``node()``) selects the document node from below.
_UP_TO_DOCUMENT = frozenset({"parent", "ancestor", "ancestor-or-self"})
#: Axes whose step with ``node()`` selects the document node when that is its context.
_FROM_DOCUMENT = frozenset({"self", "descendant-or-self"})


def _may_return_document(token: Any, from_document: bool = False) -> bool:
    # the nodes the expression returns may include the document node: its last step goes up,
    # or stays on the document node, without naming elements (from_document: the step's
    # context nodes may include the document node)
    symbol, label = token.symbol, token.label
    if symbol in ("/", "//") and label == "operator" and len(token) == 1:
        return _may_return_document(token[0], True)  # from the root
    if symbol in ("/", "//") and label == "operator" and len(token) == 2:
        return _may_return_document(token[1], _may_return_document(token[0], from_document))
    if (symbol == "[" and label == "operator") or (symbol == "(" and label == "expression"):
        return _may_return_document(token[0], from_document)
    if symbol == "|":
        return any(_may_return_document(child, from_document) for child in token)
    if symbol == "..":
        return True
    if label == "axis" and len(token) == 1 and token[0].label == "kind test":
        return symbol in _UP_TO_DOCUMENT or (symbol in _FROM_DOCUMENT and from_document)
    return False


def _safe(token: Any, relative: bool, variables: frozenset[str]) -> bool:
    symbol, label = token.symbol, token.label
    if symbol in ("/", "//") and label == "operator":
        if len(token) == 0:
            return False  # the document node itself
        if len(token) == 1:
            return _safe(token[0], True, variables)
        return _safe(token[0], relative, variables) and _safe(token[1], True, variables)
    if symbol == "[" and label == "operator":
        return _safe(token[0], relative, variables) and _safe_predicate(token[1], variables)
    if symbol == "(" and label == "expression":
        return len(token) == 1 and _safe(token[0], relative, variables)
    if symbol in (":", "(name)", "*") and label in ("symbol", "name", "wildcard symbol"):
        # a name test, not a prefixed function call such as xs:integer(@n)
        return relative and (symbol != ":" or token[1].symbol in ("(name)", "*"))
    if symbol == "@" or (label == "axis" and symbol in _STEP_AXES):
        return relative and all(_safe(child, True, variables) for child in token)
    if label == "axis" and symbol in _UPWARD_AXES:
        # a name or node(): the document node only as a result (see _may_return_document)
        step = token[0] if len(token) == 1 else None
        return relative and step is not None and (
            step.symbol in (":", "(name)", "*") and _safe(step, True, variables)
            or step.symbol == "node" and step.label == "kind test" and not len(step))
    if symbol == ".." and label == "shortcut expression":
        return relative
    if label == "kind test" and symbol in _KIND_TESTS:
        return relative and len(token) == 0
    if symbol == ".":
        return relative
    if symbol == "$":
        return token[0].value in variables  # one element, whatever the focus
    if symbol == "|":
        return _safe(token[0], relative, variables) and _safe(token[1], relative, variables)
    if symbol in ("and", "or"):
        return _safe(token[0], relative, variables) and _safe(token[1], relative, variables)
    if symbol in ("=", "!="):
        kinds = {_value_kind(token[0]), _value_kind(token[1])}
        return (kinds in ({"number"}, {"string"}, {"string", "node"}, {"node"})
                and _safe(token[0], relative, variables)
                and _safe(token[1], relative, variables))
    if symbol in ("(string)", "(integer)"):
        return True
    if label == "function":
        return _safe_call(token, relative, variables)
    return False


def _safe_predicate(token: Any, variables: frozenset[str]) -> bool:
    if token.symbol == "(integer)":
        return True  # a position
    return _safe(token, True, variables)


def _safe_call(token: Any, relative: bool, variables: frozenset[str]) -> bool:
    name, args = token.symbol, list(token)
    if not args and name in ("string", "normalize-space", "string-length", "local-name",
                             "namespace-uri", "position", "last"):
        return relative  # they read the context item, which differs at the top
    if name in ("count", "not", "boolean"):
        return len(args) == 1 and _safe(args[0], relative, variables)
    if name in ("true", "false"):
        return not args
    if name in _STRING_FUNCTIONS or name == "string-length":
        for position, arg in enumerate(args):
            if arg.symbol == "(integer)" and name == "substring" and position > 0:
                continue
            if not _singleton(arg, variables) or not _safe(arg, relative, variables):
                return False
        return True
    return False


def _singleton(token: Any, variables: frozenset[str]) -> bool:
    # at most one item in both languages: 1.0 would take the first of many, 3.1 would fail
    if token.symbol in (".", "(string)"):
        return True
    if token.symbol == "$":
        return token[0].value in variables
    if token.symbol == "@":
        return len(token) == 1 and token[0].symbol in (":", "(name)")
    return token.label == "function" and token.symbol in _STRING_FUNCTIONS | {"string-length"}


def _value_kind(token: Any) -> str:
    if token.symbol == "(integer)" or (token.label == "function"
                                       and token.symbol in _NUMBER_FUNCTIONS):
        return "number"
    if token.symbol == "(string)" or (token.label == "function"
                                      and token.symbol in _STRING_FUNCTIONS):
        return "string"
    if token.label == "function" or token.label == "literal":
        return "other"
    return "node"


def requirements(token: Any) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """What a document must contain for the expression to return anything.

    Only steps on the main path count (not ``|`` branches, nor predicates beyond
    ``[@attr = 'literal']`` and ``[path]``; for ``for $x in PATH return ...``, ``PATH``'s); an
    expression whose top is not a path (``count()``,
    ``not()``, arithmetic ...) requires nothing, since it yields a value for every document.

    :return: (Clark names of elements, (Clark attribute name, value) pairs).
    """
    names: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    _spine(token, names, attributes)
    return frozenset(names), frozenset(attributes)


def _spine(token: Any, names: set[str], attributes: set[tuple[str, str]]) -> None:
    symbol, label = token.symbol, token.label
    if symbol in ("/", "//", "!") and label == "operator":
        for child in token:
            _spine(child, names, attributes)
    elif symbol == "[" and label == "operator":
        _spine(token[0], names, attributes)
        _predicate(token[1], names, attributes)
    elif symbol == "(" and label == "expression" and len(token) == 1:
        _spine(token[0], names, attributes)
    elif symbol == "for" and label == "expression" and len(token) == 3:
        _spine(token[1], names, attributes)  # no item to bind, no item returned
    elif label == "axis" and symbol not in ("attribute", "namespace"):
        _spine(token[0], names, attributes)
    elif symbol in (":", "(name)") and label in ("symbol", "name"):
        name = _clark(token)
        if name:
            names.add(name)


def _predicate(token: Any, names: set[str], attributes: set[tuple[str, str]]) -> None:
    if token.symbol == "and":
        _predicate(token[0], names, attributes)
        _predicate(token[1], names, attributes)
    elif token.symbol == "=" and token.label == "operator":
        for attr, literal in ((token[0], token[1]), (token[1], token[0])):
            if attr.symbol == "@" and len(attr) == 1 and literal.symbol == "(string)":
                name = _clark(attr[0])
                if name:
                    attributes.add((name, literal.value))
    elif token.symbol in ("/", "//", ":", "(name)", "[") or token.label == "axis":
        _spine(token, names, attributes)


def _clark(token: Any) -> str | None:
    if token.symbol == "(name)":
        return str(token.value)
    if token.symbol == ":" and token[1].symbol == "(name)" and token[0].symbol == "(name)":
        uri = token.parser.namespaces.get(token[0].value)
        return f"{{{uri}}}{token[1].value}" if uri else None
    return None


# --- the form lxml is given -----------------------------------------------------------------
# libxml2 runs `//x` as the descendant axis, but `//x[p]` as written: every node of the
# document first, then each one's children tested. Without a positional predicate the two
# select the same nodes, so such steps are handed to lxml as `/descendant::x[p]`.

_BOOLEAN_PREDICATES = frozenset({"contains", "starts-with", "not", "boolean", "true", "false"})


def lxml_source(token: Any) -> str:
    """The expression's source with ``//NAME[P]...`` steps written ``/descendant::NAME[P]...``.

    Only steps whose predicates cannot be positions (comparisons, boolean functions, paths)
    are rewritten; anything else keeps its source.
    """
    symbol, label = token.symbol, token.label
    if symbol == "//" and label == "operator" and len(token) in (1, 2) \
            and _filtered_name(token[-1]):
        left = lxml_source(token[0]) if len(token) == 2 else ""
        return f"{left}/descendant::{token[-1].source}"
    if symbol in ("/", "//") and label == "operator" and len(token) == 2:
        return f"{lxml_source(token[0])}{symbol}{token[1].source}"
    if symbol == "|" and len(token) == 2:
        return f"{lxml_source(token[0])} | {lxml_source(token[1])}"
    return str(token.source)


def _filtered_name(step: Any) -> bool:
    # NAME[P1]...[Pn], n >= 1, no predicate a number
    if step.symbol != "[" or step.label != "operator":
        return False
    while step.symbol == "[" and step.label == "operator":
        if not _not_a_number(step[1]):
            return False
        step = step[0]
    return step.symbol in (":", "(name)", "*") and "function" not in step.label \
        and (step.symbol != ":" or step[1].symbol in ("(name)", "*"))


def _not_a_number(token: Any) -> bool:
    symbol, label = token.symbol, token.label
    if symbol in ("=", "!=", "and", "or") and label == "operator":
        return True
    if label == "function":
        return symbol in _BOOLEAN_PREDICATES
    if symbol in ("/", "//", "[") and label == "operator":
        return True  # a path: a node-set
    if symbol == "@" or label == "axis":
        return True
    return symbol in (":", "(name)", "*") and label in ("symbol", "name", "wildcard symbol") \
        and (symbol != ":" or token[1].symbol in ("(name)", "*"))


# --- expressions of the elements alone -------------------------------------------------------
# Which expressions give the same value on a document's outline (its elements alone: their
# names, nesting and order, no text, attribute, comment nor instruction; see
# TreeCache.outline) as on the document? Those whose steps select elements by name only, and
# whose values are those elements, counts and places of them, and truths: built from the
# constructs below, and whose last step cannot reach the document node. A result that turns out
# to be anything else is the caller's to catch.

#: Axes between elements (and the document node above them).
_OUTLINE_AXES = (_STEP_AXES - {"attribute"}) | _UPWARD_AXES
#: Functions of elements' presence, number and place.
_OUTLINE_FUNCTIONS = frozenset({"count", "exists", "empty", "not", "boolean", "true", "false",
                                "position", "last"})
_OUTLINE_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">=",
                                  "eq", "ne", "lt", "le", "gt", "ge"})
_OUTLINE_ARITHMETIC = frozenset({"+", "-", "*", "div", "idiv", "mod"})
_OUTLINE_OPERATORS = frozenset({"/", "//", "[", "|", "union", "intersect", "except", "and",
                                "or"})


def reads_outline_only(token: Any) -> bool:
    """Whether the expression reads nothing of a document but its elements' names, nesting
    and order (``//tei:date[ancestor::tei:p[tei:orgName]]``, ``for $p in //tei:p return
    count($p//tei:persName)``): no text, attribute, comment, string value nor literal string;
    and returns no document node (whose value is its text)."""
    return _of_elements(token) and not _may_return_document(token)


def _of_elements(token: Any) -> bool:
    symbol, label = token.symbol, token.label
    if label == "operator" and symbol in _OUTLINE_OPERATORS:
        return len(token) > 0 and all(map(_of_elements, token))  # ("/": the document)
    if label == "operator" and symbol in _OUTLINE_COMPARISONS | _OUTLINE_ARITHMETIC:
        return all(map(_outline_number, token))  # a string value compared: not of elements
    if symbol in ("for", "some", "every") and label == "expression":
        return all(map(_of_elements, token))  # its variables, bound to what is checked
    if symbol == "(" and label == "expression":
        return all(map(_of_elements, token))
    if label == "axis":
        return symbol in _OUTLINE_AXES and len(token) == 1 and _element_test(token[0])
    if label == "function":
        return symbol in _OUTLINE_FUNCTIONS and all(map(_of_elements, token))
    return _element_test(token) or symbol in (".", "..", "$", "(integer)")


def any_name_test(token: Any) -> bool:
    """Whether the token is a name test (``tei:p``, ``p``, ``*``, ``tei:*``, ``*:p``), never a
    prefixed function's call."""
    if token.symbol == ":" and len(token) == 2:
        return all(any_name_test(part) for part in token)
    return (token.symbol, token.label) in (("(name)", "name"), ("*", "wildcard symbol"))


def _element_test(token: Any) -> bool:
    # a name test or element()
    return any_name_test(token) or (token.symbol == "element" and token.label == "kind test"
                                    and len(token) == 0)


def _outline_number(token: Any) -> bool:
    # a number made of the elements alone: a count, a place, a literal, arithmetic of them
    symbol, label = token.symbol, token.label
    if symbol == "(integer)":
        return True
    if label == "function":
        return symbol in ("count", "position", "last") and all(map(_of_elements, token))
    if symbol == "(" and label == "expression":
        return len(token) == 1 and _outline_number(token[0])
    return label == "operator" and symbol in _OUTLINE_ARITHMETIC and all(
        map(_outline_number, token))
