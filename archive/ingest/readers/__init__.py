"""Readers: one per source format, each turning decoded text into a :class:`Reading`.

``READERS`` maps a format name to its reader; :func:`archive.ingest.read_source` looks the
format up here, so a new format (``tei``, reading a ready TEI tree) slots in with one
:func:`register_reader` call and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable

from . import html, markdown, text
from .common import Reading

#: A reader: decoded text (line ends ``"\\n"``) -> blocks, title and metadata guesses.
Reader = Callable[[str], Reading]

READERS: dict[str, Reader] = {
    "text": text.parse,
    "markdown": markdown.parse,
    "html": html.parse,
}


def register_reader(format_name: str, reader: Reader) -> None:
    """Make ``reader`` the reader of ``format_name`` (replacing any before it).

    :param format_name: the name used in ``read_source(format=…)`` and in sidecars.
    :param reader: a function from decoded text to a :class:`Reading`.
    """
    READERS[format_name] = reader


__all__ = ["READERS", "Reader", "Reading", "register_reader"]
