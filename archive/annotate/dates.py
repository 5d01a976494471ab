"""Rule-based date recogniser: calendar expressions in English prose -> normalised date mentions.

Conventions (they follow ../shared/eval/GUIDELINES.md and its gold files):

- A span never includes a leading article or preposition: "from [1923 to 1927]",
  "between [1929 and 1934]", "the [1920s]", "the [autumn of 1923]", "the [end of 1927]".
- A range written as one expression is one mention (``from_``/``to``); "between X and Y"
  is a range, a plain "X and Y" is two mentions.
- Parts of a year: early 01..04, mid 05..08, late 09..12, beginning 01..03, end 10..12, first
  half 01..06, second half 07..12. Parts of a decade: early 0..3, mid 4..6, late 7..9
  ("mid-late 1930s" -> 1934..1939). Parts of a month: early 1..10, mid 11..20, late 21..end.
  Seasons: spring 03..05, summer 06..08, autumn/fall 09..11, winter Dec of the year named
  to Feb of the next ("winter of 1920-21" -> 1920-12..1921-02). All of these are
  ``not_before``/``not_after``.
- A year missing from the span is borrowed from a dated mention that closely follows it
  ("October 8 and October 23, 1923") or else from the last year written in the document
  (or ``default_year``); such mentions are ``inferred`` with ``cert="medium"``, as in the gold.
  Spelled-out decades ("the early twenties") are inferred too: the 1900s unless the context
  year is earlier. A month name alone ("in October") is never a mention.
- Not dates: four-digit numbers after "No.", "pp.", "#", currency signs, before "%" or a plural
  noun ("1923 members", unless a preposition or "the" precedes), inside URLs and ISBNs.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..model import Mention
from .spans import Spans, pick_disjoint

Point = tuple[int | None, int | None, int | None]  # (year, month, day); day 0 = last of month

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_ABBREVIATIONS = {"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8,
                  "Sept": 9, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}
MONTH_NUMBERS = {name.lower(): n for n, name in enumerate(_MONTHS, 1)} | {
    name.lower(): n for name, n in _ABBREVIATIONS.items()}

YEAR_PARTS = {"early": (1, 4), "mid": (5, 8), "middle": (5, 8), "late": (9, 12),
              "beginning": (1, 3), "start": (1, 3), "end": (10, 12), "close": (10, 12),
              "first half": (1, 6), "second half": (7, 12), "latter half": (7, 12)}
DECADE_PARTS = {"early": (0, 3), "mid": (4, 6), "middle": (4, 6), "late": (7, 9),
                "beginning": (0, 2), "start": (0, 2), "end": (8, 9), "close": (8, 9),
                "first half": (0, 4), "second half": (5, 9), "latter half": (5, 9)}
MONTH_PARTS = {"early": (1, 10), "mid": (11, 20), "middle": (11, 20), "late": (21, 0),
               "beginning": (1, 10), "start": (1, 10), "end": (21, 0), "close": (21, 0),
               "first half": (1, 15), "second half": (16, 0), "latter half": (16, 0)}
SEASON_PARTS = {"early": (0, 1), "mid": (1, 1), "middle": (1, 1), "late": (1, 2)}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60,
                "seventies": 70, "eighties": 80, "nineties": 90}

# --- regex pieces; months are case-sensitive (Capitalised or CAPITALS) so "may" stays a verb ---
_FULL = "|".join([*_MONTHS, *(m.upper() for m in _MONTHS)])
_ABBR = "|".join([*_ABBREVIATIONS, *(a.upper() for a in _ABBREVIATIONS)])
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015"
_SEP = rf"(?:,?\s*[{_DASH}]\s*|,?\s+(?:to|until|till|through|thru)\s+|(?P<and>\s+and\s+))"
_SEP_SLASH = rf"(?:,?\s*[{_DASH}/]\s*|,?\s+(?:to|until|till|through|thru)\s+|(?P<and>\s+and\s+))"
_MOD = r"early|mid|middle|late"
_MODS = (rf"(?P<mod1>{_MOD})(?:(?:\s*[{_DASH}/]\s*|[\s{_DASH}]+(?:to|and|or)[\s{_DASH}]+)"
         rf"(?P<mod2>{_MOD}))?")  # "mid-late", "early and mid", "mid-to-late"
_PART = (r"(?P<part>beginning|start|middle|end|close|first\s+half|second\s+half|latter\s+half)"
         r"\s+of\s+")
_LEFT = rf"(?<![\w$£€¥#№/.,:])(?<!\d[{_DASH}])"
_RIGHT = rf"(?![\w%°]|[{_DASH}/.,:]\d|\s*(?:%|per\s?cent\b|percent\b))"


def _month(g: str) -> str:
    return rf"(?-i:(?P<{g}>(?:{_FULL})\b|(?:{_ABBR})\b\.?))"


def _day(g: str) -> str:
    return rf"(?P<{g}>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"


def _year(g: str, alone: bool = True) -> str:
    return rf"(?P<{g}>1\d{{3}}|20\d{{2}})" + (r"(?!\d)" if alone else "")


_YY2 = r"(?P<yy2>\d{1,2})(?!\d)"  # "1926-27", "1923-4"


def _compile(body: str, prefix: str = "") -> re.Pattern[str]:
    return re.compile(rf"{prefix}{_LEFT}(?P<s>{body}){_RIGHT}", re.IGNORECASE)


DAY_RANGE = _compile(rf"{_day('d1')}(?:\s+(?:of\s+)?{_month('m1')}(?:,?\s+{_year('y1')})?)?"
                     rf"{_SEP}{_day('d2')}\s+(?:of\s+)?{_month('m2')}(?:,?\s+{_year('y2')})?")
MDY_RANGE = _compile(rf"{_month('m1')}\s+{_day('d1')}(?:,?\s+{_year('y1')})?{_SEP}"
                     rf"(?:{_month('m2')}\s+)?{_day('d2')}(?:,?\s+{_year('y2')})?")
DMY = _compile(rf"{_day('d1')}\s+(?:of\s+)?{_month('m1')}(?:,?\s+{_year('y1')})?")
MDY = _compile(rf"{_month('m1')}\s+{_day('d1')}(?:,?\s+{_year('y1')})?")
ISO = _compile(rf"{_year('y1')}-(?P<mo>0[1-9]|1[0-2])-(?P<d1>0[1-9]|[12]\d|3[01])")
MONTH_RANGE = _compile(rf"{_month('m1')}(?:,?\s+{_year('y1')})?{_SEP_SLASH}"
                       rf"{_month('m2')},?\s+(?:of\s+)?{_year('y2')}")
MONTH_YEAR = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?{_month('m1')}"
                      rf"(?:,?\s+(?:of\s+)?{_year('y1')})?")
YEAR_RANGE = _compile(rf"{_year('y1')}(?:{_SEP_SLASH}{_year('y2')}|\s*[{_DASH}/]\s*{_YY2})")
GLUED_YEARS = _compile(rf"{_year('y1', alone=False)}{_year('y2')}")  # "19271940": a lost dash
YEAR = _compile(_year("y1"))
DECADE = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?(?P<dec1>1\d{{2}}0|20\d0)['’]?s\b")
DECADE_RANGE = _compile(rf"(?P<dec1>1\d{{2}}0|20\d0)['’]?s{_SEP}(?:the\s+)?"
                        rf"(?:(?P<dec2>1\d{{2}}0|20\d0)|['’]?(?P<dd2>\d)0)['’]?s\b")
WORD_DECADE = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?(?:(?P<word>{'|'.join(DECADE_WORDS)})"
                       r"|['’](?P<dd1>[1-9])0s)\b", r"\bthe\s+")
YEAR_PART = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+|{_PART}(?:the\s+year\s+)?){_year('y1')}")
DECADE_PART = _compile(rf"{_PART}the\s+(?P<dec1>1\d{{2}}0|20\d0)['’]?s\b")
SEASON = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?(?P<season>{'|'.join(SEASONS)})(?:\s+of)?\s+"
                  rf"{_year('y1')}(?:\s*[{_DASH}/]\s*(?:{_year('y2')}|{_YY2}))?")

# Text that cannot hold a date, and the words around a bare number that make it a quantity.
MASKED = re.compile(r"(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+|\bdoi:\s*\S+"
                    r"|\b10\.\d{4,9}/\S+|\bISBN(?:-1[03])?:?\s*(?:[\dX][\s-]?){9,12}[\dX]"
                    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|ru|uk|de|fr|io|info)\b/?\S*",
                    re.IGNORECASE)
NUMBER_SIGN = re.compile(r"(?:\b(?:nos?|nr|pp?|vols?|ch|chap|figs?|art|tel)\.|(?-i:\bNo)"
                         r"|\b(?:pages?|numbers?|ISBN|room)|[#№$£€¥])\s*$", re.IGNORECASE)
BETWEEN = re.compile(r"\bbetween\s+(?:the\s+)?$", re.IGNORECASE)
TEMPORAL_BEFORE = re.compile(r"(?:\b(?:in|by|since|until|till|after|before|during|from|circa|"
                             r"c|ca|the|his|her|their|its|our|my)\.?|['’]s)\s*$", re.IGNORECASE)
YEAR_WRITTEN = re.compile(r"1\d{3}|20\d{2}")
WORDS_AFTER = re.compile(r"\s+([A-Za-z]+)(?:\s+([A-Za-z]+))?")
# "October 8 and [October 23, 1923]", "7 November (25 October) [1917]", "9 October [O.S. ..."
CHAIN = re.compile(r"(?:[\s,;()\[\]&]|\b(?:and|or|on|of|the|[ON]\.?S|old style|new style)\b\.?)*",
                   re.IGNORECASE)
COUNT_WORDS = frozenset("people men women children feet km kg cattle sheep".split())
NOT_PLURALS = frozenset("always towards afterwards perhaps besides whereas sometimes "
                        "onwards upwards".split())
DETERMINERS = frozenset("the a an his her their its this that these those our".split())


@dataclass(frozen=True)
class _Hit:
    """A candidate: ``lo``/``hi`` points; ``explicit`` when the span writes its year."""

    start: int
    end: int
    kind: str  # "when", "range" or "approx"
    lo: Point
    hi: Point
    explicit: bool = True
    decade_words: bool = False  # lo/hi years are offsets in an unknown century
    needs_partner: bool = False  # a bare month: kept only if it borrows a year from its neighbour


def _num(value: str | None) -> int | None:
    return None if value is None else int(value)


def _month_of(value: str | None) -> int | None:
    return None if value is None else MONTH_NUMBERS[value.rstrip(".").lower()]


def _short_year(first: int, digits: str) -> int:
    """The year that "27" or "7" abbreviates after ``first``: 1926-27 -> 1927, 1929-30 -> 1930."""
    unit: int = 10 ** len(digits)
    year = first - first % unit + int(digits)
    return year + unit if year <= first else year


def _key(value: str) -> str:
    return " ".join(value.lower().split())


def _parts(m: re.Match[str], table: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(start, end) offsets of "early", "mid-late", "end of", ... in ``table``."""
    if m.groupdict().get("part"):
        return table[_key(m["part"])]
    first = m.group("mod1").lower()
    return table[first][0], table[(m.group("mod2") or first).lower()][1]


def _two_mentions(m: re.Match[str]) -> bool:
    """ "X and Y" is two mentions unless "between" opens it."""
    before = m.string[max(0, m.start("s") - 16):m.start("s")]
    return bool(m.groupdict().get("and")) and BETWEEN.search(before) is None


def _dates(m: re.Match[str]) -> _Hit | None:
    """Days, months and years written out, as one point or a range."""
    g = m.groupdict()
    if _two_mentions(m):
        return None
    y1, m1, d1 = _num(g.get("y1")), _month_of(g.get("m1")), _num(g.get("d1"))
    if g.get("mo"):
        m1 = int(g["mo"])
    if "y2" not in g and "m2" not in g:
        if g.get("mod1"):
            lo, hi = _parts(m, MONTH_PARTS)
            return _hit(m, "approx", (y1, m1, lo), (y1, m1, hi))
        # a month alone ("in October", "the October Revolution") stands only in a chain with
        # a dated month: "in January and February 1928"
        alone = d1 is None and m1 is not None and y1 is None
        return _hit(m, "when", (y1, m1, d1), (y1, m1, d1), needs_partner=alone)
    y2, m2, d2 = _num(g.get("y2")), _month_of(g.get("m2")), _num(g.get("d2"))
    if g.get("yy2") and y1 is not None:
        y2 = _short_year(y1, g["yy2"])
    if m2 is None and d2 is not None:
        m2 = m1  # "October 8-23"
    if m1 is None and d1 is not None:
        m1 = m2  # "8-23 October"
    if y1 is None and y2 is not None:
        y1 = y2 - 1 if m1 and m2 and m1 > m2 else y2  # "December 1923 - January 1924" style
    if y2 is None and y1 is not None:
        y2 = y1 + 1 if m1 and m2 and m2 < m1 else y1  # "8 October 1923 to 15 January"
    return _hit(m, "range", (y1, m1, d1), (y2, m2, d2))


def _hit(m: re.Match[str], kind: str, lo: Point, hi: Point, *, explicit: bool | None = None,
         decade_words: bool = False, needs_partner: bool = False) -> _Hit:
    return _Hit(m.start("s"), m.end("s"), kind, lo, hi,
                lo[0] is not None if explicit is None else explicit, decade_words, needs_partner)


def _glued(m: re.Match[str]) -> _Hit | None:
    y1, y2 = int(m["y1"]), int(m["y2"])
    return _hit(m, "range", (y1, None, None), (y2, None, None)) if y1 < y2 <= y1 + 100 else None


def _decade(m: re.Match[str]) -> _Hit | None:
    g, base = m.groupdict(), int(m["dec1"])
    if _two_mentions(m):
        return None
    if g.get("dec2") or g.get("dd2"):
        end = int(m["dec2"]) if g["dec2"] else base // 100 * 100 + int(m["dd2"]) * 10
        return _hit(m, "range", (base, None, None), (end + 9, None, None))
    if g.get("mod1") or g.get("part"):
        lo, hi = _parts(m, DECADE_PARTS)
        return _hit(m, "approx", (base + lo, None, None), (base + hi, None, None))
    return _hit(m, "range", (base, None, None), (base + 9, None, None))


def _word_decade(m: re.Match[str]) -> _Hit:
    base = DECADE_WORDS[m["word"].lower()] if m["word"] else int(m["dd1"]) * 10
    lo, hi = _parts(m, DECADE_PARTS) if m["mod1"] else (0, 9)
    kind = "approx" if m["mod1"] else "range"
    return _hit(m, kind, (base + lo, None, None), (base + hi, None, None),
                explicit=False, decade_words=True)


def _year_part(m: re.Match[str]) -> _Hit:
    year = int(m["y1"])
    lo, hi = _parts(m, YEAR_PARTS)
    return _hit(m, "approx", (year, lo, None), (year, hi, None))


def _season(m: re.Match[str]) -> _Hit | None:
    year, first = int(m["y1"]), SEASONS[m["season"].lower()]
    lo, hi = _parts(m, SEASON_PARTS) if m["mod1"] else (0, 2)
    if m["y2"] or m["yy2"]:
        y2 = int(m["y2"]) if m["y2"] else _short_year(year, m["yy2"])
        if first != 12 or y2 != year + 1:
            return None  # only winter straddles two years
    start, end = first - 1 + lo, first - 1 + hi
    return _hit(m, "approx", (year + start // 12, start % 12 + 1, None),
                (year + end // 12, end % 12 + 1, None))


Converter = Callable[[re.Match[str]], "_Hit | None"]
PATTERNS: tuple[tuple[re.Pattern[str], Converter, bool], ...] = (
    # (pattern, converter, may be a quantity: a bare number that could be a count)
    (DAY_RANGE, _dates, False), (MDY_RANGE, _dates, False), (DMY, _dates, False),
    (MDY, _dates, False), (ISO, _dates, False), (MONTH_RANGE, _dates, False),
    (MONTH_YEAR, _dates, False), (YEAR_RANGE, _dates, True), (GLUED_YEARS, _glued, True),
    (YEAR, _dates, True), (DECADE, _decade, False),
    (DECADE_RANGE, _decade, False), (WORD_DECADE, _word_decade, False),
    (YEAR_PART, _year_part, False), (DECADE_PART, _decade, False), (SEASON, _season, False),
)


def _is_quantity(text: str, hit: _Hit) -> bool:
    """A bare number followed by a plural noun with no temporal word before: "1923 members".

    "from" does not save a range: "from 1500 to 2000 workers" is a count.
    """
    start, end = hit.start, hit.end
    after = WORDS_AFTER.match(text, end)
    if after is None or not after[1].islower():
        return False
    word = after[1]
    plural = word in COUNT_WORDS or (len(word) > 3 and word.endswith("s")
                                     and not word.endswith(("ss", "us", "is"))
                                     and word not in NOT_PLURALS)
    if not plural or (after[2] or "").lower() in DETERMINERS:  # "1923 marks the end"
        return False
    before = TEMPORAL_BEFORE.search(text[max(0, start - 12):start])
    return before is None or (hit.kind == "range" and before[0].strip().lower() == "from")


def _candidates(text: str) -> list[_Hit]:
    """All acceptable matches of every pattern, overlaps resolved longest-first."""
    masked = Spans((m.start(), m.end()) for m in MASKED.finditer(text))
    found: list[tuple[_Hit, bool]] = []
    counts: list[_Hit] = []  # quantities, and every number inside them: "1500 to 2000 members"
    for pattern, convert, countable in PATTERNS:
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            pos = m.start() + 1  # overlapping matches too: a rejected long one may hide a good one
            hit = convert(m)
            if hit is None or masked.overlaps(hit.start, hit.end):
                continue
            if NUMBER_SIGN.search(text[max(0, hit.start - 12):hit.start]):
                continue
            if countable and _is_quantity(text, hit):
                counts.append(hit)
                continue
            found.append((hit, countable))
    counted = Spans((c.start, c.end) for c in counts)
    kept = [hit for hit, countable in found
            if not countable or not counted.overlaps(hit.start, hit.end)]
    chosen = pick_disjoint(sorted(kept, key=lambda h: (h.start - h.end, h.start)),
                           lambda h: (h.start, h.end))
    return sorted(chosen, key=lambda h: h.start)


def _with_year(hit: _Hit, year: int) -> _Hit:
    """Give a yearless hit the year ``year`` (the later point moves on past a year end)."""
    lo_month, hi_month = hit.lo[1], hit.hi[1]
    wraps = lo_month is not None and hi_month is not None and hi_month < lo_month
    return replace(hit, lo=(year, lo_month, hit.lo[2]), hi=(year + wraps, hi_month, hit.hi[2]))


def _borrow_years(hits: list[_Hit], text: str) -> list[_Hit]:
    """Yearless hits take the year of a dated hit right after them.

    "October 8 and October 23, 1923": the first takes 1923 (and is still ``inferred``).
    """
    result = list(hits)
    for i in range(len(result) - 2, -1, -1):
        hit, after = result[i], result[i + 1]
        year = after.lo[0]
        if hit.lo[0] is not None or hit.decade_words or year is None:
            continue
        if CHAIN.fullmatch(text, hit.end, after.start) is None:
            continue
        parallel = re.search(r"[(\[]", text[hit.end:after.start])  # the day in the other calendar
        if hit.hi[1] and after.lo[1] and hit.hi[1] > after.lo[1] and not parallel:
            year -= 1  # "December 28 and January 3, 1924"
        result[i] = replace(_with_year(hit, year), needs_partner=False)
    return result


def _iso(point: Point) -> str:
    year, month, day = point
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day or calendar.monthrange(year or 0, month)[1]:02d}"


def _valid(hit: _Hit) -> bool:
    """Real calendar days, and a start no later than the end."""
    for year, month, day in (hit.lo, hit.hi):
        if year is None or not 1000 <= year <= 2100:
            return False
        if month and day and day > calendar.monthrange(year, month)[1]:
            return False
    lo = (hit.lo[0] or 0, hit.lo[1] or 1, hit.lo[2] or 1)
    hi = (hit.hi[0] or 0, hit.hi[1] or 12, hit.hi[2] or 31)
    return hit.kind == "when" or lo <= hi


def _mention(hit: _Hit, text: str) -> Mention:
    inferred = not hit.explicit
    lo, hi = _iso(hit.lo), _iso(hit.hi)
    ranged, approx = hit.kind == "range", hit.kind == "approx"
    return Mention(hit.start, hit.end, text[hit.start:hit.end], "date",
                   when=lo if hit.kind == "when" else None,
                   from_=lo if ranged else None, to=hi if ranged else None,
                   not_before=lo if approx else None, not_after=hi if approx else None,
                   inferred=inferred, cert="medium" if inferred else "high", resp="dates")


def find_dates(blocks: Sequence[str], *, default_year: int | None = None) -> list[list[Mention]]:
    """Date mentions in each block of one document (offsets into that block's text), in order.

    :param blocks: the texts of the document's blocks in reading order; the year last
        written flows from block to block to place yearless dates ("On October 8").
    :param default_year: the year to assume before any year is written (e.g. the
        document's date), or None to drop yearless dates found before the first year.
    :return: one list of ``type="date"``, ``resp="dates"`` mentions per block.
    """
    context = default_year
    result: list[list[Mention]] = []
    for text in blocks:
        mentions: list[Mention] = []
        for hit in _borrow_years(_candidates(text), text):
            if hit.needs_partner:
                continue
            if hit.decade_words:
                century = context // 100 * 100 if context and context < 1900 else 1900
                hit = replace(hit, lo=(century + (hit.lo[0] or 0), None, None),
                              hi=(century + (hit.hi[0] or 0), None, None))
            elif hit.lo[0] is None:
                if context is None:
                    continue
                hit = _with_year(hit, context)
            if not _valid(hit):
                continue
            mentions.append(_mention(hit, text))
            written = YEAR_WRITTEN.findall(mentions[-1].text)
            if hit.explicit and written and (hit.hi[0] or 0) - (hit.lo[0] or 0) <= 1:
                context = int(written[-1])  # the year last written; decades, life spans: none
        result.append(mentions)
    return result
