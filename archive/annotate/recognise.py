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
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick

from ..config import Settings
from ..model import Mention
from ..registry import Registry
from .coref import NameIndex, Proposal, link_document
from .dates import DateContext, find_dates
from .language import block_languages, is_english
from .models import current_model, ner_application
from .ner import (
    Candidate,
    WordUse,
    classify_ner,
    follows_event,
    in_gazetteer,
    load_nlp,
    rule_acronyms_and_places,
    rule_citation,
    rule_correspondents,
    rule_gazetteer_places,
    rule_orgs,
    rule_persons,
    title_only,
    title_start,
)
from .spans import Spans, pick_disjoint, word_run_start

APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
BATCH_SIZE = 64
#: Texts longer than this (in characters) go to spaCy in pieces cut at line or sentence ends.
WINDOW = 20_000
WINDOW_BATCH = 4
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


PREFIXED_NAME_RE = re.compile(r"(?<![\w-])[A-Z]\w*-$")  # "Stalin-" of "Stalin-Zinoviev"
NEGATING_PREFIX_RE = re.compile(r"(?:Anti|Pro|Neo|Post|Pre|Non)-$", re.I)


def _boundaries(text: str, start: int, end: int) -> bool:
    """No match inside a word: ``Stalin`` is not in ``Stalinism`` nor in ``Anti-Stalin``,
    but is in ``Stalin-Zinoviev-Kamenev``.

    Looks at the word before ``start`` only, never at the whole text before it.
    """
    if start > 0 and text[start - 1].isalnum():
        return False
    if start > 0 and text[start - 1] == "-" and not PREFIXED_NAME_RE.search(
            text, word_run_start(text, start - 1), start):
        return False
    if start > 0 and NEGATING_PREFIX_RE.search(text, max(0, start - 5), start):
        return False
    return end >= len(text) or not (text[end].isalnum() or (
        text[end] == "-" and end + 1 < len(text) and text[end + 1].islower()))


def _select(hits: Sequence[_Hit]) -> list[_Hit]:
    """Greedy non-overlapping choice: priority, then length, then leftmost."""
    ordered = sorted(hits, key=lambda h: (-PRIORITY[h.origin], h.start - h.end, h.start))
    return sorted(pick_disjoint(ordered, lambda h: (h.start, h.end)))


def _promote(candidates: Sequence[_Hit], registry_hits: Sequence[_Hit]) -> list[_Hit]:
    """Let a longer name win over the registry names it strictly contains.

    A body found by pattern takes whatever it contains ("Chinese Left Opposition"); a spaCy
    name takes exactly one registry name of its own type ("Leon Trotsky" over "Trotsky").
    """
    out: list[_Hit] = []
    starts = [r.start for r in registry_hits]  # sorted and disjoint (from _select)
    ends = [r.end for r in registry_hits]
    for c in candidates:
        near = registry_hits[bisect_right(ends, c.start):bisect_left(starts, c.end)]
        inside = [r for r in near if c.start <= r.start and r.end <= c.end
                  and (r.start, r.end) != (c.start, c.end)]
        clash = [r for r in near if r not in inside]
        promoted = not clash and inside and (
            c.origin == "rule" or (len(inside) == 1 and inside[0].type == c.type))
        out.append(c._replace(origin="registry") if promoted else c)
    return out


class Recogniser:
    """Finds person/place/org/date mentions in a document's blocks and links the names.

    :param registry: the registry to link against.
    :param nlp: a loaded spaCy pipeline with an ``ner`` component (default: the model
        ``archive train`` made for ``data_dir``, else the packaged model).
    :param data_dir: the data directory whose trained model to use, if it has one.
    :param titles_in_names: whether a person's titles stand inside the mention ("Captain
        Clark", "Mr. Haydon"), as many editions tag them; by default they stay outside.
    """

    def __init__(self, registry: Registry, *, nlp: Any = None,
                 data_dir: Path | None = None, titles_in_names: bool = False) -> None:
        self.registry = registry
        self.titles_in_names = titles_in_names
        if nlp is None:
            trained = current_model(data_dir)
            nlp = load_nlp(str(trained)) if trained else load_nlp()
        self.nlp = nlp
        #: The applications behind the tags, for ``appInfo`` (the NER model it loaded).
        self.components = {"ner": ner_application(nlp)}
        self.automaton = build_automaton(registry)
        self.index = NameIndex(registry)
        self._proposals: dict[str, Proposal] = {}

    @classmethod
    def for_archive(cls, registry: Registry, settings: Settings) -> Recogniser:
        """The recogniser of a data directory: its trained model if it has one, and its
        conventions (titles inside names or not)."""
        return cls(registry, data_dir=settings.data_dir, titles_in_names=settings.titles_in_names)

    def recognise(self, blocks: Sequence[str],
                  languages: Sequence[str | None] | None = None, *,
                  context: DateContext | None = None) -> list[list[Mention]]:
        """All person/place/org/date mentions of one document, per block.

        Only English is read with the English model: a block in another language (declared,
        or told by its function words, see :mod:`archive.annotate.language`) gets registry
        names, their repeats and dates only.

        :param blocks: the texts of the document's blocks, in order.
        :param languages: per block, the language its document declares, or None (detected).
        :param context: where the document stands on the calendar (its own date), for dates
            that write no year or month; see :func:`archive.annotate.find_dates`.
        :return: per block, mentions with offsets into that block's text, non-overlapping and
            sorted; names carry ``key`` (a registry id, a proposed id, or None when ambiguous),
            dates their normalisation.
        """
        texts = list(blocks)
        english = [is_english(code) for code in block_languages(texts, languages)]
        dates = find_dates(texts, context=context)
        use = WordUse(t for t, e in zip(texts, english, strict=True) if e)
        chosen: list[list[_Hit]] = []
        entities = self._entities([t if e else "" for t, e in zip(texts, english, strict=True)])
        for text, ents, block_dates, en in zip(texts, entities, dates, english, strict=True):
            if en:
                chosen.append(self._block(text, ents, block_dates, use))
            else:
                chosen.append(_select([*match_registry(self.automaton, text), *(
                    _Hit(d.start, d.end, "date", None, "dates") for d in block_dates)]))
        names = [[h for h in hits if h.type != "date"] for hits in chosen]
        linked, _ = link_document(self.index, texts, names, self._proposals)
        out: list[list[Mention]] = []
        for text, hits, block_names, block_dates in zip(texts, chosen, linked, dates, strict=True):
            spans = {(h.start, h.end) for h in hits if h.type == "date"}
            mentions = [self._with_titles(text, m) for m in block_names]
            mentions.extend(d for d in block_dates if (d.start, d.end) in spans)
            out.append(sorted(mentions, key=lambda m: (m.start, m.end)))
        return out

    def _entities(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """spaCy's entities ``(start, end, label)`` of each text.

        A text longer than :data:`WINDOW` (or the pipeline's ``max_length``) is run in pieces
        cut at line or sentence ends, and the pieces' entities are shifted back into it: spaCy
        refuses texts beyond ``max_length`` and needs memory in proportion to a text's length.
        Shorter texts are run whole, as one batch, exactly as before.
        """
        size = min(WINDOW, self.nlp.max_length)
        whole = [n for n, text in enumerate(texts) if len(text) <= size]
        pieces: list[tuple[int, int, str]] = []  # (text index, offset in it, piece)
        for number, text in enumerate(texts):
            if len(text) > size:
                cuts = window_cuts(text, size)
                pieces.extend((number, start, text[start:end]) for start, end in zip(
                    cuts, [*cuts[1:], len(text)], strict=True))
        found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
        for number, doc in zip(whole, self.nlp.pipe([texts[n] for n in whole],
                                                    batch_size=BATCH_SIZE), strict=True):
            found[number] = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        # A few pieces at a time: memory stays that of a few windows, whatever the length.
        docs = self.nlp.pipe([piece for _, _, piece in pieces], batch_size=WINDOW_BATCH)
        for (number, offset, _), doc in zip(pieces, docs, strict=True):
            found[number].extend((offset + e.start_char, offset + e.end_char, e.label_)
                                 for e in doc.ents)
        return found

    def _with_titles(self, text: str, mention: Mention) -> Mention:
        """The person with the titles before it taken in, when the archive tags them so."""
        if not self.titles_in_names or mention.type != "person":
            return mention
        start = title_start(text, mention.start)
        return replace(mention, start=start, text=text[start:mention.end])

    def _block(self, text: str, ents: Sequence[tuple[int, int, str]],
               dates: Sequence[Mention], use: WordUse) -> list[_Hit]:
        registry_hits = match_registry(self.automaton, text)
        ner = [_placed(text, c, use) for c in classify_ner(text, ents)]
        ner += rule_gazetteer_places(text, use)
        ner += rule_correspondents(text, use)
        named = rule_persons(text)
        persons = [(c.start, c.end) for c in (*ner, *named) if c.type == "person"]
        persons += [(h.start, h.end) for h in registry_hits if h.type == "person"]
        cited, titles = rule_citation(text)
        rules = [*cited, *rule_orgs(text, persons), *rule_acronyms_and_places(text), *named]
        in_title = Spans(titles)
        others = [_hit(c) for c in (*rules, *ner)
                  if (c.type == "person" or not in_title.holds(c.start))
                  and not (c.type == "person" and title_only(text[c.start:c.end]))
                  and not (c.origin == "ner" and use.all_common(text[c.start:c.end]))
                  and not (c.origin == "ner" and c.type == "place"
                           and not use.place_known(text[c.start:c.end]))]
        others = _promote(others, registry_hits)
        others += [_Hit(d.start, d.end, "date", None, "dates") for d in dates]
        return _select([*registry_hits, *others])

    def proposals(self) -> list[Proposal]:
        """The new names found so far that the registry does not hold, one per proposed id.

        Rejected forms are never proposed. The build adds these to the registry as proposals.

        :return: ``(surface, type, id)`` tuples sorted by id; the surface is the longest form met.
        """
        return [self._proposals[k] for k in sorted(self._proposals)]

    def forget_proposals(self) -> None:
        """Start a new session: the next document's new names are proposed as if it were the
        first (a build's task on a Dask worker, which must not depend on the tasks before)."""
        self._proposals = {}


def window_cuts(text: str, size: int) -> list[int]:
    """Where to cut ``text`` into pieces of at most ``size`` characters for spaCy.

    Each cut falls after a line break if the second half of the piece holds one, else after a
    sentence end (``. ``, ``! ``, ``? ``), else after a space, else at ``size``.

    :param text: the text.
    :param size: the longest piece.
    :return: the pieces' start offsets, the first 0.
    """
    cuts = [0]
    while len(text) - cuts[-1] > size:
        low, high = cuts[-1] + size // 2, cuts[-1] + size
        cut = text.rfind("\n", low, high) + 1
        if not cut:
            cut = max(text.rfind(end, low, high - 1) for end in (". ", "! ", "? ")) + 2
        if cut < 2:
            cut = text.rfind(" ", low, high) + 1 or high
        cuts.append(cut)
    return cuts


def _placed(text: str, c: Candidate, use: WordUse) -> Candidate:
    """A "body" spaCy found that the gazetteer knows and the document puts where a place
    stands ("sailed from Zanzibar") is that place."""
    span = text[c.start:c.end]
    if c.type == "org" and c.origin == "ner" and span in use.placed and in_gazetteer(span):
        return replace(c, type="place")
    return c


def _hit(c: Candidate) -> _Hit:
    return _Hit(c.start, c.end, c.type, None, c.origin)

