"""The build: sources → TEI documents, annotated, validated, written, indexed.

For each source: read it, encode it, tag it, add the new names it brings to the registry as
proposals, validate it (a gate: an invalid document is reported and not written, the previous
file stays), and write it atomically. The index is updated last, from the files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tei.errors import TeiError
from tei.namespaces import TYPE_FOR_ELEMENT, tei
from tei.parse import parse_file
from tei.read import last_change_date
from tei.serialize import serialize

from .annotate import Recogniser, annotate
from .config import SAMPLES_DIR, Settings, today
from .errors import ArchiveError, ValidationFailed
from .index import update_index
from .ingest import encode, read_source, slugify_id
from .model import Source
from .registry import Registry, load_registry
from .store import atomic_write, data_lock, iter_leftovers, member_path, tei_path
from .validation import validate_document

Progress = Callable[[str], None]


def sample_sources() -> list[Path]:
    """The bundled sample corpus: the five sources (their sidecars stand beside them)."""
    return sorted(SAMPLES_DIR.glob("*.txt"))


@dataclass
class DocumentStats:
    """What one built document holds, for the summary table."""

    id: str
    title: str
    paragraphs: int
    words: int
    mentions: Counter[str]
    written: bool


@dataclass
class BuildReport:
    documents: list[DocumentStats] = field(default_factory=list)
    failures: list[ArchiveError] = field(default_factory=list)


def document_stats(doc_id: str, title: str, tree: etree._ElementTree,
                   written: bool) -> DocumentStats:
    body = tree.getroot().find(f"{tei('text')}/{tei('body')}")
    paragraphs = len(body.findall(f".//{tei('p')}")) if body is not None else 0
    words = len("".join(body.itertext()).split()) if body is not None else 0
    mentions: Counter[str] = Counter()
    if body is not None:
        for element in body.iter(*TYPE_FOR_ELEMENT):
            mentions[TYPE_FOR_ELEMENT[str(element.tag)]] += 1
    return DocumentStats(doc_id, title, paragraphs, words, mentions, written)


class Builder:
    """Builds documents into a data directory; the recogniser is loaded once."""

    def __init__(self, settings: Settings, *, annotate_names: bool = True) -> None:
        self.settings = settings
        self.registry: Registry = load_registry(settings)
        self.recogniser = (Recogniser.for_archive(self.registry, settings)
                           if annotate_names else None)
        self._validate = validate_document

    def build_one(self, source: Source) -> DocumentStats:
        """Encode, tag, validate and write one source. Raises on any failure, writing nothing."""
        doc_id = source.metadata.id
        target = tei_path(self.settings.tei_dir, doc_id)
        previous_date = _previous_change_date(target)
        tree = encode(source, encoded_on=previous_date or today())
        if self.recogniser is not None:
            annotate(tree, self.recogniser.recognise, self.recogniser.components)
            self._add_proposals()
        data = serialize(tree)
        if previous_date and target.exists() and target.read_bytes() != data:
            _set_change_date(tree, today())  # the document changed: record when
            data = serialize(tree)
        report = self._validate(data, self.settings, self.registry.typed_ids(), path=str(target))
        if not report.valid:
            raise ValidationFailed(f"not written: {len(report.issues)} validation problem(s); "
                                   f"first: {report.issues[0].message}", str(target), report)
        self._copy_source(source)
        written = atomic_write(target, data)
        return document_stats(doc_id, source.metadata.title, tree, written)

    def _add_proposals(self) -> None:
        assert self.recogniser is not None
        changed = False
        for surface, kind, _proposed_id in self.recogniser.proposals():
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
          annotate_names: bool = True) -> BuildReport:
    """Build the given source files into the data directory, then update the index.

    Every source is read first, so a bad input stops the run before anything is written.
    A document that fails validation is reported in ``failures``; the others are written.
    """
    sources = [read_source(path, format, overrides) for path in paths]
    _check_unique_ids(sources)
    _check_ids_not_taken(settings, sources)
    with data_lock(settings.data_dir):
        for leftover in iter_leftovers(settings.data_dir):  # of an interrupted run
            leftover.unlink(missing_ok=True)
        builder = Builder(settings, annotate_names=annotate_names)
        report = BuildReport()
        for source in sources:
            try:
                report.documents.append(builder.build_one(source))
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


def _set_change_date(tree: etree._ElementTree, when: str) -> None:
    change = tree.getroot().find(f".//{tei('revisionDesc')}/{tei('change')}")
    if change is not None:
        change.set("when", when)

