"""The size of a query's answer: bytes per hit and per answer, bounded where hits are made.

One expression can make a short corpus answer with gigabytes (``(1 to 200) ! $a-long-string``):
the evaluation runs in a worker whose memory is capped, but every hit it sends is held, merged
and serialised by the caller. So the worker cuts each hit's value and context to a number of
UTF-8 bytes, stops its share when the hits it made reach the answer's bound, and the caller
cuts the merged hits again in document order at that bound: what crosses to the caller, and
what it answers, stays within the bounds whatever the expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, cast

#: UTF-8 bytes of all the hits of one answer (values and contexts) when the caller sets none:
#: ``archive query`` (a command-line user asked for the hits; this only keeps it from
#: running out of memory).
ANSWER_BYTES = 64 * 1024**2
#: What ends a value or a context that was cut (3 bytes in UTF-8).
ELLIPSIS = "…"


def cut(text: str, room: int) -> str:
    """``text`` within ``room`` UTF-8 bytes: whole, or cut at a character and ended by "…"."""
    if len(text) * 4 <= room:  # no character takes more than 4 bytes
        return text
    data = text[:room + 1].encode()
    if len(data) <= room:
        return text
    if room < len(ELLIPSIS.encode()):
        return ""
    return data[:room - len(ELLIPSIS.encode())].decode("utf-8", "ignore") + ELLIPSIS


def _utf8_bytes(hits: Sequence[tuple[Any, ...]]) -> int:
    # UTF-8 bytes of the hits' values and contexts (their last two fields)
    return (len("".join(map(itemgetter(-2), hits)).encode())
            + len("".join(map(itemgetter(-1), hits)).encode()))


class Budget:
    """The bytes of an answer's hits, taken in order until the answer's bound.

    :param hit_bytes: bytes of one hit's value, and of its context (None: no bound).
    :param answer_bytes: bytes of all the values and contexts together (None: no bound).
    """

    def __init__(self, hit_bytes: int | None, answer_bytes: int | None) -> None:
        self.hit_bytes, self.answer_bytes = hit_bytes, answer_bytes
        self.used = 0
        self.full = False  # the answer's bound was reached: no further hit is taken
        self.cut = False  # a value or a context was cut to the hit's bound

    def take(self, hits: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The hits (fields of :class:`archive.xpath.Hit`) within the bounds, in order; the
        hit that reaches the answer's bound is cut to what is left and the rest dropped."""
        if self.hit_bytes is None and self.answer_bytes is None:
            return list(hits)
        if self.hit_bytes is None and not self.full:
            # the bytes of all the values and contexts at once, in C: when they stay below the
            # bound no hit reaches it (each hit's bytes are at least 0), and all are taken
            size = _utf8_bytes(hits)
            if self.used + size < cast(int, self.answer_bytes):
                self.used += size
                return list(hits)
        kept: list[tuple[Any, ...]] = []
        for hit in hits:
            if self.full:
                break
            *fields, value, context = hit
            if self.hit_bytes is not None:
                shorter = cut(value, self.hit_bytes), cut(context, self.hit_bytes)
                self.cut = self.cut or shorter != (value, context)
                value, context = shorter
            size = len(value.encode()) + len(context.encode())
            if self.answer_bytes is not None and self.used + size >= self.answer_bytes:
                self.full = True
                room = self.answer_bytes - self.used
                value = cut(value, room)
                context = cut(context, room - len(value.encode()))
                size = len(value.encode()) + len(context.encode())
            self.used += size
            kept.append((*fields, value, context))
        return kept

    def note(self) -> str | None:
        """What the hit's bound left out, in words (None when nothing was cut)."""
        return (f"values and contexts longer than {self.hit_bytes:,} bytes are cut (…)"
                if self.cut else None)
