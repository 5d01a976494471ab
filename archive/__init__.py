"""The archive: sources and readers, annotation, registry, store, index, query, export, CLI."""

from __future__ import annotations

__version__ = "0.1.0"
