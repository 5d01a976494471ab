"""Answers kept by the process that asks the queries: a query asked again while neither the index
nor any document changed is answered from its last answer, without the workers.

The workers answer a repeated query from what they keep (trees, hits kept apart), but each
asking still checks its candidates, reads or makes every document's hits, sends them and merges
them here: at 10,000 documents a warm ``//tei:*[@ref = '#x']`` on 94% of them took half a
second of the two cores, and a rare value a round trip to both workers. An answer is kept here
only when it is whole as asked (no time limit cut it; the result limit and the answer's bounds
are part of what was asked), not when the expression names a function whose value is not the
documents' alone (the clock, other files: see :data:`archive.xpath.UNSTABLE_FUNCTIONS`); it is
given again only while the state it was asked under holds: the index's generation, the
folder's stamp, and every file's (mtime_ns, size) as they are now (see
:func:`.candidates.corpus_state`: on Linux inotify says which files to stat again, so checking
60,000 files costs a few milliseconds). Kept within a budget of estimated bytes, the least
recently asked out first. A query's answer is kept from its second asking on: taking the state
first costs more than a query asked once (``archive query``) would get back.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from typing import Any

from ..xpath import UNSTABLE_FUNCTIONS, QueryResult

#: Answers kept at most, whatever their size.
ANSWERS = 32
#: Queries remembered as asked once (see AnswerCache.seen).
ASKED = 1024


class AnswerCache:
    """Whole answers of queries by what was asked, each with the state it was asked under."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, QueryResult, int]] = OrderedDict()
        self._asked: OrderedDict[tuple[Any, ...], None] = OrderedDict()

    def seen(self, key: tuple[Any, ...] | None) -> bool:
        """Whether the query ``key`` names was asked before (recently): only then is its
        answer kept, as keeping it costs taking the state first (listing the documents and
        every file's stamp here: half a second of a core at 10,000 documents, the first time),
        which a query asked once (``archive query``) never gets back."""
        if key is None:
            return False
        with self._lock:
            if key in self._asked:
                self._asked.move_to_end(key)
                return True
            self._asked[key] = None
            if len(self._asked) > ASKED:
                self._asked.popitem(last=False)
            return False

    def get(self, key: tuple[Any, ...] | None, state: Any,
            elapsed_ms: float) -> QueryResult | None:
        """The answer kept for ``key`` when it was asked under ``state`` (its time now
        ``elapsed_ms``); None otherwise."""
        if key is None or state is None:
            return None
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] != state:
                return None
            self._kept.move_to_end(key)
        return dataclasses.replace(found[1], elapsed_ms=elapsed_ms)

    def put(self, key: tuple[Any, ...] | None, state: Any, result: QueryResult,
            cost: int) -> None:
        """Keep ``result``, asked under ``state`` (taken before it was asked), at an estimated
        ``cost`` in bytes; larger than the whole budget, it is not kept."""
        if key is None or state is None:
            return
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self.used -= old[2]
            if cost > self.budget:
                return
            while self._kept and (self.used + cost > self.budget or len(self._kept) >= ANSWERS):
                self.used -= self._kept.popitem(last=False)[1][2]
            self._kept[key] = (state, result, cost)
            self.used += cost

    def resize(self, budget: int) -> None:
        """Set the budget, putting out the least recently asked answers beyond it."""
        with self._lock:
            self.budget = budget
            while self._kept and self.used > budget:
                self.used -= self._kept.popitem(last=False)[1][2]

    def clear(self) -> None:
        """Forget the answers kept (not which queries were asked)."""
        with self._lock:
            self._kept.clear()
            self.used = 0


def answer_key(settings: Any, expression: str, namespaces: dict[str, str] | None, limit: int,
               bounds: tuple[int | None, int | None], corpus: bool) -> tuple[Any, ...] | None:
    """What names a query's answer: its data directory and index, the expression, its
    namespaces, the result limit, the bounds and ``corpus``; None when the answer may differ
    from one asking to the next with nothing changed (see :data:`UNSTABLE_FUNCTIONS`)."""
    if UNSTABLE_FUNCTIONS.search(expression):
        return None
    return (str(settings.tei_dir), str(settings.index_path), settings.index_url, expression,
            None if namespaces is None else tuple(sorted(namespaces.items())), limit, bounds,
            corpus)


#: The answers of this process (the viewer's, the command line's).
ANSWERS_KEPT = AnswerCache(0)
