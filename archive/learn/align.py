"""Tagged TEI as plain blocks of text with the editors' names and dates as offsets.

The text is read the way a reader of the edition reads it (the rules of
``../shared/eval-ood/README.md``): ``note``, ``del``, ``fw``, ``figDesc``, ``metamark`` and
``surplus`` are skipped with their content; in a ``choice`` the editorial reading wins
(``corr`` > ``reg`` > ``expan``, else the first child); ``lb break="no"`` joins the words on
either side; block elements (``p``, ``head``, ``div``, ``l``, ``item`` …) start and end a block;
runs of whitespace inside a block become one space.

``persName``/``placeName``/``orgName``/``date`` are the gold: a name inside another name is not
a mention of its own (the outermost wins); names inside dates and dates inside names are kept.
Every span is given in offsets of its block's normalised text, so what the tagger finds in the
same text compares with it directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from tei.namespaces import TEI_NS

#: Gold element → mention type.
GOLD_TYPES = {"persName": "person", "placeName": "place", "orgName": "org", "date": "date"}
#: Elements skipped with their content: not part of the running text.
SKIPPED = frozenset({"note", "del", "fw", "figDesc", "metamark", "surplus", "teiHeader"})
#: In ``choice``, the reading shown: the first of these present, else the first child.
CHOICE_ORDER = ("corr", "reg", "expan")
#: Elements that start and end a block of text.
BLOCKS = frozenset({
    "text", "front", "body", "back", "group", "div", "div1", "div2", "div3", "div4", "div5",
    "p", "ab", "head", "l", "lg", "dateline", "byline", "salute", "signed", "opener", "closer",
    "trailer", "item", "list", "label", "table", "row", "cell", "sp", "speaker", "stage",
    "docTitle", "titlePart", "docAuthor", "titlePage", "argument", "epigraph", "postscript",
    "listBibl", "castList", "castItem", "figure", "floatingText",
})
JOIN = "\x00"  # stands for an ``lb break="no"``: the whitespace around it disappears


@dataclass(frozen=True)
class GoldSpan:
    """A tagged mention: offsets into its block's text, type, and ``@when`` for a date."""

    start: int
    end: int
    type: str
    when: str | None = None


@dataclass
class Block:
    """One block's normalised text, the gold mentions in it, and the mentions left unvetted
    (tags whose ``@resp`` names a tagging machine: neither names to learn nor text without)."""

    text: str
    spans: list[GoldSpan] = field(default_factory=list)
    unvetted: list[GoldSpan] = field(default_factory=list)


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    if not isinstance(tag, str):
        return None  # comment, processing instruction
    name = etree.QName(tag)
    return name.localname if name.namespace in (TEI_NS, None) else None


class _Reader:
    def __init__(self, machines: frozenset[str]) -> None:
        self.machines = machines
        self.blocks: list[Block] = []
        self.raw: list[str] = []
        self.marks: list[tuple[int, int, str, str | None, bool]] = []  # raw offsets, type, when,
        # vetted
        self.open_names = 0
        self.flushed = 0  # blocks ended so far: a tag across a block's end marks nothing

    def flush(self) -> None:
        raw = "".join(self.raw)
        text, where = _normalise(raw)
        if text:
            block = Block(text)
            for start, end, kind, when, vetted in self.marks:
                s, e = where[start], where[end]
                while s < e and text[s] == " ":
                    s += 1
                while e > s and text[e - 1] == " ":
                    e -= 1
                if s < e:
                    (block.spans if vetted else block.unvetted).append(GoldSpan(s, e, kind, when))
            block.spans.sort(key=lambda g: (g.start, g.end))
            self.blocks.append(block)
        self.raw, self.marks = [], []
        self.flushed += 1

    def length(self) -> int:
        return sum(len(piece) for piece in self.raw)

    def visit(self, element: etree._Element) -> None:
        name = _local(element)
        if name is None or name in SKIPPED:
            self.tail(element)
            return
        block = name in BLOCKS
        if block:
            self.flush()
        if name == "lb" and element.get("break") == "no":
            self.raw.append(JOIN)
        elif name in ("lb", "pb", "cb"):
            self.raw.append(" ")
        kind = GOLD_TYPES.get(name)
        is_name = kind is not None and kind != "date"
        start, flushed = self.length(), self.flushed
        if is_name:
            self.open_names += 1
        if name == "choice":
            self.visit_choice(element)
        else:
            if element.text:
                self.raw.append(element.text)
            for child in element:
                self.visit(child)
        if is_name:
            self.open_names -= 1
        if kind is not None and (not is_name or self.open_names == 0) \
                and flushed == self.flushed:
            resp = {r.lstrip("#") for r in (element.get("resp") or "").split()}
            self.marks.append((start, self.length(), kind, element.get("when"),
                               not resp & self.machines))
        if block:
            self.flush()
        self.tail(element)

    def visit_choice(self, element: etree._Element) -> None:
        children = [child for child in element if _local(child) is not None]
        chosen = next((child for wanted in CHOICE_ORDER for child in children
                       if _local(child) == wanted), children[0] if children else None)
        if chosen is not None:
            tail = chosen.tail
            chosen.tail = None
            try:
                self.visit(chosen)
            finally:
                chosen.tail = tail

    def tail(self, element: etree._Element) -> None:
        if element.tail:
            self.raw.append(element.tail)


def _normalise(raw: str) -> tuple[str, list[int]]:
    """Collapse whitespace, drop it around joins, strip the ends.

    :return: the text, and for each raw offset 0..len(raw) its offset in the text.
    """
    out: list[str] = []
    where = [0] * (len(raw) + 1)
    i = 0
    while i < len(raw):
        if raw[i].isspace() or raw[i] == JOIN:
            j = i
            joined = False
            while j < len(raw) and (raw[j].isspace() or raw[j] == JOIN):
                joined = joined or raw[j] == JOIN
                where[j] = len(out)
                j += 1
            if out and not joined and j < len(raw):
                out.append(" ")
            i = j
            continue
        where[i] = len(out)
        out.append(raw[i])
        i += 1
    where[len(raw)] = len(out)
    return "".join(out), where


def read_blocks(element: etree._Element, machines: Iterable[str] = ()) -> list[Block]:
    """The blocks of text under ``element`` with their gold mentions.

    :param element: a TEI element (``text``, a ``div``, ...).
    :param machines: ids of applications whose tags (``@resp="#id"``) are not gold but
        unvetted output of a tagger.
    :return: the non-empty blocks in document order.
    """
    reader = _Reader(frozenset(machines))
    reader.visit(element)
    reader.flush()
    return reader.blocks


def text_of_document(tree: etree._ElementTree, machines: Iterable[str] = ()) -> list[Block]:
    """The blocks of a TEI document's ``text`` (all of them, front to back).

    :param tree: a parsed TEI document.
    :param machines: as for :func:`read_blocks`.
    :return: the blocks; empty when it has no ``text``.
    """
    texts = tree.getroot().iter(f"{{{TEI_NS}}}text")
    return [block for text in _outermost(texts) for block in read_blocks(text, machines)]


def _outermost(elements: Iterable[etree._Element]) -> list[etree._Element]:
    chosen = list(elements)
    inside = set(chosen)
    return [e for e in chosen if not any(a in inside for a in e.iterancestors())]


def count_gold(blocks: Sequence[Block]) -> dict[str, int]:
    """How many gold mentions of each type the blocks hold."""
    counts: dict[str, int] = {}
    for block in blocks:
        for span in block.spans:
            counts[span.type] = counts.get(span.type, 0) + 1
    return counts
