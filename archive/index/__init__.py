"""The index: the derived, rebuildable SQLite database of the TEI files, and the only
package with SQL. Declared facets, faceted lookup and full-text search, and what the
rest of the archive and the viewer read from it.
"""

from .db import connect, reader
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
from .entities import companions, entity_mentions, entity_totals, mention_totals, years_beside
from .facets import Facet, load_facets
from .lookup import MARK_END, MARK_START, facet_counts, lookup, search_passages
from .update import IndexReport, update_index
from .workers import die_with_parent, worker_context

__all__ = [
    "MARK_END", "MARK_START", "Facet", "IndexReport", "companions", "connect", "die_with_parent",
    "document_catalogue", "document_files", "facet_counts",
    "document_record", "documents_holding", "entity_mentions", "entity_totals",
    "index_generation", "indexed_files",
    "indexed_hashes", "leaf_passages", "load_facets", "lookup", "mention_counts",
    "mention_totals", "mentions_of", "reader", "search_passages", "update_index",
    "worker_context", "years_beside"
]
