"""HTML, parsed with lxml.html: headings, paragraphs, lists, quotations, emphasis, links.

Whitespace is collapsed as a browser would. lxml keeps no character offsets, so spans
have ``start=None``: mentions in an HTML source are reported against the block text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree, html

from ...model import Block, BlockKind, Span
from .common import Reading, aside_type, mark_bibliography, mark_front_matter, title_from_headings

_IGNORED = frozenset({"script", "style", "nav", "noscript", "template", "head", "iframe",
                      "svg", "form", "button", "select", "textarea", "object"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "ul", "ol", "li",
    "blockquote", "pre", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td",
    "th", "figure", "figcaption", "address", "hr", "body", "center", "details", "summary",
} | _HEADINGS)
_REND = {"em": "italic", "i": "italic", "cite": "italic", "strong": "bold", "b": "bold",
         "u": "underline", "code": "code", "tt": "code", "sup": "sup", "sub": "sub",
         "s": "strikethrough", "del": "strikethrough"}
_SPACE = re.compile(r"\s+")
_INNER_KIND: dict[str, BlockKind] = {"li": "item", "blockquote": "quote"}  # else the outer kind

_Pieces = list[tuple[str, str | None, str | None, str]]  # (text, rend, target, span kind)


def parse(text: str) -> Reading:
    """Read HTML into blocks, with a title and metadata guesses.

    :param text: the decoded document.
    :return: the :class:`Reading`; its title is ``<title>``, else the first ``<h1>``.
    """
    # bytes + declared encoding: lxml refuses a str that carries an XML encoding declaration
    parser = html.HTMLParser(encoding="utf-8", remove_comments=True)
    root = html.document_fromstring(text.encode("utf-8"), parser=parser)
    body = root.find("body")
    blocks = [block for block in _blocks(root if body is None else body, "p") if block.text]
    blocks = title_from_headings(blocks)
    blocks = [_aside(block) for block in blocks]
    blocks, guesses = mark_front_matter(blocks)
    blocks = mark_bibliography(blocks)
    head_title = " ".join(root.findtext(".//title", default="").split())
    first_heading = next((b.text for b in blocks if b.kind in ("title", "head")), None)
    return Reading(tuple(blocks), head_title or first_heading, guesses)


def read(text: str) -> list[Block]:
    """The blocks of an HTML document (see :func:`parse`)."""
    return list(parse(text).blocks)


def _tag(element: etree._Element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _blocks(element: etree._Element, kind: BlockKind) -> Iterator[Block]:
    """Blocks of a container; loose text between its block children is a block of ``kind``."""
    tag = _tag(element)
    if tag in _HEADINGS:
        yield Block("head", _spans(element), level=int(tag[1]))
        return
    if tag in ("p", "pre", "figcaption", "address", "summary", "td", "th"):
        yield Block(kind, _spans(element))
        return
    inner = _INNER_KIND.get(tag, kind)
    pieces: _Pieces = []
    label: tuple[Span, ...] = ()  # the last <dt>, for the <dd> after it
    if element.text:
        pieces.append((element.text, None, None, "text"))
    for child in element:
        child_tag = _tag(child)
        if child_tag in _BLOCKS:
            yield from _flush(pieces, inner)
            pieces = []
            if child_tag == "dt":
                label = _spans(child)
            elif child_tag == "dd":
                spans = _spans(child)
                if spans:
                    yield Block("gloss", spans, label=label) if label else Block(inner, spans)
            elif child_tag != "hr":
                yield from _blocks(child, "item" if child_tag in ("ul", "ol") else inner)
        elif child_tag and child_tag not in _IGNORED:
            pieces.extend(_inline(child, None, None))
        if child.tail:
            pieces.append((child.tail, None, None, "text"))
    yield from _flush(pieces, inner)


def _flush(pieces: _Pieces, kind: BlockKind) -> Iterator[Block]:
    spans = _tidy(pieces)
    if spans:
        yield Block(kind, spans)


def _inline(element: etree._Element, rend: str | None, target: str | None) -> _Pieces:
    """The text runs inside an inline element, with emphasis and link target."""
    tag = _tag(element)
    if tag == "br":
        return [("\n", None, None, "lb")]
    if tag in _IGNORED or not tag:
        return []
    if tag in _REND:
        rend = f"{rend} {_REND[tag]}" if rend and _REND[tag] not in rend else rend or _REND[tag]
    if tag == "a" and element.get("href"):
        target = element.get("href")
    pieces: _Pieces = [(element.text, rend, target, "text")] if element.text else []
    for child in element:
        pieces.extend(_inline(child, rend, target))
        if child.tail:
            pieces.append((child.tail, rend, target, "text"))
    return pieces


def _spans(element: etree._Element) -> tuple[Span, ...]:
    pieces: _Pieces = [(element.text, None, None, "text")] if element.text else []
    for child in element:
        pieces.extend(_inline(child, None, None))
        if child.tail:
            pieces.append((child.tail, None, None, "text"))
    return _tidy(pieces)


def _tidy(pieces: _Pieces) -> tuple[Span, ...]:
    """Collapse whitespace as a browser does; no space at the block's edges or around a break."""
    spans: list[Span] = []
    for text, rend, target, kind in pieces:
        if kind == "lb":
            if spans and spans[-1].kind == "text":
                spans[-1] = Span(spans[-1].text.rstrip(), None, spans[-1].rend, spans[-1].target)
            spans.append(Span("\n", kind="lb"))
            continue
        text = _SPACE.sub(" ", text)
        if not spans or spans[-1].kind == "lb" or spans[-1].text.endswith(" "):
            text = text.lstrip(" ")
        if text:
            spans.append(Span(text, None, rend, target))
    while spans and (spans[-1].kind == "lb" or not spans[-1].text.strip()):
        spans.pop()
    if spans:
        last = spans[-1]
        spans[-1] = Span(last.text.rstrip(), None, last.rend, last.target)
    while spans and spans[0].kind == "lb":
        spans.pop(0)
    return tuple(span for span in spans if span.text)


def _aside(block: Block) -> Block:
    kind = aside_type(block.text) if block.kind == "p" else None
    return Block("aside", block.spans, type=kind) if kind else block
