"""Curation: the editorial changes made to the archive, by the command line or the browser.

Registry changes that touch documents (:func:`apply_registry_change`), tag edits on documents
(:mod:`.tags`), registry entry edits (:mod:`.entries`), and the audit log with undo and the
ETag check against lost updates (:mod:`.history`). Every change is validated, written
atomically under the data directory's lock, logged, and reflected in the index.
"""

from .changes import apply_registry_change, document_gate
from .entries import (
    AUTHORITIES,
    EntryEdit,
    accept_proposal,
    add_entry,
    check_idno,
    edit_entry,
    entry_etag,
    merge_entries,
    merge_proposal,
    reject_proposal,
    remove_entry,
)
from .history import (
    Change,
    FileChange,
    changes_since,
    check_etag,
    etag,
    file_etag,
    get_change,
    latest,
    record,
    undo,
)
from .tags import (
    EDITOR_PREFIX,
    TAG_TYPES,
    Edit,
    Place,
    TagInfo,
    add_tag,
    apply_all,
    document_etag,
    editor_id,
    join_tags,
    list_tags,
    preview_apply_all,
    relink_tag,
    remove_tag,
    retype_tag,
    split_tag,
)

__all__ = [
    "AUTHORITIES", "Change", "EDITOR_PREFIX", "Edit", "EntryEdit", "FileChange",
    "Place", "TAG_TYPES", "TagInfo", "accept_proposal", "add_entry", "add_tag", "apply_all",
    "apply_registry_change", "changes_since", "check_etag", "check_idno", "document_etag",
    "document_gate", "edit_entry", "editor_id", "entry_etag", "etag", "file_etag", "get_change",
    "join_tags", "latest", "list_tags", "merge_entries", "merge_proposal", "preview_apply_all",
    "record", "reject_proposal", "relink_tag", "remove_entry", "remove_tag", "retype_tag",
    "split_tag", "undo",
]
