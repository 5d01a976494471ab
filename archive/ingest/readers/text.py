"""Plain text: wiki headings, bare-line headings, infobox lines, bullets, quotations, notes.

The text is cut into *units* (one line, or a hard-wrapped paragraph of several), each unit
becomes a first-guess block, and a few passes over the whole list refine the guesses:
infobox runs, the title, the byline cluster, bare-line headings, quotations, bibliography.
Every span is a verbatim slice of the text: ``text[span.start:span.end] == span.text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...model import Block, BlockKind
from .common import (
    BODY_KINDS,
    Reading,
    aside_type,
    edges,
    edit_suffix,
    first_line_title,
    is_quotation,
    known_heading,
    looks_like_bibl_entry,
    looks_like_heading,
    mark_bibliography,
    mark_front_matter,
    span_at,
    trim_end,
    words,
)

_WIKI_HEAD = re.compile(r"^(=+)[ \t]*(.*?)[ \t]*\1[ \t]*$")  # "= Title =", "==Section=="
_BULLET = re.compile(r"^[ \t]*([•·▪◦*\-–])[ \t]+(?=\S)")
_GLOSS = re.compile(r"^-[ \t]+([A-Z][A-Za-z ]{0,29}):[ \t]+(\S.{0,119})$")  # "- Leader: …"
_QUOTE_PREFIX = re.compile(r"^(?:>[ \t]?|    |\t)(?=\S)")  # "> …", or an indented block
_WRAP_MIN, _WRAP_MAX = 40, 100  # line widths of a hard-wrapped paragraph


@dataclass(frozen=True)
class _Unit:
    start: int  # offsets of the unit's raw text (no final newline)
    end: int
    group: int  # units of one group stand on adjacent lines


def parse(text: str) -> Reading:
    """Read plain text into blocks, with a title and metadata guesses.

    :param text: the decoded text, line ends already ``"\\n"``.
    :return: the :class:`Reading`.
    """
    units = _units(text)
    blocks = [_first_guess(text, unit) for unit in units]
    blocks = _mark_glosses(text, units, blocks)
    blocks = _mark_title(blocks)
    blocks = _mark_infobox_name(blocks)
    blocks, guesses = mark_front_matter(blocks)
    blocks = _mark_headings(blocks)
    blocks = [replace(b, kind="quote") if b.kind == "p" and is_quotation(b.text) else b
              for b in blocks]
    blocks = _mark_bibliography(blocks)
    kept = tuple(block for block in blocks if block.text.strip())
    title = next((block.text for block in kept if block.kind == "title"), None)
    return Reading(kept, title or first_line_title(text), guesses)


def read(text: str) -> list[Block]:
    """The blocks of a plain text (see :func:`parse`)."""
    return list(parse(text).blocks)


def _units(text: str) -> list[_Unit]:
    """Lines grouped by blank lines; a hard-wrapped group becomes one unit, others one per line."""
    lines: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line)))
        offset += len(line) + 1
    groups: list[list[tuple[int, int]]] = [[]]
    for start, end in lines:
        if text[start:end].strip():
            groups[-1].append((start, end))
        elif groups[-1]:
            groups.append([])
    units: list[_Unit] = []
    for number, group in enumerate(g for g in groups if g):
        if _is_wrapped(text, group):
            units.append(_Unit(group[0][0], group[-1][1], number))
        else:
            units.extend(_Unit(start, end, number) for start, end in group)
    return units


def _is_wrapped(text: str, group: list[tuple[int, int]]) -> bool:
    """A paragraph broken into lines of similar width, none of them a bullet or heading."""
    if len(group) < 2:
        return False
    for start, end in group:
        line = text[start:end]
        if _BULLET.match(line) or _WIKI_HEAD.match(line) or _QUOTE_PREFIX.match(line):
            return False
    return all(_WRAP_MIN <= end - start <= _WRAP_MAX for start, end in group[:-1])


def _first_guess(text: str, unit: _Unit) -> Block:
    """The block a unit is on its own: heading, item, quotation, aside or paragraph."""
    raw = text[unit.start:unit.end]
    head = _WIKI_HEAD.match(raw)
    if head and head.group(2):
        start, end = edges(text, unit.start + head.start(2), unit.start + head.end(2))
        level = len(head.group(1)) - 1
        kind: BlockKind = "title" if level == 0 else "head"
        return Block(kind, (span_at(text, start, end),), level=max(level, 1) if level else 0)
    bullet = _BULLET.match(raw)
    quoted = _QUOTE_PREFIX.match(raw)
    skip = bullet.end() if bullet else quoted.end() if quoted else 0
    start, end = edges(text, unit.start + skip, unit.end)
    spans = (span_at(text, start, end),)
    if bullet:
        return Block("item", spans)
    if quoted:
        return Block("quote", spans)
    aside = aside_type(text[start:end])
    return Block("aside", spans, type=aside) if aside else Block("p", spans)


def _mark_glosses(text: str, units: list[_Unit], blocks: list[Block]) -> list[Block]:
    """Runs of two or more adjacent ``- Key: Value`` lines are an infobox, not a list."""
    marked = list(blocks)
    index = 0
    while index < len(units):
        run = index
        while (run < len(units) and units[run].group == units[index].group
               and _GLOSS.match(text[units[run].start:units[run].end])):
            run += 1
        if run - index >= 2:
            for number in range(index, run):
                marked[number] = _gloss(text, units[number])
        index = max(run, index + 1)
    return marked


def _gloss(text: str, unit: _Unit) -> Block:
    match = _GLOSS.match(text[unit.start:unit.end])
    assert match is not None  # only called on lines that matched
    key = edges(text, unit.start + match.start(1), unit.start + match.end(1))
    value = edges(text, unit.start + match.start(2), unit.end)
    return Block("gloss", (span_at(text, *value),), label=(span_at(text, *key),))


def _as_heading(block: Block, kind: BlockKind, level: int) -> Block:
    suffix = edit_suffix(block.text)
    block = trim_end(block, suffix) if suffix else block
    return replace(block, kind=kind, level=level)


def _mark_title(blocks: list[Block]) -> list[Block]:
    """A first line shaped like a heading is the title (``Left OppositionEdit`` → the title)."""
    if not blocks or any(block.kind == "title" for block in blocks):
        return blocks
    first = blocks[0]
    candidate = first.text[: len(first.text) - edit_suffix(first.text)]
    if first.kind == "p" and looks_like_heading(candidate):
        return [_as_heading(first, "title", 0), *blocks[1:]]
    return blocks


def _mark_infobox_name(blocks: list[Block]) -> list[Block]:
    """The short line that names an infobox (``Left Opposition`` above ``- Leader: …``)."""
    marked = list(blocks)
    for index, block in enumerate(blocks[:-1]):
        if (block.kind == "p" and blocks[index + 1].kind == "gloss"
                and len(words(block.text)) <= 8):
            marked[index] = replace(block, kind="aside", type="infobox")
    return marked


def _mark_headings(blocks: list[Block]) -> list[Block]:
    """Short bare lines that stand before body text (or name a known section) are headings."""
    marked = list(blocks)
    for index, block in enumerate(blocks):
        if block.kind != "p":
            continue
        text = block.text[: len(block.text) - edit_suffix(block.text)]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if known_heading(text) or (looks_like_heading(text) and _is_body(block, following)):
            marked[index] = _as_heading(block, "head", 1)
    return marked


def _is_body(block: Block, following: Block | None) -> bool:
    """Whether ``following`` is the body text a heading ``block`` would introduce."""
    if following is None or following.kind not in BODY_KINDS:
        return False
    if following.kind != "p":
        return True
    # a paragraph, longer than the heading and not itself heading-shaped
    return len(following.text) > len(block.text) and not looks_like_heading(following.text)


def _mark_bibliography(blocks: list[Block]) -> list[Block]:
    """Entries under a Notes/References heading, or a closing run of ``Author. Title (…, 1971).``

    A short dated line after the run (``ATC 67, March-April 1997``) is the colophon.
    """
    blocks = mark_bibliography(blocks)
    end = len(blocks)
    while end > 0 and blocks[end - 1].kind in ("p", "aside") and _is_colophon(blocks[end - 1]):
        end -= 1
    start = end
    while start > 0 and blocks[start - 1].kind == "p" and looks_like_bibl_entry(
            blocks[start - 1].text):
        start -= 1
    if end - start < 2:
        return blocks
    entries = [replace(block, kind="bibl") for block in blocks[start:end]]
    colophon = [replace(block, kind="aside", type="colophon") for block in blocks[end:]]
    return blocks[:start] + entries + colophon


def _is_colophon(block: Block) -> bool:
    return len(words(block.text)) <= 8 and re.search(r"\b\d{4}$", block.text) is not None

