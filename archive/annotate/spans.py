"""Offsets questions the recogniser asks many times per block, answered without rescanning.

Every helper here costs O(log n) per question (or the length of one word or run of spaces),
never the length of the text before the position asked about, so tagging stays linear in the
length of a paragraph: a 1 MB paragraph costs what a thousand 1 KB ones do.
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import TypeVar

T = TypeVar("T")


class Spans:
    """A fixed set of ``[start, end)`` spans (they may overlap), asked "does this overlap any?".

    :param spans: the spans.
    """

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._reach = list(accumulate((e for _, e in ordered), max))  # furthest end so far

    def overlaps(self, start: int, end: int) -> bool:
        """Whether some span ``(s, e)`` has ``s < end and start < e``."""
        before = bisect_left(self._starts, end)
        return before > 0 and self._reach[before - 1] > start

    def holds(self, position: int) -> bool:
        """Whether some span ``(s, e)`` has ``s <= position < e``."""
        return self.overlaps(position, position + 1)


def pick_disjoint(ordered: Iterable[T], span: Callable[[T], tuple[int, int]]) -> list[T]:
    """Greedy choice of non-overlapping items: each in turn is taken unless it overlaps one taken.

    :param ordered: the items, best first.
    :param span: an item's ``(start, end)``.
    :return: the items taken, in the order they were taken.
    """
    taken: list[tuple[int, int]] = []  # sorted, pairwise disjoint
    out: list[T] = []
    for item in ordered:
        start, end = span(item)
        # Disjoint and sorted by (start, end): only the last span starting before ``end``
        # can reach past ``start``.
        before = bisect_left(taken, (end, -1))
        if before > 0 and taken[before - 1][1] > start:
            continue
        insort(taken, (start, end))
        out.append(item)
    return out


_WORD_CHAR = re.compile(r"\w")
#: One whitespace character (``\s``), for :func:`run_start`.
SPACES = re.compile(r"\s")


def run_start(text: str, end: int, chars: str | re.Pattern[str]) -> int:
    """The start of the run of characters ending at ``end`` that all belong to ``chars``.

    :param text: the text.
    :param end: where the run ends (exclusive).
    :param chars: a string of the characters, or a one-character pattern (e.g. ``\\w``).
    :return: the run's start (``end`` when ``text[end - 1]`` is not in ``chars``).
    """
    start = end
    if isinstance(chars, str):
        while start > 0 and text[start - 1] in chars:
            start -= 1
    else:
        while start > 0 and chars.fullmatch(text[start - 1]):
            start -= 1
    return start


def word_run_start(text: str, end: int) -> int:
    """The start of the run of word characters (``\\w``) ending at ``end``."""
    return run_start(text, end, _WORD_CHAR)

