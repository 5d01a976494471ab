"""What every reader shares: the :class:`Reading` result and the line heuristics.

The heuristics look at one block's text (is it a heading? a promotional line? a
bibliography entry?) or at a run of blocks (the byline cluster under a title, the
entries after a ``Notes`` heading). They never change a character of a span: a block
is only given another kind, or its spans are trimmed at the edges.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace

from ...model import Block, Span

#: Blocks that hold body text: what a heading must be followed by.
BODY_KINDS = frozenset({"p", "item", "gloss", "quote", "bibl"})


@dataclass(frozen=True)
class Reading:
    """What a reader makes of a decoded text.

    :param blocks: the blocks in document order.
    :param title: the title the text gives itself (title line, first heading, ``<title>``).
    :param guesses: metadata read off the text (``author``, ``periodical``, ``issue``,
        ``date``), overridden by a sidecar.
    """

    blocks: tuple[Block, ...]
    title: str | None = None
    guesses: dict[str, str] = field(default_factory=dict)


# --- spans -----------------------------------------------------------------------------------

_LEADING_MARKUP = re.compile(r"(?:<[^<>\s]{1,12}>\s*)+")
_TRAILING_MARKUP = re.compile(r"(?:\s*<[^<>\s]{1,12}>)+$")


def edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``text[start:end]`` to its content: no whitespace or stray tags at the edges.

    >>> edges(" Bookmarks, 1993)<./p>", 0, 22)
    (1, 17)
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    segment = text[start:end]
    leading = _LEADING_MARKUP.match(segment)  # "<p>Text" -> "Text", "…1993)<./p>" -> "…1993)"
    trailing = _TRAILING_MARKUP.search(segment)
    if trailing and trailing.start() > (leading.end() if leading else 0):
        end = start + trailing.start()
    if leading and start + leading.end() < end:
        start += leading.end()
    return start, end


def span_at(text: str, start: int, end: int) -> Span:
    """The verbatim span ``text[start:end]``."""
    return Span(text[start:end], start)


def trim_end(block: Block, count: int) -> Block:
    """``block`` without the last ``count`` characters of its last span (stray markup)."""
    last = block.spans[-1]
    trimmed = Span(last.text[:-count].rstrip(), last.start, last.rend, last.target, last.kind)
    return replace(block, spans=(*block.spans[:-1], trimmed))


# --- line shapes -----------------------------------------------------------------------------

_EDIT_SUFFIX = re.compile(r"(?<=[a-z)\]])Edit$")  # "Left OppositionEdit": a wiki's edit link
_BAD_HEAD_END = tuple(".,;:!-–—\"”’'…")
_BAD_HEAD_START = tuple("\"“‘'(-–—•*[")
BIBL_HEADING = re.compile(
    r"^(notes?|references|bibliography|sources|further reading|works cited|literature"
    r"|select bibliography|notes and references)$", re.IGNORECASE)
_KNOWN_HEADING = re.compile(r"^(see also|external links|contents)$", re.IGNORECASE)


def edit_suffix(text: str) -> int:
    """Length of a stuck-on wiki ``Edit`` at the end of a heading line, else 0."""
    return 4 if _EDIT_SUFFIX.search(text) else 0


def words(text: str) -> list[str]:
    return text.split()


def looks_like_heading(text: str) -> bool:
    """Whether a bare line has the shape of a heading: short, capitalised, no final stop.

    >>> looks_like_heading("Rise of the bureaucracy"), looks_like_heading("He left.")
    (True, False)
    """
    count = len(words(text))
    if not 1 <= count <= 12 or len(text) > 90 or "\n" in text:
        return False
    if text.endswith(_BAD_HEAD_END) or text.startswith(_BAD_HEAD_START):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    # Two sentences are not a heading: "It rained. We left"
    return re.search(r"[a-z]{2}[.!?] [A-Z]", text) is None


def known_heading(text: str) -> bool:
    """A heading that stands on its own even with nothing after it (``See also``, ``Notes``)."""
    return bool(BIBL_HEADING.match(text) or _KNOWN_HEADING.match(text))


_EMBED = re.compile(
    r"pic\.twitter\.com/|twitter\.com/\w+/status/|x\.com/\w+/status/"
    r"|^[—–-]\s*.+\(@\w+\)\s+\w+ \d{1,2}, \d{4}$")
_PROMOTIONAL = re.compile(
    r"^(subscribe|share|share this( article| page)?|tweet|print|email|donate( now)?|"
    r"pre-?order( now)?|buy (it )?now|order now|sign up|follow us|read more|click here|"
    r"advertisement|sponsored|related articles?|to contact|contact us|join us today)\b",
    re.IGNORECASE)


def aside_type(text: str) -> str | None:
    """``"embed"`` for an embedded post, ``"promotional"`` for a call to buy or share, else None.

    >>> aside_type("— Wellred Books Britain (@WellredBritain) October 4, 2023")
    'embed'
    """
    if _EMBED.search(text):
        return "embed"
    if len(words(text)) <= 15 and _PROMOTIONAL.match(text):
        return "promotional"
    return None


_OPEN_QUOTE = ("“", '"', "«", "„")
_CLOSE_QUOTE = re.compile(r"[”»]|(?<=\S)\"")


def is_quotation(text: str) -> bool:
    """Whether a paragraph is one quotation: it opens with a quote mark that closes only at
    the end (or not at all: a quotation running on into the next paragraph).

    "“In its prolonged development,” he wrote, “…”" is a paragraph that quotes,
    not a quotation.
    """
    if not text.startswith(_OPEN_QUOTE):
        return False
    close = _CLOSE_QUOTE.search(text, 1)
    if close is None:
        return True
    rest = text[close.end():].strip()
    # what may follow the closing mark: a full stop, or a note like "(Our emphasis)"
    return rest in ("", ".", ",") or re.fullmatch(r"\([^()]{1,40}\)\.?", rest) is not None


_BIBL_ENTRY = re.compile(
    r"^(_{3,}\.|[A-Z][^()]{1,80}\.\s).*\([^()]*\b(1[5-9]\d\d|20\d\d)[a-z]?\)\.?$")


def looks_like_bibl_entry(text: str) -> bool:
    """``Author. Title (Place: Publisher, 1971).`` or ``__________. Title (…, 1984).``"""
    return bool(_BIBL_ENTRY.match(text))


# --- dates, names, periodical lines ----------------------------------------------------------

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTH = "(" + "|".join(_MONTHS) + ")"
_DATE_PATTERNS = (  # (pattern, groups: day, month, year)
    (re.compile(rf"\b(\d{{1,2}}) {_MONTH},? (\d{{4}})\b", re.I), (1, 2, 3)),
    (re.compile(rf"\b{_MONTH} (\d{{1,2}}),? (\d{{4}})\b", re.I), (2, 1, 3)),
    (re.compile(rf"\b{_MONTH}(?:[/–-]\w+)? (\d{{4}})\b", re.I), (0, 1, 2)),
    (re.compile(r"\b(1[5-9]\d\d|20\d\d)\b"), (0, 0, 1)),
)


def guess_date(text: str) -> str | None:
    """The first date in ``text`` as ISO 8601, precise as written.

    >>> guess_date("8 October 2023"), guess_date("No. 67, March/April 1997")
    ('2023-10-08', '1997-03')
    """
    for pattern, (day, month, year) in _DATE_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        iso = match.group(year)
        if month:
            iso += f"-{_MONTHS[match.group(month).lower()]:02d}"
        if day:
            iso += f"-{int(match.group(day)):02d}"
        return iso
    return None


_NAME = re.compile(
    r"^(?:By\s+)?([A-Z][\w'’.-]+(?:\s+(?:de|van|von|der|da|del|[A-Z][\w'’.-]*)){1,3})$")
_PERIODICAL = re.compile(r"^(?P<periodical>[^,]{2,60}),\s*No\.?\s*(?P<issue>\d+)\b")


def name_in(text: str) -> str | None:
    """A personal name standing alone on a line (``Paul Le Blanc``, ``By David North``)."""
    match = _NAME.match(text.strip())
    return match.group(1) if match else None


def _byline_guesses(lines: list[str]) -> dict[str, str]:
    guesses: dict[str, str] = {}
    for line in lines:
        periodical = _PERIODICAL.match(line)
        if periodical:
            guesses.setdefault("periodical", periodical["periodical"].strip())
            guesses.setdefault("issue", periodical["issue"])
        name = name_in(line)
        if name and not guess_date(line):
            guesses.setdefault("author", name)
        date = guess_date(line)
        if date:
            guesses.setdefault("date", date)
    return guesses


def _is_front_line(block: Block) -> bool:
    lines = block.text.split("\n")
    return (block.kind == "p" and len(lines) <= 3
            and all(len(words(line)) <= 10 and not line.endswith(".") for line in lines))


def mark_front_matter(blocks: list[Block]) -> tuple[list[Block], dict[str, str]]:
    """Turn the short lines right under the title into bylines, when they look like one.

    The cluster counts as a byline when one of its lines carries a date or an issue number,
    or starts with "By" (a lone short line is more likely a section heading).

    :return: the blocks, and the metadata read off the bylines.
    """
    titles = [i for i, block in enumerate(blocks) if block.kind == "title"]
    if not titles:
        return blocks, {}
    first = titles[0] + 1
    last = first
    while last < len(blocks) and last - first < 3 and _is_front_line(blocks[last]):
        last += 1
    lines = [line for block in blocks[first:last] for line in block.text.split("\n")]
    dated = any(guess_date(line) or _PERIODICAL.match(line) for line in lines)
    if not lines or not (dated or lines[0].startswith("By ")):
        return blocks, {}
    marked = [replace(block, type="byline", kind="aside") for block in blocks[first:last]]
    return blocks[:first] + marked + blocks[last:], _byline_guesses(lines)


def mark_bibliography(blocks: list[Block]) -> list[Block]:
    """Paragraphs and items under a ``Notes``/``References``/… heading become ``bibl``."""
    marked: list[Block] = []
    inside: int | None = None  # level of the bibliography heading we are under
    for block in blocks:
        if block.kind in ("head", "title"):
            inside = None
            if block.kind == "head" and BIBL_HEADING.match(block.text.strip()):
                inside = block.level
        elif inside is not None and block.kind in ("p", "item"):
            block = replace(block, kind="bibl")
        marked.append(block)
    return marked


def title_from_headings(blocks: list[Block]) -> list[Block]:
    """A first heading above all others (``# …``, ``<h1>``) is the title; the others
    count their depth below it. Otherwise there is no title block and the top headings
    are level 1.
    """
    levels = [block.level for block in blocks if block.kind == "head"]
    if not levels:
        return blocks
    top = min(levels)
    title_index = None
    if levels[0] == top and levels.count(top) == 1:
        title_index = next(i for i, b in enumerate(blocks) if b.kind == "head" and b.level == top)
    marked: list[Block] = []
    for index, block in enumerate(blocks):
        if index == title_index:
            block = replace(block, kind="title", level=0)
        elif block.kind == "head":
            depth = block.level - top if title_index is not None else block.level - top + 1
            block = replace(block, level=max(depth, 1))
        marked.append(block)
    return marked


def first_line_title(text: str, limit: int = 80) -> str:
    """A title made from the first line: cut at a word boundary when it is long."""
    line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
