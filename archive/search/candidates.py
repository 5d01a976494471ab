"""The documents a query may match: the index rules out those that cannot, never a file
written since it was indexed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress
from operator import ne
from pathlib import Path
from typing import Any, NamedTuple

from ..config import Settings
from ..index import document_files, documents_holding, index_generation, indexed_files
from ..xpath import CompiledQuery, folder_stamps, index_answer


class Candidate(NamedTuple):
    """A document that may match, as :func:`candidates` found it."""

    position: int  # among all the documents, in id order
    doc: str
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size) when chosen
    known: bool = False  # answered by the index: none of the query's paths has a node here


def candidates(settings: Settings, compiled: CompiledQuery, shard: int = 0,
               shards: int = 1) -> tuple[tuple[Any, ...], list[Candidate]]:
    """The documents of one share that may match, in id order; the index prunes the rest.

    A share is every ``shards``-th document in id order from the ``shard``-th: each query
    worker keeps its own share's trees warm, whatever the query. The list of files and their
    ids is kept per process while neither the index nor the folder changes; each query takes
    the share's stamps (mtime, size) as they are now (see :func:`folder_stamps`), so a file
    changed in place is never ruled out by a stale index (and the tree cache is given that
    stamp rather than reading it again). A file gone since the list was read is left out.

    A function of paths the index can answer (see :func:`archive.xpath.index_answer`) keeps
    every document, those where the index shows none of its paths has a node marked ``known``
    (never a file changed since it was indexed): their items are the answer's, without parsing.

    :return: what the list of documents was read under (the same in every process that read
        the same list), and the candidates of the share.
    """
    listed, possible = _listed(settings, compiled)
    answer = index_answer(compiled) if possible is None else None
    holding = _holding(settings, listed, answer.paths) if answer is not None else None
    share = slice(shard, None, shards)
    stamps = folder_stamps(settings.tei_dir, listed.names[share])
    found: Iterable[tuple[int, tuple[int, int] | None]] = zip(
        range(len(listed.files))[share], stamps, strict=True)
    if possible is not None:
        # kept: indexed as holding what the query needs, or not indexed as the file is now
        kept = sorted({*listed.changed(shard, shards, stamps), *(
            position for position in map(listed.position.get, possible)
            if position is not None and position % shards == shard)})
        found = ((position, stamps[position // shards]) for position in kept)
    if holding is not None:
        return listed.stamp, [
            Candidate(position, *listed.files[position], stamp,
                      listed.docs[position] not in holding
                      and listed.docs[position] is not None and stamp == listed.indexed[position])
            for position, stamp in found if stamp is not None]
    return listed.stamp, [Candidate(position, *listed.files[position], stamp)
                          for position, stamp in found if stamp is not None]


def _holding(settings: Settings, listed: _Files, paths: Iterable[CompiledQuery],
             ) -> set[int] | None:
    # the documents the index shows holding what one of the paths needs (None: there is no
    # index, or a path needs nothing the index keeps, such as an xml:id: any may hold it)
    if not listed.index:
        return None
    holding: set[int] = set()
    for path in paths:
        possible = _possible(settings, listed, path)
        if possible is None:
            return None
        holding |= possible
    return holding


@dataclass
class _Files:
    """The documents of a data directory while neither the index nor the folder changes."""

    stamp: tuple[Any, ...]
    files: list[tuple[str, Path]]
    names: list[str]  # their paths
    docs: list[int | None]  # their numbers in the index (None: not indexed)
    indexed: list[tuple[int, int] | None]  # their (mtime_ns, size) in the index
    possible: dict[Any, set[int] | None] = field(default_factory=dict)  # by requirements
    index: bool = True  # read with an index (else every document is evaluated)
    # by share (shard, shards): its last stamps, and the positions where they are not the index's
    _changed: dict[tuple[int, int], tuple[list[Any], list[int]]] = field(default_factory=dict)

    @cached_property
    def position(self) -> dict[int | None, int]:
        """Each indexed document's position, by its number in the index."""
        return {doc: position for position, doc in enumerate(self.docs) if doc is not None}

    def changed(self, shard: int, shards: int, stamps: list[Any]) -> list[int]:
        """The positions of the share whose file is not as indexed (stamps: the share's now).

        A selective query rules out most files by the index, but each file changed since is
        evaluated: the share's stamps, kept by a watched folder as the same objects from one
        query to the next, are compared with the last query's (by identity, in C) and with the
        index's only when they differ."""
        last = self._changed.get((shard, shards))
        if last is None or last[0] != stamps:
            share = slice(shard, None, shards)
            last = self._changed[shard, shards] = (stamps, list(compress(
                range(len(self.files))[share], map(ne, stamps, self.indexed[share]))))
        return last[1]


_FILES: dict[str, _Files] = {}


def _listed(settings: Settings, compiled: CompiledQuery) -> tuple[_Files, set[int] | None]:
    # the documents, and the index's answer for the query (None: no condition, or no index)
    listed = _files(settings)
    if not listed.index:
        return listed, None
    return listed, _possible(settings, listed, compiled)


def _files(settings: Settings) -> _Files:
    # the documents, kept while neither the index nor the folder changes (read anew each time
    # without an index)
    generation = index_generation(settings)
    if generation is None:
        files = document_files(settings)
        return _Files((len(files),), files, [str(path) for _, path in files],
                      [None] * len(files), [None] * len(files), index=False)
    stamp = (settings.tei_dir.stat().st_mtime_ns, *generation)
    key = str(settings.index_path)
    cached = _FILES.get(key)
    if cached is None or cached.stamp != stamp:
        indexed = indexed_files(settings)
        files = document_files(settings)
        known = [indexed.get(path.name, (None, None)) for _, path in files]
        cached = _FILES[key] = _Files(stamp, files, [str(path) for _, path in files],
                                      [doc for doc, _ in known], [mtime for _, mtime in known])
    return cached


def corpus_state(settings: Settings) -> tuple[Any, ...] | None:
    """What changes whenever the index or any document does: the folder's and the index's
    stamps and every file's (mtime_ns, size) as it is now (see :func:`folder_stamps`: on Linux
    a file is stat'ed again only when written). None without an index (every query lists the
    folder anew)."""
    listed = _files(settings)
    if not listed.index:
        return None
    return listed.stamp, folder_stamps(settings.tei_dir, listed.names)


def _possible(settings: Settings, listed: _Files, compiled: CompiledQuery) -> set[int] | None:
    # the index's answer holds while its generation does (a changed file is caught by its stamp)
    wanted = (compiled.names, compiled.attributes)
    if wanted not in listed.possible:
        if len(listed.possible) >= 256:
            listed.possible.clear()
        listed.possible[wanted] = documents_holding(settings, *wanted)
    return listed.possible[wanted]
