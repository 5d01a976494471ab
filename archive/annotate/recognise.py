"""The name recogniser: registry names, spaCy NER, body patterns, coreference and dates, merged.

One :class:`Recogniser` per registry: it builds an Aho-Corasick automaton over every preferred
name and variant once, and loads spaCy once. :meth:`Recogniser.recognise` takes the blocks of
one document and returns, per block, non-overlapping mentions sorted by offset:

1. registry names (longest match on word boundaries, case-sensitive, ``’``/``'`` alike);
2. spaCy persons/places/orgs, trimmed and filtered for the period (:mod:`archive.annotate.ner`), and
   bodies found by pattern (``… Committee``, ``… Opposition``);
3. within-document coreference and linking (:mod:`archive.annotate.coref`);
4. dates from :func:`archive.annotate.find_dates`.

On overlap the registry wins, then dates, then patterns, then spaCy; a longer span of the same
type that strictly contains one registry name wins over it ("Leon Trotsky" over "Trotsky").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import ahocorasick

from ..model import Mention
from ..registry import Registry
from .coref import NameIndex, Proposal, link_document
from .dates import find_dates
from .ner import (
    Candidate,
    classify_ner,
    follows_event,
    load_nlp,
    rule_acronyms_and_places,
    rule_citation,
    rule_orgs,
    rule_persons,
)

APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
BATCH_SIZE = 64
# Priorities on overlap: higher wins, then the longer span.
PRIORITY = {"registry": 4, "dates": 3, "rule": 2, "ner": 1}


class _Hit(NamedTuple):
    start: int
    end: int
    type: str
    key: str | None
    origin: str  # registry | dates | rule | ner


def build_automaton(registry: Registry) -> Any:
    """An Aho-Corasick automaton over the registry's names (apostrophes folded).

    :param registry: the registry.
    :return: an ``ahocorasick.Automaton`` mapping a folded surface to ``(length, {(id, type)})``.
    """
    table: dict[str, set[tuple[str, str]]] = {}
    for surface, entry_id, entry_type in registry.names():
        folded = " ".join(surface.split()).translate(APOSTROPHES)
        if folded:
            table.setdefault(folded, set()).add((entry_id, entry_type))
    automaton = ahocorasick.Automaton()
    for folded, targets in table.items():
        automaton.add_word(folded, (len(folded), frozenset(targets)))
    if table:
        automaton.make_automaton()
    return automaton


def match_registry(automaton: Any, text: str) -> list[_Hit]:
    """Registry names in one text: whole words only, longest first, no overlaps.

    :param automaton: from :func:`build_automaton`.
    :param text: a block's text.
    :return: hits sorted by start; an ambiguous surface (two entries) has key None.
    """
    if automaton.kind != ahocorasick.AHOCORASICK:
        return []
    folded = text.translate(APOSTROPHES)
    found: list[_Hit] = []
    for last, (length, targets) in automaton.iter(folded):
        start, end = last - length + 1, last + 1
        if not _boundaries(folded, start, end) or follows_event(text, end):
            continue
        types = sorted({t for _, t in targets})
        ids = {i for i, _ in targets}
        key = next(iter(ids)) if len(ids) == 1 else None
        found.append(_Hit(start, end, types[0], key, "registry"))
    return _select(found)


def _boundaries(text: str, start: int, end: int) -> bool:
    """No match inside a word: ``Stalin`` is not in ``Stalinism`` nor in ``Anti-Stalin``,
    but is in ``Stalin-Zinoviev-Kamenev``."""
    if start > 0 and text[start - 1].isalnum():
        return False
    if start > 0 and text[start - 1] == "-" and not re.search(r"(?<![\w-])[A-Z]\w*-$",
                                                               text[:start]):
        return False
    if start > 0 and re.search(r"(?:Anti|Pro|Neo|Post|Pre|Non)-$", text[:start], re.I):
        return False
    return end >= len(text) or not (text[end].isalnum() or (
        text[end] == "-" and end + 1 < len(text) and text[end + 1].islower()))


def _select(hits: Sequence[_Hit]) -> list[_Hit]:
    """Greedy non-overlapping choice: priority, then length, then leftmost."""
    ordered = sorted(hits, key=lambda h: (-PRIORITY[h.origin], h.start - h.end, h.start))
    taken: list[_Hit] = []
    for hit in ordered:
        if all(hit.end <= t.start or t.end <= hit.start for t in taken):
            taken.append(hit)
    return sorted(taken)


def _promote(candidates: Sequence[_Hit], registry_hits: Sequence[_Hit]) -> list[_Hit]:
    """Let a longer name win over the registry names it strictly contains.

    A body found by pattern takes whatever it contains ("Chinese Left Opposition"); a spaCy
    name takes exactly one registry name of its own type ("Leon Trotsky" over "Trotsky").
    """
    out: list[_Hit] = []
    for c in candidates:
        inside = [r for r in registry_hits if c.start <= r.start and r.end <= c.end
                  and (r.start, r.end) != (c.start, c.end)]
        clash = [r for r in registry_hits if r.start < c.end and c.start < r.end
                 and r not in inside]
        promoted = not clash and inside and (
            c.origin == "rule" or (len(inside) == 1 and inside[0].type == c.type))
        out.append(c._replace(origin="registry") if promoted else c)
    return out


class Recogniser:
    """Finds person/place/org/date mentions in a document's blocks and links the names.

    :param registry: the registry to link against.
    :param nlp: a loaded spaCy pipeline with an ``ner`` component (default: the packaged model).
    """

    def __init__(self, registry: Registry, *, nlp: Any = None) -> None:
        self.registry = registry
        self.nlp = nlp if nlp is not None else load_nlp()
        self.automaton = build_automaton(registry)
        self.index = NameIndex(registry)
        self._proposals: dict[str, Proposal] = {}

    def recognise(self, blocks: Sequence[str]) -> list[list[Mention]]:
        """All person/place/org/date mentions of one document, per block.

        :param blocks: the texts of the document's blocks, in order.
        :return: per block, mentions with offsets into that block's text, non-overlapping and
            sorted; names carry ``key`` (a registry id, a proposed id, or None when ambiguous),
            dates their normalisation.
        """
        texts = list(blocks)
        dates = find_dates(texts)
        chosen: list[list[_Hit]] = []
        for text, doc, block_dates in zip(
            texts, self.nlp.pipe(texts, batch_size=BATCH_SIZE), dates, strict=True
        ):
            chosen.append(self._block(text, doc, block_dates))
        names = [[h for h in hits if h.type != "date"] for hits in chosen]
        linked, _ = link_document(self.index, texts, names, self._proposals)
        out: list[list[Mention]] = []
        for hits, block_names, block_dates in zip(chosen, linked, dates, strict=True):
            spans = {(h.start, h.end) for h in hits if h.type == "date"}
            mentions = list(block_names)
            mentions.extend(d for d in block_dates if (d.start, d.end) in spans)
            out.append(sorted(mentions, key=lambda m: (m.start, m.end)))
        return out

    def _block(self, text: str, doc: Any, dates: Sequence[Mention]) -> list[_Hit]:
        registry_hits = match_registry(self.automaton, text)
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        ner = classify_ner(text, ents)
        named = rule_persons(text)
        persons = [(c.start, c.end) for c in (*ner, *named) if c.type == "person"]
        persons += [(h.start, h.end) for h in registry_hits if h.type == "person"]
        cited, titles = rule_citation(text)
        rules = [*cited, *rule_orgs(text, persons), *rule_acronyms_and_places(text), *named]
        others = [_hit(c) for c in (*rules, *ner)
                  if c.type == "person" or not any(s <= c.start < e for s, e in titles)]
        others = _promote(others, registry_hits)
        others += [_Hit(d.start, d.end, "date", None, "dates") for d in dates]
        return _select([*registry_hits, *others])

    def proposals(self) -> list[Proposal]:
        """The new names found so far that the registry does not hold, one per proposed id.

        Rejected forms are never proposed. The build adds these to the registry as proposals.

        :return: ``(surface, type, id)`` tuples sorted by id; the surface is the longest form met.
        """
        return [self._proposals[k] for k in sorted(self._proposals)]


def _hit(c: Candidate) -> _Hit:
    return _Hit(c.start, c.end, c.type, None, c.origin)

