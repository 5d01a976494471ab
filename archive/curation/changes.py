"""Registry changes that touch documents (merge, remove, reject), made safely.

The documents' pointers are rewritten to the registry as it will be, each new version is
validated first (a gate: if one would be invalid, no file changes), then the documents, the
registry and the index are written, in that order, under the data directory's lock (which
the caller takes before it loads the registry it changes, see archive.commands.registry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from tei.validate import RegistryIds

from ..config import Settings
from ..errors import ValidationFailed
from ..index import update_index
from ..registry import Registry, imported_files, load_registry, registry_stamp, rewrite_refs
from ..store import data_lock
from ..validation import validate_document

Gate = Callable[[Path, bytes], None]

#: The registry last read, by data directory and the registry files' stamp (an editor's save
#: then does not parse the whole registry again while it has not changed).
_READ: dict[Path, tuple[object, Registry]] = {}


def current_registry(settings: Settings) -> Registry:
    """The data directory's registry (:func:`load_registry`), a copy the caller may change,
    read again only when its files changed."""
    stamp = (settings.registry_dir.is_dir(), registry_stamp(settings))
    known = _READ.get(settings.data_dir)
    if known is None or known[0] != stamp:
        known = (stamp, load_registry(settings))
        _READ[settings.data_dir] = known
    registry = known[1]
    return Registry(dict(registry.entries), set(registry.rejected))


def document_gate(settings: Settings, ids: RegistryIds) -> Gate:
    """The schema gate every changed document passes before it is written: the archive's own
    documents must stay valid against archive.rng/.sch (imported projects' TEI is not held to
    the rules, only kept well-formed).

    :return: ``gate(path, new_bytes)``, raising :class:`ValidationFailed` (nothing written).
    """
    foreign = imported_files(settings)

    def gate(path: Path, data: bytes) -> None:
        if path.name in foreign:
            return
        report = validate_document(data, settings, ids, path=str(path))
        if not report.valid:
            raise ValidationFailed(f"not changed: the document would be invalid: "
                                   f"{report.issues[0].message}", str(path), report)

    return gate


def apply_registry_change(settings: Settings, registry: Registry,
                          mapping: Mapping[str, str | None]) -> list[Path]:
    """Point documents from old ids to new ones (None: unlink), then save ``registry``.

    :param registry: the registry after the change (merge, removal, rejection), not yet saved.
    :param mapping: old id → new id, or None to drop the pointer.
    :return: the documents that changed.
    :raise ValidationFailed: a document would become invalid; nothing was written.
    """
    with data_lock(settings.data_dir):  # (the caller's, when it read the registry under it)
        gate = document_gate(settings, registry.typed_ids())
        # Documents first: an interruption then leaves pointers to entries that still exist.
        changed = rewrite_refs(settings.tei_dir, mapping, check=gate)
        registry.save(settings.registry_dir)
        if settings.index_path.is_file():
            update_index(settings)
    return changed
