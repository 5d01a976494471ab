"""Corpus-wide XPath: one expression evaluated on every TEI document of the data directory.

Each expression is parsed once by elementpath's XPath 3.1 parser (syntax errors, codes,
positions, and the token tree). When the token tree holds only constructs whose meaning is the
same in XPath 1.0 and 3.1 (:func:`archive.xpath_analysis.lxml_safe`), the expression runs
through lxml's C XPath instead, many times faster; both engines' items become hits through the
same code (:mod:`archive.xpath_hits`), so the results are identical. :func:`run_query` hands the
evaluation to a worker process that can be stopped (:mod:`archive.query_worker`);
:func:`evaluate_query` is the evaluation itself, a pure function of the files it reads.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from operator import ne, or_
from pathlib import Path
from typing import Any, NamedTuple

import elementpath
from elementpath.xpath3 import XPath3Parser
from lxml import etree

from tei.namespaces import NSMAP

from .config import Settings
from .errors import QueryError
from .tree_cache import TREE_CACHE_BUDGET, TreeCache, file_stamp, folder_stamps
from .xpath_analysis import _safe, lxml_safe, lxml_source, requirements
from .xpath_attributes import attribute_plan
from .xpath_hits import Hit, HitMaker, atomic_string, classify, make_hit
from .xpath_plans import NoPlan, atom_plan, filter_plan

#: Longest expression accepted, in characters.
MAX_EXPRESSION = 10_000


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
    :raise QueryError: a static (syntax, name, type) error, with its XPath code and position,
        or an expression longer than :data:`MAX_EXPRESSION`.
    """
    if len(expression) > MAX_EXPRESSION:
        raise QueryError(f"XPath expression too long: {len(expression)} characters"
                         f" (at most {MAX_EXPRESSION})")
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
    try:
        source = lxml_source(_parse(expression, namespaces))
    except QueryError:
        source = expression  # lxml reports its own error
    return etree.XPath(source, namespaces=bound)


def _query_error(error: elementpath.ElementPathError, doc: str | None = None) -> QueryError:
    code = (error.code or "XPST0003").removeprefix("err:")
    position = getattr(error.token, "position", None) if error.token is not None else None
    where = f" at line {position[0]}, column {position[1]}" if position else ""
    prefix = f"{doc}: " if doc else ""
    return QueryError(f"{prefix}XPath error {code}{where}: {error.message}")


#: The cache of this process (in the query worker: kept warm between queries).
TREES = TreeCache()


def run_query(
    settings: Settings, expression: str, *, namespaces: dict[str, str] | None = None,
    limit: int | None = None, timeout: float | None = None,
) -> QueryResult:
    """Evaluate ``expression`` on every document, in id order, the document node as context.

    The evaluation runs in a worker process, stopped when it passes the time limit even inside
    one long evaluation; its warm tree cache serves the next query.

    :param limit: hits reported before evaluation stops (default ``settings.query_limit``).
    :param timeout: seconds before evaluation stops (default ``settings.query_timeout``).
    :return: the hits; ``truncated`` and ``message`` tell when a limit stopped it early.
    :raise QueryError: a static error, a dynamic error in one document, or an expression
        longer than :data:`MAX_EXPRESSION`.
    """
    from .query_worker import run_in_worker

    if len(expression) > MAX_EXPRESSION:  # refused before anything is sent anywhere
        compile_query(expression)
    return run_in_worker(settings, expression, namespaces=namespaces,
                         limit=settings.query_limit if limit is None else limit,
                         timeout=settings.query_timeout if timeout is None else timeout)


def evaluate_query(settings: Settings, expression: str, *,
                   namespaces: dict[str, str] | None = None, limit: int, timeout: float,
                   cache: TreeCache | None = None) -> QueryResult:
    """:func:`run_query`'s evaluation in this process, in one pass (no stopping it early)."""
    started = time.perf_counter()
    compiled = compile_query(expression, namespaces)
    _, chosen = candidates(settings, compiled)
    return evaluate_files(compiled, [(found.doc, found.path) for found in chosen], limit=limit,
                          timeout=timeout, started=started, cache=cache)


class Candidate(NamedTuple):
    """A document that may match, as :func:`candidates` found it."""

    position: int  # among all the documents, in id order
    doc: str
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size) when chosen


def candidates(settings: Settings, compiled: CompiledQuery, shard: int = 0,
               shards: int = 1) -> tuple[tuple[Any, ...], list[Candidate]]:
    """The documents of one share that may match, in id order; the index prunes the rest.

    A share is every ``shards``-th document in id order from the ``shard``-th: each query
    worker keeps its own share's trees warm, whatever the query. The list of files and their
    ids is kept per process while neither the index nor the folder changes; each query takes
    the share's stamps (mtime, size) as they are now (see :func:`folder_stamps`), so a file
    changed in place is never ruled out by a stale index (and the tree cache is given that
    stamp rather than reading it again). A file gone since the list was read is left out.

    :return: what the list of documents was read under (the same in every process that read
        the same list), and the candidates of the share.
    """
    listed, possible = _listed(settings, compiled)
    share = slice(shard, None, shards)
    stamps = folder_stamps(settings.tei_dir, listed.names[share])
    found: Iterable[tuple[int, tuple[int, int] | None]] = zip(
        range(len(listed.files))[share], stamps, strict=True)
    if possible is not None:
        # kept: indexed as holding what the query needs, or not indexed as the file is now;
        # in C rather than a Python loop, as a selective query rules out most files here
        found = compress(found, map(or_, map(possible.__contains__, listed.docs[share]),
                                    map(ne, stamps, listed.indexed[share])))
    return listed.stamp, [Candidate(position, *listed.files[position], stamp)
                          for position, stamp in found if stamp is not None]


@dataclass
class _Files:
    """The documents of a data directory while neither the index nor the folder changes."""

    stamp: tuple[Any, ...]
    files: list[tuple[str, Path]]
    names: list[str]  # their paths
    docs: list[int | None]  # their numbers in the index (None: not indexed)
    indexed: list[tuple[int, int] | None]  # their (mtime_ns, size) in the index
    possible: dict[Any, set[int] | None] = field(default_factory=dict)  # by requirements


_FILES: dict[str, _Files] = {}


def _listed(settings: Settings, compiled: CompiledQuery) -> tuple[_Files, set[int] | None]:
    # the documents, and the index's answer for the query (None: no condition, or no index)
    from .index import document_files, reader

    db = reader(settings) if settings.index_path.is_file() else None
    if db is None:
        files = document_files(settings)
        return _Files((len(files),), files, [str(path) for _, path in files],
                      [None] * len(files), [None] * len(files)), None
    stamp = (settings.tei_dir.stat().st_mtime_ns, *db.execute(
        "SELECT (SELECT value FROM meta WHERE key = 'generation'),"
        " (SELECT MAX(doc) FROM documents), (SELECT COUNT(*) FROM documents)").fetchone())
    key = str(settings.index_path)
    cached = _FILES.get(key)
    if cached is None or cached.stamp != stamp:
        indexed = {path: (doc, (mtime, size)) for doc, path, mtime, size in
                   db.execute("SELECT doc, path, mtime_ns, size FROM documents")}
        files = document_files(settings)
        known = [indexed.get(path.name, (None, None)) for _, path in files]
        cached = _FILES[key] = _Files(stamp, files, [str(path) for _, path in files],
                                      [doc for doc, _ in known], [mtime for _, mtime in known])
    # the index's answer holds while its generation does (a changed file is caught by its stamp)
    wanted = (compiled.names, compiled.attributes)
    if wanted not in cached.possible:
        if len(cached.possible) >= 256:
            cached.possible.clear()
        cached.possible[wanted] = _possible(db, compiled)
    return cached, cached.possible[wanted]


def _possible(db: Any, compiled: CompiledQuery) -> set[int] | None:
    # documents holding every required element name and attribute value (None: no condition)
    from .index_rows import UNINDEXED_ATTRIBUTES

    possible: set[int] | None = None
    conditions = [("SELECT doc FROM element_names WHERE name = ?", (name,))
                  for name in compiled.names]
    conditions += [("SELECT doc FROM attribute_values WHERE name = ? AND value = ?", pair)
                   for pair in compiled.attributes if pair[0] not in UNINDEXED_ATTRIBUTES]
    for sql, params in conditions:
        docs = {row[0] for row in db.execute(sql, params)}
        possible = docs if possible is None else possible & docs
    return possible


def evaluate_files(
    compiled: CompiledQuery, files: Sequence[tuple[str, Path]], *, limit: int, timeout: float,
    started: float | None = None, cache: TreeCache | None = None,
) -> QueryResult:
    """Evaluate a compiled query on the given files; a pure function of its arguments.

    Every item is counted; hits (with their context) are made for the first ``limit`` only.

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
        now = time.perf_counter()
        if now > deadline:
            message = _stopped(f"the time limit of {timeout:g} s", index, len(files))
            break
        if len(hits) >= limit and limit >= 0:
            message = _stopped(f"the result limit of {limit} items", index, len(files))
            break
        found, new, partial = document_hits(compiled, cache, path, doc, deadline,
                                            limit - len(hits))
        evaluated += 1
        count += found
        hits += new
        if partial:
            message = _stopped(f"the time limit of {timeout:g} s", index, len(files))
            break
    elapsed = (time.perf_counter() - started) * 1000
    return QueryResult(compiled.expression, count, tuple(hits), elapsed, message is not None,
                       compiled.engine, evaluated, message)


#: Seconds between two batches of records a query worker sends.
PROGRESS_EVERY = 0.2


def _stopped(reason: str, index: int, total: int) -> str:
    return f"query stopped at {reason}: {index} of {total} documents searched"


#: The item that says an elementpath evaluation passed its deadline.
TIMED_OUT = object()


def document_hits(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                  deadline: float, room: int, stamp: tuple[int, int] | None = None,
                  ) -> tuple[int, list[Hit], bool]:
    """One document's items: how many, the hits of the first ``room``, and whether the
    deadline stopped its evaluation.

    :param stamp: the file's (mtime_ns, size) when the caller has just read them.
    :raise QueryError: a dynamic error, named after ``doc``.
    """
    found = attribute_plan(compiled.expression, compiled.namespaces)
    if found is not None:  # //NAME[@a = 'x']: from the tree's attribute map, no walk
        elements = found.select(cache.attributes(path, found.attribute, stamp))
        if not elements or room <= 0:
            return len(elements), [], False
        maker = HitMaker(doc, compiled.namespaces, cache.hit_memo(path))
        return len(elements), list(map(maker.hit, elements[:room])), False
    count, hits, maker = 0, [], None
    for item in evaluate_document(compiled, cache, path, doc, deadline, stamp):
        if item is TIMED_OUT:
            return count, hits, True
        count += 1
        if len(hits) < room:
            maker = maker or HitMaker(doc, compiled.namespaces, cache.hit_memo(path))
            hits.append(maker.hit(item))
    return count, hits, False


def evaluate_document(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                      deadline: float, stamp: tuple[int, int] | None = None) -> Iterator[Any]:
    """The items of one document, in order; :data:`TIMED_OUT` last when the deadline passed.

    :param stamp: the file's (mtime_ns, size) when the caller has just read them.
    :raise QueryError: a dynamic error, named after ``doc``.
    """
    if compiled.engine == "lxml":
        tree, _ = cache.get(path, stamp=stamp)
        result = _lxml_xpath(compiled.expression, compiled.namespaces)(tree)
        yield from result if isinstance(result, list) else (result,)
        return
    plan = filter_plan(compiled.expression, compiled.namespaces)
    if plan is not None:
        tree, _ = cache.get(path, stamp=stamp)
        try:
            yield from plan.select(tree, _lxml_xpath(plan.path, compiled.namespaces))
            return
        except NoPlan:
            pass  # a position test: this document is evaluated in full
        except elementpath.ElementPathError as error:
            raise _query_error(error, doc) from None
    atoms = atom_plan(compiled.expression, compiled.namespaces)
    if atoms is not None:
        tree, _ = cache.get(path, stamp=stamp)
        try:
            yield from atoms.evaluate(
                tree, lambda source: _lxml_xpath(source, compiled.namespaces),
                lambda attribute: cache.attributes(path, attribute, stamp))
            return
        except elementpath.ElementPathError as error:
            raise _query_error(error, doc) from None
    _, nodes = cache.get(path, node_tree=True, stamp=stamp)
    token = _parse(compiled.expression, compiled.namespaces)
    context = elementpath.XPathContext(nodes, namespaces=compiled.namespace_map)
    items = []
    try:
        for position, item in enumerate(token.select(context)):
            if position % 256 == 255 and time.perf_counter() > deadline:
                items.append(TIMED_OUT)
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


def parse_expression(expression: str, namespaces: dict[str, str] | None = None) -> Any:
    """elementpath's token tree of an expression (parsed once, cached).

    :raise QueryError: a static error.
    """
    return _parse(expression, tuple(sorted({**NSMAP, **(namespaces or {})}.items())))


__all__ = ["TREE_CACHE_BUDGET", "CompiledQuery", "Hit", "QueryResult", "TreeCache",
           "atomic_string", "classify", "compile_query", "evaluate_files", "evaluate_query",
           "evaluate_tree", "file_stamp", "lxml_safe", "make_hit", "parse_expression",
           "run_query"]
