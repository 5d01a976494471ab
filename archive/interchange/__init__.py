"""Interchange: TEI made by other projects imported as it is, and exports other archives
take (TEI, teiCorpus, a deposit zip, mention tables).
"""

from .export import (
    check_ids,
    document_ids,
    export_corpus,
    export_each,
    export_mentions_csv,
    export_mentions_jsonl,
    export_tei,
    export_zip,
    spreadsheet_safe,
)
from .importer import import_files, list_path, stored_bytes_equal

__all__ = [
    "check_ids", "document_ids", "export_corpus", "export_each", "export_mentions_csv",
    "export_mentions_jsonl",
    "export_tei", "export_zip", "import_files", "list_path", "spreadsheet_safe",
    "stored_bytes_equal",
]
