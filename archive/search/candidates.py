"""The documents a query may match: the index rules out those that cannot, never a file
written since it was indexed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from operator import ne, or_
from pathlib import Path
from typing import Any, NamedTuple

from ..config import Settings
from ..index import document_files, documents_holding, index_generation, indexed_files
from ..xpath import CompiledQuery, folder_stamps


class Candidate(NamedTuple):
    """A document that may match, as :func:`candidates` found it."""

    position: int  # among all the documents, in id order
    doc: str
    path: Path
    stamp: tuple[int, int]  # (mtime_ns, size) when chosen


def candidates(settings: Settings, compiled: CompiledQuery, shard: int = 0,
               shards: int = 1) -> tuple[tuple[Any, ...], list[Candidate]]:
    """The documents of one share that may match, in id order; the index prunes the rest.

    A share is every ``shards``-th document in id order from the ``shard``-th: each query
    worker keeps its own share's trees warm, whatever the query. The list of files and their
    ids is kept per process while neither the index nor the folder changes; each query takes
    the share's stamps (mtime, size) as they are now (see :func:`folder_stamps`), so a file
    changed in place is never ruled out by a stale index (and the tree cache is given that
    stamp rather than reading it again). A file gone since the list was read is left out.

    :return: what the list of documents was read under (the same in every process that read
        the same list), and the candidates of the share.
    """
    listed, possible = _listed(settings, compiled)
    share = slice(shard, None, shards)
    stamps = folder_stamps(settings.tei_dir, listed.names[share])
    found: Iterable[tuple[int, tuple[int, int] | None]] = zip(
        range(len(listed.files))[share], stamps, strict=True)
    if possible is not None:
        # kept: indexed as holding what the query needs, or not indexed as the file is now;
        # in C rather than a Python loop, as a selective query rules out most files here
        found = compress(found, map(or_, map(possible.__contains__, listed.docs[share]),
                                    map(ne, stamps, listed.indexed[share])))
    return listed.stamp, [Candidate(position, *listed.files[position], stamp)
                          for position, stamp in found if stamp is not None]


@dataclass
class _Files:
    """The documents of a data directory while neither the index nor the folder changes."""

    stamp: tuple[Any, ...]
    files: list[tuple[str, Path]]
    names: list[str]  # their paths
    docs: list[int | None]  # their numbers in the index (None: not indexed)
    indexed: list[tuple[int, int] | None]  # their (mtime_ns, size) in the index
    possible: dict[Any, set[int] | None] = field(default_factory=dict)  # by requirements


_FILES: dict[str, _Files] = {}


def _listed(settings: Settings, compiled: CompiledQuery) -> tuple[_Files, set[int] | None]:
    # the documents, and the index's answer for the query (None: no condition, or no index)
    generation = index_generation(settings)
    if generation is None:
        files = document_files(settings)
        return _Files((len(files),), files, [str(path) for _, path in files],
                      [None] * len(files), [None] * len(files)), None
    stamp = (settings.tei_dir.stat().st_mtime_ns, *generation)
    key = str(settings.index_path)
    cached = _FILES.get(key)
    if cached is None or cached.stamp != stamp:
        indexed = indexed_files(settings)
        files = document_files(settings)
        known = [indexed.get(path.name, (None, None)) for _, path in files]
        cached = _FILES[key] = _Files(stamp, files, [str(path) for _, path in files],
                                      [doc for doc, _ in known], [mtime for _, mtime in known])
    # the index's answer holds while its generation does (a changed file is caught by its stamp)
    wanted = (compiled.names, compiled.attributes)
    if wanted not in cached.possible:
        if len(cached.possible) >= 256:
            cached.possible.clear()
        cached.possible[wanted] = documents_holding(settings, *wanted)
    return cached, cached.possible[wanted]
