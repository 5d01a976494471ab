from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archive.annotate.dates import DateContext, find_dates
from archive.model import Mention

SAMPLES = Path(__file__).resolve().parents[2] / "archive" / "samples"
#: Our own gold: a text written for the tests and its mentions (dates among them).
GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "gold"
NORM_KEYS = (("when", "when"), ("from_", "from"), ("to", "to"),
             ("not_before", "notBefore"), ("not_after", "notAfter"))


def _norm(m: Mention) -> str:
    """ "1923-10", "1923..1927" (from/to), "~1924-09..1924-12" (notBefore/notAfter), * inferred."""
    if m.when:
        value = m.when
    elif m.from_:
        value = f"{m.from_}..{m.to}"
    else:
        value = f"~{m.not_before}..{m.not_after}"
    return value + ("*" if m.inferred else "")


def _found(text: str, default_year: int | None = None) -> list[tuple[str, str]]:
    [mentions] = find_dates([text], default_year=default_year)
    return [(m.text, _norm(m)) for m in mentions]


@pytest.mark.parametrize("text, expected", [
    # full dates, both orders, ordinals, abbreviations, ISO
    ("Lenin died on 21 January 1924.", [("21 January 1924", "1924-01-21")]),
    ("It was founded on October 15, 1923.", [("October 15, 1923", "1923-10-15")]),
    ("on the 12th of March, 1921, the sailors", [("12th of March, 1921", "1921-03-12")]),
    ("Oct. 15, 1923 and 15 Sept. 1923", [("Oct. 15, 1923", "1923-10-15"),
                                        ("15 Sept. 1923", "1923-09-15")]),
    ("dated 1923-10-15 in the file", [("1923-10-15", "1923-10-15")]),
    ("IN OCTOBER 1923 THE OPPOSITION", [("OCTOBER 1923", "1923-10")]),
    # months, years, year ranges
    ("He wrote in October 1923 and in 1924.", [("October 1923", "1923-10"), ("1924", "1924")]),
    ("The Opposition existed from 1923 to 1927.", [("1923 to 1927", "1923..1927")]),
    ("from 1923 until 1927, 1923 through 1927", [("1923 until 1927", "1923..1927"),
                                                 ("1923 through 1927", "1923..1927")]),
    ("in 1926-27, in 1923–27 and in 1926/27", [("1926-27", "1926..1927"),
                                              ("1923–27", "1923..1927"),
                                              ("1926/27", "1926..1927")]),
    ("the years 1923–1927 were decisive; 1999–2001", [("1923–1927", "1923..1927"),
                                                     ("1999–2001", "1999..2001")]),
    ("Many recanted between 1929 and 1934.", [("1929 and 1934", "1929..1934")]),
    ("He was jailed in 1929 and 1934.", [("1929", "1929"), ("1934", "1934")]),
    ("Leon Trotsky (1879–1940), Lenin (1870-1924)", [("1879–1940", "1879..1940"),
                                                     ("1870-1924", "1870..1924")]),
    ("Trotsky (b. 1879) was born in Yanovka.", [("1879", "1879")]),
    ("Tony Cliff. Trotsky: 19271940 (London)", [("19271940", "1927..1940")]),
    # month ranges
    ("From July to October 1926, the bloc lost.", [("July to October 1926", "1926-07..1926-10")]),
    ("July–October 1926", [("July–October 1926", "1926-07..1926-10")]),
    ("No. 67, March/April 1997", [("March/April 1997", "1997-03..1997-04")]),
    ("from October 1923 to January 1924", [("October 1923 to January 1924", "1923-10..1924-01")]),
    ("between July and October 1926", [("July and October 1926", "1926-07..1926-10")]),
    # day ranges
    ("On 17–18 March 1921 it fell.", [("17–18 March 1921", "1921-03-17..1921-03-18")]),
    ("October 8–23, 1923", [("October 8–23, 1923", "1923-10-08..1923-10-23")]),
    ("chief from September 26, 1936, to November 25, 1938.",
     [("September 26, 1936, to November 25, 1938", "1936-09-26..1938-11-25")]),
    ("from 8 October 1923 to 15 January", [("8 October 1923 to 15 January",
                                            "1923-10-08..1924-01-15")]),
    # decades
    ("in the 1920s and the 1930s", [("1920s", "1920..1929"), ("1930s", "1930..1939")]),
    ("the 1920's", [("1920's", "1920..1929")]),
    ("the 1920s–30s", [("1920s–30s", "1920..1939")]),
    ("the 1920s and 1930s", [("1920s", "1920..1929"), ("1930s", "1930..1939")]),
    ("between the 1920s and 1930s", [("1920s and 1930s", "1920..1939")]),
    ("in 1923-4 and 1929-30", [("1923-4", "1923..1924"), ("1929-30", "1929..1930")]),
    ("the mid-1920s", [("mid-1920s", "~1924..1926")]),
    ("the late 1920s", [("late 1920s", "~1927..1929")]),
    ("during the mid-late 1930s", [("mid-late 1930s", "~1934..1939")]),
    ("in the mid-to-late 1930s", [("mid-to-late 1930s", "~1934..1939")]),
    ("since the early and mid-1920s", [("early and mid-1920s", "~1920..1926")]),
    ("by the end of the 1920s", [("end of the 1920s", "~1928..1929")]),
    # parts of years and months, seasons
    ("In late 1924 and early 1926", [("late 1924", "~1924-09..1924-12"),
                                     ("early 1926", "~1926-01..1926-04")]),
    ("mid-1925", [("mid-1925", "~1925-05..1925-08")]),
    ("at the end of 1927 and the beginning of 1928", [("end of 1927", "~1927-10..1927-12"),
                                                      ("beginning of 1928", "~1928-01..1928-03")]),
    ("the first half of 1925", [("first half of 1925", "~1925-01..1925-06")]),
    ("in mid-October 1923", [("mid-October 1923", "~1923-10-11..1923-10-20")]),
    ("late February 1924", [("late February 1924", "~1924-02-21..1924-02-29")]),
    ("by the autumn of 1923", [("autumn of 1923", "~1923-09..1923-11")]),
    ("fall 1923, spring 1927, summer of 1927", [("fall 1923", "~1923-09..1923-11"),
                                                ("spring 1927", "~1927-03..1927-05"),
                                                ("summer of 1927", "~1927-06..1927-08")]),
    ("Spring 1927", [("Spring 1927", "~1927-03..1927-05")]),
    ("late summer of 1927", [("late summer of 1927", "~1927-07..1927-08")]),
    ("the winter of 1927", [("winter of 1927", "~1927-12..1928-02")]),
    ("the winter of 1920-21", [("winter of 1920-21", "~1920-12..1921-02")]),
    # years used as modifiers are dates
    ("the 1929 elections and Trotsky's 1927 exile", [("1929", "1929"), ("1927", "1927")]),
    ("In 1923 members of the party protested.", [("1923", "1923")]),
    ("1923 marks the beginning", [("1923", "1923")]),
    # not dates
    ("He was aged 40 and spent three years in exile.", []),
    ("sixty years ago, the next day, ten years later", []),
    ("The XVth Party Congress and the 15th Congress met.", []),
    ("The Declaration of 46 was signed by 46 prominent members.", []),
    ("See pp. 1123-1145, No. 67 and order No. 1923.", []),
    ("It cost $1500 or £1923; 1923 roubles; 1500 kilometres.", []),
    ("The party had 1,000 members; 1923 members voted; 25% of 1,708.", []),
    ("about 1600 delegates attended; 1920 people", []),
    ("between 1500 and 2000 members; from 1500 to 2000 workers", []),
    ("From 1928 to 1932 about 1700 peasants fled", [("1928 to 1932", "1928..1932")]),
    ("in the 19th century and the twentieth century", []),
    ("the October Revolution; the betrayal of October", []),
    ("May we go? May be. may 8", []),
    ("Visit www.marxists.org/archive/trotsky/1923/index.htm or https://x.org/1925", []),
    ("pic.twitter.com/1923abcd and ISBN 978-1-1923-4567-8", []),
    ("on 30 February 1923 or 31 April 1924", []),
    ("a man in his early twenties", []),
])
def test_find_dates(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the year comes from a dated mention right after, in the same sentence
    ("on October 8 and October 23, 1923", [("October 8", "1923-10-08*"),
                                          ("October 23, 1923", "1923-10-23")]),
    ("On December 28 and January 3, 1928", [("December 28", "1927-12-28*"),
                                            ("January 3, 1928", "1928-01-03")]),
    ("On 7 November (25 October) 1917", [("7 November", "1917-11-07*"),
                                         ("25 October", "1917-10-25*"), ("1917", "1917")]),
    ("in January and February 1928", [("January", "1928-01*"), ("February 1928", "1928-02")]),
    ("Oct. 25 (Nov. 7), 1917", [("Oct. 25", "1917-10-25*"), ("Nov. 7", "1917-11-07*"),
                                ("1917", "1917")]),
    ("In October the party met; the October Revolution of 1917", [("1917", "1917")]),
    ("Bukharin (9 October [O.S. 27 September] 1888 – 15 March 1938)",
     [("9 October", "1888-10-09*"), ("27 September", "1888-09-27*"), ("1888", "1888"),
      ("15 March 1938", "1938-03-15")]),
    # the context is the year last written: 1927 here, not the end of the winter
    ("the winter of 1927; on 7 November", [("winter of 1927", "~1927-12..1928-02"),
                                           ("7 November", "1927-11-07*")]),
    # or from the year last written
    ("In 1921 the sailors rose. On March 12 the assault began; in early April",
     [("1921", "1921"), ("March 12", "1921-03-12*"), ("early April", "~1921-04-01..1921-04-10*")]),
    ("joined the Opposition in the early twenties", [("early twenties", "~1920..1923*")]),
    ("the '30s", [("'30s", "1930..1939*")]),
])
def test_inferred_years(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


def test_whole_mentions_with_offsets_and_certainty() -> None:
    text = "On October 8 and October 23, 1923, he wrote."
    assert find_dates([text]) == [[
        Mention(3, 12, "October 8", "date", when="1923-10-08", inferred=True, cert="medium",
                resp="dates"),
        Mention(17, 33, "October 23, 1923", "date", when="1923-10-23", resp="dates"),
    ]]


def test_context_flows_across_blocks_and_ranges_do_not_set_it() -> None:
    blocks = ["The crisis of 1923", "Trotsky (1879–1940) wrote.", "On October 8 he wrote."]
    assert [[(m.text, _norm(m)) for m in block] for block in find_dates(blocks)] == [
        [("1923", "1923")], [("1879–1940", "1879..1940")], [("October 8", "1923-10-08*")]]


def test_yearless_dates_need_a_year() -> None:
    assert _found("On October 8 he wrote.") == []
    assert _found("On October 8 he wrote.", default_year=1923) == [("October 8", "1923-10-08*")]
    assert find_dates([]) == []


def _blocks(text: str) -> list[tuple[int, str]]:
    """Each non-empty line of a sample is a block: (its offset in the file, its text)."""
    return [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text)]


def measure(gold_dir: Path, stems: list[str], texts: Path = SAMPLES) -> dict[str, float]:
    """Strict span P/R/F1 and normalisation accuracy (over exact spans) against the gold dates
    of ``texts/<stem>.txt``."""
    found: dict[tuple[str, int, int], dict[str, object]] = {}
    gold: dict[tuple[str, int, int], dict[str, object]] = {}
    for stem in stems:
        blocks = _blocks((texts / f"{stem}.txt").read_text(encoding="utf-8"))
        for (offset, _), mentions in zip(blocks, find_dates([b for _, b in blocks]), strict=True):
            for m in mentions:
                norm: dict[str, object] = {out: getattr(m, attr) for attr, out in NORM_KEYS
                                           if getattr(m, attr)}
                found[stem, offset + m.start, offset + m.end] = norm | (
                    {"inferred": True} if m.inferred else {})
        for line in (gold_dir / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item["type"] == "date":
                gold[stem, item["start"], item["end"]] = {
                    k: item[k] for k in ("when", "from", "to", "notBefore", "notAfter", "inferred")
                    if k in item}
    hits = found.keys() & gold.keys()
    precision = len(hits) / len(found) if found else 0.0
    recall = len(hits) / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    correct = sum(found[k] == gold[k] for k in hits)
    return {"precision": precision, "recall": recall, "f1": f1,
            "normalisation": correct / len(hits) if hits else 0.0}


def test_quality_against_gold(eval_dir: Path) -> None:
    gold_dir = eval_dir / "gold"
    stems = sorted(p.stem for p in gold_dir.glob("*.jsonl") if (SAMPLES / f"{p.stem}.txt").exists())
    assert stems
    scores = measure(gold_dir, stems)
    print(" ".join(f"{k}={v:.3f}" for k, v in scores.items()))
    assert scores["f1"] >= 0.85
    assert scores["normalisation"] >= 0.90


def test_quality_against_our_gold() -> None:
    scores = measure(GOLD, [p.stem for p in sorted(GOLD.glob("*.jsonl"))], texts=GOLD)
    print(" ".join(f"{k}={v:.3f}" for k, v in scores.items()))
    assert scores["f1"] >= 0.85
    assert scores["normalisation"] >= 0.90


# --- diary and letter dates: the day from the text, the month and year from context ---

DIARY = Path(__file__).resolve().parents[1] / "fixtures" / "diary"


def _placed(blocks: list[str], context: DateContext | None = None) -> list[tuple[str, str, str]]:
    """(text, normalisation or "-" when unplaced, cert) of every date, in order."""
    return [(m.text, _norm(m) if m.when or m.from_ or m.not_before else "-", m.cert)
            for block in find_dates(blocks, context=context) for m in block]


def test_a_diary_is_read_in_order_from_its_heading() -> None:
    """The gold convention (weekday inside the span) and the month from the heading; a day
    smaller than the last one goes on into the next month, and the weekday confirms it."""
    blocks = [b for b in (DIARY / "journal.txt").read_text(encoding="utf-8").split("\n\n")]
    assert _placed(blocks) == [
        ("May 1820", "1820-05", "high"),
        ("Monday 1", "1820-05-01*", "medium"),
        ("Tuesday the 2nd", "1820-05-02*", "medium"),
        ("Wednesday 3d", "1820-05-03*", "medium"),
        ("1761", "1761", "high"),
        ("Sunday 28th", "1820-05-28*", "medium"),
        # the entry's heading, not the year of a birth in the entry before, dates the range
        ("29th to the 31st of May", "1820-05-29..1820-05-31*", "medium"),
        ("Thursday 1", "1820-06-01*", "medium"),
        ("Monday June 5th", "1820-06-05*", "medium"),
    ]


def test_a_letter_counts_inst_ult_prox_from_its_dateline() -> None:
    text = (DIARY / "letter.txt").read_text(encoding="utf-8")
    assert _placed(text.split("\n\n")) == [
        ("14 March 1821", "1821-03-14", "high"),
        ("9th inst.", "1821-03-09*", "medium"),
        ("27th ult.", "1821-02-27*", "medium"),
        ("2nd prox.", "1821-04-02*", "medium"),
        ("Saturday the 7th of April", "1821-04-07*", "medium"),
    ]


def test_the_document_date_places_days_and_a_wrong_weekday_is_a_doubt() -> None:
    # 1 June 1819 was a Tuesday, 7 June a Monday; 8 June was not a Friday
    blocks = ["Tuesday 1", "Monday 7th and Friday 8th", "Monday April First",
              "Saturday April First"]
    assert _placed(blocks, DateContext.of("1819-06")) == [
        ("Tuesday 1", "1819-06-01*", "medium"),
        ("Monday 7th", "1819-06-07*", "medium"),
        ("Friday 8th", "1819-06-08*", "low"),
        # 1 April 1819 was a Thursday, 1 April 1820 a Saturday: the weekday picks the year
        ("Monday April First", "1819-04-01*", "low"),
        ("Saturday April First", "1820-04-01*", "medium"),
    ]
    # the document's own date places "inst." before any date is written in the text
    assert _placed(["We met on the 3rd instant."], DateContext.of("1847-11-20")) == [
        ("3rd instant", "1847-11-03*", "medium")]


def test_days_nothing_places_are_dates_without_normalisation() -> None:
    """A weekday with a day number, or "inst.", is a date even with no month known: it is
    tagged, unnormalised and ``cert="low"``; a bare ordinal or a count is not a date."""
    assert _placed(["Monday 1", "Wednesday 3rd: wrote to the 5th inst."]) == [
        ("Monday 1", "-", "low"), ("Wednesday 3rd", "-", "low"), ("5th inst.", "-", "low")]
    assert _placed(["On the 5th he came.", "On Friday 13 people came.", "Sat 5 hours."]) == []


@pytest.mark.parametrize("value, year, on", [
    ("1819", 1819, (1819, None, None)), ("1819-06", 1819, (1819, 6, None)),
    ("1819-06-08", 1819, (1819, 6, 8)), ("about 1819", None, (None, None, None)),
    (None, None, (None, None, None)), ("1819-13", None, (None, None, None)),
])
def test_date_context_of_a_document_date(value: str | None, year: int | None,
                                         on: tuple[int | None, ...]) -> None:
    assert DateContext.of(value) == DateContext(year, on)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, expected", [
    ("at the end of May 1820 we left", [("end of May 1820", "~1820-05-21..1820-05-31")]),
    ("early in June 1820", [("early in June 1820", "~1820-06-01..1820-06-10")]),
    ("the middle of June 1820", [("middle of June 1820", "~1820-06-11..1820-06-20")]),
    ("late in the year 1820", [("late in the year 1820", "~1820-09..1820-12")]),
    ("from the 3d of May to the 9th of June 1820",
     [("3d of May to the 9th of June 1820", "1820-05-03..1820-06-09")]),
    ("on Monday, the 3rd of May, 1824", [("Monday, the 3rd of May, 1824", "1824-05-03")]),
])
def test_parts_of_months_and_old_ordinals(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected
