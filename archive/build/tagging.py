"""The build's task: one source → its TEI bytes, encoded and tagged; writes nothing.

The same function runs in the building process (a local build) and on a Dask worker (a build
with ``--scheduler``); what it returns is validated, written and indexed by the building
process alone (:mod:`archive.build.core`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from lxml import etree

from tei.namespaces import TYPE_FOR_ELEMENT, tei
from tei.serialize import serialize

from ..annotate import Recogniser, annotate
from ..ingest import encode
from ..model import Source
from ..registry import EntryType


@dataclass
class DocumentStats:
    """What one built document holds, for the summary table."""

    id: str
    title: str
    paragraphs: int
    words: int
    mentions: Counter[str]
    written: bool


@dataclass(frozen=True)
class Tagged:
    """A source encoded and tagged, not yet validated nor written.

    :param data: the document's bytes, its first change dated ``previous_date`` (or today).
    :param changed: the same document with its first change dated today, for when ``data``
        differs from the file already written (None when there was no earlier file).
    :param stats: its figures for the summary (``written`` is decided when it is written).
    :param proposals: the new names the recogniser proposed so far, ``(surface, type, id)``.
    """

    data: bytes
    changed: bytes | None
    stats: DocumentStats
    proposals: tuple[tuple[str, EntryType, str], ...]


def tag_source(source: Source, previous_date: str | None, today: str,
               recogniser: Recogniser | None) -> Tagged:
    """Encode ``source`` and tag it with ``recogniser`` (None: encode only).

    :param previous_date: the date of the first change of the document built earlier from
        this source, or None; it is kept when the document does not change.
    :param today: today's date, as the building process knows it.
    """
    tree = encode(source, encoded_on=previous_date or today)
    proposals: tuple[tuple[str, EntryType, str], ...] = ()
    if recogniser is not None:
        annotate(tree, recogniser.recognise, recogniser.components)
        proposals = tuple((p.surface, p.type, p.id) for p in recogniser.proposals())
    data = serialize(tree)
    stats = document_stats(source.metadata.id, source.metadata.title, tree, written=False)
    changed = None
    if previous_date:
        _set_change_date(tree, today)
        changed = serialize(tree)
    return Tagged(data, changed, stats, proposals)


def document_stats(doc_id: str, title: str, tree: etree._ElementTree,
                   written: bool) -> DocumentStats:
    body = tree.getroot().find(f"{tei('text')}/{tei('body')}")
    paragraphs = len(body.findall(f".//{tei('p')}")) if body is not None else 0
    words = len("".join(body.itertext()).split()) if body is not None else 0
    mentions: Counter[str] = Counter()
    if body is not None:
        for element in body.iter(*TYPE_FOR_ELEMENT):
            mentions[TYPE_FOR_ELEMENT[str(element.tag)]] += 1
    return DocumentStats(doc_id, title, paragraphs, words, mentions, written)


def _set_change_date(tree: etree._ElementTree, when: str) -> None:
    change = tree.getroot().find(f".//{tei('revisionDesc')}/{tei('change')}")
    if change is not None:
        change.set("when", when)
