"""Scoring the tagger on tagged TEI: strict and lenient precision, recall and F1 by type.

The document's own ``persName``/``placeName``/``orgName``/``date`` tags are the gold
(:mod:`archive.learn.align`); the same blocks' text, without those tags, goes to the archive's
recogniser and to bare spaCy (PERSON→person, GPE/LOC→place, ORG→org, DATE→date), and both are
scored against the gold the way ``../shared/eval/score.py`` does: *strict* is an exact match of
offsets and type, *lenient* an overlap of the same type, one gold mention to one prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..annotate import DateContext
from ..model import Mention
from .align import Block

TYPES = ("person", "place", "org", "date")
SPACY_TYPES = {"PERSON": "person", "GPE": "place", "LOC": "place", "ORG": "org", "DATE": "date"}

Span = tuple[int, int, int, str]  # block number, start, end, type


@dataclass
class Counts:
    """True positives, predictions and gold mentions of one type (strict and lenient)."""

    strict: int = 0
    lenient: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: Counts) -> None:
        self.strict += other.strict
        self.lenient += other.lenient
        self.predicted += other.predicted
        self.gold += other.gold

    def figures(self, lenient: bool = False) -> dict[str, float | None]:
        """Precision, recall and F1 (None where undefined: nothing predicted / no gold)."""
        hits = self.lenient if lenient else self.strict
        p = hits / self.predicted if self.predicted else None
        r = hits / self.gold if self.gold else None
        f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (
            0.0 if p is not None and r is not None else None)
        return {"precision": p, "recall": r, "f1": f}


@dataclass
class Score:
    """Counts per type and overall."""

    per_type: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in TYPES})

    def overall(self, types: Iterable[str] = TYPES) -> Counts:
        total = Counts()
        for kind in types:
            total.add(self.per_type[kind])
        return total

    def as_dict(self) -> dict[str, Any]:
        """Counts and figures as plain data (``--format json``)."""
        def one(c: Counts) -> dict[str, Any]:
            return {"gold": c.gold, "predicted": c.predicted, "strict_hits": c.strict,
                    "lenient_hits": c.lenient, "strict": c.figures(),
                    "lenient": c.figures(lenient=True)}
        return {"per_type": {k: one(c) for k, c in self.per_type.items()},
                "overall": one(self.overall())}


def score(gold: Iterable[Span], predicted: Iterable[Span]) -> Score:
    """Score predicted spans against gold spans.

    :param gold: ``(block, start, end, type)`` of the gold mentions.
    :param predicted: the same of the predictions; duplicates count once.
    :return: the counts per type.
    """
    result = Score()
    gold_set, pred_set = set(gold), set(predicted)
    for kind in TYPES:
        g = sorted(s for s in gold_set if s[3] == kind)
        p = sorted(s for s in pred_set if s[3] == kind)
        counts = result.per_type[kind]
        counts.gold, counts.predicted = len(g), len(p)
        counts.strict = len(set(g) & set(p))
        counts.lenient = _matching(g, p)
    return result


def _matching(gold: Sequence[Span], predicted: Sequence[Span]) -> int:
    """The size of a maximum one-to-one matching of overlapping spans (augmenting paths)."""
    by_block: dict[int, list[int]] = {}
    for n, s in enumerate(predicted):
        by_block.setdefault(s[0], []).append(n)
    edges = [[n for n in by_block.get(g[0], [])
              if predicted[n][1] < g[2] and g[1] < predicted[n][2]] for g in gold]
    owner: dict[int, int] = {}

    def augment(g: int, seen: set[int]) -> bool:
        for n in edges[g]:
            if n in seen:
                continue
            seen.add(n)
            if n not in owner or augment(owner[n], seen):
                owner[n] = g
                return True
        return False

    return sum(augment(g, set()) for g in range(len(gold)))


def gold_spans(blocks: Sequence[Block], first: int = 0) -> list[Span]:
    """The gold mentions of blocks numbered from ``first``."""
    return [(first + n, g.start, g.end, g.type) for n, b in enumerate(blocks) for g in b.spans]


def mention_spans(mentions: Sequence[Sequence[Mention]], first: int = 0) -> list[Span]:
    """The recogniser's mentions, per block, as spans."""
    return [(first + n, m.start, m.end, m.type) for n, found in enumerate(mentions) for m in found]


def spacy_spans(nlp: Any, texts: Sequence[str], first: int = 0) -> list[Span]:
    """Bare spaCy's entities in the texts, typed by :data:`SPACY_TYPES`."""
    return [(first + n, e.start_char, e.end_char, SPACY_TYPES[e.label_])
            for n, doc in enumerate(nlp.pipe(texts)) for e in doc.ents if e.label_ in SPACY_TYPES]


def evaluate_documents(documents: Sequence[Sequence[Block]],
                       recognise: Callable[..., Sequence[Sequence[Mention]]],
                       base_nlp: Any, contexts: Sequence[DateContext] | None = None
                       ) -> tuple[Score, Score]:
    """Score the recogniser and bare spaCy on the blocks of some documents.

    :param documents: per document, its blocks (the recogniser runs once per document, as
        tagging does: coreference stays inside a document).
    :param recognise: ``Recogniser.recognise``.
    :param base_nlp: the packaged spaCy pipeline (bare spaCy).
    :param contexts: per document, its own date (``document_date``), as tagging gives it.
    :return: the tagger's score and bare spaCy's, over all the documents.
    """
    gold: list[Span] = []
    tagger: list[Span] = []
    spacy: list[Span] = []
    first = 0
    for number, blocks in enumerate(documents):
        texts = [b.text for b in blocks]
        gold += gold_spans(blocks, first)
        context = contexts[number] if contexts else None
        tagger += mention_spans(recognise(texts, context=context), first)
        spacy += spacy_spans(base_nlp, texts, first)
        first += len(blocks)
    return score(gold, tagger), score(gold, spacy)
