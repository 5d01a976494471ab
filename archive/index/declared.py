"""Declared facets: what ``facets.toml`` declares, read without evaluating anything.

The shipped ``archive/facets.toml`` declares the default facets; a data directory's own
``facets.toml`` adds facets or replaces those of the same name. Adding a facet is one TOML
entry and ``archive reindex``. :mod:`archive.index.facets` evaluates them at index time; a
lookup only needs their names, labels and levels, and imports no XPath engine for them.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import PACKAGE_DIR, Settings
from ..errors import ArchiveError, QueryError

if TYPE_CHECKING:
    from ..xpath import CompiledQuery

#: The default facets, shipped with the package.
DEFAULT_FACETS = PACKAGE_DIR / "facets.toml"
FACETS_FILE = "facets.toml"
LEVELS = ("document", "passage")
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Facet:
    """One declared facet.

    :param name: its key in selections and URLs (lowercase, digits, ``_``).
    :param label: what a reader sees.
    :param level: ``"document"`` or ``"passage"`` (see facets.toml).
    :param xpath: the XPath 3.1 expression; every item's string value is a facet value.
    :param labels: ``"registry"`` when values are registry ids named by the registry.
    :param refs: items are pointers or name elements: values are the registry ids (or other
        identifiers) they resolve to, see :class:`archive.registry.DocumentRefs`.
    """

    name: str
    label: str
    level: str
    xpath: str
    labels: str | None = None
    refs: bool = False

    def compiled(self) -> CompiledQuery:
        """The expression, parsed once (the query module caches it)."""
        from ..xpath import compile_query  # (not imported by lookups, which only read)

        return compile_query(self.xpath, element_context=self.level == "passage")


def load_facets(settings: Settings, *, check: bool = True) -> tuple[Facet, ...]:
    """The shipped facets, then the data directory's additions and replacements.

    :param check: compile each facet's XPath (an index update does); a lookup, which evaluates
        none, reads the declarations only.
    :raise ArchiveError: a facets file is not valid TOML or declares a facet badly.
    :raise QueryError: a facet's XPath does not compile (with ``check``).
    """
    paths = [path for path in (DEFAULT_FACETS, settings.data_dir / FACETS_FILE)
             if path.is_file()]
    stamp = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in paths)
    found = _LOADED.get((stamp, True)) or (None if check else _LOADED.get((stamp, False)))
    if found is None:
        facets: dict[str, Facet] = {}
        for path in paths:
            for facet in read_declarations(path, check):
                facets[facet.name] = facet
        _LOADED.clear()  # one data directory at a time is the common case
        found = _LOADED[(stamp, check)] = tuple(facets.values())
    return found


_LOADED: dict[tuple[tuple[tuple[str, int, int], ...], bool], tuple[Facet, ...]] = {}


def read_declarations(path: Path, check: bool = True) -> Iterator[Facet]:
    """The facets one file declares, each checked (with ``check``, its XPath compiled).

    :raise ArchiveError: the file is not valid TOML or declares a facet badly.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ArchiveError(f"not valid TOML: {error}", str(path)) from None
    entries = data.get("facet", [])
    if not isinstance(entries, list):
        raise ArchiveError("[[facet]] entries expected", str(path))
    for number, entry in enumerate(entries, 1):
        where = f"facet {number}"
        if not isinstance(entry, dict):
            raise ArchiveError(f"{where} is not a table", str(path))
        unknown = set(entry) - {"name", "label", "level", "xpath", "labels", "refs"}
        if unknown:
            raise ArchiveError(f"{where}: unknown keys {', '.join(sorted(unknown))}", str(path))
        name = entry.get("name")
        xpath = entry.get("xpath")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ArchiveError(f"{where}: name must be lowercase letters, digits and _",
                               str(path))
        if not isinstance(xpath, str) or not xpath.strip():
            raise ArchiveError(f"facet {name!r} has no xpath", str(path))
        level = entry.get("level", "document")
        if level not in LEVELS:
            raise ArchiveError(f"facet {name!r}: level must be document or passage", str(path))
        labels = entry.get("labels")
        if labels not in (None, "registry"):
            raise ArchiveError(f"facet {name!r}: labels must be \"registry\"", str(path))
        if not isinstance(entry.get("refs", False), bool):
            raise ArchiveError(f"facet {name!r}: refs must be true or false", str(path))
        facet = Facet(name, str(entry.get("label", name)), level, xpath.strip(), labels,
                      entry.get("refs", False))
        try:
            if check:
                facet.compiled()
        except QueryError as error:
            raise ArchiveError(f"facet {name!r}: {error}", str(path)) from None
        yield facet


def facets_signature(facets: tuple[Facet, ...]) -> str:
    """A hash of the declarations: the index is rebuilt in full when it changes."""
    data = json.dumps([vars(facet) for facet in facets], sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
