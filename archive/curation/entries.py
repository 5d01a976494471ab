"""Editing registry entries: names and variants, life dates, coordinates, authority ids,
notes; merging two entries; review decisions — each checked, written and logged as one change.

An editor's view of an entry is the ETag of its registry file (``persons.xml``, ...:
:func:`entry_etag`); an edit made against a stale one is a :class:`ConflictError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import SAMPLE_REGISTRY_DIR, Settings
from ..errors import RegistryError
from ..registry import FILE_NAMES, Entry, Registry, find_references
from ..store import atomic_write, data_lock, member_path
from .changes import apply_registry_change, current_registry
from .history import Change, check_etag, file_etag, record
from .tags import vouched_documents

#: Authority → (pattern of its identifiers, an example): the forms Wikidata documents for
#: VIAF (P214), GND (P227), GeoNames (P1566) and its own items.
AUTHORITIES: dict[str, tuple[re.Pattern[str], str]] = {
    "viaf": (re.compile(r"[1-9]\d(\d{0,7}|\d{17,20})"), "102333412"),
    "wikidata": (re.compile(r"Q[1-9]\d*"), "Q33391"),
    "gnd": (re.compile(r"1[012]?\d{7}[0-9X]|[47]\d{6}-\d|[1-9]\d{0,7}-[0-9X]|3\d{7}[0-9X]"),
            "118623761"),
    "geonames": (re.compile(r"[1-9]\d{0,9}"), "2950159"),
}
_DATE = re.compile(r"-?\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")


def check_idno(value: str) -> tuple[str, str]:
    """``"viaf:102333412"`` → ``("viaf", "102333412")``, its form checked.

    :raise RegistryError: an unknown authority or an identifier not of its form (one line).
    """
    authority, _, ident = value.partition(":")
    authority, ident = authority.strip().lower(), ident.strip()
    if authority not in AUTHORITIES:
        raise RegistryError(f"unknown authority in {value!r}: use "
                            f"{', '.join(f'{a}:ID' for a in AUTHORITIES)}")
    pattern, example = AUTHORITIES[authority]
    if not pattern.fullmatch(ident):
        raise RegistryError(f"{ident!r} is not a {authority} id (like {authority}:{example})")
    return authority, ident


def check_geo(value: str) -> tuple[float, float]:
    """``"48.85,2.35"`` → ``(48.85, 2.35)``.

    :raise RegistryError: not two numbers, or outside -90..90 / -180..180.
    """
    try:
        lat, lon = (float(part) for part in value.replace(",", " ").split())
    except ValueError:
        raise RegistryError(f"coordinates must be LAT,LON in degrees, not {value!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RegistryError(f"coordinates {value!r} out of range (latitude -90..90, "
                            "longitude -180..180)")
    return lat, lon


def check_date(value: str, label: str) -> str:
    """:raise RegistryError: ``value`` is not YYYY, YYYY-MM or YYYY-MM-DD."""
    if not _DATE.fullmatch(value):
        raise RegistryError(f"{label} must be YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value


@dataclass(frozen=True)
class EntryEdit:
    """What to change in an entry; None leaves a field as it is, an empty value clears it."""

    name: str | None = None
    variants: Sequence[str] | None = None
    birth: str | None = None
    death: str | None = None
    geo: str | None = None
    idnos: Sequence[str] | None = None
    notes: Sequence[str] | None = None


def _tidy(text: str) -> str:
    return " ".join(text.split())


def edited(entry: Entry, edit: EntryEdit) -> Entry:
    """``entry`` with ``edit`` applied, every value checked.

    :raise RegistryError: one line naming the bad value.
    """
    changes: dict[str, object] = {}
    if edit.name is not None:
        if not _tidy(edit.name):
            raise RegistryError(f"registry entry {entry.id!r}: the name is empty")
        changes["name"] = _tidy(edit.name)
    if edit.variants is not None:
        changes["variants"] = tuple(dict.fromkeys(_tidy(v) for v in edit.variants if _tidy(v)))
    for label in ("birth", "death"):
        value = getattr(edit, label)
        if value is not None:
            if value and entry.type != "person":
                raise RegistryError(f"registry entry {entry.id!r}: only persons have a {label}")
            changes[label] = check_date(value, label) if value else None
    if edit.birth or edit.death:
        birth = changes.get("birth", entry.birth)
        death = changes.get("death", entry.death)
        if isinstance(birth, str) and isinstance(death, str) and \
                int(birth.lstrip("-")[:4]) * (-1 if birth[0] == "-" else 1) > \
                int(death.lstrip("-")[:4]) * (-1 if death[0] == "-" else 1):
            raise RegistryError(f"registry entry {entry.id!r}: death {death} is before birth "
                                f"{birth}")
    if edit.geo is not None:
        if edit.geo and entry.type != "place":
            raise RegistryError(f"registry entry {entry.id!r}: only places have coordinates")
        changes["geo"] = check_geo(edit.geo) if edit.geo else None
    if edit.idnos is not None:
        pairs = [check_idno(value) for value in edit.idnos]
        authorities = [authority for authority, _ in pairs]
        twice = {a for a in authorities if authorities.count(a) > 1}
        if twice:
            raise RegistryError(f"registry entry {entry.id!r}: one {sorted(twice)[0]} id only")
        kept = tuple((a, v) for a, v in entry.idnos if a not in AUTHORITIES)
        changes["idnos"] = kept + tuple(pairs)
    if edit.notes is not None:
        changes["notes"] = tuple(_tidy(note) for note in edit.notes if _tidy(note))
    return replace(entry, **changes)  # type: ignore[arg-type]


def registry_file(settings: Settings, entry_type: str) -> Path:
    """The registry file that holds entries of ``entry_type`` (the bundled sample registry's
    when the data directory has none yet)."""
    name = FILE_NAMES[entry_type]  # type: ignore[index]
    directory = settings.registry_dir
    return member_path(directory if directory.is_dir() else SAMPLE_REGISTRY_DIR, name)


def entry_etag(settings: Settings, entry_id: str) -> str:
    """The ETag of the registry file an entry is in (what an editor's view of it is made of)."""
    entry = current_registry(settings).require(entry_id)
    return file_etag(registry_file(settings, entry.type)) or ""


def _registry_change(settings: Settings, editor: str, what: str, registry: Registry,
                     mapping: dict[str, str | None]) -> Change:
    """Save ``registry`` (and rewrite the documents' pointers by ``mapping``), logged."""
    if not mapping:  # no document changes: none is read
        return record(settings, editor, what, [], lambda: registry.save(settings.registry_dir),
                      folders=[settings.registry_dir])
    return record(settings, editor, what, [], lambda: apply_registry_change(
        settings, registry, mapping), folders=[settings.registry_dir, settings.tei_dir])


def add_entry(settings: Settings, registry: Registry, entry: Entry, *, editor: str) -> Change:
    """Add ``entry`` to ``registry`` (loaded under the data lock, which the caller holds)."""
    registry.add(entry)
    return _registry_change(settings, editor, f"Added registry entry {entry.id}.", registry, {})


def edit_entry(settings: Settings, entry_id: str, edit: EntryEdit, *, editor: str,
               seen: str | None = None) -> Change:
    """Change registry entry ``entry_id`` as ``edit`` says.

    :param seen: the ETag of its registry file the editor saw (:func:`entry_etag`).
    :raise RegistryError: no such entry, or a bad value (one line).
    :raise ConflictError: the registry file changed since ``seen``.
    """
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        entry = registry.require(entry_id)
        check_etag(settings, registry_file(settings, entry.type), seen)
        new = edited(entry, edit)
        if new == entry:
            raise RegistryError(f"registry entry {entry_id!r} already holds these values")
        registry.entries[entry_id] = new
        fields = [name for name in ("name", "variants", "birth", "death", "geo", "idnos",
                                    "notes") if getattr(new, name) != getattr(entry, name)]
        return _registry_change(settings, editor, f"Edited registry entry {entry_id} "
                                f"({', '.join(fields)}).", registry, {})


def merge_entries(settings: Settings, keep_id: str, drop_id: str, *, editor: str,
                  what: str | None = None, seen: str | None = None) -> Change:
    """Fold entry ``drop_id`` into ``keep_id``; every pointer to it in the archive is rewritten.

    :param seen: the ETag of their registry file the editor saw (:func:`entry_etag`).
    :raise RegistryError: unknown ids, or entries of different types.
    :raise ConflictError: the registry file changed since ``seen``.
    """
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        check_etag(settings, registry_file(settings, registry.require(keep_id).type), seen)
        registry.merge(keep_id, drop_id)
        return _registry_change(settings, editor, what or f"Merged registry entry {drop_id} "
                                f"into {keep_id}.", registry, {drop_id: keep_id})


def _vouching_change(settings: Settings, editor: str, what: str, registry: Registry,
                     entry_id: str, mapping: dict[str, str | None]) -> Change:
    """A review decision that keeps proposal ``entry_id``'s mentions: they become vetted
    (:func:`vouched_documents`), then the registry and the pointers change, as one change."""
    vouched = vouched_documents(settings, entry_id, editor, what)

    def write() -> None:
        for path, data in vouched.items():
            atomic_write(path, data)
        apply_registry_change(settings, registry, mapping)

    return record(settings, editor, what, list(vouched), write,
                  folders=[settings.registry_dir, settings.tei_dir])


def accept_proposal(settings: Settings, entry_id: str, *, editor: str) -> Change:
    """Keep proposal ``entry_id`` as a reviewed entry; the recogniser's mentions of it are
    vouched for by the editor (vetted for ``archive train``)."""
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        registry.accept(entry_id)
        return _vouching_change(settings, editor, f"Accepted proposal {entry_id}.", registry,
                                entry_id, {})


def merge_proposal(settings: Settings, entry_id: str, into_id: str, *, editor: str) -> Change:
    """Proposal ``entry_id`` names entry ``into_id``: its names become ``into_id``'s variants,
    its mentions point to ``into_id``, vouched for by the editor."""
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        registry.accept(entry_id)  # refuses an id that is not a proposal
        registry.merge(into_id, entry_id)
        return _vouching_change(settings, editor, f"Merged proposal {entry_id} into "
                                f"{into_id}.", registry, entry_id, {entry_id: into_id})


def reject_proposal(settings: Settings, entry_id: str, *, editor: str) -> Change:
    """Drop proposal ``entry_id``; its names are never proposed again; documents unlinked."""
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        entry = registry.reject(entry_id)
        return _registry_change(settings, editor, f"Rejected proposal {entry_id} "
                                f"({', '.join(entry.all_names)}).", registry, {entry_id: None})


def remove_entry(settings: Settings, entry_id: str, *, editor: str, force: bool) -> Change:
    """Remove entry ``entry_id`` (refused while documents point to it, unless ``force``)."""
    with data_lock(settings.data_dir):
        registry = current_registry(settings)
        registry.require(entry_id)
        users = find_references(settings.tei_dir, entry_id)
        if users and not force:
            names = ", ".join(path.name for path in users[:5]) + \
                (", ..." if len(users) > 5 else "")
            raise RegistryError(f"{entry_id!r} is still referenced by {len(users)} document(s) "
                                f"({names}); merge it into another entry, or use --force")
        registry.remove(entry_id)
        return _registry_change(settings, editor, f"Removed registry entry {entry_id}.",
                                registry, {entry_id: None} if users else {})
