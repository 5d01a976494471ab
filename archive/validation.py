"""Archive-level validation: which schemas, which files, which registry; summaries for the CLI.

``archive`` schema = ``schemas/archive.rng`` + ``schemas/archive.sch`` with the registry's ids;
``tei_all`` = the official TEI P5 ``tei_all.rng`` alone (no archive rules).

XInclude with ``tei_all``: the document is validated as jing sees it through an XInclude-aware
parser (Xerces, as in oXygen): each ``xi:include`` is replaced by what it includes (a whole
file, ``parse="text"`` as text), the included root gets ``xml:base`` (base URI fixup), an
include that fails takes its ``xi:fallback`` or is an error at its line. Only relative
``href``s to local files are followed (``../shared/classDecl.xml``), never an absolute path or
the network, each file read with the safe parser; ``xpointer`` is not supported (an error).
An ``info`` line says how many includes were processed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lxml import etree

from tei.errors import TeiError
from tei.parse import parse_file, parse_tei, read_file
from tei.validate import (
    Issue,
    RegistryIds,
    ValidationReport,
    validate_bytes,
    validate_file,
    validate_tree,
)

from .config import SCHEMAS_DIR, Settings
from .errors import ArchiveError, RegistryError
from .registry import imported_files
from .store import iter_tei_files

SchemaName = Literal["archive", "tei_all"]
ARCHIVE_RNG = SCHEMAS_DIR / "archive.rng"
ARCHIVE_SCH = SCHEMAS_DIR / "archive.sch"
#: where tei_all.rng is looked for when nothing says otherwise (relative to the working directory)
DEFAULT_TEI_ALL = Path("..") / "shared" / "tei" / "tei_all.rng"


@dataclass(frozen=True)
class Schemas:
    """The schema files one validation run uses (``sch`` None: grammar only)."""

    rng: Path
    sch: Path | None = None


def find_tei_all(settings: Settings, explicit: Path | None = None) -> Path:
    """Locate tei_all.rng: ``--tei-all``, then Settings/``ARCHIVE_TEI_ALL_RNG``, then ../shared/tei.

    :raise ArchiveError: none of them names an existing file.
    """
    for candidate in (explicit, settings.tei_all_rng, DEFAULT_TEI_ALL):
        if candidate is not None:
            if candidate.is_file():
                return candidate
            if candidate is not DEFAULT_TEI_ALL:
                raise ArchiveError("tei_all.rng not found (from --tei-all or "
                                   "ARCHIVE_TEI_ALL_RNG)", str(candidate))
    raise ArchiveError(f"tei_all.rng not found: give --tei-all PATH or set ARCHIVE_TEI_ALL_RNG "
                       f"(looked for {DEFAULT_TEI_ALL} from {Path.cwd()})")


def schemas_for(name: SchemaName, settings: Settings, tei_all: Path | None = None) -> Schemas:
    """The schema files behind ``--schema archive|tei_all``."""
    if name == "tei_all":
        return Schemas(find_tei_all(settings, tei_all))
    return Schemas(ARCHIVE_RNG, ARCHIVE_SCH)


def registry_files(settings: Settings) -> list[Path]:
    """The registry documents of the data directory (``registry/*.xml``), sorted."""
    return list(iter_tei_files(settings.registry_dir))


def load_registry_ids(settings: Settings) -> RegistryIds | None:
    """Read the ids of all registry entries; None when the data directory has no registry.

    :raise RegistryError: a registry file is not well-formed TEI.
    """
    files = registry_files(settings)
    if not files:
        return None
    trees = []
    for file in files:
        try:
            trees.append(parse_tei(file))
        except TeiError as error:
            raise RegistryError(f"registry file unreadable: {error}") from None
    return RegistryIds.from_trees(trees)


def validate_document(
    document: etree._ElementTree | etree._Element | bytes,
    settings: Settings,
    registry_ids: RegistryIds | Collection[str] | None,
    path: str | None = None,
) -> ValidationReport:
    """Validate one document against archive.rng + archive.sch: the build's gate.

    :param document: a tree, or the serialised bytes about to be written.
    :param settings: the archive's settings (reserved for schema choice; unused today).
    :param registry_ids: the registry's ids (:func:`load_registry_ids`, or a flat set of ids);
        None skips the @ref targets.
    :param path: named in the issues.
    """
    del settings  # the archive schema is fixed; kept so the gate's signature is stable
    if isinstance(document, bytes):
        return validate_bytes(document, path, rng=ARCHIVE_RNG, sch=ARCHIVE_SCH,
                              registry_ids=registry_ids)
    return validate_tree(document, path, rng=ARCHIVE_RNG, sch=ARCHIVE_SCH,
                         registry_ids=registry_ids)


def document_files(settings: Settings, paths: Sequence[Path], all_files: bool) -> list[Path]:
    """The files to validate: the given paths (a folder means its ``*.xml``), or with
    ``all_files`` the data directory's ``tei/*.xml`` and ``registry/*.xml``.

    :raise ArchiveError: nothing to validate.
    """
    files: list[Path] = []
    if all_files:
        files += iter_tei_files(settings.tei_dir)  # (never a link leading out of them)
        files += registry_files(settings)
        if not files:
            raise ArchiveError("no TEI documents to validate", str(settings.data_dir))
    for path in paths:
        files += sorted(path.glob("*.xml")) if path.is_dir() else [path]
    return files


def validate_files(files: Iterable[Path], schemas: Schemas,
                   registry_ids: RegistryIds | None) -> list[ValidationReport]:
    """Validate each file; unreadable or malformed files become reports, never exceptions.

    Documents imported from other projects (``archive import``) are not held to the archive's
    own schema: with the archive schema they are only read as namespaced TEI; with tei_all
    (``schemas.sch`` None) they are validated like any other file.
    """
    files = list(files)
    imported = _imported(files) if schemas.sch is not None else set()
    return [validate_file(file) if file in imported else
            _validate_with_xinclude(file, schemas.rng) if schemas.sch is None else
            validate_file(file, rng=schemas.rng, sch=schemas.sch, registry_ids=registry_ids)
            for file in files]


XI_NS = "http://www.w3.org/2001/XInclude"
_XI_INCLUDE, _XI_FALLBACK = f"{{{XI_NS}}}include", f"{{{XI_NS}}}fallback"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
#: Deepest chain of includes followed (a loop is reported before it).
MAX_INCLUDE_DEPTH = 16


def _validate_with_xinclude(file: Path, rng: Path) -> ValidationReport:
    """Validate ``file`` against ``rng`` with its XIncludes processed (see the module)."""
    try:
        tree = parse_tei(file)
    except TeiError:
        return validate_file(file, rng=rng)  # reports why it cannot be read
    if next(tree.getroot().iter(_XI_INCLUDE), None) is None:
        return validate_tree(tree, str(file), rng=rng)
    problems: list[Issue] = []
    count = _include(tree.getroot(), file, (file.resolve(),), problems)
    report = validate_tree(tree, str(file), rng=rng)
    note = Issue("info", "xml", None, f"XInclude processed before validation ({count} "
                 f"include{'s' if count != 1 else ''}), as jing does with an XInclude-aware "
                 f"parser", str(file), None)
    return ValidationReport.from_issues([note, *problems, *report.issues], str(file))


def _include(root: etree._Element, file: Path, chain: tuple[Path, ...],
             problems: list[Issue]) -> int:
    """Replace every ``xi:include`` below ``root`` by what it includes; :return: how many."""
    count = 0
    for element in list(root.iter(_XI_INCLUDE)):
        line, href = element.sourceline, element.get("href", "")
        try:
            replacement = _included(element, file, chain, problems)
            count += 1
        except (TeiError, ArchiveError) as error:
            fallback = element.find(_XI_FALLBACK)
            if fallback is None:
                message = error.message if isinstance(error, TeiError) else str(error)
                problems.append(Issue("error", "xml", None, f"xi:include href={href!r} failed: "
                                      f"{message}", str(file), line))
                replacement = []
            else:
                replacement = [*([fallback.text] if fallback.text else []), *fallback]
        _replace(element, replacement)
    return count


def _included(element: etree._Element, file: Path, chain: tuple[Path, ...],
              problems: list[Issue]) -> list[str | etree._Element]:
    if element.get("xpointer"):
        raise ArchiveError("xpointer is not supported")
    href = element.get("href", "")
    if not href or ":" in href or href.startswith(("/", "\\")):
        raise ArchiveError("only relative references to local files are followed")
    target = (file.parent / href).resolve()
    if target in chain or len(chain) > MAX_INCLUDE_DEPTH:
        raise ArchiveError("includes itself (a loop of includes)")
    if element.get("parse", "xml") == "text":
        return [read_file(target).decode(element.get("encoding") or "utf-8", "replace")]
    included = parse_file(target).getroot()
    _include(included, target, (*chain, target), problems)
    included.set(_XML_BASE, href)  # base URI fixup, as the XInclude recommendation says
    return [included]


def _replace(element: etree._Element, replacement: list[str | etree._Element]) -> None:
    """Put ``replacement`` (text and elements) where ``element`` stands, keeping its tail."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    index = parent.index(element)
    previous = parent[index - 1] if index else None
    parent.remove(element)
    position = index
    for part in replacement:
        if isinstance(part, str):
            if previous is None:
                parent.text = (parent.text or "") + part
            else:
                previous.tail = (previous.tail or "") + part
        else:
            parent.insert(position, part)
            position += 1
            previous = part
    if previous is None:
        parent.text = (parent.text or "") + tail
    else:
        previous.tail = (previous.tail or "") + tail


def _imported(files: Sequence[Path]) -> set[Path]:
    """The files that are imported documents of their data directory (``tei/`` + imports.json)."""
    found: set[Path] = set()
    for folder in {file.parent for file in files if file.parent.name == "tei"}:
        names = imported_files(Settings(data_dir=folder.parent))
        found.update(file for file in files if file.parent == folder and file.name in names)
    return found


@dataclass(frozen=True)
class Summary:
    documents: int
    invalid: int
    errors: int
    warnings: int

    def __str__(self) -> str:
        return (f"{self.documents} document{'s' if self.documents != 1 else ''}, "
                f"{self.invalid} invalid, {self.errors} errors, {self.warnings} warnings")


def summarize(reports: Sequence[ValidationReport]) -> Summary:
    return Summary(
        documents=len(reports),
        invalid=sum(not report.valid for report in reports),
        errors=sum(len(report.errors) for report in reports),
        warnings=sum(len(report.warnings) for report in reports),
    )


def format_text(reports: Sequence[ValidationReport]) -> str:
    """``path:line:col: severity: message [rule]`` per issue, then the summary line."""
    lines = [str(issue) for report in reports for issue in report.issues]
    lines.append(str(summarize(reports)))
    return "\n".join(lines)


def format_json(reports: Sequence[ValidationReport]) -> str:
    """The same findings as one JSON object: ``{"documents": [...], "summary": {...}}``."""
    documents = [
        {"path": report.path, "valid": report.valid,
         "issues": [{"severity": issue.severity, "source": issue.source, "rule": issue.rule,
                     "message": issue.message, "line": issue.line, "column": issue.column}
                    for issue in report.issues]}
        for report in reports
    ]
    summary = summarize(reports)
    return json.dumps({"documents": documents, "summary": summary.__dict__}, indent=2,
                      ensure_ascii=False)

