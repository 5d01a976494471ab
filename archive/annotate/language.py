"""The language of a text, so that only English is tagged with the English model.

A TEI document says its language (``@xml:lang`` on the element or an ancestor, else the one
language its ``langUsage`` declares); plain text does not, and is told by its function words.
Function words are what separates languages in running text: each language's stop words
(spaCy's own lists, which ship with it), a word shared by several lists counting for each in
part ("the", "which" / "elle", "dans" / "und", "nicht"). A text whose function words are
mostly of one language is in that language; a text with too few of them (a heading, a list
of names) is undecided and takes the language of its document.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from lxml import etree

from tei.namespaces import NSMAP

#: The language the recogniser's statistical model reads.
ENGLISH = "en"
#: Languages told apart by their function words (spaCy has stop lists for each).
COMPARED = ("en", "fr", "de", "es", "it", "pt", "nl", "la")
#: Least weight of function words for a verdict, and how far the first language must lead.
MIN_WORDS = 3
LEAD = 2.0

WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
NON_LATIN_RE = re.compile(r"[^\W\d_A-Za-zÀ-ɏ]")
_LANG = etree.XPath("ancestor-or-self::*[@xml:lang][1]/@xml:lang", namespaces=NSMAP)
_LANG_USAGE = etree.XPath("/tei:TEI/tei:teiHeader/tei:profileDesc/tei:langUsage/tei:language"
                          "/@ident", namespaces=NSMAP)


@lru_cache(maxsize=1)
def function_words() -> dict[str, dict[str, float]]:
    """Per function word, its weight for each compared language whose stop list has it: one
    shared among them ("elle" counts 1 for French; "mais" ½ for French and ½ for Portuguese)."""
    lists = {code: frozenset(importlib.import_module(f"spacy.lang.{code}.stop_words").STOP_WORDS)
             for code in COMPARED}
    owners: dict[str, list[str]] = {}
    for code, words in lists.items():
        for word in words:
            owners.setdefault(word, []).append(code)
    return {word: {code: 1 / len(codes) for code in codes} for word, codes in owners.items()}


class _Tally(NamedTuple):
    """What decides a text's language: function-word weights by language, letters counted."""

    votes: dict[str, float]
    letters: int
    foreign: int  # letters outside the Latin alphabet


def _tally(text: str) -> _Tally:
    weights = function_words()
    votes: dict[str, float] = {}
    letters = 0
    for word in WORD_RE.findall(text):
        letters += len(word)
        found = weights.get(word.lower())
        if found:
            for code, weight in found.items():
                votes[code] = votes.get(code, 0.0) + weight
    return _Tally(votes, letters, len(NON_LATIN_RE.findall(text)))


def _verdict(tally: _Tally) -> str | None:
    if not tally.letters:
        return None
    if tally.foreign * 2 > tally.letters:
        return "und"  # Cyrillic, Greek, Hebrew…: not English, and not compared here
    ranked = sorted(tally.votes.items(), key=lambda item: -item[1])[:2]
    if not ranked or ranked[0][1] < MIN_WORDS:
        return None
    if len(ranked) > 1 and ranked[0][1] < LEAD * ranked[1][1]:
        return None
    return ranked[0][0]


def detect(text: str) -> str | None:
    """The language of ``text`` by its function words, or None when undecided.

    :param text: running text.
    :return: a code of :data:`COMPARED`, ``"und"`` for text mostly in a script other than the
        Latin alphabet, or None (too few function words, or no clear lead).
    """
    return _verdict(_tally(text))


def is_english(code: str | None) -> bool:
    """Whether a language code (BCP 47: ``en``, ``en-GB``) is English."""
    return code is not None and code.split("-")[0].lower() == ENGLISH


def block_languages(texts: Sequence[str], declared: Sequence[str | None] | None = None,
                    ) -> list[str | None]:
    """The language of each block: as declared, else as detected.

    A block without a declared language takes what its own function words say when they
    decide (a quoted French letter in an English diary), else the language detected over all
    the undeclared blocks of the document together, else English (the archive's default: a
    document that says nothing and whose words decide nothing is read as before).

    :param texts: the blocks.
    :param declared: per block, a declared language or None (default: none declared).
    :return: per block, a language code.
    """
    given = list(declared) if declared is not None else [None] * len(texts)
    tallies = {n: _tally(text) for n, text in enumerate(texts) if given[n] is None}
    votes: Counter[str] = Counter()
    for tally in tallies.values():
        votes.update(tally.votes)
    document = _verdict(_Tally(dict(votes), sum(t.letters for t in tallies.values()),
                               sum(t.foreign for t in tallies.values())))
    return [code if code is not None else _verdict(tallies[n]) or document or ENGLISH
            for n, code in enumerate(given)]


def declared_languages(tree: etree._ElementTree, units: Iterable[etree._Element],
                       ) -> list[str | None]:
    """The language a TEI document declares for each unit: the nearest ``@xml:lang``, else
    the one language of ``langUsage`` (several there name no single one), else None.

    :param tree: the document.
    :param units: its text units.
    """
    usage = [str(code) for code in _LANG_USAGE(tree)]
    fallback = usage[0] if len(set(usage)) == 1 else None
    out: list[str | None] = []
    for unit in units:
        found = _LANG(unit)
        out.append(str(found[0]) if found else fallback)
    return out
