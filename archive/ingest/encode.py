"""Encoding: a :class:`~archive.model.Source` becomes one TEI P5 document.

The shape is documented in docs/ENCODING.md. Body text is the source's text with only its
markup removed: every block's characters become the characters of one TEI element.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby

from lxml import etree

from tei.build import Application, E, HeaderFields, build_document, build_header
from tei.namespaces import XML_ID

from .. import __version__
from ..config import ARCHIVE_NAME
from ..model import Block, Source, Span

ENCODER = Application("archive", "tei-archive", __version__, "TEI Archive encoder")

PROJECT_DESCRIPTION = (
    "Encoded by the TEI Archive from a source file: headings, paragraphs, lists, quotations and "
    "bibliography become TEI elements, the characters of the text are kept as found, and persons, "
    "places, organisations and dates are tagged and linked to the archive's registry."
)

#: block kind → xml:id prefix of the element it becomes
ID_PREFIX = {"title": "h", "head": "h", "p": "p", "aside": "ab", "item": "i", "gloss": "i",
             "quote": "q", "bibl": "b"}


class _Ids:
    """Running numbers per prefix, in document order: p1, p2, ..., d1, d2, ..."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        return f"{prefix}{self.counts[prefix]}"


def text_units(source: Source) -> list[tuple[Span, ...]]:
    """The spans of each element the recogniser reads, in document order: one per block.

    The recogniser runs over these units both in ``build`` (on the TEI elements, see
    :func:`archive.annotate.apply.text_units`) and in ``tag`` (on the spans, to map offsets back to
    the file), so both see the same texts. A gloss block's label is a key, not running text.
    """
    return [block.spans for block in source.blocks]


def encode(source: Source, *, encoded_on: str) -> etree._ElementTree:
    """Encode a source as a TEI document.

    :param source: the read source.
    :param encoded_on: ISO date recorded in ``revisionDesc`` (kept stable across rebuilds).
    :return: the TEI tree (not yet annotated).
    """
    meta = source.metadata
    name = source.path.rsplit("/", 1)[-1] if source.path else meta.id
    header = build_header(HeaderFields(
        title=meta.title,
        idno=meta.id,
        publisher=ARCHIVE_NAME,
        encoded_on=encoded_on,
        change_note=f"Encoded from {name} ({source.format}).",
        responsibility="Encoded and annotated by",
        project_description=PROJECT_DESCRIPTION,
        author=meta.author,
        source_title=meta.title,
        source_publisher=meta.publisher,
        periodical=meta.periodical,
        issue=meta.issue,
        date=meta.date,
        language=meta.language,
        kind=meta.kind,
        licence=meta.licence,
        note=meta.note,
        applications=(ENCODER,),
    ))
    return build_document(header, encode_body(source.blocks), meta.language)


def encode_body(blocks: Sequence[Block]) -> etree._Element:
    """The ``body``: a top ``div`` whose head is the title, a nested ``div`` per heading.

    Lines that stand before the title (a kicker, a series line) get a ``div`` of their own
    before it, since nothing may precede a ``head`` in a ``div``.
    """
    ids = _Ids()
    kinds = [block.kind for block in blocks]
    split = kinds.index("title") if "title" in kinds else 0
    body = E.body()
    for part in (blocks[:split], blocks[split:]):
        if part:
            body.append(_encode_div(part, ids))
    return body


def _encode_div(blocks: Sequence[Block], ids: _Ids) -> etree._Element:
    top = E.div({XML_ID: ids("d")})
    stack: list[tuple[int, etree._Element]] = [(0, top)]
    for kind, group in groupby(blocks, key=lambda block: block.kind):
        run = list(group)
        if kind == "head" or (kind == "title" and len(top)):
            for block in run:  # a second title line is a section heading
                level = max(block.level, 1)
                while stack[-1][0] >= level:
                    stack.pop()
                div = E.div({XML_ID: ids("d")})
                stack[-1][1].append(div)
                stack.append((level, div))
                div.append(_element("head", block.spans, ids("h")))
            continue
        parent = stack[-1][1]
        for element in _encode_run(kind, run, ids):
            parent.append(element)
    return top


def _encode_run(kind: str, run: list[Block], ids: _Ids) -> Iterable[etree._Element]:
    if kind == "item":
        yield E.list({XML_ID: ids("l")}, *(_element("item", b.spans, ids("i")) for b in run))
    elif kind == "gloss":
        glossary = E.list({XML_ID: ids("l")}, type="gloss")
        for block in run:
            glossary.append(_element("label", block.label, None))
            glossary.append(_element("item", block.spans, ids("i")))
        yield glossary
    elif kind == "bibl":
        yield E.listBibl({XML_ID: ids("lb")}, *(_element("bibl", b.spans, ids("b")) for b in run))
    else:
        for block in run:
            tag = {"title": "head", "aside": "ab"}.get(kind, kind)
            element = _element(tag, block.spans, ids(ID_PREFIX[kind]))
            if kind == "aside" and block.type:
                element.set("type", block.type)
            yield element


def _element(tag: str, spans: Sequence[Span], xml_id: str | None) -> etree._Element:
    element = E(tag)
    if xml_id:
        element.set(XML_ID, xml_id)
    append_spans(element, spans)
    return element


def append_spans(element: etree._Element, spans: Sequence[Span]) -> None:
    """Append inline content: text, ``hi @rend``, ``ref @target``, ``lb``."""
    for span in spans:
        if span.kind == "lb":
            element.append(E.lb())
        elif span.target is None:
            if span.rend is None:
                _append_text(element, span.text)
            else:
                element.append(E.hi(span.text, rend=span.rend))
        elif span.rend is None:
            element.append(E.ref(span.text, target=span.target))
        else:
            element.append(E.ref(E.hi(span.text, rend=span.rend), target=span.target))


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text
