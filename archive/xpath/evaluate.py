"""Evaluating a compiled XPath expression on TEI documents, as hits.

Both engines' items become hits through the same code (:mod:`.hits`), so their results are
identical; attribute predicates, filters and atomisations run by plans (:mod:`.plans`,
:mod:`.attributes`) where they can; ``//NAME`` is the tree's elements by that name, kept with the
tree; an expression of the elements alone is evaluated on a document's outline where its tree is
not kept (:meth:`TreeCache.outline`). A function of paths is answered without its file where the
index shows none of its paths has a node there (:class:`IndexAnswer`). :func:`evaluate_files` is
a pure function of the files it reads; the corpus runner (:mod:`archive.search`) chooses the
files and can stop it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import elementpath
from lxml import etree

from tei.namespaces import NSMAP

from ..errors import QueryError
from .analysis import reads_outline_only
from .attributes import attribute_plan
from .compile import CompiledQuery, compile_query
from .hits import Hit, HitFields, HitMaker, element_hits, hit_fields
from .packed import Packed, pack, seal, unpack
from .parse import lxml_xpath, parse, query_error
from .plans import (
    AtomPlan,
    NoPlan,
    atom_plan,
    containing,
    descendant_name,
    filter_plan,
    for_plan,
)
from .tree_cache import TreeCache


@dataclass(frozen=True)
class QueryResult:
    """The outcome of :func:`run_query`; ``message`` says why it stopped early, if it did."""

    query: str
    count: int
    hits: Sequence[Hit]  # a tuple, or the records workers sent (PackedHits), read alike
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


#: The cache of this process (in the query worker: kept warm between queries).
TREES = TreeCache()


def evaluate_files(
    compiled: CompiledQuery, files: Sequence[tuple[str, Path]], *, limit: int, timeout: float,
    started: float | None = None, cache: TreeCache | None = None,
    known: Collection[str] = (),
) -> QueryResult:
    """Evaluate a compiled query on the given files; a pure function of its arguments.

    Every item is counted; hits (with their context) are made for the first ``limit`` only.

    :param files: (doc id, path) pairs in the order the hits should come.
    :param known: ids of the documents the index answers (see :class:`IndexAnswer`): their
        items are the answer's, the file not read.
    """
    answer = index_answer(compiled) if known else None
    started = time.perf_counter() if started is None else started
    deadline = started + timeout
    cache = TREES if cache is None else cache
    cache.new_query()
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
        found, new, partial = answer.hits(doc, limit - len(hits)) \
            if answer is not None and doc in known else \
            document_hits(compiled, cache, path, doc, deadline, limit - len(hits))
        evaluated += 1
        count += found
        hits += new
        if partial:
            message = _stopped(f"the time limit of {timeout:g} s", index, len(files))
            break
    elapsed = (time.perf_counter() - started) * 1000
    return QueryResult(compiled.expression, count, tuple(hits), elapsed, message is not None,
                       engine_used(compiled), evaluated, message)


def engine_used(compiled: CompiledQuery) -> str:
    """The engine that evaluates the expression, as a result reports it: ``compiled.engine``,
    except for a ``for`` loop over elements that lxml runs whole (its path, then its body once
    per element: see :func:`.plans.for_plan`), which elementpath never sees: "lxml"."""
    if compiled.engine != "lxml":
        looped = for_plan(compiled.expression, compiled.namespaces)
        if looped is not None and looped.elements:
            return "lxml"
    return compiled.engine



def _stopped(reason: str, index: int, total: int) -> str:
    return f"query stopped at {reason}: {index} of {total} documents searched"


#: The item that says an elementpath evaluation passed its deadline.
TIMED_OUT = object()


def document_hits(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                  deadline: float, room: int, stamp: tuple[int, int] | None = None,
                  keep: bool = True) -> tuple[int, list[Hit], bool]:
    """One document's items: how many, the hits of the first ``room``, and whether the
    deadline stopped its evaluation.

    :param stamp: the file's (mtime_ns, size) when the caller has just read them.
    :param keep: keep the answer of a tree not kept apart (see :meth:`TreeCache.keep_answer`;
        not when the caller keeps it sealed).
    :raise QueryError: a dynamic error, named after ``doc``.
    """
    named = _named(compiled)
    if named is not None:  # //NAME, //NAME[contains(., 'w')]: a tree not kept, its hits apart
        name, literal = named
        fields = cache.named_hits(path, name, stamp, room, partial(
            _hit_fields, doc, compiled.namespaces, cache, path, stamp))
        if fields is not None:
            if literal is not None:
                fields = [found for found in fields if literal in found[1]]
            return len(fields), element_hits(doc, name, compiled.namespaces,
                                             fields[:max(0, room)]), False
    filtered = filter_plan(compiled.expression, compiled.namespaces) \
        if compiled.engine != "lxml" else None
    tag = None if filtered is None or filtered.read is None else descendant_name(
        filtered.path, compiled.namespaces)
    if filtered is not None and tag is not None:  # //NAME[P] where P reads only attributes
        records = cache.named_hits(path, tag, stamp, room, partial(
            _hit_fields, doc, compiled.namespaces, cache, path, stamp), filtered.read or ())
        try:
            kept = None if records is None else [
                record for record in records if filtered.keeps(tag, record[3])]
        except NoPlan:
            kept = None  # a position test: evaluated in full below
        except elementpath.ElementPathError as error:
            raise query_error(error, doc) from None
        if kept is not None:
            return len(kept), element_hits(doc, tag, compiled.namespaces,
                                           kept[:max(0, room)]), False
    found = attribute_plan(compiled.expression, compiled.namespaces)
    if found is not None:  # a tree not kept: the hits of its elements selected before, apart
        chosen = cache.attribute_hits(path, found, stamp, partial(
            _hit_fields, doc, compiled.namespaces, cache, path, stamp))
        if chosen is not None:
            return len(chosen), [hit for tag, fields in chosen[:max(0, room)]
                                 for hit in element_hits(doc, tag, compiled.namespaces,
                                                         (fields,))], False
    # //NAME[@a = 'x']: from the tree's attribute map, no walk (a tree not kept: by lxml
    # where lxml runs it, rather than building a map used once)
    mapped = None if found is None else cache.attributes(
        path, found.attribute, stamp, kept_only=compiled.engine == "lxml")
    if found is not None and mapped is not None:
        elements = found.select(mapped)
        if not elements or room <= 0:
            return len(elements), [], False
        maker = HitMaker(doc, compiled.namespaces, cache.hit_memo(path),
                         partial(cache.passage_addresses, path, stamp))
        return len(elements), list(map(maker.hit, elements[:room])), False
    query = _answer_key(compiled.expression, compiled.namespaces)
    answered = None if query is None else cache.answer(path, query, stamp)
    if answered is not None and (not answered or answered[0].doc == doc):
        return len(answered), answered[:max(0, room)], False  # a tree not kept's, apart
    outlined = _outline_hits(compiled, cache, path, doc, deadline, room, stamp) \
        if named is None and _outline_only(compiled.expression, compiled.namespaces) else None
    if outlined is not None:  # (its outline and hits kept apart: not the answer besides)
        return outlined
    count = 0
    hits: list[Hit] = []
    made: HitMaker | None = None
    for item in evaluate_document(compiled, cache, path, doc, deadline, stamp):
        if item is TIMED_OUT:
            return count, hits, True
        count += 1
        if len(hits) < room:
            made = made or HitMaker(doc, compiled.namespaces, cache.hit_memo(path),
                                    partial(cache.passage_addresses, path, stamp))
            hits.append(made.hit(item))
    if keep and len(hits) == count and query is not None:  # apart if the tree is not kept
        cache.keep_answer(path, query, stamp, list(hits))  # (the caller may change hits)
    return count, hits, False


def document_record(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                    deadline: float, room: int, stamp: tuple[int, int] | None = None,
                    take: Callable[[list[Any]], list[Any]] | None = None,
                    ) -> tuple[int, Packed, bool]:
    """:func:`document_hits` as a query worker sends them: how many items, the hits packed
    (:func:`.packed.pack`), each first cut by ``take`` when given (an answer's bounds), and
    whether the deadline stopped the evaluation.

    A document's whole answer is kept sealed (:func:`.packed.seal`, see
    :meth:`TreeCache.keep_sealed`) and sent so: asked again, it is a lookup and its bytes, not
    its items found again (an attribute predicate's elements chosen from the map, a loop's
    elements walked), their hits made and packed (or those kept apart unpacked and packed
    again). Not for the shapes whose hits the tree cache keeps by element name (see
    :func:`_sealed_key`).
    """
    key = _sealed_key(compiled.expression, compiled.namespaces, compiled.engine)
    if key is not None:
        kept = cache.sealed(path, key, stamp, doc)
        if kept is not None and kept[0] <= room:
            count, sealed = kept
            return count, sealed if take is None else pack(take(unpack(sealed))), False
    count, hits, partial = document_hits(compiled, cache, path, doc, deadline, room, stamp,
                                         keep=key is None)
    record = pack(hits if take is None else take(hits))
    if key is not None and not partial and len(hits) == count:
        sealed = seal(record if take is None else pack(hits))
        cache.keep_sealed(path, key, stamp, doc, count, sealed)
        if take is None:
            record = sealed
    return count, record, partial


@lru_cache(maxsize=256)
def _sealed_key(expression: str, namespaces: tuple[tuple[str, str], ...],
                engine: str) -> str | None:
    # what names the sealed answers of a query (see _answer_key): None for the shapes whose
    # hits the tree cache keeps apart by element name, every element's, for any query of that
    # name (//NAME, //NAME[contains(., 'w')]): a sealed copy of each query's share of them
    # would be a second copy
    if containing(expression, namespaces) is not None or (
            engine == "lxml" and descendant_name(expression, namespaces) is not None):
        return None
    return _answer_key(expression, namespaces)


#: Functions whose value is not the document's alone (the clock, chance, the environment,
#: other files; any function named by a string), called or referred to (``name#0``): an
#: expression naming one has no answer kept apart (see :func:`_answer_key`).
UNSTABLE_FUNCTIONS = re.compile(
    r"(?<![\w.-])(?:current-date|current-dateTime|current-time|implicit-timezone"
    r"|random-number-generator|environment-variable|available-environment-variables"
    r"|doc|doc-available|collection|uri-collection|unparsed-text|unparsed-text-lines"
    r"|unparsed-text-available|generate-id|function-lookup)\s*[(#]")


@lru_cache(maxsize=256)
def _answer_key(expression: str, namespaces: tuple[tuple[str, str], ...]) -> str | None:
    # what names a query's answers kept apart (see TreeCache.answer): one string per query,
    # shared by every document's key (a name of the cache's own keys never starts with "?");
    # None where the answer may differ from one asking to the next with the file unchanged
    # (the names are looked for anywhere: one in a literal only keeps nothing apart)
    if UNSTABLE_FUNCTIONS.search(expression):
        return None
    return "?" + repr(namespaces) + expression


@lru_cache(maxsize=256)
def _outline_only(expression: str, namespaces: tuple[tuple[str, str], ...]) -> bool:
    return reads_outline_only(parse(expression, namespaces))


def _outline_hits(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                  deadline: float, room: int, stamp: tuple[int, int] | None,
                  ) -> tuple[int, list[Hit], bool] | None:
    # document_hits of an expression of the elements alone, evaluated on the document's
    # outline (see TreeCache.outline): its elements' hits are found by their rank among the
    # elements so named, the same in the outline as in the tree (see TreeCache.ranked_hits).
    # None where the tree is kept (its hits are remembered with it), or was kept when parsed
    # for hits not made before, or no outline can be made; and for an item neither an element
    # nor a number (the document node): evaluated in full
    outline = cache.outline(path, stamp)
    if outline is None:
        return None
    items = list(_items(
        compiled, lambda source: lxml_xpath(source, compiled.namespaces)(outline),
        lambda nodes=False: (outline, elementpath.get_node_tree(outline, namespaces=NSMAP)
                             if nodes else None),
        _no_attributes, doc, deadline))
    stopped = bool(items) and items[-1] is TIMED_OUT
    if stopped:
        items.pop()
    ranks: dict[str, dict[Any, int]] = {}  # each name's elements in the outline: their ranks
    asked: dict[str, list[int]] = {}  # each name's ranks, in the items' order
    wanted: list[str | Hit] = []  # each item: its hit, or its element's name
    atoms = HitMaker(doc)
    for item in items[:max(0, room)]:
        if isinstance(item, elementpath.ElementNode):
            item = item.obj
        if isinstance(item, etree._Element) and isinstance(item.tag, str):
            tag = item.tag
            if tag not in ranks:
                ranks[tag] = {element: rank for rank, element in enumerate(outline.iter(tag))}
            asked.setdefault(tag, []).append(ranks[tag][item])
            wanted.append(tag)
        elif isinstance(item, (int, float, Decimal)):  # (a bool is an int)
            wanted.append(atoms.hit(item))
        else:
            return None
    named: dict[str, Iterator[Hit]] = {}  # each name's hits, in the items' order
    maker = HitMaker(doc, compiled.namespaces, {}, partial(cache.passage_addresses, path, stamp))
    for tag, chosen in asked.items():  # (one maker: each container's text read once)
        found = cache.ranked_hits(
            path, tag, chosen, stamp,
            lambda elements: [hit_fields(maker.hit(element)) for element in elements])
        if found is None:
            return None
        named[tag] = iter(element_hits(doc, tag, compiled.namespaces, found))
    hits = [want if isinstance(want, Hit) else next(named[want]) for want in wanted]
    return len(items), hits, stopped


def _no_attributes(attribute: str) -> Any:
    raise AssertionError(f"an outline has no attributes ({attribute} asked)")


def _named(compiled: CompiledQuery) -> tuple[str, str | None] | None:
    # (Clark name, literal) of //NAME[contains(., 'literal')], (name, None) of //NAME
    holding = containing(compiled.expression, compiled.namespaces)
    if holding is not None:
        return holding
    name = descendant_name(compiled.expression, compiled.namespaces) \
        if compiled.engine == "lxml" else None
    return None if name is None else (name, None)


def _hit_fields(doc: str, namespaces: tuple[tuple[str, str], ...], cache: TreeCache,
                path: Path, stamp: tuple[int, int] | None, elements: list[Any],
                ) -> list[HitFields]:
    # the hit fields of elements of a tree not kept, made as its hits are
    maker = HitMaker(doc, namespaces, {}, partial(cache.passage_addresses, path, stamp))
    return [hit_fields(maker.hit(element)) for element in elements]


def evaluate_document(compiled: CompiledQuery, cache: TreeCache, path: Path, doc: str,
                      deadline: float, stamp: tuple[int, int] | None = None) -> Iterator[Any]:
    """The items of one document, in order; :data:`TIMED_OUT` last when the deadline passed.

    :param stamp: the file's (mtime_ns, size) when the caller has just read them.
    :raise QueryError: a dynamic error, named after ``doc``.
    """
    holding = containing(compiled.expression, compiled.namespaces)
    if holding is not None:  # //NAME[contains(., 'w')]: the kept strings of NAME searched
        name, literal = holding
        yield from (element for element, text in cache.texts(path, name, stamp)
                    if literal in text)
        return
    yield from _items(compiled, _selector(compiled, cache, path, stamp),
                      lambda nodes=False: cache.get(path, node_tree=nodes, stamp=stamp),
                      lambda attribute: cache.attribute_values(path, attribute, stamp),
                      doc, deadline)


def _items(compiled: CompiledQuery, select: Callable[[str], Any],
           trees: Callable[..., tuple[Any, Any]], values: Callable[[str], Any], doc: str,
           deadline: float) -> Iterator[Any]:
    # the items of one document by the way its expression allows, from lxml's selections
    # (select), its tree and elementpath node tree (trees(nodes=True)) and attribute values
    # (see evaluate_document)
    if compiled.engine == "lxml":
        result = select(compiled.expression)
        yield from result if isinstance(result, list) else (result,)
        return
    plan = filter_plan(compiled.expression, compiled.namespaces)
    if plan is not None:
        try:
            yield from plan.select(select(plan.path))
            return
        except NoPlan:
            pass  # a position test: this document is evaluated in full
        except elementpath.ElementPathError as error:
            raise query_error(error, doc) from None
    looped = for_plan(compiled.expression, compiled.namespaces)
    if looped is not None:
        tree = None if looped.focused else trees()[0]
        try:
            bindings = looped.bindings(select(looped.path))
        except NoPlan:
            pass  # not elements: this document is evaluated in full
        else:
            for position, element in enumerate(bindings):
                if position % 256 == 255 and time.perf_counter() > deadline:
                    yield TIMED_OUT
                    return
                yield from looped.items(tree, element)
            return
    atoms = atom_plan(compiled.expression, compiled.namespaces)
    if atoms is not None:
        try:
            yield from atoms.evaluate(select, values)
            return
        except elementpath.ElementPathError as error:
            raise query_error(error, doc) from None
    _, nodes = trees(nodes=True)
    token = parse(compiled.expression, compiled.namespaces)
    context = elementpath.XPathContext(nodes, namespaces=compiled.namespace_map)
    items = []
    try:
        for position, item in enumerate(token.select(context)):
            if position % 256 == 255 and time.perf_counter() > deadline:
                items.append(TIMED_OUT)
                break
            items.append(item)
    except elementpath.ElementPathError as error:
        raise query_error(error, doc) from None
    yield from _in_document_order(token, items)


@dataclass(frozen=True)
class IndexAnswer:
    """A function of paths (``count(//tei:persName[@ref = '#x'])``) on the documents where the
    index shows that none of its paths has a node: each path's requirements (names and
    attribute values, see :func:`compile_query`) held by no such document, its paths are empty
    there, and the expression, of nothing else, is the same items in each (``0``).

    A document the index has not seen as it is now is never answered so (its stamp differs).
    """

    paths: tuple[CompiledQuery, ...]  # each path, with what a document needs for its nodes
    items: tuple[Any, ...]  # the expression's items when every path is empty

    def hits(self, doc: str, room: int) -> tuple[int, list[Hit], bool]:
        """The document's items as :func:`document_hits` gives them, made without its tree."""
        maker = HitMaker(doc)
        return len(self.items), [maker.hit(item) for item in self.items[:max(0, room)]], False


def index_answer(compiled: CompiledQuery) -> IndexAnswer | None:
    """How the index answers ``compiled`` on the documents none of whose paths can have a node
    (None: it cannot; the documents are all evaluated)."""
    return _index_answer(compiled.expression, compiled.namespaces)


@lru_cache(maxsize=256)
def _index_answer(expression: str, namespaces: tuple[tuple[str, str], ...],
                  ) -> IndexAnswer | None:
    plan = atom_plan(expression, namespaces)
    if plan is None:
        return None
    paths = tuple(compile_query(path, dict(namespaces)) for path in plan.paths)
    if not all(path.names or path.attributes for path in paths):
        return None  # a path the index cannot rule out (//*, //@n)
    try:
        items = plan.finish({f"__p{number}": [] for number in range(len(paths))})
    except elementpath.ElementPathError:
        return None  # an error on empty paths: each document reports it as today
    return IndexAnswer(paths, tuple(items))


def _selector(compiled: CompiledQuery, cache: TreeCache, path: Path,
              stamp: tuple[int, int] | None) -> Callable[[str], Any]:
    # the items of an lxml-safe expression in one document: //NAME the tree's elements by
    # name, kept with the tree (a warm //tei:p walks nothing), the rest lxml's XPath
    def select(source: str) -> Any:
        name = descendant_name(source, compiled.namespaces)
        if name is not None:
            return cache.elements(path, name, stamp)
        return lxml_xpath(source, compiled.namespaces)(cache.get(path, stamp=stamp)[0])
    return select


def corpus_plan(compiled: CompiledQuery) -> AtomPlan | None:
    """How the expression is asked once of the whole corpus (its context the collection of
    documents, as BaseX's ``collection()``).

    A function of paths (``count(distinct-values(//tei:placeName/@ref))``) gathers its paths'
    values document after document and is then evaluated once on them all: its plan. A path
    (or a union of paths, possibly filtered) gives over the collection the nodes of each
    document in turn, which is the query as it is: None.

    :raise QueryError: the expression is neither (its value over the collection is not made
        of its documents' values).
    """
    plan = atom_plan(compiled.expression, compiled.namespaces)
    if plan is not None:
        return plan
    token = parse(compiled.expression, compiled.namespaces)
    while token.symbol == "[" and token.label == "operator" and token[0].symbol != "(":
        token = token[0]
    if token.symbol in _PATH_OPERATORS and token.label == "operator":
        return None
    raise QueryError("XPath expression cannot be asked of the whole corpus at once: only a "
                     "path, or functions of paths such as count(distinct-values(//tei:"
                     "placeName/@ref)), can (ask it without --corpus for each document)")


def document_values(plan: AtomPlan, compiled: CompiledQuery, cache: TreeCache, path: Path,
                    stamp: tuple[int, int] | None = None,
                    seen: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """One document's part of a corpus-wide expression (see :func:`corpus_plan`).

    :param seen: what the documents before it gave (see :meth:`AtomPlan.strings`).
    """
    return plan.strings(_selector(compiled, cache, path, stamp), lambda attribute:
                        cache.attribute_values(path, attribute, stamp), seen,
                        lambda values: cache.distinct_values(path, values, stamp))


def corpus_hits(plan: AtomPlan, parts: Iterable[dict[str, list[str]]]) -> list[Hit]:
    """The items of a corpus-wide expression from its documents' parts, in document order,
    as hits of no one document (``doc`` empty).

    :raise QueryError: a dynamic error.
    """
    gathered: dict[str, list[str]] = {}
    for part in parts:
        for name, values in part.items():
            gathered.setdefault(name, []).extend(values)
    for name in (f"__p{number}" for number in range(len(plan.paths))):
        gathered.setdefault(name, [])
    try:
        items = plan.finish(gathered)
    except elementpath.ElementPathError as error:
        raise query_error(error) from None
    maker = HitMaker("")
    return [maker.hit(item) for item in items]


def evaluate_tree(compiled: CompiledQuery, tree: etree._ElementTree, nodes: Any = None,
                  item: etree._Element | None = None) -> list[Any]:
    """All items of a compiled query on one parsed tree (used by facets at index time).

    :param nodes: the tree's elementpath node tree when already built.
    :param item: the context element (default: the document node).
    """
    if compiled.engine == "lxml":
        result = lxml_xpath(compiled.expression, compiled.namespaces)(
            tree if item is None else item)
        return result if isinstance(result, list) else [result]
    if nodes is None:
        # (types-lxml's tag type, str | bytes | QName, fails elementpath's element protocol)
        nodes = elementpath.get_node_tree(tree, namespaces=NSMAP)  # type: ignore[arg-type]
    token = parse(compiled.expression, compiled.namespaces)
    context = elementpath.XPathContext(nodes, namespaces=compiled.namespace_map,
                                       item=None if item is None else nodes.get_element_node(item))
    try:
        return _in_document_order(token, list(token.select(context)))
    except elementpath.ElementPathError as error:
        raise query_error(error) from None


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
