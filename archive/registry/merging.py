"""One registry across an edition: imported entries that name the same entity become one.

An edition often gives every letter its own copy of the project's person list, or points to
the same person from many files. Entries of imported lists are one entry (with every name as a
variant) when they share an authority id — VIAF, GND, Wikidata or GeoNames, in an ``idno`` or
as a URI in ``@ref``/``@sameAs``/``@corresp`` — or the same ``xml:id`` within one project (the
files imported from one folder) and a name. The entry's id is the smallest of its members'
(``<doc>.<xml:id>``), the others become its :attr:`~archive.registry.Entry.aliases`, so every
document's own pointers still resolve (:class:`archive.registry.RefResolver`).

Not merged, and reported by ``archive check`` (:func:`unmerged`): entries sharing an id but
of different types, or naming different authority ids of one scheme (two GND numbers), or
sharing an ``xml:id`` under different names. The roles of a play (its ``particDesc`` or cast
list, pointed to by ``sp/@who``) are the play's own: merged only by an authority id.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .authority import Entry, Registry, name_key
from .imports import ImportRecord

#: scheme → (a URI holding the id, the form of a bare id under ``idno/@type`` = scheme)
_AUTHORITIES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "viaf": (re.compile(r"viaf\.org/viaf/(\d+)"), re.compile(r"(?:viaf:)?(\d+)\Z")),
    "gnd": (re.compile(r"d-nb\.info/gnd/([0-9X-]+)"), re.compile(r"(?:gnd:)?([0-9X-]+)\Z")),
    "wikidata": (re.compile(r"wikidata\.org/(?:entity|wiki)/(Q\d+)"),
                 re.compile(r"(?:wd:|wikidata:)?(Q\d+)\Z")),
    "geonames": (re.compile(r"geonames\.org/(\d+)"), re.compile(r"(?:geonames:)?(\d+)\Z")),
}
#: ``idno/@type`` spellings of the schemes (PND is the GND's former name for persons).
_SCHEME_NAMES = {"viaf": "viaf", "gnd": "gnd", "pnd": "gnd", "wikidata": "wikidata",
                 "wd": "wikidata", "geonames": "geonames"}


def authority_id(kind: str, value: str) -> tuple[str, str] | None:
    """An identifier as ``(scheme, id)`` when it is one of the authorities merged on.

    ``("uri", "https://d-nb.info/gnd/118609807/")`` → ``("gnd", "118609807")``;
    ``("wikidata", "Q692")`` → ``("wikidata", "Q692")``; anything else → None.
    """
    value = value.strip()
    for scheme, (uri, _) in _AUTHORITIES.items():
        match = uri.search(value)
        if match:
            return scheme, match.group(1)
    named = _SCHEME_NAMES.get(kind.strip().casefold())
    if named is not None:
        match = _AUTHORITIES[named][1].match(value)
        if match:
            return named, match.group(1)
    return None


def authority_ids(entry: Entry) -> set[tuple[str, str]]:
    """The entry's ids in the authorities merged on."""
    return {found for kind, value in entry.idnos if (found := authority_id(kind, value))}


def project_of(record: ImportRecord) -> str:
    """The project an imported file belongs to: the folder it was imported from."""
    return str(Path(record.path).parent)


@dataclass
class _Group:
    members: list[Entry]
    new: bool
    into: _Group | None = None

    def authorities(self) -> set[tuple[str, str]]:
        return {found for entry in self.members for found in authority_ids(entry)}

    def names(self) -> set[str]:
        return {_name_words(name) for entry in self.members for name in entry.all_names}


def _name_words(name: str) -> str:
    """Names compared in any order of their words: ``Bahr, Hermann`` = ``Hermann Bahr``."""
    return " ".join(sorted(re.findall(r"\w+", name_key(name))))


def _conflict(first: _Group, second: _Group, by_xml_id: bool) -> str | None:
    """Why two groups cannot be one entry, or None."""
    kinds = {entry.type for entry in first.members + second.members}
    if len(kinds) > 1:
        return f"of different types ({', '.join(sorted(kinds))})"
    mine, theirs = first.authorities(), second.authorities()
    for scheme in sorted({s for s, _ in mine} & {s for s, _ in theirs}):
        ours = {v for s, v in mine if s == scheme}
        other = {v for s, v in theirs if s == scheme}
        if not ours & other:
            return f"with different {scheme} ids ({', '.join(sorted(ours | other))})"
    if by_xml_id and not first.names() & second.names():
        names = sorted({first.members[0].name, second.members[0].name})
        return f"under different names ({' / '.join(repr(n) for n in names)})"
    return None


def _keys(entry: Entry, members: Iterable[str], owners: Mapping[str, str],
          roles: Collection[str]) -> Iterator[tuple[str, ...]]:
    """What may make ``entry`` one with another: its authority ids, and for each of its
    member ids (``<owner>.<xml:id>``) not a play's role, (project, xml:id)."""
    for scheme, value in sorted(authority_ids(entry)):
        yield "authority", scheme, value
    for member in members:
        owner = _owner(member, owners)
        if owner is not None and member not in roles:
            yield "xml:id", owners[owner], member[len(owner) + 1:]


def _owner(member: str, owners: Mapping[str, str]) -> str | None:
    """The owner (document or list file) whose entry ``member`` is: the longest id prefix."""
    best, index = None, member.find(".")
    while index > 0:
        if member[:index] in owners:
            best = member[:index]
        index = member.find(".", index + 1)
    return best


def merge_imported(registry: Registry, added: Sequence[Entry], replaced: Collection[str],
                   owners: Mapping[str, str], roles: Collection[str] = ()) -> list[str]:
    """Put newly imported entries into the registry, merged with the imported entries of the
    same entities (see the module docstring).

    :param added: the new entries (``<owner>.<xml:id>``, one per list entry).
    :param replaced: owners imported again: what they brought before is taken out first.
    :param owners: every owner (imported before or now) → its project.
    :param roles: ids of added entries that are roles of a play.
    :return: one line per pair of entries that could not be merged.
    """
    groups: list[_Group] = []
    for entry in [e for e in registry.entries.values() if e.source is not None]:
        registry.remove(entry.id)
        members = [m for m in (entry.id, *entry.aliases) if _owner(m, owners) not in replaced]
        if not members:
            continue
        primary = min(members)
        groups.append(_Group([replace(entry, id=primary,
                                      aliases=tuple(m for m in members if m != primary))],
                             new=False))
    groups += [_Group([entry], new=True) for entry in added]
    problems = _unite(groups, owners, roles)
    for group in groups:
        if group.members:
            registry.add(_combined(group.members))
    return problems


def _unite(groups: list[_Group], owners: Mapping[str, str], roles: Collection[str],
           *, dry: bool = False) -> list[str]:
    """Merge groups that share a key where one of them is new (``dry``: merge nothing, and
    report every pair that shares a key, with why it is apart).

    :return: one line per pair kept apart (in a merge: only pairs with a new group).
    """
    problems: list[str] = []
    holder: dict[tuple[str, ...], _Group] = {}
    for group in groups:
        entry = group.members[0]
        current = group
        for key in dict.fromkeys(_keys(entry, (entry.id, *entry.aliases), owners, roles)):
            other = _live(holder.setdefault(key, current))
            if other is current:
                continue
            reason = _conflict(other, current, key[0] == "xml:id")
            if reason is None and not dry and (current.new or other.new):
                other.members += current.members
                other.new = True
                current.members, current.into = [], other
                current = other
            elif dry or current.new or other.new:
                what = (f"the {key[1]} id {key[2]}" if key[0] == "authority"
                        else f"the xml:id {key[2]!r} in one project")
                problems.append(f"{other.members[0].id} and {entry.id} share {what} but are "
                                f"not merged: {reason or 'imported before entries were merged'}")
    return problems


def _live(group: _Group) -> _Group:
    """The group ``group`` was merged into (itself when it was not)."""
    while group.into is not None:
        group = group.into
    return group


def _combined(entries: list[Entry]) -> Entry:
    """One entry of several: the smallest id, the first names first, every other name a
    variant, dates and places where any has them, every identifier, every id an alias."""
    members = sorted({m for e in entries for m in (e.id, *e.aliases)})
    first = min(entries, key=lambda e: e.id)
    ordered = [first, *(e for e in entries if e is not first)]
    names: dict[str, str] = {}
    for entry in ordered:
        for name in entry.all_names:
            names.setdefault(name_key(name), name)
    preferred = first.name
    return Entry(
        id=members[0], type=first.type, name=preferred,
        variants=tuple(n for k, n in names.items() if k != name_key(preferred)),
        birth=next((e.birth for e in ordered if e.birth), None),
        death=next((e.death for e in ordered if e.death), None),
        geo=next((e.geo for e in ordered if e.geo), None),
        idnos=tuple(dict.fromkeys(i for e in ordered for i in e.idnos)),
        proposed=all(e.proposed for e in ordered), source=first.source,
        aliases=tuple(members[1:]))


def unmerged(registry: Registry, imports: Mapping[str, ImportRecord],
             roles: Collection[str] = ()) -> list[str]:
    """Imported entries that share an authority id, or an ``xml:id`` in one project, and are
    still apart, each pair with the reason (what ``archive check`` reports).

    :param roles: entry ids that are roles of a play (merged only by authority ids).
    """
    owners = {key: project_of(record) for key, record in imports.items()}
    groups = [_Group([entry], new=False) for entry in registry.entries.values()
              if entry.source is not None]
    return _unite(groups, owners, roles, dry=True)
