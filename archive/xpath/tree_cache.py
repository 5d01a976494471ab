"""Parsed documents kept between queries, within a memory budget."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import filterfalse
from operator import attrgetter
from pathlib import Path
from typing import Any, cast, overload

import elementpath
from lxml import etree

from tei.namespaces import NSMAP
from tei.parse import parse_tei

from .attributes import AttributeMap, AttributePlan, AttributeValuesPlan, attribute_map
from .hits import HitFields, passage_addresses, string_value
from .packed import Packed, deflate, inflate, make_hit, pack, packed_bytes, unpack

#: Default memory budget of the parsed-tree cache, in bytes (estimated, see TreeCache).
TREE_CACHE_BUDGET = 256 * 1024 * 1024
#: Budget of what is kept apart from the trees not kept (see TreeCache.attribute_values and
#: TreeCache.named_hits): a few dozen bytes per element against a tree's eight times its file.
VALUES_BUDGET = 128 * 1024 * 1024
#: Of a query worker's tree budget (``query_cache_mb``), what it may keep apart besides: the
#: one setting bounds both (256 MB: 128 MB more, as :data:`VALUES_BUDGET`).
VALUES_SHARE = 0.5

#: A document's outline (see TreeCache.outline): each element copied with its child elements,
#: nothing else (no text, attribute, comment nor instruction).
_OUTLINE = etree.XSLT(etree.XML(
    b'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    b'<xsl:template match="*"><xsl:copy><xsl:apply-templates select="*"/></xsl:copy>'
    b'</xsl:template></xsl:stylesheet>'))
#: Outlines are made here, from parsed TEI: read again with no entity nor network.
_OUTLINE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(slots=True)
class _Entry:
    """One cached document: its tree, node tree and attribute maps, and their estimated size."""

    key: str
    stamp: tuple[int, int]
    tree: Any
    nodes: Any
    cost: int
    attributes: dict[str, AttributeMap] = field(default_factory=dict)
    # element → its hit's fields (None: no room for them, see TreeCache.hit_memo)
    hits: dict[Any, Any] | None = field(default_factory=dict)
    named: dict[str, list[Any]] = field(default_factory=dict)  # name → elements so named
    texts: dict[str, list[tuple[Any, str]]] = field(default_factory=dict)  # and their strings
    counted: int = 0  # of those, already in cost
    query: int = 0  # the last query that used it (see TreeCache.new_query)


class TreeCache:
    """Parsed documents kept between queries, least recently used first out, except that a
    query never puts out a tree it or the query before it used.

    A query scanning more documents than the budget holds would otherwise put out each tree
    before the next query comes back to it (the scan in order under LRU: no hit at all). So
    when the budget is full of trees the current or the previous query used, further trees are
    used once and not kept: the next run of the same scan finds those the first one kept, and
    queries over other documents still replace the trees of older queries (from the second
    query on), least recently used first. What a kept tree gathers later (attribute maps, its
    elements by name and their strings, remembered hits, an elementpath node tree) is kept only
    where it fits the same way: it never puts out a tree of the current or the previous query,
    nor itself, so the trees kept by one run of a scan are those the next run finds. New trees
    fill at most :attr:`TREES_SHARE` of the budget, the rest left for what they gather.

    Sizes are estimates from the file size (an lxml tree takes several times its file, an
    elementpath node tree several more), so the budget bounds memory, not exactly. Until a
    query is said to start (:meth:`new_query`), the cache is a plain LRU one.
    """

    LXML_FACTOR = 8
    ELEMENTPATH_FACTOR = 24
    MAP_ENTRY = 120  # bytes per element of an attribute map (a proxy and a tuple)
    HIT_ENTRY = 400  # bytes per remembered hit (a proxy, its string value and context)
    NAMED_ENTRY = 80  # bytes per element found by name (a proxy and its place in a list)
    VALUE_ENTRY = 72  # bytes per attribute of a map kept apart (a tuple and its place)
    #: Of the values budget, what may be filled by records kept packed but not deflated
    #: (read again with no inflating: a warm ``//tei:p[contains(., 'w')]`` inflating every
    #: paragraph took half as long again); beyond, records are deflated (a third the size).
    PLAIN_SHARE = 0.5
    #: Of the budget, what new trees may fill: the rest is for what kept trees gather later
    #: (remembered hits, maps, elements by name), worth more than as much of another tree.
    TREES_SHARE = 0.75

    def __init__(self, budget: int = TREE_CACHE_BUDGET) -> None:
        self.budget = budget
        self.used = 0
        self.hits = self.misses = 0  # lookups answered from the cache, and parses
        self.refused = 0  # trees parsed and not kept, the budget full of this query's trees
        self.query = 0  # the current query's number (0: none said, plain LRU)
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._spare: _Entry | None = None  # the last tree parsed, when it was not kept
        self._fresh: _Entry | None = None  # the tree the last lookup parsed
        self.values_budget = VALUES_BUDGET
        self.aside_used = 0
        # (path, attribute) → (stamp, map without elements, cost, the query that last used it);
        # (path, "") → the same with where each passage is (see passage_addresses)
        self._aside: OrderedDict[tuple[str, str], tuple[tuple[int, int], Any, int,
                                                        int]] = OrderedDict()

    def resize(self, budget: int, values: int | None = None) -> None:
        """Set the budget (bytes), putting out the least recently used trees beyond it, and
        when given the :attr:`values_budget` likewise."""
        self.budget = budget
        while self.used > budget and self._entries:
            oldest = self._entries.popitem(last=False)[1]
            self.used -= oldest.cost
        if values is not None:
            self.values_budget = values
            while self.aside_used > values and self._aside:
                self.aside_used -= self._aside.popitem(last=False)[1][2]

    def new_query(self) -> None:
        """Say that a new query starts: trees used by earlier ones may be put out for it."""
        self.query += 1

    def get(self, path: Path, node_tree: bool = False,
            stamp: tuple[int, int] | None = None) -> tuple[Any, Any]:
        """The parsed tree of ``path`` (and its elementpath node tree when asked).

        :param stamp: the file's (mtime_ns, size) when the caller has just read them.
        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        entry = self._entry(path, stamp)
        nodes = entry.nodes
        if node_tree and nodes is None:
            nodes = elementpath.get_node_tree(entry.tree, namespaces=NSMAP)
            if self._grow(entry, entry.stamp[1] * self.ELEMENTPATH_FACTOR):
                entry.nodes = nodes
        return entry.tree, nodes

    @overload
    def attributes(self, path: Path, attribute: str, stamp: tuple[int, int] | None = None,
                   ) -> AttributeMap: ...

    @overload
    def attributes(self, path: Path, attribute: str, stamp: tuple[int, int] | None = None, *,
                   kept_only: bool) -> AttributeMap | None: ...

    def attributes(self, path: Path, attribute: str, stamp: tuple[int, int] | None = None, *,
                   kept_only: bool = False) -> AttributeMap | None:
        """The elements of ``path``'s tree carrying ``attribute``, by value, in document order.

        Built on first use per tree and attribute, kept with the tree, dropped with it.

        :param stamp: as for :meth:`get`.
        :param kept_only: None rather than a map built for a tree that is not kept (walking
            every element to build it costs more than one lxml query of the tree).
        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        entry = self._entry(path, stamp)
        found = entry.attributes.get(attribute)
        if found is None and kept_only and self._entries.get(entry.key) is not entry:
            return None
        if found is None:
            found = attribute_map(entry.tree, attribute)
            if self._grow(entry, self.MAP_ENTRY * sum(len(pairs) for by_tag in found.values()
                                                      for pairs in by_tag.values())):
                entry.attributes[attribute] = found
        return found

    def attribute_values(self, path: Path, attribute: str,
                         stamp: tuple[int, int] | None = None) -> AttributeMap:
        """``path``'s map of ``attribute`` for reading its values (see
        :class:`archive.xpath.attributes.AttributeValuesPlan`), whose elements may be None.

        The kept tree's map; for a tree not kept, the map without its elements, kept apart from
        the trees within :attr:`values_budget` (a few dozen bytes per attribute against a tree's
        eight times its file), so that ``count(distinct-values(//tei:persName/@ref))`` over
        more documents than the trees' budget holds reads no tree when asked again. Kept as
        trees are: first come, never putting out one the current or the previous query used.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = (str(path), attribute)
        stamp = stamp or file_stamp(path)
        aside = self._aside.get(key)
        if aside is not None and aside[0] == stamp:
            self._used(key, aside)
            return cast(AttributeMap, _expand(aside[1]))
        found = self.attributes(path, attribute, stamp, kept_only=True)
        if found is not None:
            return found
        return self._describe(key, stamp, attribute_map(self._entry(path, stamp).tree,
                                                        attribute), aside)

    def distinct_values(self, path: Path, plan: AttributeValuesPlan,
                        stamp: tuple[int, int] | None = None) -> list[str]:
        """``path``'s distinct values of ``//NAME/@a`` (``plan``), each where it first comes,
        kept apart as attribute values are (see :meth:`attribute_values`), joined by NUL (no
        XML text holds one): asked of the whole corpus
        (``count(distinct-values(//tei:persName/@ref))``) a document's few distinct values are
        read again without walking its map of every value and element.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        # (no attribute's name, nor a query's key, starts with "=")
        key = (str(path), _record_name("=", plan.key))
        stamp = stamp or file_stamp(path)
        aside = self._aside.get(key)
        if aside is not None and aside[0] == stamp:
            self._used(key, aside)
            return aside[1].split("\0") if aside[1] else []
        values = list(dict.fromkeys(plan.values(self.attribute_values(path, plan.attribute,
                                                                      stamp))))
        joined = "\0".join(values)
        self._keep_aside(key, stamp, joined, sys.getsizeof(joined) + 64, aside)
        return values

    def _describe(self, key: tuple[str, str], stamp: tuple[int, int], found: AttributeMap,
                  aside: tuple[Any, ...] | None) -> AttributeMap:
        # a tree's map of an attribute without its elements, kept apart (replacing aside)
        bare: AttributeMap = {value: {tag: [(rank, None) for rank, _ in pairs]
                                      for tag, pairs in by_tag.items()}
                              for value, by_tag in found.items()}
        # (deflated, when the budget is half full: a twentieth of a plain map)
        self._keep_aside(key, stamp, *self._compact(bare, sum(
            self.VALUE_ENTRY * len(pairs) + len(value) for value, by_tag in bare.items()
            for pairs in by_tag.values())), aside)
        return bare

    def _used(self, key: tuple[str, str], aside: tuple[Any, ...]) -> None:
        # a record kept apart, read by this query: the last to be put out
        self._aside.move_to_end(key)
        self._aside[key] = (*aside[:3], self.query)

    def _keep_aside(self, key: tuple[str, str], stamp: tuple[int, int], kept: Any, cost: int,
                    old: tuple[Any, ...] | None) -> None:
        # keep what is read of a tree not kept (replacing old, of another stamp) within the
        # budget, first come, never putting out what the current or the previous query used
        if old is not None:
            del self._aside[key]
            self.aside_used -= old[2]
        while self._aside and self.aside_used + cost > self.values_budget:
            oldest_key, oldest = next(iter(self._aside.items()))
            if self.query and oldest[3] >= self.query - 1:
                return  # full of recent ones: used once
            del self._aside[oldest_key]
            self.aside_used -= oldest[2]
        if cost <= self.values_budget:
            self._aside[key] = (stamp, kept, cost, self.query)
            self.aside_used += cost

    def named_hits(self, path: Path, name: str, stamp: tuple[int, int] | None, room: int,
                   make: Callable[[list[Any]], list[HitFields]], read: tuple[str, ...] = (),
                   ) -> list[tuple[Any, ...]] | None:
        """The hit fields of the elements of ``path`` named ``name`` (Clark), in document order,
        for a tree that is not kept, each followed, when ``read`` names attributes (Clark), by
        the tuple of their values (None: absent); None for a kept tree (its hits are
        remembered with it, see :meth:`hit_memo`), or when more than ``room`` elements would
        be made.

        Made by ``make`` from the elements (``//NAME``'s items) once, then kept apart from the
        trees as attribute values are (see :meth:`attribute_values`): ``//tei:persName`` and
        ``//tei:p[contains(., 'w')]`` (any word: the value is the element's string value) over
        more documents than the trees' budget holds parse none of them when asked again.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        # (an attribute's Clark name never starts with "/")
        key = (str(path), "/" + name + "".join(f"@{attribute}" for attribute in read))
        stamp = stamp or file_stamp(path)
        aside = self._aside.get(key)
        if aside is not None and aside[0] == stamp:
            self._used(key, aside)
            return unpack(_expand(aside[1]))
        kept = self._entries.get(key[0])
        if kept is not None and kept.stamp == stamp:
            return None
        elements = self.elements(path, name, stamp)
        if len(elements) > room or key[0] in self._entries:  # (kept now: it was parsed)
            return None
        found: list[tuple[Any, ...]] = list(make(elements))
        if read:
            found = [(*fields, tuple(map(element.get, read)))
                     for fields, element in zip(found, elements, strict=True)]
        # by field, deflated where room is short: not a tuple and two strings a hit
        self._keep_aside(key, stamp, *self._compact(pack(found, 1)), aside)
        return found

    def attribute_hits(self, path: Path, plan: AttributePlan, stamp: tuple[int, int] | None,
                       make: Callable[[list[Any]], list[HitFields]],
                       ) -> list[tuple[str, HitFields]] | None:
        """(tag, hit fields) of the elements ``plan`` selects in ``path``, in document order,
        for a tree that is not kept; None for a kept tree (its map and hits are kept with it).

        The elements are found from the attribute's map kept apart (see
        :meth:`attribute_values`), their fields made by ``make`` the first time a query
        selects them and kept apart too, packed by rank (as :meth:`named_hits` keeps its
        records), within the same budget: ``//tei:*[@ref = '#x']`` asked again parses no
        tree, and another value parses only the trees holding it whose elements were not
        selected before.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = str(path)
        stamp = stamp or file_stamp(path)
        kept = self._entries.get(key)
        if kept is not None and kept.stamp == stamp:
            return None
        mapped = self._aside.get((key, plan.attribute))
        fields_key = (key, "=" + plan.attribute)  # (no attribute's Clark name starts so)
        fields = self._fields(fields_key, stamp)
        if mapped is not None and mapped[0] == stamp:
            chosen = plan.chosen(self.attribute_values(path, plan.attribute, stamp))
            if all(rank in fields for _, (rank, _) in chosen):
                return [(tag, fields[rank]) for tag, (rank, _) in chosen]
        tree = self._entry(path, stamp).tree
        if key in self._entries:  # kept now: it was parsed
            return None
        full = attribute_map(tree, plan.attribute)  # one walk for the map apart and elements
        if mapped is None or mapped[0] != stamp:
            self._describe((key, plan.attribute), stamp, full, mapped)
        chosen = plan.chosen(full)
        made = make([element for _, (_, element) in chosen])
        if made:
            fields.update((rank, hit) for (_, (rank, _)), hit in zip(chosen, made, strict=True))
            self._keep_fields(fields_key, stamp, fields)
        return [(tag, hit) for (tag, _), hit in zip(chosen, made, strict=True)]

    def ranked_hits(self, path: Path, name: str, ranks: list[int],
                    stamp: tuple[int, int] | None, make: Callable[[list[Any]], list[HitFields]],
                    ) -> list[HitFields] | None:
        """The hit fields of the elements of ``path`` named ``name`` (Clark) at ``ranks``
        (their places among the elements so named, in document order), for a tree that is not
        kept; None for a kept tree (its hits are remembered with it).

        Made by ``make`` the first time a query asks for them, then kept apart by rank as
        :meth:`attribute_hits` keeps its own: a query of the elements alone evaluated on the
        outline (see :meth:`outline`) finds its elements' hits here by their ranks, the same
        in the outline as in the document.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = str(path)
        stamp = stamp or file_stamp(path)
        fields_key = (key, "#" + name)  # (no attribute's Clark name starts so)
        fields = self._fields(fields_key, stamp)
        missing = sorted(set(ranks).difference(fields))
        if missing:
            elements = self.elements(path, name, stamp)
            if key in self._entries:  # kept now: it was parsed
                return None
            fields.update(zip(missing, make([elements[rank] for rank in missing]), strict=True))
            self._keep_fields(fields_key, stamp, fields)
        return [fields[rank] for rank in ranks]

    def _fields(self, key: tuple[str, str], stamp: tuple[int, int]) -> dict[int, HitFields]:
        # the hit fields kept apart by rank (attribute_hits, ranked_hits), for the file as it is
        aside = self._aside.get(key)
        if aside is None or aside[0] != stamp:
            return {}
        self._used(key, aside)
        return {row[0]: row[1:] for row in unpack(_expand(aside[1]))}

    def _keep_fields(self, key: tuple[str, str], stamp: tuple[int, int],
                     fields: dict[int, HitFields]) -> None:
        # keep apart the hit fields by rank that _fields reads, packed by field
        self._keep_aside(key, stamp, *self._compact(pack(
            [(rank, *hit) for rank, hit in sorted(fields.items())], 1)), self._aside.get(key))

    def answer(self, path: Path, query: str,
               stamp: tuple[int, int] | None) -> list[Any] | None:
        """The hits of ``query`` (a key naming an expression and its namespaces) in ``path``
        kept apart by :meth:`keep_answer` (made anew from their packed record); None when none
        are kept for the file as it is now."""
        key = (str(path), query)
        aside = self._aside.get(key)
        if aside is None or aside[0] != (stamp or file_stamp(path)):
            return None
        self._used(key, aside)
        return unpack(_expand(aside[1]), make_hit)

    def keep_answer(self, path: Path, query: str, stamp: tuple[int, int] | None,
                    hits: list[Any]) -> None:
        """Keep apart the hits (:class:`archive.xpath.hits.Hit`) of ``query`` in ``path``, all
        of the document's items, when its tree is not kept (a kept tree answers again from
        itself and its remembered hits).

        For the shapes nothing else kept apart answers (``//tei:date[ancestor::tei:p[
        tei:orgName]]``, ``for $p in //tei:p return count($p//tei:persName)``) evaluated in
        one process (:func:`archive.xpath.evaluate_files`; a query worker keeps its answers
        sealed instead, see :meth:`keep_sealed`): asked again over more documents than the
        trees' budget holds, they parse none of them. Kept packed
        by field (:func:`archive.xpath.packed.pack`: a few strings a document, where a tuple
        and its strings a hit took six times more), as attribute values are kept (see
        :meth:`attribute_values`).
        """
        key = str(path)
        stamp = stamp or file_stamp(path)
        kept = self._entries.get(key)
        if kept is not None and kept.stamp == stamp:
            return
        self._keep_aside((key, query), stamp, *self._compact(pack(hits, 1)),
                         self._aside.get((key, query)))

    def sealed(self, path: Path, query: str, stamp: tuple[int, int] | None,
               doc: str) -> tuple[int, Packed] | None:
        """The number of items and the sealed record (:func:`archive.xpath.packed.seal`) of
        ``doc``'s answer to ``query`` (a key naming an expression and its namespaces) in
        ``path`` kept by :meth:`keep_sealed`; None when none is kept for the file as it is now
        and that document."""
        key = (str(path), _record_name("!", query))
        aside = self._aside.get(key)
        if aside is None or aside[0] != (stamp or file_stamp(path)) or aside[1][0] != doc:
            return None
        self._used(key, aside)
        return aside[1][1], aside[1][2]

    def keep_sealed(self, path: Path, query: str, stamp: tuple[int, int] | None, doc: str,
                    count: int, record: Packed) -> None:
        """Keep ``doc``'s whole answer to ``query`` in ``path``: its number of items and its
        hits as a sealed record, bytes a worker sends as they are (see :meth:`sealed`).

        Kept apart as attribute values are (see :meth:`attribute_values`), whether the tree is
        kept or not: a warm ``//tei:*[@ref = '#x']`` choosing its elements from the attribute
        map, making their hits and packing them took most of its time, and its answer in
        bytes is a fraction of the tree's map and remembered hits; a loop's or an ancestor
        step's, the items found in a kept tree again or those kept apart unpacked and packed
        again.
        """
        key = (str(path), _record_name("!", query))
        self._keep_aside(key, stamp or file_stamp(path), (doc, count, record),
                         packed_bytes(record) + len(doc) + 64, self._aside.get(key))

    def _compact(self, record: Any, cost: int | None = None) -> tuple[Any, int]:
        # a record to keep apart and its cost (``cost``, else a packed record's bytes): as it
        # is while the values budget is less than PLAIN_SHARE full, else deflated (a third the
        # size, inflated when read)
        if self.aside_used < self.values_budget * self.PLAIN_SHARE:
            return record, packed_bytes(record) if cost is None else cost
        deflated = deflate(record)
        return deflated, sys.getsizeof(deflated)

    def passage_addresses(self, path: Path, stamp: tuple[int, int] | None,
                          root: Any) -> dict[Any, str]:
        """The address of each passage of ``path``'s tree, whose root is ``root`` (see
        :func:`archive.xpath.hits.passage_addresses`).

        Reading them walks the whole tree in Python, as long as parsing it: for a tree not
        kept, where each passage is (its tag and rank among the elements so named) is kept
        apart as attribute values are (see :meth:`attribute_values`), and the addresses of the
        tree parsed again are found from it by name (``iter``, in C).
        """
        key = (str(path), "")  # (no attribute has an empty name)
        stamp = stamp or file_stamp(path)
        aside = self._aside.get(key)
        if aside is not None and aside[0] == stamp:
            self._used(key, aside)
            found: dict[Any, str] = {}
            for tag, ranked in inflate(aside[1]).items():
                named = list(root.iter(tag))
                found.update((named[rank], address) for rank, address in ranked)
            return found
        found = passage_addresses(root)
        entry = self._entries.get(key[0])
        if entry is None or entry.tree.getroot() is not root or entry.hits is None:
            # not kept (nor its hits' memo, where the addresses are kept): described apart
            by_tag: dict[str, list[tuple[int, str]]] = {}
            for tag in {element.tag for element in found}:
                by_tag[tag] = [(rank, found[element]) for rank, element
                               in enumerate(root.iter(tag)) if element in found]
            deflated = deflate(by_tag)
            self._keep_aside(key, stamp, deflated, sys.getsizeof(deflated), aside)
        return found

    def outline(self, path: Path, stamp: tuple[int, int] | None) -> Any:
        """The outline of ``path``'s tree (its elements alone, same names, nesting and order;
        see :func:`archive.xpath.analysis.reads_outline_only`) as a tree, for a tree that is
        not kept; None for a kept tree (its hits are remembered with it), or where no outline
        can be made.

        An outline is about a tenth of its file and parsed in a thirtieth of the file's time:
        made once from the tree, it is kept apart, deflated to a fortieth of the file, as
        attribute values are (see :meth:`attribute_values`), so that a query of the elements
        alone (``//tei:date[ancestor::tei:p[tei:orgName]]``) over more documents than the
        trees' budget holds parses none of them when asked again, nor for another such query.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = (str(path), "<")  # (no attribute's Clark name starts so)
        stamp = stamp or file_stamp(path)
        kept = self._entries.get(key[0])
        if kept is not None and kept.stamp == stamp:
            return None
        aside = self._aside.get(key)
        if aside is not None and aside[0] == stamp:
            self._used(key, aside)
            return etree.fromstring(inflate(aside[1]), _OUTLINE_PARSER).getroottree()
        tree = self._entry(path, stamp).tree
        if key[0] in self._entries:  # kept now: it was parsed
            return None
        try:
            made = _OUTLINE(tree)
        except etree.XSLTError:
            return None
        deflated = deflate(etree.tostring(made))
        self._keep_aside(key, stamp, deflated, sys.getsizeof(deflated), aside)
        return made

    def elements(self, path: Path, name: str,
                 stamp: tuple[int, int] | None = None) -> list[Any]:
        """The elements of ``path``'s tree named ``name`` (Clark), in document order, as
        ``//NAME`` selects them; the list is shared: never changed by the caller.

        Found on first use per tree and name (``tree.iter``), kept with the tree, dropped with
        it: a warm ``//tei:p`` walks no tree.

        :param stamp: as for :meth:`get`.
        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        entry = self._entry(path, stamp)
        found = entry.named.get(name)
        if found is None:
            found = list(entry.tree.iter(name))
            if self._grow(entry, self.NAMED_ENTRY * (len(found) + 1)):
                entry.named[name] = found
        return found

    def texts(self, path: Path, name: str,
              stamp: tuple[int, int] | None = None) -> list[tuple[Any, str]]:
        """The elements of ``path``'s tree named ``name`` with their string values (XPath's
        ``string(.)``), in document order; kept and shared as :meth:`elements` is, so that a
        warm ``//tei:p[contains(., 'w')]`` reads strings, not the tree.

        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        entry = self._entry(path, stamp)
        found = entry.texts.get(name)
        if found is None:
            found = [(element, string_value(element)) for element
                     in self.elements(path, name, stamp)]
            if self._grow(entry, self.NAMED_ENTRY * len(found)
                          + sum(len(text) for _, text in found)):
                entry.texts[name] = found
        return found

    def hit_memo(self, path: Path) -> dict[Any, Any]:
        """Where hits of the tree last returned for ``path`` are remembered (see HitMaker).

        Kept with the tree and dropped with it; the hits added since the last call are
        counted in the budget now.
        """
        entry = self._entries.get(str(path))
        if entry is None or entry.hits is None:
            return {}  # not kept (or no room for them): remembered for this query only
        if len(entry.hits) != entry.counted:
            if not self._grow(entry, self.HIT_ENTRY * (len(entry.hits) - entry.counted)):
                # no room: this tree's hits are not remembered while it is kept
                self.used -= self.HIT_ENTRY * entry.counted
                entry.cost -= self.HIT_ENTRY * entry.counted
                entry.hits, entry.counted = None, 0
                return {}
            entry.counted = len(entry.hits)
        return entry.hits

    def _entry(self, path: Path, stamp: tuple[int, int] | None) -> _Entry:
        key = str(path)
        stamp = stamp or file_stamp(path)
        entry = self._entries.get(key)
        if entry is not None and entry.stamp == stamp:
            self._entries.move_to_end(key)
            entry.query = self.query
            if self._fresh is not entry:
                self.hits += 1
            self._fresh = None  # (the lookup that parsed it and the next are one: one miss)
        elif entry is None and self._spare is not None and self._spare.key == key \
                and self._spare.stamp == stamp:
            entry = self._spare  # the tree just parsed and not kept: not parsed again
        else:
            self.misses += 1
            if entry is not None:
                del self._entries[key]
                self.used -= entry.cost
            entry = _Entry(key, stamp, parse_tei(path), None, 0, query=self.query)
            self._spare = None if self._grow(entry, stamp[1] * self.LXML_FACTOR, new=True) \
                else entry
            # a tree parsed to be described apart (named_hits, attribute_hits) but kept is
            # read again at once by the tree's way: not a second lookup found in the cache
            self._fresh = entry
        return entry

    def _grow(self, entry: _Entry, extra: int, new: bool = False) -> bool:
        # count what entry now holds (new: the entry itself, else what it adds): True when it
        # is kept. Older entries go first, and an entry larger than the whole budget is used
        # once, never kept. Entries the current or the previous query used are not put out
        # for another (the oldest is the one to look at: use moves entries last): then a new
        # entry is not kept, nor is what a kept one would add (its maps, its hits) — the trees
        # kept stay kept, rather than a tree growing putting itself or another out, which
        # changed the trees kept at every run of a scan and lost most of them
        if new:
            entry.cost += extra
            self._entries[entry.key] = entry
            self.used += entry.cost
        elif self._entries.get(entry.key) is not entry:
            # not kept: what it adds goes with it (the spare, the last tree parsed, keeps it
            # while it is read: a query reads a tree several times, by name and by path)
            return entry is self._spare
        else:
            entry.cost += extra
            self.used += extra
        if entry.cost > self.budget:
            del self._entries[entry.key]
            self.used -= entry.cost
            return False
        room = self.budget * self.TREES_SHARE if new else self.budget
        while self.used > room:
            oldest = next(iter(self._entries.values()))
            if oldest is entry or (self.query and oldest.query >= self.query - 1):
                if new:
                    del self._entries[entry.key]
                    self.used -= entry.cost
                    self.refused += 1
                else:
                    entry.cost -= extra
                    self.used -= extra
                return False
            del self._entries[oldest.key]
            self.used -= oldest.cost
        return True

    def clear(self) -> None:
        self._entries.clear()
        self._spare = self._fresh = None
        self._aside.clear()
        self.aside_used = 0
        self.used = 0


@lru_cache(maxsize=256)
def _record_name(kind: str, name: str) -> str:
    # the name of a kind of record kept apart ("!": a query's sealed answer, "=": distinct
    # values) among a file's: one string shared by every file's key (a query asked of 30,000
    # files is not 30,000 copies of it)
    return kind + name


def _expand(kept: Any) -> Any:
    # a record kept apart, inflated when it was deflated (see TreeCache._compact)
    return inflate(kept) if isinstance(kept, bytes) else kept


def file_stamp(path: str | Path) -> tuple[int, int]:
    """(mtime_ns, size) of a file: what the index compares to know a file is unchanged."""
    return _STAMP(os.stat(path))


def file_stamps(paths: list[str]) -> list[tuple[int, int] | None]:
    """:func:`file_stamp` of each file (None for a file that is gone), in C for many files."""
    try:
        return list(map(_STAMP, map(os.stat, paths)))
    except OSError:
        return [_stamp_or_none(path) for path in paths]


def _stamp_or_none(path: str) -> tuple[int, int] | None:
    try:
        return file_stamp(path)
    except OSError:
        return None


_STAMP = attrgetter("st_mtime_ns", "st_size")


# --- stamps of a watched folder -------------------------------------------------------------
# A query stats every file it may rule out through the index, so that a file written since it
# was indexed is never ruled out: a thousand stats take about a millisecond, most of a warm
# query's time. Where Linux's inotify is at hand, a folder's stamps are kept instead and read
# again only for the files the system says were written, created, moved or deleted since.

#: Seconds after which every stamp is read again even though no event came: a write inotify
#: does not report (through a memory map, or on a network file system) is seen within this.
FULL_CHECK_EVERY = 30.0
#: Folders watched at once by one process (each holds an inotify descriptor).
WATCHED_FOLDERS = 4


def folder_stamps(folder: Path, paths: list[str]) -> list[tuple[int, int] | None]:
    """:func:`file_stamps` of files of ``folder``, as they are now: asked again for the same
    list (the very object) with nothing written since, the same list as last time (never to be
    changed by the caller), so that comparing it with the last is comparing identical items.

    :param paths: ``str(folder / name)`` of each file.
    """
    key = (str(folder), os.getpid())  # a forked child gets its own descriptor
    with _WATCH_LOCK:
        watched = _WATCHED.pop(key, None) or _watch(key[0])
        if watched is None:  # no inotify here
            return file_stamps(paths)
        stamps = watched.stamps(paths)
        if stamps is None:  # the watch ended with the folder
            watched.notify.close()
            return file_stamps(paths)
        if len(_WATCHED) >= WATCHED_FOLDERS:
            _WATCHED.pop(next(iter(_WATCHED))).notify.close()  # the longest unused
        _WATCHED[key] = watched
        return stamps


class _WatchedFolder:
    def __init__(self, folder: str, notify: Any) -> None:
        self.folder, self.notify = folder, notify
        self.known: dict[str, tuple[int, int] | None] = {}
        self.checked = -math.inf  # when every stamp was last read
        # the last list of paths asked (the very object) and its stamps: asked again with no
        # event since, the same stamps (the same list: never changed by the caller)
        self.last: tuple[list[str], list[tuple[int, int] | None]] | None = None

    def stamps(self, paths: list[str]) -> list[tuple[int, int] | None] | None:
        """The stamps, read again where an event says so; None when the watch has ended."""
        # events first, then stats: a write after the stats is an event for the next query
        events = self.notify.read(timeout=0)
        if any(event.mask & _ENDED for event in events):
            return None  # the folder was deleted, moved or unmounted
        now = time.monotonic()
        if any(event.mask & _f.Q_OVERFLOW for event in events) \
                or now - self.checked > FULL_CHECK_EVERY:
            self.known.clear()
            self.checked = now
        elif not events and self.last is not None and self.last[0] is paths:
            return self.last[1]  # (a caller's whole list of 60,000 files: no copy of it)
        else:
            for event in events:
                self.known.pop(os.path.join(self.folder, event.name), None)
        known = self.known
        # in C: a warm query's share of 5,000 files took ~0.5 ms in two Python loops
        missing = list(filterfalse(known.__contains__, paths))
        if missing:
            known.update(zip(missing, file_stamps(missing), strict=True))
        stamps = list(map(known.__getitem__, paths))
        self.last = paths, stamps
        return stamps


def _watch(folder: str) -> _WatchedFolder | None:
    if _inotify is None:
        return None
    try:
        notify = _inotify.INotify(nonblocking=True)
    except OSError:  # too many inotify instances: plain stats
        return None
    try:
        notify.add_watch(folder, _EVENTS)
    except OSError:
        notify.close()
        return None
    return _WatchedFolder(folder, notify)


try:
    import inotify_simple as _inotify

    _f = _inotify.flags
    _EVENTS = (_f.MODIFY | _f.ATTRIB | _f.CLOSE_WRITE | _f.CREATE | _f.DELETE | _f.MOVED_FROM
               | _f.MOVED_TO | _f.DELETE_SELF | _f.MOVE_SELF)
    _ENDED = _f.IGNORED | _f.DELETE_SELF | _f.MOVE_SELF | _f.UNMOUNT
except ImportError:  # not Linux: plain stats
    _inotify = None
_WATCHED: dict[tuple[str, int], _WatchedFolder] = {}
_WATCH_LOCK = threading.Lock()
