"""Builders for TEI trees: the element factory and the header skeleton.

Knows TEI, nothing about the archive: callers pass plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from lxml.builder import ElementMaker

from .namespaces import TEI_NS, XML_ID, XML_LANG

#: ``E.p("text")`` → ``<p xmlns="http://www.tei-c.org/ns/1.0">text</p>``
E = ElementMaker(namespace=TEI_NS, nsmap={None: TEI_NS})

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "ru": "Russian",
                  "es": "Spanish", "it": "Italian"}


@dataclass(frozen=True)
class Application:
    """A software component named in ``appInfo``; tags it makes point to it with ``@resp``."""

    id: str
    ident: str
    version: str
    label: str


@dataclass(frozen=True)
class HeaderFields:
    """The values of a document's ``teiHeader``; empty ones are left out."""

    title: str
    idno: str
    publisher: str
    encoded_on: str  # ISO date of the revisionDesc change
    change_note: str
    responsibility: str
    project_description: str
    author: str | None = None
    source_title: str | None = None
    source_publisher: str | None = None
    periodical: str | None = None
    issue: str | None = None
    date: str | None = None
    date_text: str | None = None
    language: str = "en"
    kind: str | None = None
    licence: str | None = None
    note: str | None = None
    applications: Sequence[Application] = ()


def build_header(fields: HeaderFields) -> etree._Element:
    """Build a ``teiHeader`` (see docs/ENCODING.md for the shape).

    :param fields: the values; ``None`` fields produce no element.
    :return: the header element.
    """
    title_stmt = E.titleStmt(E.title(fields.title))
    if fields.author:
        title_stmt.append(E.author(fields.author))
    title_stmt.append(
        E.respStmt(E.resp(fields.responsibility), E.name(fields.publisher),
                   {XML_ID: "resp-archive"})
    )
    availability = E.availability(
        E.licence(fields.licence) if fields.licence else E.p("Licence of the source unknown.")
    )
    publication_stmt = E.publicationStmt(
        E.publisher(fields.publisher), availability, E.idno(fields.idno, type="archive")
    )
    bibl = E.bibl()
    if fields.author:
        bibl.append(E.author(fields.author))
    level = "a" if fields.periodical else "m"  # an article in a journal, or a work of its own
    bibl.append(E.title(fields.source_title or fields.title, level=level))
    if fields.periodical:
        bibl.append(E.title(fields.periodical, level="j"))
    if fields.source_publisher:
        bibl.append(E.publisher(fields.source_publisher))
    if fields.issue:
        bibl.append(E.biblScope(fields.issue, unit="issue"))
    if fields.date:
        bibl.append(E.date(fields.date_text or fields.date, when=fields.date))
    if fields.note:
        bibl.append(E.note(fields.note))
    file_desc = E.fileDesc(title_stmt, publication_stmt, E.sourceDesc(bibl))
    app_info = E.appInfo(*(
        E.application(E.label(app.label), {XML_ID: app.id}, ident=app.ident, version=app.version)
        for app in fields.applications
    ))
    encoding_desc = E.encodingDesc(E.projectDesc(E.p(fields.project_description)))
    if len(app_info):
        encoding_desc.append(app_info)
    language = LANGUAGE_NAMES.get(fields.language, fields.language)
    profile_desc = E.profileDesc(E.langUsage(E.language(language, ident=fields.language)))
    if fields.kind:
        profile_desc.append(E.textClass(E.keywords(E.term(fields.kind, type="kind"))))
    revision_desc = E.revisionDesc(E.change(fields.change_note, when=fields.encoded_on))
    return E.teiHeader(file_desc, encoding_desc, profile_desc, revision_desc)


def build_document(header: etree._Element, body: etree._Element,
                   language: str | None = None) -> etree._ElementTree:
    """Wrap a header and a ``body`` into ``TEI/text``."""
    root = E.TEI(header, E.text(body))
    if language:
        root.set(XML_LANG, language)
    return etree.ElementTree(root)
