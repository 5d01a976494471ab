"""RELAX NG + Schematron validation with lxml. Findings are data: a :class:`ValidationReport`.

Schemas are compiled once per process and path (:func:`compile_relaxng`,
:func:`compile_schematron`): compiling ``tei_all.rng`` takes ~20 s, validating takes
milliseconds. Malformed XML is reported as an ``"xml"`` issue with its line, never repaired.

The Schematron is run as its compiled XSLT so that top-level ``sch:let`` parameters can be set:
``registry_loaded`` and ``registry_ids`` (see :class:`RegistryIds`) let the rule
``archive-ref-registry`` check ``@ref`` against registry documents kept in other files.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lxml import etree, isoschematron

from .errors import TeiError, TeiStructureError
from .namespaces import SVRL_NS, TEI_ORG, TEI_PERSON, TEI_PLACE, XML_ID
from .parse import duplicate_ids, parse_bytes, parse_file, parse_tei

Severity = Literal["error", "warning", "info"]
IssueSource = Literal["xml", "rng", "sch"]
PathLike = str | os.PathLike[str]

_SVRL = {"svrl": SVRL_NS}
_FINDINGS = etree.XPath("//svrl:failed-assert | //svrl:successful-report", namespaces=_SVRL)
_SEVERITY_OF_ROLE: dict[str, Severity] = {
    "warning": "warning", "warn": "warning", "info": "info", "information": "info",
}


@dataclass(frozen=True)
class Issue:
    """One finding.

    :param severity: ``"error"`` makes a document invalid; ``"warning"``/``"info"`` do not.
    :param source: ``"xml"`` (not well-formed / not TEI), ``"rng"`` (grammar), ``"sch"`` (rules).
    :param rule: the Schematron assertion's id (``"archive-date-format"``), else None.
    """

    severity: Severity
    source: IssueSource
    rule: str | None
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path or "<input>"
        where += f":{self.line or 0}:{self.column or 0}"
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{where}: {self.severity}: {self.message}{rule}"


@dataclass(frozen=True)
class ValidationReport:
    """The result of validating one document: ``valid`` is True when no issue is an error."""

    valid: bool
    issues: tuple[Issue, ...] = ()
    path: str | None = None

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "warning")

    @classmethod
    def from_issues(cls, issues: Iterable[Issue], path: str | None = None) -> ValidationReport:
        found = tuple(issues)
        return cls(all(issue.severity != "error" for issue in found), found, path)


@dataclass(frozen=True)
class RegistryIds:
    """The ``xml:id`` of every registry entry, by kind, for the ``@ref`` rule.

    :param persons: ids of ``person`` entries (targets of ``persName/@ref``).
    :param places: ids of ``place`` entries (``placeName/@ref``).
    :param orgs: ids of ``org`` entries (``orgName/@ref``).
    """

    persons: frozenset[str] = field(default_factory=frozenset)
    places: frozenset[str] = field(default_factory=frozenset)
    orgs: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_trees(cls, trees: Iterable[etree._ElementTree | etree._Element]) -> RegistryIds:
        """Collect the ids of ``person``, ``place`` and ``org`` elements of registry documents."""
        found: dict[str, set[str]] = {TEI_PERSON: set(), TEI_PLACE: set(), TEI_ORG: set()}
        for tree in trees:
            for entry in tree.iter(TEI_PERSON, TEI_PLACE, TEI_ORG):
                if entry.get(XML_ID):
                    found[str(entry.tag)].add(entry.get(XML_ID, ""))
        return cls(frozenset(found[TEI_PERSON]), frozenset(found[TEI_PLACE]),
                   frozenset(found[TEI_ORG]))

    @classmethod
    def of(cls, ids: RegistryIds | Collection[str] | None) -> RegistryIds | None:
        """Accept a flat collection of ids too (kind unknown: any kind may match any id)."""
        if ids is None or isinstance(ids, RegistryIds):
            return ids
        flat = frozenset(ids)
        return cls(flat, flat, flat)

    def tokens(self) -> str:
        """``" pers:leon-trotsky place:moscow org:comintern "``: the Schematron parameter."""
        parts = [f"pers:{i}" for i in sorted(self.persons)]
        parts += [f"place:{i}" for i in sorted(self.places)]
        parts += [f"org:{i}" for i in sorted(self.orgs)]
        return " " + " ".join(parts) + " "


@functools.cache
def _compile_relaxng(path: str) -> etree.RelaxNG:
    tree = parse_file(path)
    try:
        return etree.RelaxNG(tree)
    except etree.RelaxNGParseError as error:
        raise TeiStructureError(f"not a usable RELAX NG schema: {error}", path) from None


def compile_relaxng(path: PathLike) -> etree.RelaxNG:
    """Compile a RELAX NG (XML syntax) schema, once per process and resolved path.

    :raise TeiError: the file is missing, not XML, or not a RELAX NG schema.
    """
    return _compile_relaxng(str(Path(path).resolve()))


@functools.cache
def _compile_schematron(path: str) -> etree.XSLT:
    tree = parse_file(path)
    try:
        schematron = isoschematron.Schematron(tree, store_xslt=True)
        validator = schematron.validator_xslt  # kept because of store_xslt=True, else None
        if validator is None:
            raise TeiStructureError("lxml kept no validating XSLT for the Schematron", path)
        return etree.XSLT(validator)
    except (etree.SchematronParseError, etree.XSLTParseError) as error:
        raise TeiStructureError(f"not a usable ISO Schematron schema: {error}", path) from None


def compile_schematron(path: PathLike) -> etree.XSLT:
    """Compile an ISO Schematron schema (queryBinding xslt) to its validating XSLT, once.

    :raise TeiError: the file is missing, not XML, or not a usable Schematron schema.
    """
    return _compile_schematron(str(Path(path).resolve()))


def validate_tree(
    tree: etree._ElementTree | etree._Element,
    path: str | None = None,
    *,
    rng: PathLike | None = None,
    sch: PathLike | None = None,
    registry_ids: RegistryIds | Collection[str] | None = None,
) -> ValidationReport:
    """Validate a parsed document against a RELAX NG schema and/or a Schematron schema.

    :param tree: the document.
    :param path: where it came from, for the issues.
    :param rng: RELAX NG schema to use, or None to skip the grammar.
    :param sch: Schematron schema to use, or None to skip the rules.
    :param registry_ids: the registry's ids (:class:`RegistryIds`, or a flat collection of ids
        of any kind); None leaves ``@ref`` targets unchecked.
    :return: the report; issues in order: grammar first, then rules, each by line.
    :raise TeiError: a schema cannot be read or compiled.
    """
    if isinstance(tree, etree._Element):
        tree = tree.getroottree()
    # well-formed, but invalid in any schema: an xml:id names one element
    issues = [Issue("error", "xml", None, f"duplicate xml:id {value!r} (first at line {first})",
                    path, line) for value, line, first in duplicate_ids(tree.getroot())]
    if rng is not None:
        issues += _relaxng_issues(compile_relaxng(rng), tree, path)
    if sch is not None:
        issues += _schematron_issues(compile_schematron(sch), tree, path,
                                     RegistryIds.of(registry_ids))
    return ValidationReport.from_issues(issues, path)


def validate_bytes(
    data: bytes,
    path: str | None = None,
    *,
    rng: PathLike | None = None,
    sch: PathLike | None = None,
    registry_ids: RegistryIds | Collection[str] | None = None,
) -> ValidationReport:
    """Parse (safely, never repairing) and validate; malformed input is an ``"xml"`` issue.

    :param rng: RELAX NG schema, as for :func:`validate_tree`.
    :param sch: Schematron schema, as for :func:`validate_tree`.
    :param registry_ids: the registry's ids, as for :func:`validate_tree`.
    """
    try:
        tree = parse_bytes(data, path)
    except TeiError as error:
        return _unreadable(error, path)
    return validate_tree(tree, path, rng=rng, sch=sch, registry_ids=registry_ids)


def validate_file(
    path: PathLike,
    *,
    rng: PathLike | None = None,
    sch: PathLike | None = None,
    registry_ids: RegistryIds | Collection[str] | None = None,
) -> ValidationReport:
    """Read, parse and validate one file (see :func:`validate_tree`).

    A file that cannot be read, is not well-formed or is not a TEI document gives a report
    with one ``"xml"`` error at the line the parser stopped, and no further checks.
    """
    name = str(path)
    try:
        tree = parse_tei(path)
    except TeiError as error:
        return _unreadable(error, name)
    return validate_tree(tree, name, rng=rng, sch=sch, registry_ids=registry_ids)


def _unreadable(error: TeiError, path: str | None) -> ValidationReport:
    issue = Issue("error", "xml", None, error.message, path or error.path, error.line,
                  error.column)
    return ValidationReport(False, (issue,), path)


def _relaxng_issues(schema: etree.RelaxNG, tree: etree._ElementTree,
                    path: str | None) -> list[Issue]:
    if schema.validate(tree):
        return []
    issues = []
    for entry in schema.error_log:
        severity: Severity = "warning" if entry.level_name == "WARNING" else "error"
        issues.append(Issue(severity, "rng", None, entry.message, path, entry.line or None,
                            entry.column or None))
    return issues


def _schematron_issues(xslt: etree.XSLT, tree: etree._ElementTree, path: str | None,
                       registry_ids: RegistryIds | None) -> list[Issue]:
    if registry_ids is None:
        svrl = xslt(tree, registry_loaded="false()")
    else:
        svrl = xslt(tree, registry_loaded="true()",
                    registry_ids=etree.XSLT.strparam(registry_ids.tokens()))
    issues = []
    for finding in _FINDINGS(svrl):
        role = (finding.get("role") or finding.get("flag") or "").lower()
        default: Severity = "error" if finding.tag == f"{{{SVRL_NS}}}failed-assert" else "warning"
        text = finding.findtext(f"{{{SVRL_NS}}}text") or ""
        issues.append(Issue(_SEVERITY_OF_ROLE.get(role, default), "sch", finding.get("id"),
                            " ".join(text.split()), path,
                            _line_of(tree, finding.get("location", ""))))
    return sorted(issues, key=lambda issue: issue.line or 0)


def _line_of(tree: etree._ElementTree, location: str) -> int | None:
    """The line of the node an SVRL ``@location`` XPath names (an attribute: its element's)."""
    try:
        found = tree.xpath(location)
    except etree.XPathError:
        return None
    if not isinstance(found, list) or not found:
        return None
    node = found[0]
    if isinstance(node, etree._Element):
        return node.sourceline
    parent = getattr(node, "getparent", lambda: None)()
    return parent.sourceline if parent is not None else None
