"""The registry: the archive's authority file of persons, places and organisations,
the TEI lists it is read from and written as, the import record, and how documents'
pointers resolve to its entries (one cached resolver per data directory).
"""

from .authority import (
    ENTRY_TYPES,
    FILE_NAMES,
    SHAPES,
    Entry,
    EntryType,
    Registry,
    entry_element,
    find_references,
    load_registry,
    registry_stamp,
    rewrite_refs,
    with_place_lookup,
)
from .imports import IMPORTS_FILE, ImportRecord, imported_files, load_imports, save_imports
from .lists import (
    ENTRY_ELEMENTS,
    in_entry,
    iter_entry_elements,
    name_text,
    namespaced_id,
    read_entries,
    read_entry,
    slug,
)
from .merging import merge_imported, project_of, unmerged
from .places import lookup_place
from .refs import PLAIN_REFS, DocumentRefs, RefResolver, ref_resolver, surface_key

__all__ = [
    "DocumentRefs", "ENTRY_ELEMENTS", "ENTRY_TYPES", "Entry", "EntryType", "FILE_NAMES",
    "IMPORTS_FILE", "ImportRecord", "PLAIN_REFS", "RefResolver", "Registry", "SHAPES",
    "entry_element", "find_references", "imported_files", "in_entry", "iter_entry_elements",
    "load_imports", "load_registry", "lookup_place", "merge_imported", "name_text",
    "namespaced_id", "project_of", "read_entries", "read_entry", "ref_resolver", "registry_stamp",
    "rewrite_refs", "save_imports", "slug", "surface_key", "unmerged", "with_place_lookup"
]
