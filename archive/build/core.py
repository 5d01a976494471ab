"""The build: sources → TEI documents, annotated, validated, written, indexed.

For each source: read it, encode it, tag it, add the new names it brings to the registry as
proposals, validate it (a gate: an invalid document is reported and not written, the previous
file stays), and write it atomically. The index is updated last, from the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tei.errors import TeiError
from tei.parse import parse_file
from tei.read import last_change_date

from ..annotate import Recogniser
from ..config import SAMPLES_DIR, Settings, today
from ..errors import ArchiveError, ValidationFailed
from ..index import update_index
from ..ingest import read_source, slugify_id
from ..model import Source
from ..registry import EntryType, Registry, load_registry
from ..store import atomic_write, data_lock, iter_leftovers, member_path, tei_path
from ..validation import validate_document
from .cluster import tag_on_cluster
from .tagging import DocumentStats, Tagged, tag_source

Progress = Callable[[str], None]


def sample_sources() -> list[Path]:
    """The bundled sample corpus: the five sources (their sidecars stand beside them)."""
    return sorted(SAMPLES_DIR.glob("*.txt"))


@dataclass
class BuildReport:
    documents: list[DocumentStats] = field(default_factory=list)
    failures: list[ArchiveError] = field(default_factory=list)


class Builder:
    """Builds documents into a data directory; the recogniser is loaded once, when first
    needed (a build on a Dask cluster tags on the workers and may never need it here)."""

    def __init__(self, settings: Settings, *, annotate_names: bool = True) -> None:
        self.settings = settings
        self.registry: Registry = load_registry(settings)
        self.annotate_names = annotate_names
        self._recogniser: Recogniser | None = None
        self._validate = validate_document

    @property
    def recogniser(self) -> Recogniser | None:
        """This archive's recogniser (None when names are not tagged)."""
        if self.annotate_names and self._recogniser is None:
            self._recogniser = Recogniser.for_archive(self.registry, self.settings)
        return self._recogniser

    def previous_date(self, source: Source) -> str | None:
        """The first change's date of the document built earlier from ``source``, or None."""
        return _previous_change_date(tei_path(self.settings.tei_dir, source.metadata.id))

    def tag(self, source: Source, previous_date: str | None, when: str) -> Tagged:
        """The build's task, run here: see :func:`archive.build.tagging.tag_source`."""
        return tag_source(source, previous_date, when, self.recogniser)

    def build_one(self, source: Source) -> DocumentStats:
        """Encode, tag, validate and write one source. Raises on any failure, writing nothing."""
        when = today()
        return self.finish(source, self.tag(source, self.previous_date(source), when))

    def finish(self, source: Source, tagged: Tagged) -> DocumentStats:
        """Validate and write one tagged source (tagged here or on a worker): its new names
        become registry proposals. Raises on any failure, writing no document."""
        target = tei_path(self.settings.tei_dir, source.metadata.id)
        if self.annotate_names:
            self._add_proposals(tagged.proposals)
        data = tagged.data
        if tagged.changed is not None and target.exists() and target.read_bytes() != data:
            data = tagged.changed  # the document changed: its first change is dated today
        report = self._validate(data, self.settings, self.registry.typed_ids(), path=str(target))
        if not report.valid:
            raise ValidationFailed(f"not written: {len(report.issues)} validation problem(s); "
                                   f"first: {report.issues[0].message}", str(target), report)
        self._copy_source(source)
        written = atomic_write(target, data)
        return replace(tagged.stats, written=written)

    def agrees(self, tagged: Tagged) -> bool:
        """Whether the ids ``tagged`` proposes are those a build in one process would give:
        a task tagged on a worker knows the registry as it was when the build began, not
        the names the documents before it proposed (``Jöhn Smith`` after ``John Smith``
        there takes ``john-smith-2``, not ``john-smith``)."""
        for surface, kind, proposed in tagged.proposals:
            found = self.registry.find(surface, kind)
            if (found[0].id if found else proposed) != proposed or (
                    not found and proposed in self.registry.entries):
                return False
        return True

    def _add_proposals(self, proposals: Sequence[tuple[str, EntryType, str]]) -> None:
        changed = False
        for surface, kind, _proposed_id in proposals:
            if self.registry.propose(surface, kind) is not None:
                changed = True
        if changed or not self.settings.registry_dir.is_dir():
            self.registry.save(self.settings.registry_dir)

    def _copy_source(self, source: Source) -> None:
        if not source.path:
            return
        original = Path(source.path)
        directory = self.settings.sources_dir
        atomic_write(directory / f"{source.metadata.id}{original.suffix}", original.read_bytes())
        atomic_write(directory / f"{source.metadata.id}.toml", metadata_toml(source).encode())


def metadata_toml(source: Source) -> str:
    """The source's metadata as a TOML sidecar (strings escaped as TOML basic strings)."""
    import json

    lines = [f"# Metadata of {Path(source.path or source.metadata.id).name}", ""]
    for name, value in vars(source.metadata).items():
        if value:
            lines.append(f"{name} = {json.dumps(value, ensure_ascii=False)}")
    lines.append(f"format = {json.dumps(source.format)}")
    return "\n".join(lines) + "\n"


def build(settings: Settings, paths: Sequence[Path], *, format: str | None = None,
          overrides: dict[str, str] | None = None, progress: Progress | None = None,
          annotate_names: bool = True, cluster: Any = None) -> BuildReport:
    """Build the given source files into the data directory, then update the index.

    Every source is read first, so a bad input stops the run before anything is written.
    A document that fails validation is reported in ``failures``; the others are written.

    :param cluster: a client of a Dask scheduler (:func:`archive.build.cluster.connect`):
        the sources are encoded and tagged on its workers; validating, writing and indexing
        stay here, as in a build without one.
    """
    sources = [read_source(path, format, overrides) for path in paths]
    _check_unique_ids(sources)
    _check_ids_not_taken(settings, sources)
    with data_lock(settings.data_dir):
        for leftover in iter_leftovers(settings.data_dir):  # of an interrupted run
            leftover.unlink(missing_ok=True)
        builder = Builder(settings, annotate_names=annotate_names)
        when = today()
        previous = [builder.previous_date(source) for source in sources]
        if cluster is None:
            tagged: Iterable[Tagged] = (builder.tag(source, date, when)
                                        for source, date in zip(sources, previous, strict=True))
        else:
            tagged = tag_on_cluster(cluster, settings, builder.registry, sources, previous,
                                    when, annotate_names=annotate_names)
        report = BuildReport()
        for source, date, result in zip(sources, previous, tagged, strict=True):
            if cluster is not None and not builder.agrees(result):
                result = builder.tag(source, date, when)  # its ids as one process gives them
            try:
                report.documents.append(builder.finish(source, result))
            except ValidationFailed as failure:
                report.failures.append(failure)
            if progress:
                progress(source.metadata.id)
        if not settings.registry_dir.is_dir():
            builder.registry.save(settings.registry_dir)
        update_index(settings)
    return report


def _check_unique_ids(sources: Sequence[Source]) -> None:
    seen: dict[str, str] = {}
    for source in sources:
        other = seen.setdefault(source.metadata.id, source.path or "")
        if other != (source.path or ""):
            raise ArchiveError(f"document id {source.metadata.id!r} is also the id of {other}",
                               source.path)


def _check_ids_not_taken(settings: Settings, sources: Sequence[Source]) -> None:
    """Refuse a source whose id, made from its file name, is the id of a document built
    earlier from another file (``日本語.txt`` then ``中文.txt`` must not overwrite each other).
    An id given by a sidecar or ``--id`` may replace a document."""
    for source in sources:
        if not source.path or source.metadata.id != slugify_id(Path(source.path).stem):
            continue
        try:
            sidecar = member_path(settings.sources_dir, f"{source.metadata.id}.toml")
            first = sidecar.read_text(encoding="utf-8").partition("\n")[0]
        except (OSError, UnicodeDecodeError, ArchiveError):
            continue
        earlier = first.removeprefix("# Metadata of ")
        if first.startswith("# Metadata of ") and earlier != Path(source.path).name:
            raise ArchiveError(f"document id {source.metadata.id!r} is already the id of the "
                               f"document built from {earlier}: give this source its own id "
                               "(a sidecar's `id`, or --id)", source.path)


def _previous_change_date(target: Path) -> str | None:
    if not target.exists():
        return None
    try:
        return last_change_date(parse_file(target)) or None
    except TeiError:  # an unreadable old file is replaced, not trusted
        return None
