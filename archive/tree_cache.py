"""Parsed documents kept between queries, within a memory budget."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import elementpath

from tei.namespaces import NSMAP
from tei.parse import parse_tei

#: Default memory budget of the parsed-tree cache, in bytes (estimated, see TreeCache).
TREE_CACHE_BUDGET = 256 * 1024 * 1024


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
        self.hits = self.misses = 0  # lookups answered from the cache, and parses
        self._entries: OrderedDict[str, tuple[tuple[int, int], Any, Any, int]] = OrderedDict()

    def get(self, path: Path, node_tree: bool = False,
            stamp: tuple[int, int] | None = None) -> tuple[Any, Any]:
        """The parsed tree of ``path`` (and its elementpath node tree when asked).

        :param stamp: the file's (mtime_ns, size) when the caller has just read them.
        :raise tei.errors.TeiError: the file is not a readable TEI document.
        """
        key = str(path)
        stamp = stamp or file_stamp(path)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            tree, nodes = entry[1], entry[2]
            if not node_tree or nodes is not None:
                return tree, nodes
        else:
            self.misses += 1
            tree, nodes = parse_tei(path), None
        if node_tree and nodes is None:
            nodes = elementpath.get_node_tree(tree, namespaces=NSMAP)
        cost = stamp[1] * (self.LXML_FACTOR + (self.ELEMENTPATH_FACTOR if nodes else 0))
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


def file_stamp(path: Path) -> tuple[int, int]:
    """(mtime_ns, size) of a file: what the index compares to know a file is unchanged."""
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size
