"""Rule-based date recogniser: calendar expressions in English prose -> normalised date mentions.

Conventions (they follow ../shared/eval/GUIDELINES.md and its gold files):

- A span never includes a leading article or preposition: "from [1923 to 1927]",
  "between [1929 and 1934]", "the [1920s]", "the [autumn of 1923]", "the [end of 1927]".
- A range written as one expression is one mention (``from_``/``to``); "between X and Y"
  is a range, a plain "X and Y" is two mentions.
- Parts of a year: early 01..04, mid 05..08, late 09..12, beginning 01..03, end 10..12, first
  half 01..06, second half 07..12. Parts of a decade: early 0..3, mid 4..6, late 7..9
  ("mid-late 1930s" -> 1934..1939). Parts of a month ("early June", "early in June", "the end
  of May 1820"): early 1..10, mid 11..20, late 21..end. Seasons: spring 03..05, summer 06..08,
  autumn/fall 09..11, winter Dec of the year named
  to Feb of the next ("winter of 1920-21" -> 1920-12..1921-02). All of these are
  ``not_before``/``not_after``.
- A year missing from the span is borrowed from a dated mention that closely follows it
  ("October 8 and October 23, 1923") or else from the last year written in the document
  (or ``default_year``); such mentions are ``inferred`` with ``cert="medium"``, as in the gold.
  Spelled-out decades ("the early twenties") are inferred too: the 1900s unless the context
  year is earlier. A month name alone ("in October") is never a mention.
- Diary and letter days: the weekday is inside the span ("Monday 1", "Tuesday the 8th",
  "Monday March 12th", "Saturday April First"); "the 5th inst."/"12th ult."/"the 2nd prox."
  name this, the last and the next month; "3d", "2d" are ordinals. Their month and year come
  from a :class:`DateContext` (the document's date, a heading that is only a date, the last
  date naming its month); a weekday that does not fit gives ``cert="low"``; a day nothing
  places is a mention without normalisation, ``cert="low"``.
- Not dates: four-digit numbers after "No.", "pp.", "#", currency signs, before "%" or a plural
  noun ("1923 members", unless a preposition or "the" precedes), inside URLs and ISBNs.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

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
    return rf"(?P<{g}>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th|(?<=[23])d)?(?!\d)"  # "3d": old style


def _year(g: str, alone: bool = True) -> str:
    return rf"(?P<{g}>1\d{{3}}|20\d{{2}})" + (r"(?!\d)" if alone else "")


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS = {name.lower(): n for n, name in enumerate(_WEEKDAYS)} | {
    name: n for n, names in enumerate(("mon", "tue tues", "wed", "thu thur thurs", "fri", "sat",
                                       "sun")) for name in names.split()}
# weekdays are case-sensitive too; an abbreviation needs its full stop ("Sat 5 hours")
_WEEKDAY = (rf"(?-i:(?P<wd>(?:{'|'.join(_WEEKDAYS)})\b"
            r"|(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)\.))")
_UNITS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
          "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()
#: "first" .. "thirty-first" (also "twenty first", "twentyfirst"): "Saturday April First"
ORDINAL_WORDS = {word: n for n, word in enumerate(_UNITS, 1)} | {
    "twentieth": 20, "thirtieth": 30} | {
    f"{tens}{sep}{word}": base + n for tens, base in (("twenty", 20), ("thirty", 30))
    for sep in ("-", " ", "") for n, word in enumerate(_UNITS[:9], 1) if base + n <= 31}
_ORDINAL_WORDS = "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True))
MONTH_SHIFTS = {"inst": 0, "instant": 0, "ult": -1, "ulto": -1, "ultimo": -1, "prox": 1,
                "proximo": 1}
_YY2 = r"(?P<yy2>\d{1,2})(?!\d)"  # "1926-27", "1923-4"


def _compile(body: str, prefix: str = "") -> re.Pattern[str]:
    return re.compile(rf"{prefix}{_LEFT}(?P<s>{body}){_RIGHT}", re.IGNORECASE)


DAY_RANGE = _compile(rf"{_day('d1')}(?:\s+(?:of\s+)?{_month('m1')}(?:,?\s+{_year('y1')})?)?"
                     rf"{_SEP}(?:the\s+)?{_day('d2')}\s+(?:of\s+)?{_month('m2')}(?:,?\s+{_year('y2')})?")
MDY_RANGE = _compile(rf"{_month('m1')}\s+{_day('d1')}(?:,?\s+{_year('y1')})?{_SEP}"
                     rf"(?:{_month('m2')}\s+)?{_day('d2')}(?:,?\s+{_year('y2')})?")
DMY = _compile(rf"(?:{_WEEKDAY},?\s+(?:the\s+)?)?{_day('d1')}\s+(?:of\s+)?{_month('m1')}"
               rf"(?:,?\s+{_year('y1')})?")
MDY = _compile(rf"(?:{_WEEKDAY},?\s+)?{_month('m1')}\s+{_day('d1')}(?:,?\s+{_year('y1')})?")
# a diary's or letter's day: "Monday 1", "Tuesday the 8th", "Saturday April First"
WEEKDAY_DAY = _compile(rf"{_WEEKDAY},?\s+(?:the\s+)?{_day('d1')}")
WEEKDAY_MONTH_WORD = _compile(rf"{_WEEKDAY},?\s+{_month('m1')}\s+(?P<dw>{_ORDINAL_WORDS})\b"
                              rf"(?:,?\s+{_year('y1')})?")
# "the 5th inst." (this month), "12th ult." (last month), "the 3rd prox." (next month)
RELATIVE_DAY = _compile(rf"{_day('d1')}\s+(?P<rel>(?:instant|ultimo|proximo)\b"
                        r"|(?:inst|ulto|ult|prox)\b\.?)")
ISO = _compile(rf"{_year('y1')}-(?P<mo>0[1-9]|1[0-2])-(?P<d1>0[1-9]|[12]\d|3[01])")
MONTH_RANGE = _compile(rf"{_month('m1')}(?:,?\s+{_year('y1')})?{_SEP_SLASH}"
                       rf"{_month('m2')},?\s+(?:of\s+)?{_year('y2')}")
MONTH_YEAR = _compile(rf"(?:(?:{_MODS})(?:[\s{_DASH}]+|\s+in\s+)|{_PART})?{_month('m1')}"
                      rf"(?:,?\s+(?:of\s+)?{_year('y1')})?")  # "early in June", "end of May"
YEAR_RANGE = _compile(rf"{_year('y1')}(?:{_SEP_SLASH}{_year('y2')}|\s*[{_DASH}/]\s*{_YY2})")
GLUED_YEARS = _compile(rf"{_year('y1', alone=False)}{_year('y2')}")  # "19271940": a lost dash
YEAR = _compile(_year("y1"))
DECADE = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?(?P<dec1>1\d{{2}}0|20\d0)['’]?s\b")
DECADE_RANGE = _compile(rf"(?P<dec1>1\d{{2}}0|20\d0)['’]?s{_SEP}(?:the\s+)?"
                        rf"(?:(?P<dec2>1\d{{2}}0|20\d0)|['’]?(?P<dd2>\d)0)['’]?s\b")
WORD_DECADE = _compile(rf"(?:(?:{_MODS})[\s{_DASH}]+)?(?:(?P<word>{'|'.join(DECADE_WORDS)})"
                       r"|['’](?P<dd1>[1-9])0s)\b", r"\bthe\s+")
YEAR_PART = _compile(rf"(?:(?:{_MODS})(?:[\s{_DASH}]+|\s+in\s+(?:the\s+year\s+)?)"
                     rf"|{_PART}(?:the\s+year\s+)?){_year('y1')}")
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
    weekday: int | None = None  # the weekday written with it (Monday = 0)
    month_shift: int | None = None  # "inst." 0, "ult." -1, "prox." 1: the month is the context's


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
    if g.get("dw"):
        d1 = ORDINAL_WORDS[_key(g["dw"])]
    if "y2" not in g and "m2" not in g:
        if g.get("mod1") or g.get("part"):
            lo, hi = _parts(m, MONTH_PARTS)
            return _hit(m, "approx", (y1, m1, lo), (y1, m1, hi))
        # a month alone ("in October", "the October Revolution") stands only in a chain with
        # a dated month: "in January and February 1928"
        alone = d1 is None and m1 is not None and y1 is None
        weekday = WEEKDAYS[g["wd"].rstrip(".").lower()] if g.get("wd") else None
        shift = MONTH_SHIFTS[g["rel"].rstrip(".").lower()] if g.get("rel") else None
        return replace(_hit(m, "when", (y1, m1, d1), (y1, m1, d1), needs_partner=alone),
                       weekday=weekday, month_shift=shift)
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
    (MDY, _dates, False), (WEEKDAY_DAY, _dates, True), (WEEKDAY_MONTH_WORD, _dates, False),
    (RELATIVE_DAY, _dates, False), (ISO, _dates, False), (MONTH_RANGE, _dates, False),
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
    cert = "low" if hit.weekday == -1 else "medium" if inferred else "high"
    lo, hi = _iso(hit.lo), _iso(hit.hi)
    ranged, approx = hit.kind == "range", hit.kind == "approx"
    return Mention(hit.start, hit.end, text[hit.start:hit.end], "date",
                   when=lo if hit.kind == "when" else None,
                   from_=lo if ranged else None, to=hi if ranged else None,
                   not_before=lo if approx else None, not_after=hi if approx else None,
                   inferred=inferred, cert=cert, resp="dates")


@dataclass
class DateContext:
    """Where a document stands on the calendar while its blocks are read in order.

    ``year`` is the year last written, or that of the last block that is only a date (a
    heading, a dateline): it places a yearless "October 8". ``on`` is the calendar position,
    (year, month, day): the last date that names its month, or a block that is only a year (a
    heading "1819"). It places what names only a day: "Tuesday 8th", "the 5th inst." ("inst.",
    "ult.", "prox." count from the letter's date, so they do not move it).
    Start it from the document's own date (:meth:`of`); :func:`find_dates` moves it on.
    A day with nothing to place it is tagged without normalisation.
    """

    year: int | None = None
    on: Point = (None, None, None)
    #: Dates the document already tags, per block number: ``(start, end, value)`` with
    #: ``value`` their ``YYYY[-MM[-DD]]``; read in order, they move the context like found ones.
    tagged: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, value: str | None) -> DateContext:
        """The context of a document dated ``value`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
        anything else is no date)."""
        found = ISO_VALUE.fullmatch((value or "").strip())
        if found is None:
            return cls()
        year, month, day = (None if part is None else int(part) for part in found.groups())
        return cls(year, (year, month, day))


ISO_VALUE = re.compile(r"(1\d{3}|20\d{2})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?")


def _step(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def _weekday_fits(hit: _Hit, year: int, month: int, day: int) -> bool:
    return day <= calendar.monthrange(year, month)[1] and (
        hit.weekday is None or calendar.weekday(year, month, day) == hit.weekday)


def _place_day(hit: _Hit, on: Point) -> _Hit | None:
    """A day without month or year ("Tuesday 8th", "12th ult.") placed by the position ``on``.

    "inst."/"ult."/"prox." name the month. Otherwise the day lies in the position's month or,
    when it is smaller than the position's day (a diary going on past a month end), in the next;
    a written weekday picks whichever of the two it fits. None when the position has no month.
    A weekday that fits neither is a doubt kept as ``cert="low"``.
    """
    year, month, last = on
    day = hit.lo[2]
    if year is None or month is None or day is None:
        return None
    if hit.month_shift is not None:
        options = [_step(year, month, hit.month_shift)]
    else:
        options = [(year, month), _step(year, month, 1)]
        if last is not None and day < last:
            options.reverse()
    fitting = [o for o in options if _weekday_fits(hit, *o, day)]
    existing = [o for o in options if day <= calendar.monthrange(*o)[1]]
    if not fitting and not existing:
        return None
    y, m = (fitting or existing)[0]
    placed = replace(hit, lo=(y, m, day), hi=(y, m, day), explicit=False)
    return placed if fitting else replace(placed, weekday=-1)  # -1: the weekday did not fit


def _place_year(hit: _Hit, context: DateContext) -> _Hit:
    """A yearless date ("March 12th") placed by the year last written; with a weekday written,
    by the first of that year, the position's year, and the year after, that the weekday fits."""
    year = context.year if context.year is not None else context.on[0]
    assert year is not None
    if hit.weekday is None or hit.kind != "when" or hit.lo[1] is None or hit.lo[2] is None:
        return _with_year(hit, year)
    options = [year] + [y for y in (context.on[0], (context.on[0] or 0) + 1) if y]
    fitting = [y for y in options if _weekday_fits(hit, y, hit.lo[1], hit.lo[2])]
    placed = _with_year(hit, (fitting or options)[0])
    return placed if fitting else replace(placed, weekday=-1)


def _resolve(hit: _Hit, context: DateContext) -> _Hit | None:
    """``hit`` with its missing year (or month) from ``context``; None when nothing places it."""
    if hit.decade_words:
        century = context.year // 100 * 100 if context.year and context.year < 1900 else 1900
        return replace(hit, lo=(century + (hit.lo[0] or 0), None, None),
                       hi=(century + (hit.hi[0] or 0), None, None))
    if hit.lo[0] is None and hit.lo[1] is None:
        return _place_day(hit, context.on)
    if hit.lo[0] is None:
        if context.year is None and context.on[0] is None:
            return None
        return _place_year(hit, context)
    year, month, day = hit.lo
    if hit.weekday is not None and year and month and day \
            and not _weekday_fits(hit, year, month, day):
        return replace(hit, weekday=-1)
    return hit


def _unplaced(hit: _Hit) -> bool:
    """A diary or letter day that nothing places: still a date (a weekday or "inst." says so)."""
    return hit.lo[0] is None and hit.lo[2] is not None and (
        hit.weekday is not None or hit.month_shift is not None)


def _move(context: DateContext, hit: _Hit, mention: Mention, whole: bool) -> None:
    """Move ``context`` on past a date just read (``whole``: it is all its block says)."""
    written = YEAR_WRITTEN.findall(mention.text)
    if hit.explicit and written and (hit.hi[0] or 0) - (hit.lo[0] or 0) <= 1:
        context.year = int(written[-1])  # the year last written; decades, life spans: none
    if hit.month_shift is not None:
        return  # "the 5th inst." counts from the letter's date: the position stays there
    if hit.kind == "when" and (hit.lo[1] is not None or whole and hit.explicit):
        context.on = hit.lo  # a date to the month, or a heading that is only a year
    if whole and hit.kind == "when":
        context.year = hit.lo[0]  # a heading or dateline: what follows is of its year


def find_dates(blocks: Sequence[str], *, default_year: int | None = None,
               context: DateContext | None = None) -> list[list[Mention]]:
    """Date mentions in each block of one document (offsets into that block's text), in order.

    :param blocks: the texts of the document's blocks in reading order; the year last
        written and the calendar position flow from block to block (:class:`DateContext`).
    :param default_year: the year to assume before any year is written, or None to drop
        yearless dates found before the first year (a shorthand for ``context``).
    :param context: where the document starts on the calendar, e.g. ``DateContext.of`` its
        own date; moved on as dates are read (the caller's object is left as it was).
    :return: one list of ``type="date"``, ``resp="dates"`` mentions per block. A diary or
        letter day that nothing places ("Monday 1" with no month known) has no normalisation
        and ``cert="low"``; one whose weekday does not fit its placed date has ``cert="low"``.
    """
    context = replace(context) if context is not None else DateContext(default_year)
    result: list[list[Mention]] = []
    for number, text in enumerate(blocks):
        mentions: list[Mention] = []
        tagged = sorted(context.tagged.get(number, ()), reverse=True)
        for found in _borrow_years(_candidates(text), text):
            while tagged and tagged[-1][0] <= found.start:
                _move_to(context, tagged.pop()[2])
            if found.needs_partner:
                continue
            hit = _resolve(found, context)
            if hit is None:
                if _unplaced(found):
                    mentions.append(Mention(found.start, found.end, text[found.start:found.end],
                                            "date", inferred=True, cert="low", resp="dates"))
                continue
            if not _valid(hit):
                continue
            mentions.append(_mention(hit, text))
            _move(context, hit, mentions[-1], text.strip(" \t\n.,;:") == mentions[-1].text)
        for _, _, value in reversed(tagged):
            _move_to(context, value)
        result.append(mentions)
    return result


def _move_to(context: DateContext, value: str) -> None:
    """Move ``context`` to a date the document already tags (its ``YYYY[-MM[-DD]]``)."""
    placed = DateContext.of(value)
    if placed.year is not None:
        context.year, context.on = placed.year, placed.on
