"""Domain values: frozen dataclasses shared by readers, the encoder, the recogniser and the store.

A reader turns a file into one :class:`Source`: its metadata and a flat list of
:class:`Block` objects (headings, paragraphs, list items, quotations, ...). Every inline run
of text is a :class:`Span` that remembers where its characters stand in the decoded source
text, so that mentions found in a block can be reported as offsets into the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal[
    "title",  # the document's own title line (`= Title =`, a first heading): head of the top div
    "head",  # a section heading; `level` 1 is a top section, 2 a subsection, ...
    "p",  # a paragraph
    "item",  # a bullet item; consecutive items form one list
    "gloss",  # an infobox line `- Key: Value`: `label` spans + the value spans
    "quote",  # a block quotation
    "bibl",  # a bibliography entry
    "aside",  # stray lines: promotional lines, embedded posts, bylines -> <ab type="...">
]

SpanKind = Literal["text", "lb"]


@dataclass(frozen=True)
class Span:
    """An inline run of text.

    :param text: the characters, exactly as they stand in the source (markup removed).
    :param start: offset of ``text`` in the source's decoded text, or None when the
        characters were not taken verbatim from it (e.g. an entity in HTML).
    :param rend: ``"italic"``, ``"bold"``, ... for emphasis, rendered as ``<hi rend>``.
    :param target: a link target, rendered as ``<ref target>``.
    :param kind: ``"lb"`` for a hard line break inside a block (its text is ``"\\n"``).
    """

    text: str
    start: int | None = None
    rend: str | None = None
    target: str | None = None
    kind: SpanKind = "text"

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.text)


@dataclass(frozen=True)
class Block:
    """A block of the source: a heading, a paragraph, an item, ...

    :param kind: see :data:`BlockKind`.
    :param spans: the inline content.
    :param level: heading depth for ``head`` (1 = section), else 0.
    :param label: for ``gloss`` blocks, the key's spans (``Leader`` in ``- Leader: Leon Trotsky``).
    :param type: a finer kind, e.g. ``"promotional"``/``"embed"``/``"byline"`` for ``aside``.
    """

    kind: BlockKind
    spans: tuple[Span, ...]
    level: int = 0
    label: tuple[Span, ...] = ()
    type: str | None = None

    @property
    def text(self) -> str:
        """The block's characters, markup removed (a line break counts as ``\\n``)."""
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Metadata:
    """What is known about a source; every field but ``id`` and ``title`` may be empty."""

    id: str
    title: str
    author: str | None = None
    publisher: str | None = None  # the publisher, or the site that published the text
    periodical: str | None = None  # the journal or magazine, when there is one
    issue: str | None = None
    date: str | None = None  # ISO 8601: YYYY, YYYY-MM or YYYY-MM-DD
    language: str = "en"
    kind: str | None = None  # kind of text: "encyclopedia article", "essay", "editorial", ...
    licence: str | None = None
    note: str | None = None  # free text: first publication, point of view, ...


@dataclass(frozen=True)
class Source:
    """One input file, read: metadata, blocks, and the decoded text they point into."""

    metadata: Metadata
    blocks: tuple[Block, ...]
    text: str  # the decoded source text; Span.start offsets index into it
    format: str  # "text", "markdown", "html", "tei"
    path: str | None = None


MentionType = Literal["person", "place", "org", "date"]


@dataclass(frozen=True)
class Mention:
    """A recognised mention inside one block's text (offsets into ``Block.text``).

    Names carry ``key`` (a registry id, None when unlinked); dates carry exactly one
    normalisation: ``when``, or ``from_``/``to``, or ``not_before``/``not_after``.
    ``cert`` is ``"high"``, ``"medium"`` or ``"low"``; ``resp`` names the component that
    made it (``"registry"``, ``"ner"``, ``"coref"``, ``"dates"``).
    """

    start: int
    end: int
    text: str
    type: MentionType
    key: str | None = None
    when: str | None = None
    from_: str | None = None
    to: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    inferred: bool = False
    cert: str = "high"
    resp: str = "registry"
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
