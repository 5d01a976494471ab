"""``archive check``: is the whole archive sound?

Every TEI file valid, the index in step with the files, the registry referenced consistently.
Problems make the check fail (an interrupted import's journal among them); warnings (unused
entries, one surface form linked to several entries, imported entries that share an
authority id or an xml:id but could not be merged, leftovers of an interrupted write,
symbolic links leading out of the data directory, which nothing follows) are reported but do
not. :func:`repair` (``archive check --repair``) rolls back what an interrupted write left and
brings the index in step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tei.errors import TeiError
from tei.namespaces import tei
from tei.parse import parse_tei

from .config import Settings
from .errors import ArchiveError
from .index import indexed_hashes, update_index
from .registry import load_imports, load_registry, namespaced_id, ref_resolver, unmerged
from .store import (
    JOURNAL_FILE,
    data_lock,
    iter_leftovers,
    iter_outside_links,
    iter_tei_files,
    unfinished_write,
)
from .validation import load_registry_ids, schemas_for, validate_files

Severity = Literal["problem", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    area: str  # "validity", "index", "registry", "files"
    message: str
    path: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.severity}: {self.message} [{self.area}]"


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0

    @property
    def ok(self) -> bool:
        return not any(f.severity == "problem" for f in self.findings)

    def summary(self) -> str:
        problems = sum(f.severity == "problem" for f in self.findings)
        warnings = len(self.findings) - problems
        verdict = "sound" if self.ok else "NOT sound"
        return (f"{self.documents} documents checked: {problems} problems, {warnings} warnings: "
                f"{verdict}")


def check(settings: Settings) -> CheckReport:
    """Run every check on the data directory (reads only; changes nothing)."""
    report = CheckReport()
    files = list(iter_tei_files(settings.tei_dir))
    report.documents = len(files)
    report.findings += _validity(settings, files)
    report.findings += _index(settings, files)
    report.findings += _registry(settings)
    report.findings += [Finding("warning", "files", "temporary file left by an interrupted write "
                                "(the next build removes it)", str(path))
                        for path in iter_leftovers(settings.data_dir)]
    report.findings += [Finding("warning", "files", "symbolic link leading out of the data "
                                "directory: not followed (not indexed, shown or exported)",
                                str(path))
                        for path in iter_outside_links(settings.data_dir)]
    writer = unfinished_write(settings.data_dir)
    if writer is not None:
        report.findings.append(Finding(
            "problem", "files", f"an interrupted {writer} left its journal: run `archive check "
            "--repair` (or any command that writes) to roll it back",
            str(settings.data_dir / JOURNAL_FILE)))
    return report


def repair(settings: Settings) -> None:
    """Roll back what an interrupted write left (taking the data lock does, and says so on
    stderr), then bring the index in step with the files.

    :raise ArchiveError: another process is writing to the data directory.
    """
    with data_lock(settings.data_dir):
        if any(iter_tei_files(settings.tei_dir)) or settings.index_path.is_file():
            update_index(settings)


def _validity(settings: Settings, files: list[Path]) -> Iterator[Finding]:
    reports = validate_files(files, schemas_for("archive", settings), load_registry_ids(settings))
    for result in reports:
        for issue in result.issues:
            yield Finding("problem" if issue.severity == "error" else "warning", "validity",
                          f"{issue.message} [{issue.rule or issue.source}]",
                          f"{issue.path}:{issue.line or 0}")


def _index(settings: Settings, files: list[Path]) -> Iterator[Finding]:
    if not settings.index_path.is_file():
        if files:
            yield Finding("problem", "index", "no index: run `archive reindex`",
                          str(settings.index_path))
        return
    try:
        indexed = indexed_hashes(settings)  # by file name in tei/
    except ArchiveError as error:
        yield Finding("problem", "index", f"{error.message}: run `archive reindex`",
                      str(settings.index_path))
        return
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        known = indexed.pop(path.name, None)
        if known is None:
            yield Finding("problem", "index", "file not in the index: run `archive reindex`",
                          str(path))
        elif known != digest:
            yield Finding("problem", "index", "file changed since it was indexed: run "
                          "`archive reindex`", str(path))
    for name in sorted(indexed):
        yield Finding("problem", "index", "indexed file is gone: run `archive reindex`",
                      str(settings.tei_dir / name))


def _registry(settings: Settings) -> Iterator[Finding]:
    registry = load_registry(settings)
    resolver = ref_resolver(settings)
    used: set[str] = set()
    forms: dict[tuple[str, str], set[str]] = {}
    roles: set[str] = set()  # a play's own persons: merged only by an authority id
    for path in iter_tei_files(settings.tei_dir):
        try:
            tree = parse_tei(path)
        except TeiError:
            continue  # reported by the validity check
        roles.update(namespaced_id(path.stem, token.lstrip("#"))
                     for sp in tree.iter(tei("sp")) for token in (sp.get("who") or "").split())
        refs = resolver.for_document(path.stem)
        for element in tree.iter():
            ref = element.get("ref") if isinstance(element.tag, str) else None
            if not ref:
                continue
            for target in ref.split():
                key = refs.key(target) or target
                used.add(key)
                # an imported document's pointers are its project's: within it, to their
                # lists, or to the web; only the archive's own documents must hit the registry
                if registry.get(key) is None and not refs.imported:
                    yield Finding("problem", "registry", f"@ref {target} names no registry entry",
                                  f"{path}:{element.sourceline}")
                surface = " ".join("".join(element.itertext()).split())
                forms.setdefault((str(element.tag).split("}")[-1], surface), set()).add(key)
    for (tag, surface), keys in sorted(forms.items()):
        if len(keys) > 1:
            yield Finding("warning", "registry", f"{tag} {surface!r} is linked to several "
                          f"entries: {', '.join(sorted(keys))}")
    for line in unmerged(registry, load_imports(settings), roles):
        yield Finding("warning", "registry", line)
    unused = sorted(set(registry.entries) - used)
    if unused:
        shown = ", ".join(unused[:10]) + (" …" if len(unused) > 10 else "")
        yield Finding("warning", "registry", f"{len(unused)} registry entries are not referenced "
                      f"by any document: {shown}")
