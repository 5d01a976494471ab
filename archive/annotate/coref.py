"""Within-document coreference and linking of the names a recogniser found.

Given one document's names per block (registry hits carry a key, NER and pattern hits do not),
this module

- makes a surface's type consistent across the document (spaCy may call "Trotsky" an ORG once);
- finds the repeats spaCy missed: every other whole-word occurrence of a name found once, and
  the surnames of persons named in full ("Trotsky" after "Leon Trotsky");
- links unkeyed names: a full name to a compatible person met in the document or in the
  registry ("I. N. Smirnov" ~ "Ivan Nikitich Smirnov"), a surname to the one person of the
  document (or, failing that, of the registry) who bears it, an acronym to the body it
  abbreviates ("International Left Opposition (ILO)"), a bare head ("the Opposition") to the
  document's most frequent body of that head. Two candidates means no link (key None);
- proposes an id for each remaining cluster of new names (minted from its longest form), unless
  the registry rejected that form.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from ..model import Mention
from ..registry import EntryType, Registry
from .ner import follows_event
from .spans import Spans
from .vocab import DEMONYMS, GIVEN_NAMES, LEADING_STOP, MONTHS, ORG_HEADS, TITLES

PARTICLES = frozenset({"de", "De", "von", "Von", "van", "Van", "Le", "La", "le", "la", "du", "Du",
                       "del", "Del", "da", "Da", "ter", "ten", "Ter"})
APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})
#: How much one mention weighs in a surface's type: the registry most, then a rule that read
#: the sentence ("wrote to X"), then spaCy's guess.
VOTES = {"registry": 3, "rule": 2}


class Proposal(NamedTuple):
    """A new name to add to the registry as a proposal."""

    surface: str
    type: EntryType
    id: str


def split_name(name: str) -> tuple[list[str], str]:
    """Given names and surname: ``"I. N. Smirnov"`` → ``(["I", "N"], "Smirnov")``.

    A particle joins the surname: ``"Paul Le Blanc"`` → ``(["Paul"], "Le Blanc")``.
    """
    tokens = [t.rstrip(".").translate(APOSTROPHES) for t in name.split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return [], ""
    cut = len(tokens) - 1
    while cut > 1 and tokens[cut - 1] in PARTICLES:
        cut -= 1
    return tokens[:cut], " ".join(tokens[cut:])


def _given_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    # transliteration variants: Nikolay/Nikolai, Grigory/Gregory, Yevgeni/Yevgeny
    return SequenceMatcher(None, a.lower(), b.lower()).ratio() >= 0.7


def compatible(a: str, b: str) -> bool:
    """Whether two person names can denote the same person (same surname, given names agree).

    :param a: a name as written.
    :param b: another.
    """
    ga, sa = split_name(a)
    gb, sb = split_name(b)
    if not sa or sa.casefold() != sb.casefold():
        return False
    return all(_given_compatible(x, y) for x, y in zip(ga, gb, strict=False))


class NameIndex:
    """Registry persons by surname, built once per registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.by_surname: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for surface, entry_id, entry_type in registry.names():
            if entry_type == "person":
                _, surname = split_name(surface)
                if surname:
                    self.by_surname[surname.casefold()].append((entry_id, surface))

    def persons(self, name: str) -> set[str]:
        """Ids of registry persons whose names are compatible with ``name``."""
        given, surname = split_name(name)
        bearers = self.by_surname.get(surname.casefold(), [])
        found = {i for i, s in bearers if compatible(name, s)}
        if not given:
            found |= {i for i, _ in bearers}
        return found


class _Item:
    """One name of the document while it is being linked."""

    __slots__ = ("block", "start", "end", "type", "key", "origin", "surface", "cert", "drop",
                 "alias_of")

    def __init__(self, block: int, hit: Any, text: str) -> None:
        self.block, self.start, self.end = block, hit.start, hit.end
        self.type, self.key, self.origin = hit.type, hit.key, hit.origin
        self.surface = text[hit.start:hit.end]
        self.cert = "high" if hit.origin == "registry" else "medium"
        self.drop = False
        #: an abbreviation defined beside an unregistered body: that body's item, whose
        #: proposal it takes (``key`` only ever holds a real or proposed id, never a placeholder)
        self.alias_of: _Item | None = None


def link_document(
    index: NameIndex, texts: Sequence[str], names: Sequence[Sequence[Any]],
    taken: dict[str, Proposal] | None = None,
) -> tuple[list[list[Mention]], list[Proposal]]:
    """Coreference and linking over one document.

    :param index: the registry's name index.
    :param texts: the blocks' texts.
    :param names: per block, the chosen name hits (``start, end, type, key, origin``).
    :param taken: ids already proposed in this session, so that two clusters never share one.
    :return: per block, the name mentions (sorted), and the proposals made for this document.
    """
    items = [_Item(b, h, texts[b]) for b, hits in enumerate(names) for h in hits]
    _consistent_types(items)
    items += _repeats(texts, items)
    _link_persons(index, items)
    _link_orgs(texts, items)
    _same_surface_same_key(items)
    proposals = _propose(index.registry, items, taken if taken is not None else {})
    out: list[list[Mention]] = [[] for _ in texts]
    for it in items:
        if it.drop:
            continue
        resp = {"registry": "registry", "coref": "coref"}.get(it.origin, "ner")
        out[it.block].append(Mention(it.start, it.end, it.surface, it.type, key=it.key,
                                     resp=resp, cert=it.cert))
    for block in out:
        block.sort(key=lambda m: (m.start, m.end))
    return out, proposals


def _consistent_types(items: list[_Item]) -> None:
    """Give every unkeyed surface the type the document mostly gives it."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for it in items:
        votes[it.surface][it.type] += VOTES.get(it.origin, 1)
        if it.type == "person":
            given, surname = split_name(it.surface)
            if given:
                votes[surname]["person"] += 2  # "Zinoviev" after "Grigory Zinoviev"
    for it in items:
        if it.origin != "registry":
            best = votes[it.surface].most_common(1)[0][0]
            it.type = best


def _repeats(texts: Sequence[str], items: list[_Item]) -> list[_Item]:
    """Other occurrences of the document's names, and surnames of persons named in full."""
    forms: dict[str, str] = {}
    for it in items:
        if it.origin != "registry" and it.type != "person" and len(it.surface) > 2:
            forms.setdefault(it.surface, it.type)
    for it in items:
        if it.type == "person":
            given, surname = split_name(it.surface)
            forms.setdefault(it.surface, "person")
            if given and len(surname) > 2 and _plain_surname(surname):
                forms[surname] = "person"
    if not forms:
        return []
    pattern = re.compile(
        r"(?<![\w])(?<![a-z]-)("
        + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        + r")(?![\w]|-[a-z])"
    )
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for it in items:
        spans[it.block].append((it.start, it.end))
    found: list[_Item] = []
    for b, text in enumerate(texts):
        covered = Spans(spans[b])
        for m in pattern.finditer(text):
            s, e = m.span()
            if covered.overlaps(s, e) or follows_event(text, e):
                continue
            hit = _Bare(s, e, forms[m.group()], None, "coref")
            found.append(_Item(b, hit, text))
    return found


def _plain_surname(word: str) -> bool:
    return not (word in LEADING_STOP or word in TITLES or word in MONTHS or word in DEMONYMS
                or word in ORG_HEADS)


class _Bare(NamedTuple):
    start: int
    end: int
    type: str
    key: str | None
    origin: str


def _link_persons(index: NameIndex, items: list[_Item]) -> None:
    persons = [it for it in items if it.type == "person"]
    # Full names first: to a person of the document, else to the registry.
    known = {(it.surface, it.key) for it in persons if it.key}
    for it in sorted(persons, key=lambda i: -len(i.surface)):
        if it.key or not split_name(it.surface)[0]:
            continue
        here = {k for s, k in known if split_name(s)[0] and compatible(it.surface, s)}
        ids = here or index.persons(it.surface)
        if len(ids) == 1:
            it.key = next(iter(ids))
            it.origin = "coref" if it.origin != "registry" else it.origin
            known.add((it.surface, it.key))
    # Surnames alone: to the one person of this document who bears it, else of the registry.
    # The full names are grouped once by surname and by first given name, and each surname's
    # identities worked out once: the keys above are settled, so they depend on it alone.
    by_surname: dict[str, list[_Item]] = defaultdict(list)
    by_first: dict[str, list[_Item]] = defaultdict(list)
    for f in persons:
        given, surname = split_name(f.surface)
        if given:
            by_surname[surname].append(f)
            by_first[given[0]].append(f)
    bearers: dict[str, set[str]] = {}
    written_first: dict[str, set[str]] = {}
    for it in persons:
        if it.key or split_name(it.surface)[0]:
            continue
        surname = split_name(it.surface)[1]
        if surname not in bearers:
            bearers[surname] = _identities(by_surname.get(surname, []))
        people = bearers[surname]
        if len(people) == 1:
            only = next(iter(people))
            if not only.startswith("#"):
                it.key, it.origin = only, "coref"
            continue  # one new person: the proposals join it to that person's cluster
        if not people:  # "Chiang" after "Chiang Kai-shek": a family name written first
            if surname not in written_first:
                written_first[surname] = _identities(
                    by_first.get(surname, []) if surname not in GIVEN_NAMES else [])
            people = written_first[surname]
            if len(people) == 1 and not next(iter(people)).startswith("#"):
                it.key, it.origin = next(iter(people)), "coref"
                continue
            people = set()
        ids = index.persons(it.surface) if not people else set()
        if len(ids) == 1:
            it.key, it.origin, it.cert = next(iter(ids)), "coref", "low"
        elif people or ids:
            it.origin, it.cert = "ambiguous", "low"  # two Smirnovs: leave it unlinked


def _identities(bearers: Sequence[_Item]) -> set[str]:
    """The distinct persons among full names: a key, or ``#`` + a representative name."""
    found: set[str] = set()
    unkeyed: list[str] = []
    for b in sorted(bearers, key=lambda i: -len(i.surface)):
        if b.key:
            found.add(b.key)
        elif not any(compatible(u, b.surface) for u in unkeyed):
            unkeyed.append(b.surface)
    return found | {"#" + u for u in unkeyed}


def _link_orgs(texts: Sequence[str], items: list[_Item]) -> None:
    orgs = [it for it in items if it.type == "org"]
    by_place = {(it.block, it.start): it for it in orgs}
    # "International Left Opposition (ILO)" and "Comintern (Communist International)"
    for it in orgs:
        text = texts[it.block]
        if text.startswith(" (", it.end):
            inner = by_place.get((it.block, it.end + 2))
            if inner is not None and text[inner.end:inner.end + 1] == ")":
                a, b = (it, inner) if it.key else (inner, it)
                if a.key and not b.key and b.alias_of is None:
                    b.key, b.origin = a.key, "coref"
                elif not (a.key or b.key or a.alias_of or b.alias_of):
                    b.origin = "abbrev"
                    b.alias_of = a  # takes a's proposal below
    # A bare head ("the Opposition") names the document's most frequent body of that head: a
    # keyed one, or one still to be proposed (then it takes that body's proposal).
    counts: Counter[tuple[str, str, str]] = Counter()
    bodies: dict[str, _Item] = {}
    for it in orgs:
        if " " in it.surface:
            body = _defining(it)
            counts[(it.surface.split()[-1], it.key or "", body.surface)] += 1
            bodies.setdefault(body.surface, body)
    for it in orgs:
        if it.key or it.alias_of or " " in it.surface or it.surface not in ORG_HEADS:
            continue
        best = [(n, k, b) for (head, k, b), n in counts.items() if head == it.surface]
        if best:
            _, key, surface = max(best)
            if key:
                it.key, it.origin = key, "coref"
            else:
                it.alias_of, it.origin = bodies[surface], "abbrev"


def _defining(it: _Item) -> _Item:
    """The body an abbreviation stands for (itself when it is none)."""
    return it.alias_of if it.alias_of is not None else it


def _same_surface_same_key(items: list[_Item]) -> None:
    """A name written the same way twice in a document names the same thing ("the LO")."""
    keys: dict[tuple[str, str], set[str]] = defaultdict(set)
    for it in items:
        if it.key and not it.key.startswith("#"):
            keys[(it.surface, it.type)].add(it.key)
    for it in items:
        found = keys.get((it.surface, it.type), set())
        if not it.key and not it.alias_of and it.origin != "ambiguous" and len(found) == 1:
            it.key, it.origin = next(iter(found)), "coref"


def _propose(registry: Registry, items: list[_Item], taken: dict[str, Proposal]) -> list[Proposal]:
    """Cluster the unkeyed names and mint one proposal id per cluster."""
    clusters: list[list[_Item]] = []
    # The cluster a name joins depends on its surface and type alone: look each up once.
    joins: dict[tuple[str, str], list[_Item]] = {}
    for it in sorted((i for i in items
                      if not i.key and not i.alias_of and i.origin != "ambiguous"),
                     key=lambda i: -len(i.surface)):
        known = joins.get((it.surface, it.type))
        if known is not None:
            known.append(it)
            continue
        for cluster in clusters:
            head = cluster[0]
            if head.type == it.type and (head.surface == it.surface or (
                    it.type == "person" and compatible(head.surface, it.surface))):
                cluster.append(it)
                break
        else:
            clusters.append([it])
            cluster = clusters[-1]
        joins[(it.surface, it.type)] = cluster
    # Unique surname → the one cluster of a full name with that surname.
    surnames_alone = [c for c in clusters
                      if c[0].type == "person" and not split_name(c[0].surface)[0]]
    for cluster in surnames_alone:
        surname = split_name(cluster[0].surface)[1]
        hosts = [c for c in clusters if c is not cluster and c[0].type == "person"
                 and split_name(c[0].surface)[0] and split_name(c[0].surface)[1] == surname]
        if len(hosts) == 1:
            hosts[0].extend(cluster)
            cluster.clear()
    made: list[Proposal] = []
    for cluster in clusters:
        if not cluster:
            continue
        head = cluster[0]
        if registry.is_rejected(head.surface, head.type):
            for it in cluster:
                it.drop = True
            continue
        found = registry.find(head.surface, head.type)
        if found:
            key = found[0].id
        else:
            key = _mint(registry, head.surface, head.type, taken)
            made.append(taken[key])
        for it in cluster:
            it.key = key
    for it in items:  # abbreviations defined beside an unregistered body
        if it.alias_of is not None:
            it.key = it.alias_of.key
            it.origin = "coref"
    return made


def _mint(registry: Registry, surface: str, kind: EntryType, taken: dict[str, Proposal]) -> str:
    """An id for a new name, the same one for the same name in every document of a session."""
    for proposal in taken.values():
        if proposal.surface == surface and proposal.type == kind:
            return proposal.id
    key = registry.mint_id(surface)
    base, n = key, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken[key] = Proposal(surface, kind, key)
    return key
