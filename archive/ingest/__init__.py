"""Ingest: sources (plain text, Markdown, HTML) read into blocks and spans, and encoded as TEI.
"""

from .encode import encode
from .readers import READERS, register_reader
from .sources import SOURCE_FORMATS, read_source, slugify_id

__all__ = [
    "READERS", "SOURCE_FORMATS", "encode", "read_source", "register_reader", "slugify_id"
]
