"""The index: the derived, rebuildable SQLite database of the TEI files, and the only
package with SQL. Declared facets, faceted lookup and full-text search, and what the
rest of the archive and the viewer read from it.

Each name is imported from its module when first asked for: a lookup from the command line
(``archive facets``) does not import the indexer's XPath engine and TEI reading.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# imported now: the module's name is also a function's, which the module would hide once
# imported by its own name (archive.index.lookup)
from .lookup import MARK_END, MARK_START, facet_counts, lookup, search_passages

if TYPE_CHECKING:
    from .db import connect, index_exists, reader
    from .declared import Facet, load_facets
    from .documents import (
        document_catalogue,
        document_files,
        document_record,
        documents_holding,
        index_generation,
        indexed_files,
        indexed_hashes,
        leaf_passages,
        mention_counts,
        mentions_of,
    )
    from .entities import (
        companions,
        entity_listing,
        entity_mentions,
        entity_totals,
        mention_totals,
        years_beside,
    )
    from .pgstore import account_storage, archive_files, export_files, is_mirror, mirror
    from .update import IndexReport, update_index
    from .workers import die_with_parent, worker_context

#: Each public name → its module.
_MODULES = {
    "connect": "db", "index_exists": "db", "reader": "db", "Facet": "declared",
    "load_facets": "declared",
    **dict.fromkeys(("document_catalogue", "document_files", "document_record", "documents_holding",
                     "index_generation", "indexed_files", "indexed_hashes", "leaf_passages",
                     "mention_counts", "mentions_of"), "documents"),
    **dict.fromkeys(("companions", "entity_listing", "entity_mentions", "entity_totals",
                     "mention_totals", "years_beside"), "entities"),
    "IndexReport": "update", "update_index": "update",
    **dict.fromkeys(("account_storage", "archive_files", "export_files", "is_mirror", "mirror"),
                   "pgstore"),
    "die_with_parent": "workers", "worker_context": "workers",
}

__all__ = [
    "MARK_END", "MARK_START", "Facet", "IndexReport", "account_storage", "archive_files",
    "companions", "connect",
    "die_with_parent", "export_files", "is_mirror", "mirror",
    "document_catalogue", "document_files", "facet_counts",
    "document_record", "documents_holding", "entity_listing", "entity_mentions", "entity_totals",
    "index_exists", "index_generation", "indexed_files",
    "indexed_hashes", "leaf_passages", "load_facets", "lookup", "mention_counts",
    "mention_totals", "mentions_of", "reader", "search_passages", "update_index",
    "worker_context", "years_beside"
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # asked once
    return value
