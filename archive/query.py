"""Corpus-wide XPath: one expression evaluated on every TEI document of the data directory.

Each expression is parsed once by elementpath's XPath 3.1 parser (syntax errors, codes,
positions, and the token tree analysed below). When the token tree holds only constructs whose
meaning is the same in XPath 1.0 and 3.1 (:func:`lxml_safe`, a conservative allow-list), the
expression runs through lxml's C XPath instead, which is many times faster; both engines'
items are turned into hits by the same code, so the results are identical. Evaluation is a pure function of (expression, namespaces, file paths),
so that a later version can move it into a killable worker process.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import elementpath
from elementpath.xpath3 import XPath3Parser
from lxml import etree

from tei.namespaces import NSMAP, XML_ID, XML_NS
from tei.parse import parse_tei

from .config import Settings
from .errors import QueryError
from .store import iter_tei_files

#: Characters of context shown on each side of a hit.
CONTEXT_WIDTH = 40
#: Default memory budget of the parsed-tree cache, in bytes (estimated, see TreeCache).
TREE_CACHE_BUDGET = 256 * 1024 * 1024

_STRING = etree.XPath("string(.)")


@dataclass(frozen=True)
class Hit:
    """One result item: where it is and what it says."""

    doc: str
    target: str | None  # xml:id of the nearest identified ancestor-or-self
    kind: str  # element, attribute, text, comment, processing-instruction, document, atomic
    name: str | None
    value: str
    context: str

    def as_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "target": self.target, "kind": self.kind, "name": self.name,
                "value": self.value, "context": self.context}


@dataclass(frozen=True)
class QueryResult:
    """The outcome of :func:`run_query`; ``message`` says why it stopped early, if it did."""

    query: str
    count: int
    hits: tuple[Hit, ...]
    elapsed_ms: float
    truncated: bool
    engine: str = "lxml"
    documents: int = 0  # documents evaluated
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``archive query --format json``."""
        return {"query": self.query, "count": self.count,
                "hits": [hit.as_dict() for hit in self.hits],
                "elapsed_ms": round(self.elapsed_ms, 3), "truncated": self.truncated}


@dataclass(frozen=True)
class CompiledQuery:
    """An expression parsed once: the engine chosen and what a document must hold to match."""

    expression: str
    namespaces: tuple[tuple[str, str], ...]
    engine: str  # "lxml" or "elementpath"
    names: frozenset[str] = field(default_factory=frozenset)  # Clark names of elements
    attributes: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (name, value)

    @property
    def namespace_map(self) -> dict[str, str]:
        return dict(self.namespaces)


def compile_query(expression: str, namespaces: dict[str, str] | None = None, *,
                  element_context: bool = False) -> CompiledQuery:
    """Parse ``expression`` and choose the engine.

    :param namespaces: extra prefix bindings; ``tei`` and ``xml`` are always bound.
    :param element_context: the context item will be an element, not the document node.
    :raise QueryError: a static (syntax, name, type) error, with its XPath code and position.
    """
    bound = {**NSMAP, **(namespaces or {})}
    return _compile(expression, tuple(sorted(bound.items())), element_context)


@lru_cache(maxsize=256)
def _compile(expression: str, namespaces: tuple[tuple[str, str], ...],
             element_context: bool) -> CompiledQuery:
    if not expression.strip():
        raise QueryError("empty XPath expression")
    token = _parse(expression, namespaces)
    engine = "elementpath"
    if _safe(token, relative=element_context):
        try:
            _lxml_xpath(expression, namespaces)
            engine = "lxml"
        except etree.XPathError:
            pass  # lxml refuses what elementpath accepts: elementpath decides
    names, attributes = requirements(token)
    return CompiledQuery(expression, namespaces, engine, names, attributes)


@lru_cache(maxsize=256)
def _parse(expression: str, namespaces: tuple[tuple[str, str], ...]) -> Any:
    try:
        token = XPath3Parser(namespaces=dict(namespaces)).parse(expression)
    except elementpath.ElementPathError as error:
        raise _query_error(error) from None
    _bind_prefixed_names(token, dict(namespaces))
    return token


def _bind_prefixed_names(token: Any, namespaces: dict[str, str]) -> None:
    # elementpath 5.1's XPath 3 parser leaves a prefixed name unbound when its local part is
    # also a function name (tei:head, tei:sort, tei:tail), so //tei:head matched nothing.
    for child in token:
        _bind_prefixed_names(child, namespaces)
    if (token.symbol == ":" and len(token) == 2 and token[0].symbol == "(name)"
            and token[1].symbol == "(name)" and not token.name
            and token[0].value in namespaces):
        token.name = token[1].name = f"{{{namespaces[token[0].value]}}}{token[1].value}"


@lru_cache(maxsize=256)
def _lxml_xpath(expression: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    # lxml binds the xml prefix itself and refuses to have it redefined
    bound = {prefix: uri for prefix, uri in namespaces if prefix != "xml"}
    return etree.XPath(expression, namespaces=bound)


def _query_error(error: elementpath.ElementPathError, doc: str | None = None) -> QueryError:
    code = (error.code or "XPST0003").removeprefix("err:")
    position = getattr(error.token, "position", None) if error.token is not None else None
    where = f" at line {position[0]}, column {position[1]}" if position else ""
    prefix = f"{doc}: " if doc else ""
    return QueryError(f"{prefix}XPath error {code}{where}: {error.message}")


class TreeCache:
    """Parsed documents kept between queries, least recently used first out.

    Sizes are estimates from the file size (an lxml tree takes several times its file, an
    elementpath node tree several more), so the budget bounds memory, not exactly.
    """

    LXML_FACTOR = 8
    ELEMENTPATH_FACTOR = 24

    def __init__(self, budget: int = TREE_CACHE_BUDGET) -> None:
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[str, tuple[tuple[int, int], Any, Any, int]] = OrderedDict()

    def get(self, path: Path, node_tree: bool = False) -> tuple[Any, Any]:
        """The parsed tree of ``path`` (and its elementpath node tree when asked).

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = str(path)
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            tree, nodes = entry[1], entry[2]
        else:
            tree, nodes = parse_tei(path), None
        if node_tree and nodes is None:
            nodes = elementpath.get_node_tree(tree, namespaces=NSMAP)
        cost = stat.st_size * (self.LXML_FACTOR + (self.ELEMENTPATH_FACTOR if nodes else 0))
        self._store(key, (stamp, tree, nodes, cost))
        return tree, nodes

    def _store(self, key: str, entry: tuple[tuple[int, int], Any, Any, int]) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.used -= old[3]
        if entry[3] > self.budget:
            return  # larger than the whole budget: used once, never kept
        self._entries[key] = entry
        self.used += entry[3]
        while self.used > self.budget:
            _, dropped = self._entries.popitem(last=False)
            self.used -= dropped[3]

    def clear(self) -> None:
        self._entries.clear()
        self.used = 0


#: The process-wide cache used by :func:`run_query`.
TREES = TreeCache()


def run_query(
    settings: Settings, expression: str, *, namespaces: dict[str, str] | None = None,
    limit: int | None = None, timeout: float | None = None,
) -> QueryResult:
    """Evaluate ``expression`` on every document, in id order, the document node as context.

    :param limit: hits reported before evaluation stops (default ``settings.query_limit``).
    :param timeout: seconds before evaluation stops (default ``settings.query_timeout``).
    :return: the hits; ``truncated`` and ``message`` tell when a limit stopped it early.
    :raise QueryError: a static error, or a dynamic error in one document.
    """
    started = time.perf_counter()
    compiled = compile_query(expression, namespaces)
    paths = candidate_files(settings, compiled)
    return evaluate_files(
        compiled, paths, limit=settings.query_limit if limit is None else limit,
        timeout=settings.query_timeout if timeout is None else timeout, started=started)


def candidate_files(settings: Settings, compiled: CompiledQuery) -> list[tuple[str, Path]]:
    """(doc id, path) of the documents that may match, in id order; the index prunes the rest."""
    from .index import document_files, prune  # the index imports this module's compiler

    files = document_files(settings)
    if compiled.names or compiled.attributes:
        files = prune(settings, files, compiled.names, compiled.attributes)
    return files


def evaluate_files(
    compiled: CompiledQuery, files: Sequence[tuple[str, Path]], *, limit: int, timeout: float,
    started: float | None = None, cache: TreeCache | None = None,
) -> QueryResult:
    """Evaluate a compiled query on the given files; a pure function of its arguments.

    :param files: (doc id, path) pairs in the order the hits should come.
    """
    started = time.perf_counter() if started is None else started
    deadline = started + timeout
    cache = TREES if cache is None else cache
    hits: list[Hit] = []
    count = 0
    message = None
    evaluated = 0
    for index, (doc, path) in enumerate(files):
        if time.perf_counter() > deadline:
            message = _stopped(f"the time limit of {timeout:g} s", index, len(files))
            break
        if len(hits) >= limit and limit >= 0:
            message = _stopped(f"the result limit of {limit} items", index, len(files))
            break
        items = _evaluate(compiled, cache, path, doc, deadline)
        evaluated += 1
        for item in items:
            if item is _TIMED_OUT:
                message = _stopped(f"the time limit of {timeout:g} s", index, len(files))
                break
            count += 1
            if len(hits) < limit:
                hits.append(make_hit(doc, item, compiled.namespaces))
        if message:
            break
    elapsed = (time.perf_counter() - started) * 1000
    return QueryResult(compiled.expression, count, tuple(hits), elapsed, message is not None,
                       compiled.engine, evaluated, message)


def _stopped(reason: str, index: int, total: int) -> str:
    return f"query stopped at {reason}: {index} of {total} documents searched"


_TIMED_OUT = object()


def _evaluate(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
              deadline: float) -> Iterator[Any]:
    if compiled.engine == "lxml":
        tree, _ = cache.get(path)
        result = _lxml_xpath(compiled.expression, compiled.namespaces)(tree)
        yield from result if isinstance(result, list) else (result,)
        return
    _, nodes = cache.get(path, node_tree=True)
    token = _parse(compiled.expression, compiled.namespaces)
    context = elementpath.XPathContext(nodes, namespaces=compiled.namespace_map)
    items = []
    try:
        for position, item in enumerate(token.select(context)):
            if position % 256 == 255 and time.perf_counter() > deadline:
                items.append(_TIMED_OUT)
                break
            items.append(item)
    except elementpath.ElementPathError as error:
        raise _query_error(error, doc) from None
    yield from _in_document_order(token, items)


def evaluate_tree(compiled: CompiledQuery, tree: etree._ElementTree, nodes: Any = None,
                  item: etree._Element | None = None) -> list[Any]:
    """All items of a compiled query on one parsed tree (used by facets at index time).

    :param nodes: the tree's elementpath node tree when already built.
    :param item: the context element (default: the document node).
    """
    if compiled.engine == "lxml":
        result = _lxml_xpath(compiled.expression, compiled.namespaces)(
            tree if item is None else item)
        return result if isinstance(result, list) else [result]
    if nodes is None:
        nodes = elementpath.get_node_tree(tree, namespaces=NSMAP)
    token = _parse(compiled.expression, compiled.namespaces)
    context = elementpath.XPathContext(nodes, namespaces=compiled.namespace_map,
                                       item=None if item is None else nodes.get_element_node(item))
    try:
        return _in_document_order(token, list(token.select(context)))
    except elementpath.ElementPathError as error:
        raise _query_error(error) from None


_PATH_OPERATORS = frozenset({"/", "//", "|", "union", "intersect", "except"})


def _in_document_order(token: Any, items: list[Any]) -> list[Any]:
    # A path or a union yields nodes in document order; elementpath 5.1 does not always keep
    # it (//text() comes grouped by parent), so its nodes are put back in order here.
    while token.symbol == "[" and token.label == "operator":
        token = token[0]
    if token.symbol not in _PATH_OPERATORS or token.label != "operator":
        return items
    if not all(isinstance(item, elementpath.XPathNode) for item in items):
        return items
    return sorted(items, key=lambda node: node.position)


# --- static analysis of the token tree ------------------------------------------------------
# Which expressions mean the same in XPath 1.0 (lxml) and 3.1 (elementpath)? Only those built
# from the constructs below. Left out on purpose: numeric comparisons and arithmetic on node
# values (3.1 raises FORG0001 where 1.0 gives NaN), `<`/`>` (1.0 compares numbers, 3.1 strings),
# `div` (decimal vs double), functions given a node-set where 3.1 wants one item, `name()`
# (prefix choice), `id()`, relative paths at the top (lxml's context is the root element, the
# query's is the document node) and the parent/ancestor axes (they can reach the document node,
# which lxml never returns).

_STEP_AXES = frozenset({"child", "descendant", "descendant-or-self", "self", "attribute",
                        "following-sibling", "preceding-sibling", "following", "preceding"})
_KIND_TESTS = frozenset({"text", "comment", "node", "processing-instruction"})
_STRING_FUNCTIONS = frozenset({"contains", "starts-with", "substring-before", "substring-after",
                               "substring", "concat", "string", "normalize-space", "translate",
                               "local-name", "namespace-uri"})
_NUMBER_FUNCTIONS = frozenset({"count", "string-length", "position", "last"})
_BOOLEAN_FUNCTIONS = frozenset({"not", "boolean", "true", "false"})


def parse_expression(expression: str, namespaces: dict[str, str] | None = None) -> Any:
    """elementpath's token tree of an expression (parsed once, cached).

    :raise QueryError: a static error.
    """
    return _parse(expression, tuple(sorted({**NSMAP, **(namespaces or {})}.items())))


def lxml_safe(token: Any, element_context: bool = False) -> bool:
    """True when lxml's XPath 1.0 gives exactly the 3.1 result for this parsed expression."""
    return _safe(token, relative=element_context)


def _safe(token: Any, relative: bool) -> bool:
    symbol, label = token.symbol, token.label
    if symbol in ("/", "//") and label == "operator":
        if len(token) == 0:
            return False  # the document node itself
        if len(token) == 1:
            return _safe(token[0], True)
        return _safe(token[0], relative) and _safe(token[1], True)
    if symbol == "[" and label == "operator":
        return _safe(token[0], relative) and _safe_predicate(token[1])
    if symbol == "(" and label == "expression":
        return len(token) == 1 and _safe(token[0], relative)
    if symbol in (":", "(name)", "*") and label in ("symbol", "name", "wildcard symbol"):
        return relative
    if symbol == "@" or (label == "axis" and symbol in _STEP_AXES):
        return relative and all(_safe(child, True) for child in token)
    if label == "kind test" and symbol in _KIND_TESTS:
        return relative and len(token) == 0
    if symbol == ".":
        return relative
    if symbol == "|":
        return _safe(token[0], relative) and _safe(token[1], relative)
    if symbol in ("and", "or"):
        return _safe(token[0], relative) and _safe(token[1], relative)
    if symbol in ("=", "!="):
        kinds = {_value_kind(token[0]), _value_kind(token[1])}
        return (kinds in ({"number"}, {"string"}, {"string", "node"}, {"node"})
                and _safe(token[0], relative) and _safe(token[1], relative))
    if symbol in ("(string)", "(integer)"):
        return True
    if label == "function":
        return _safe_call(token, relative)
    return False


def _safe_predicate(token: Any) -> bool:
    if token.symbol == "(integer)":
        return True  # a position
    return _safe(token, True)


def _safe_call(token: Any, relative: bool) -> bool:
    name, args = token.symbol, list(token)
    if not args and name in ("string", "normalize-space", "string-length", "local-name",
                             "namespace-uri", "position", "last"):
        return relative  # they read the context item, which differs at the top
    if name in ("count", "not", "boolean"):
        return len(args) == 1 and _safe(args[0], relative)
    if name in ("true", "false"):
        return not args
    if name in _STRING_FUNCTIONS or name == "string-length":
        for position, arg in enumerate(args):
            if arg.symbol == "(integer)" and name == "substring" and position > 0:
                continue
            if not _singleton(arg) or not _safe(arg, relative):
                return False
        return True
    return False


def _singleton(token: Any) -> bool:
    # at most one item in both languages: 1.0 would take the first of many, 3.1 would fail
    if token.symbol in (".", "(string)"):
        return True
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
    ``[@attr = 'literal']`` and ``[path]``); an expression whose top is not a path (``count()``,
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


# --- items → hits -----------------------------------------------------------------------------

def make_hit(doc: str, item: Any, namespaces: Iterable[tuple[str, str]] = NSMAP.items()) -> Hit:
    """Turn one result item of either engine into a :class:`Hit`."""
    kind, owner, anchor, name, value = classify(item)
    if kind == "atomic" or kind == "document" or owner is None:
        return Hit(doc, None, kind, None, value, "")
    target_element = _identified(owner)
    span_of = owner if kind in ("element", "attribute") else None
    container = target_element if target_element is not None else owner
    if kind == "comment":
        context = value
    else:
        text = _STRING(container)
        if span_of is not None:
            start = _offset(container, span_of, tail=False)
            length = len(_STRING(span_of))
        else:  # a text node: owner.text (anchor None) or anchor.tail
            start = _offset(container, anchor if anchor is not None else owner,
                            tail=anchor is not None)
            length = len(value)
        context = _kwic(text, start, start + length)
    target = target_element.get(XML_ID) if target_element is not None else None
    return Hit(doc, target, kind, _prefixed(name, namespaces) if name else None, value, context)


def classify(item: Any) -> tuple[str, Any, Any, str | None, str]:
    """(kind, owner element, tail anchor, Clark name, string value) of a result item."""
    if isinstance(item, elementpath.XPathNode):
        return _classify_node(item)
    if isinstance(item, etree._Element):
        if isinstance(item, etree._Comment):
            return "comment", item.getparent(), None, None, item.text or ""
        if isinstance(item, etree._ProcessingInstruction):
            return "processing-instruction", item.getparent(), None, item.target, item.text or ""
        return "element", item, None, item.tag, _STRING(item)
    if isinstance(item, etree._ElementUnicodeResult):  # lxml "smart string"
        parent = item.getparent()
        if item.is_attribute:
            return "attribute", parent, None, item.attrname, str(item)
        if item.is_tail:
            return "text", parent.getparent(), parent, None, str(item)
        if item.is_text:
            return "text", parent, None, None, str(item)
    return "atomic", None, None, None, atomic_string(item)


def _classify_node(node: Any) -> tuple[str, Any, Any, str | None, str]:
    if isinstance(node, elementpath.ElementNode):
        return "element", node.elem, None, node.elem.tag, _STRING(node.elem)
    if isinstance(node, elementpath.AttributeNode):
        return "attribute", node.parent.elem, None, node.name, node.value
    if isinstance(node, elementpath.TextNode):
        parent = node.parent
        siblings = parent.children
        position = next(i for i, child in enumerate(siblings) if child is node)
        anchor = siblings[position - 1].elem if position else None
        return "text", parent.elem, anchor, None, node.value
    if isinstance(node, elementpath.CommentNode):
        return "comment", node.elem.getparent(), None, None, node.elem.text or ""
    if isinstance(node, elementpath.ProcessingInstructionNode):
        return ("processing-instruction", node.elem.getparent(), None, node.elem.target,
                node.elem.text or "")
    if isinstance(node, elementpath.DocumentNode):
        return "document", None, None, None, node.string_value
    return "atomic", None, None, None, str(node.string_value)


def atomic_string(value: Any) -> str:
    """The XPath string of an atomic value, the same for lxml's floats and elementpath's types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "INF" if value > 0 else "-INF"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def _identified(element: Any) -> Any:
    while element is not None:
        if isinstance(element.tag, str) and element.get(XML_ID) is not None:
            return element
        element = element.getparent()
    return None


def _offset(container: Any, node: Any, tail: bool) -> int:
    # Where node's string (or its tail) starts in the string value of container.
    offset = 0

    def walk(element: Any) -> bool:
        nonlocal offset
        if element is node and not tail:
            return True
        if isinstance(element.tag, str) and element.text:
            offset += len(element.text)
        for child in element:
            if walk(child):
                return True
            if child is node and tail:
                return True
            if child.tail:
                offset += len(child.tail)
        return False

    return offset if walk(container) else 0


def _kwic(text: str, start: int, end: int) -> str:
    left = max(0, start - CONTEXT_WIDTH)
    right = min(len(text), end + CONTEXT_WIDTH)
    snippet = " ".join(text[left:right].split())
    return ("…" if left else "") + snippet + ("…" if right < len(text) else "")


def _prefixed(name: str, namespaces: Iterable[tuple[str, str]]) -> str:
    qname = etree.QName(name)
    if not qname.namespace:
        return qname.localname
    if qname.namespace == XML_NS:
        return f"xml:{qname.localname}"
    for prefix, uri in namespaces:
        if uri == qname.namespace:
            return f"{prefix}:{qname.localname}"
    return name


def file_stamp(path: Path) -> tuple[int, int]:
    """(mtime_ns, size) of a file: what the index compares to know a file is unchanged."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size


__all__ = ["CompiledQuery", "Hit", "QueryResult", "TreeCache", "compile_query", "evaluate_files",
           "evaluate_tree", "make_hit", "run_query", "iter_tei_files"]
