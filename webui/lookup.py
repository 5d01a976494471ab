"""The selection in the URL, as :func:`archive.index.lookup` and
:func:`archive.index.search_passages` take it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from archive.config import Settings
from archive.index import load_facets


@dataclass(frozen=True)
class Selection:
    """What a reader asked for: facet values (any within a facet, all facets) and words."""

    facets: tuple[tuple[str, str], ...] = ()
    text: str = ""

    @classmethod
    def from_args(cls, args: MultiDict[str, str], names: Sequence[str]) -> Selection:
        """Read ``?person=leon-trotsky&year=1923&q=opposition`` (werkzeug MultiDict)."""
        pairs = [(name, value) for name in names for value in args.getlist(name) if value]
        return cls(tuple(dict.fromkeys(pairs)), (args.get("q") or "").strip()[:500])

    @property
    def empty(self) -> bool:
        return not self.facets and not self.text

    def chosen(self) -> dict[str, list[str]]:
        """Facet name → selected values, as :func:`archive.index.lookup` takes them."""
        chosen: dict[str, list[str]] = {}
        for name, value in self.facets:
            chosen.setdefault(name, []).append(value)
        return chosen


def facet_names(settings: Settings) -> list[str]:
    """The facets declared for this data directory, in declaration order."""
    return [facet.name for facet in load_facets(settings)]
