"""Markdown, parsed with markdown-it-py (CommonMark): headings, emphasis, links, lists, quotes.

Inline text tokens are located in the source by searching forward from the line where
their block starts, so spans carry offsets like the plain-text reader's. A token that is not
verbatim in the source (an escape such as ``\\*``, an entity) gets ``start=None``.
"""

from __future__ import annotations

from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ...model import Block, BlockKind, Span
from .common import (
    Reading,
    aside_type,
    first_line_title,
    mark_bibliography,
    mark_front_matter,
    title_from_headings,
)

# "text_join" would merge escapes into the text around them and hide what is verbatim
_MARKDOWN = MarkdownIt("commonmark").disable("text_join")
_REND = {"em": "italic", "strong": "bold", "s": "strikethrough"}


def parse(text: str) -> Reading:
    """Read Markdown into blocks, with a title and metadata guesses.

    :param text: the decoded text, line ends already ``"\\n"``.
    :return: the :class:`Reading`.
    """
    line_starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            line_starts.append(index + 1)
    line_starts.append(len(text))
    blocks: list[Block] = []
    containers: list[str] = []  # open list items / blockquotes, innermost last
    tokens = _MARKDOWN.parse(text)
    for index, token in enumerate(tokens):
        if token.type in ("list_item_open", "blockquote_open"):
            containers.append(token.type)
        elif token.type in ("list_item_close", "blockquote_close"):
            containers.pop()
        elif token.type == "heading_open":
            spans = _inline(text, tokens[index + 1], line_starts)
            blocks.append(Block("head", spans, level=int(token.tag[1:])))
        elif token.type == "paragraph_open":
            spans = _inline(text, tokens[index + 1], line_starts)
            blocks.append(Block(_container_kind(containers), spans))
        elif token.type in ("code_block", "fence") and token.content.strip():
            span = _locate(text, token.content.rstrip("\n"), _range(token, line_starts))
            blocks.append(Block(_container_kind(containers), (replace(span, rend="code"),)))
    blocks = [block for block in blocks if block.text.strip()]
    blocks = title_from_headings(blocks)
    blocks = _mark_asides(blocks)
    blocks, guesses = mark_front_matter(blocks)
    blocks = mark_bibliography(blocks)
    title = next((block.text for block in blocks if block.kind == "title"), None)
    return Reading(tuple(blocks), title or first_line_title(text), guesses)


def read(text: str) -> list[Block]:
    """The blocks of a Markdown text (see :func:`parse`)."""
    return list(parse(text).blocks)


def _container_kind(containers: list[str]) -> BlockKind:
    if "list_item_open" in containers:
        return "item"
    return "quote" if "blockquote_open" in containers else "p"


def _range(token: Token, line_starts: list[int]) -> tuple[int, int]:
    """Character range of the lines a block token covers."""
    first, last = token.map or (0, len(line_starts) - 1)
    return line_starts[first], line_starts[min(last, len(line_starts) - 1)]


def _locate(text: str, chars: str, bounds: tuple[int, int]) -> Span:
    position = text.find(chars, bounds[0], bounds[1])
    return Span(chars, position if position >= 0 else None)


def _inline(text: str, inline: Token, line_starts: list[int]) -> tuple[Span, ...]:
    """Spans of one inline token: text runs with their rend/target, line breaks as ``lb``."""
    cursor, limit = _range(inline, line_starts)
    rends: list[str] = []
    targets: list[str] = []
    spans: list[Span] = []
    for child in inline.children or []:
        kind = child.type
        if kind.endswith("_open") and kind[:-5] in _REND:
            rends.append(_REND[kind[:-5]])
        elif kind.endswith("_close") and kind[:-6] in _REND:
            rends.pop()
        elif kind == "link_open":
            targets.append(str(child.attrs.get("href", "")))
        elif kind == "link_close":
            targets.pop()
        elif kind in ("text", "code_inline", "text_special", "softbreak", "hardbreak"):
            chars = "\n" if kind in ("softbreak", "hardbreak") else child.content
            if not chars:
                continue
            found = text.find(chars, cursor, limit)
            if kind == "text_special":  # "\*" stands for "*": not verbatim
                escaped = text.find(child.markup, cursor, limit)
                cursor = escaped + len(child.markup) if escaped >= 0 else cursor
                found = -1
            elif found >= 0:
                cursor = found + len(chars)
            rend = " ".join(dict.fromkeys(rends)) or None
            if kind == "code_inline":
                rend = "code"
            spans.append(Span(chars, found if found >= 0 else None, rend,
                              targets[-1] if targets else None,
                              "lb" if kind == "hardbreak" else "text"))
    return tuple(spans)


def _mark_asides(blocks: list[Block]) -> list[Block]:
    """Promotional paragraphs (and the bare link after one), separators, a kicker line."""
    marked: list[Block] = []
    has_title = any(block.kind == "title" for block in blocks)
    title_seen = False
    for block in blocks:
        text = block.text.strip()
        title_seen = title_seen or block.kind == "title"
        if block.kind == "p":
            kind = aside_type(" ".join(text.split()))
            previous = marked[-1] if marked else None
            if kind is None and previous is not None and previous.type == "promotional" and all(
                    span.target or not span.text.strip() for span in block.spans):
                kind = "promotional"  # "To contact us visit:" + "**[wsws.org/contact](…)**"
            if kind is None and text.strip("—–-*_ ") == "":
                kind = "separator"
            if kind is None and has_title and not title_seen and len(text.split()) <= 20:
                kind = "kicker"  # a line standing above the title
            if kind:
                block = replace(block, kind="aside", type=kind)
        marked.append(block)
    return marked
