"""Reference resolution: how a document's pointers become registry ids.

The index, the facets, ``archive check``, the export and the viewer all resolve pointers the
same way, through one :class:`RefResolver` per data directory (:func:`ref_resolver`), read again
only when the registry or the import record changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..config import Settings
from .authority import load_registry, registry_stamp
from .imports import IMPORTS_FILE, ImportRecord, load_imports
from .lists import in_entry, namespaced_id


@dataclass(frozen=True)
class DocumentRefs:
    """How one document's pointers become index keys (registry ids or identifiers as found).

    ``#p1`` → ``<doc>.p1`` when the document defines p1, else ``<list>.p1`` when a list file it
    points into does, else ``p1`` (the archive's own registry); ``persons.xml#p1`` → the list
    file's entry; any other value (``https://…``, ``psn:…``, a ``@key``) stays as it is.
    ``<doc>.p1`` merged into another entry (one person in many letters' lists) is that entry.
    """

    doc_id: str = ""
    imported: bool = False
    owners: tuple[str, ...] = ()
    entry_ids: Collection[str] = frozenset()
    list_files: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def key(self, token: str) -> str | None:
        """The index key of one pointer token, or None for an empty one."""
        token = token.strip()
        if not token or token == "#":
            return None
        file_part, hash_mark, local = token.partition("#")
        if hash_mark and not file_part:
            for owner in self.owners:
                candidate = self._entry(namespaced_id(owner, local))
                if candidate is not None:
                    return candidate
            return local
        if hash_mark and local:
            list_owner = self.list_files.get(Path(file_part).name)
            candidate = self._entry(namespaced_id(list_owner, local)) if list_owner else None
            if candidate is not None:
                return candidate
        return token

    def _entry(self, entry_id: str) -> str | None:
        """The id of the entry ``entry_id`` names (itself, or the entry it was merged into)."""
        return entry_id if entry_id in self.entry_ids else self.aliases.get(entry_id)

    def element_keys(self, element: etree._Element, *, listed: bool = True) -> list[str]:
        """Keys of a name element: its ``@ref`` tokens, else its ``@key``, else (imported
        documents only) its normalised surface form, so untagged-by-id names still count.

        :param listed: False when the document holds no list entries (nothing to look for).
        """
        if listed and in_entry(element):
            return []  # a name of a list entry, not a mention in the text
        keys = [k for k in map(self.key, (element.get("ref") or "").split()) if k]
        if keys:
            return keys
        if element.get("key"):
            return [element.get("key", "").strip()]
        if self.imported:
            return [surface] if (surface := surface_key(element)) else []
        return []


PLAIN_REFS = DocumentRefs()


def surface_key(element: etree._Element) -> str:
    """How an unlinked name counts in facets: its text, spacing folded, and the punctuation
    other projects leave inside the tag (``"Benjamin Franklin,"``) stripped."""
    return " ".join("".join(element.itertext()).split()).strip(" ,;:()[]\"'")


class RefResolver:
    """Per-document :class:`DocumentRefs` for one data directory (registry + import record)."""

    def __init__(self, entry_ids: Collection[str], imports: Mapping[str, ImportRecord],
                 aliases: Mapping[str, str] | None = None) -> None:
        """:param aliases: ids of entries merged into others → the entry's id."""
        self.entry_ids = frozenset(entry_ids)
        self.imports = dict(imports)
        self.aliases = dict(aliases or {})
        self.list_files = {Path(record.path).name: key for key, record in imports.items()
                           if record.kind == "list"}

    def for_document(self, doc_id: str) -> DocumentRefs:
        if not self.imports:
            return PLAIN_REFS  # nothing imported: pointers are the archive's own
        record = self.imports.get(doc_id)
        owners = (doc_id, *(record.lists if record else ()))
        return DocumentRefs(doc_id, record is not None and record.kind == "document", owners,
                            self.entry_ids, self.list_files, self.aliases)


_lock = threading.Lock()
_RESOLVERS: dict[str, tuple[tuple[Any, ...], RefResolver]] = {}


def ref_resolver(settings: Settings) -> RefResolver:
    """The data directory's resolver, read once and kept while the registry files and the
    import record are unchanged (each process keeps its own)."""
    record = _stat(settings.data_dir / IMPORTS_FILE)
    stamp = (registry_stamp(settings), (record.st_mtime_ns, record.st_size) if record else None)
    key = str(settings.data_dir.resolve())
    with _lock:
        cached = _RESOLVERS.get(key)
        if cached is None or cached[0] != stamp:
            imports = load_imports(settings)
            # nothing imported: no pointer needs the registry's ids (see for_document)
            registry = load_registry(settings) if imports else None
            ids = registry.ids() if registry else ()
            aliases = {alias: entry.id for entry in registry.entries.values()
                       for alias in entry.aliases} if registry else {}
            cached = (stamp, RefResolver(ids, imports, aliases))
            _RESOLVERS[key] = cached
    return cached[1]


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None
