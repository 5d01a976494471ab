"""OAI-PMH 2.0 at ``/oai``: harvesters take every document's Dublin Core record or its TEI as
exported for other archives.

- **Records**: one per indexed document, identified as ``oai:<repository id>:<doc id>``; the
  repository id is ``OAI_REPOSITORY_ID``, else the host of ``BASE_URL``, else the request's
  host. The datestamp is the file's change time when it was last indexed (the index's
  ``mtime_ns``, in UTC, to the second): a rebuild that changes a file moves it.
- **Formats**: ``oai_dc`` (from the indexed header) and ``tei`` (the document as
  ``archive export`` writes it, the registry entries it points to carried within).
- **Sets**: ``kind`` and ``language`` with one subset per value (``kind:letter``,
  ``language:en``); a character a setSpec cannot hold is written ``~XX`` per UTF-8 byte
  (``kind:encyclopedia~20article``), the set's name keeping the value as it is.
- **Deletions**: not remembered (``deletedRecord`` is ``no``): a removed document just stops
  being listed.
- **Paging**: ``OAI_PAGE_SIZE`` records (or headers) per answer; in ``tei``, fewer when the
  next document's ``xml:id``s would repeat one already in the answer (an XML document may not
  hold an id twice, and most TEI documents have a ``p1``). A resumption token is
  stateless: the request's arguments, the last identifier sent and the count so far, encoded.
  Lists are in identifier order, so a token stays valid when the archive changes between two
  pages: the next page starts after the last document sent (a document added before it is
  found by the next incremental harvest, its datestamp being newer); ``completeListSize`` is
  the size of the list as it is now. A token this server did not make is ``badResumptionToken``.

Every answer is XML with status 200, errors included (the protocol's codes); POST (a form)
reads like GET. Nothing here writes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, Response, abort, current_app, request, url_for
from lxml import etree
from werkzeug.exceptions import HTTPException

from archive.config import ARCHIVE_NAME
from archive.errors import ArchiveError
from archive.index import document_catalogue, document_files
from archive.interchange import export_each
from tei.errors import TeiError
from tei.parse import parse_bytes

from .auth import reads_only
from .data import get_settings, require_index, site_url
from .limits import heavy

bp = Blueprint("oai", __name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: metadataPrefix → (schema, namespace).
FORMATS = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC_NS),
    "tei": ("https://tei-c.org/release/xml/tei/custom/schema/xsd/tei_all.xsd",
            "http://www.tei-c.org/ns/1.0"),
}
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
#: verb → (required arguments, optional ones); ``resumptionToken`` is exclusive where allowed.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
RESUMABLE = ("ListSets", "ListIdentifiers", "ListRecords")
#: Set families: setSpec prefix → (catalogue column, name).
SET_FAMILIES = {"kind": ("kind", "Documents by kind"),
                "language": ("language", "Documents by language")}
_SPEC_PART = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")
#: What an attribute value may hold (XML 1.0 characters).
_XML_TEXT = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*\\Z")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
#: Characters of a document id kept as they are in an identifier (others are %-escaped).
_ID_SAFE = "-_.!~*'();/?:@&=+$,"
_DC_FIELDS = (("title", "title"), ("author", "creator"), ("publisher", "publisher"),
              ("date", "date"), ("language", "language"), ("licence", "rights"),
              ("publication", "source"))


class OaiError(Exception):
    """An OAI-PMH error condition: its code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _oai(tag: str) -> str:
    return f"{{{OAI_NS}}}{tag}"


# --- the endpoint ------------------------------------------------------------------------------

@bp.route("/oai", methods=["GET", "POST"])
@reads_only
def endpoint() -> Response:
    """One OAI-PMH request: arguments from the query string (GET) or the form (POST)."""
    arguments = request.form if request.method == "POST" else request.args
    try:
        verb, args = check_arguments(arguments)
    except OaiError as error:
        return answer(None, [error])
    try:
        require_index()
        return answer(args, HANDLERS[verb](args))
    except OaiError as error:
        return answer(args, [error])


@bp.errorhandler(400)
def bad_request(error: HTTPException) -> Response:
    """A request over the viewer's bounds (too many or too long parameters): badArgument."""
    return answer(None, [OaiError("badArgument", str(error.description))])


def check_arguments(arguments: Any) -> tuple[str, dict[str, str]]:
    """The verb and its arguments, checked against the verb's.

    :raise OaiError: badVerb (no verb, an unknown or repeated one), badArgument (an argument
        repeated, unknown to the verb, missing, or beside an exclusive ``resumptionToken``).
    """
    verbs = arguments.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OaiError("badVerb", "Missing, repeated or unknown verb: one of "
                                  + ", ".join(VERBS) + ".")
    verb = verbs[0]
    args: dict[str, str] = {}
    for name in arguments:
        values = arguments.getlist(name)
        if len(values) > 1:
            raise OaiError("badArgument", f"The argument {name!r} is repeated.")
        if not _XML_TEXT.match(name + values[0]):
            raise OaiError("badArgument", f"The argument {name!r} holds characters XML cannot.")
        args[name] = values[0]
    given = set(args) - {"verb"}
    required, optional = VERBS[verb]
    if "resumptionToken" in given and verb in RESUMABLE:
        if given != {"resumptionToken"}:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    unknown = sorted(given - required - optional)
    if unknown:
        raise OaiError("badArgument", f"{verb} takes no argument {', '.join(map(repr, unknown))}.")
    missing = sorted(required - given)
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument {', '.join(missing)}.")
    return verb, args


def answer(args: Mapping[str, str] | None, content: Iterable[etree._Element] | list[OaiError],
           ) -> Response:
    """The OAI-PMH envelope: ``responseDate``, ``request`` (its attributes only when the
    arguments were valid), then the verb's element or the errors."""
    root = etree.Element(_oai("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    etree.SubElement(root, _oai("responseDate")).text = stamp(datetime.now(UTC))
    request_element = etree.SubElement(root, _oai("request"))
    request_element.text = base_url()
    if args is not None and not any(isinstance(item, OaiError)
                                    and item.code in ("badVerb", "badArgument")
                                    for item in content):
        for name, value in args.items():
            request_element.set(name, value)
    for item in content:
        if isinstance(item, OaiError):
            error = etree.SubElement(root, _oai("error"), code=item.code)
            error.text = item.message
        else:
            root.append(item)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(data, mimetype="text/xml")


def base_url() -> str:
    """The endpoint's public URL: under ``BASE_URL`` when it is set."""
    return site_url() + "/oai"


def repository_id() -> str:
    """The namespace of the identifiers: ``OAI_REPOSITORY_ID``, else ``BASE_URL``'s host, else
    the request's (without its port)."""
    configured = current_app.config.get("OAI_REPOSITORY_ID")
    if configured:
        return str(configured)
    base = current_app.config.get("BASE_URL")
    host = urlsplit(str(base)).hostname if base else None
    return host or request.host.rsplit(":", 1)[0].strip("[]")


# --- dates, identifiers, sets ------------------------------------------------------------------

def stamp(moment: datetime) -> str:
    """A UTC time as the protocol writes it, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def datestamp(row: Mapping[str, Any]) -> int:
    """A document's datestamp in whole seconds since the epoch (UTC)."""
    return int(row["mtime_ns"]) // 1_000_000_000


def parse_date(value: str, end: bool) -> tuple[int, str]:
    """``from``/``until``: seconds since the epoch (a day's last second for ``until`` given as
    a day), and its granularity (``day`` or ``second``).

    :raise OaiError: badArgument (neither granularity, or no such date).
    """
    granularity = "day" if _DAY.match(value) else "second" if _SECOND.match(value) else None
    try:
        if granularity == "day":
            moment = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            if end:
                moment += timedelta(days=1, seconds=-1)
        elif granularity == "second":
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        else:
            raise ValueError(value)
    except ValueError:
        raise OaiError("badArgument", f"Not a date of granularity YYYY-MM-DD or {GRANULARITY}:"
                                      f" {value!r}.") from None
    return int(moment.timestamp()), granularity


def identifier(doc_id: str) -> str:
    """The OAI identifier of a document."""
    return f"oai:{repository_id()}:{quote(doc_id, safe=_ID_SAFE)}"


def document_id(value: str) -> str | None:
    """The document id an OAI identifier of this repository names (None: not one of ours)."""
    prefix = f"oai:{repository_id()}:"
    return unquote(value[len(prefix):]) if value.startswith(prefix) else None


def set_specs(row: Mapping[str, Any]) -> list[str]:
    """The sets a document is in (the leaves: ``kind:letter``, ``language:en``)."""
    return [f"{family}:{spec_part(row[column])}"
            for family, (column, _) in SET_FAMILIES.items() if row.get(column)]


def spec_part(value: str) -> str:
    """A value as one part of a setSpec: the characters a setSpec may hold but ``~`` as they
    are, each byte of the others (UTF-8) as ``~XX`` (``encyclopedia article`` →
    ``encyclopedia~20article``): distinct values stay distinct."""
    return "".join(char if char != "~" and _SPEC_PART.match(char)
                   else "".join(f"~{byte:02X}" for byte in char.encode()) for char in value)


def in_set(row: Mapping[str, Any], spec: str) -> bool:
    """True when the document is in set ``spec`` or in one of its subsets."""
    return any(own == spec or own.startswith(spec + ":") for own in set_specs(row))


# --- the verbs ---------------------------------------------------------------------------------

def identify(args: Mapping[str, str]) -> list[etree._Element]:
    """Identify: the repository's name, address, policies and earliest datestamp."""
    rows = document_catalogue(get_settings())
    earliest = min((datestamp(row) for row in rows), default=0)
    element = etree.Element(_oai("Identify"))
    config = current_app.config
    for tag, text in (
            ("repositoryName", config.get("OAI_REPOSITORY_NAME") or ARCHIVE_NAME),
            ("baseURL", base_url()),
            ("protocolVersion", "2.0"),
            ("adminEmail", config.get("OAI_ADMIN_EMAIL") or "admin@example.org"),
            ("earliestDatestamp", stamp(datetime.fromtimestamp(earliest, UTC))),
            ("deletedRecord", "no"),
            ("granularity", GRANULARITY)):
        etree.SubElement(element, _oai(tag)).text = str(text)
    return [element]


def list_metadata_formats(args: Mapping[str, str]) -> list[etree._Element]:
    """ListMetadataFormats: ``oai_dc`` and ``tei``, for every record alike.

    :raise OaiError: idDoesNotExist.
    """
    if "identifier" in args:
        find_document(args["identifier"])
    element = etree.Element(_oai("ListMetadataFormats"))
    for prefix, (schema, namespace) in FORMATS.items():
        entry = etree.SubElement(element, _oai("metadataFormat"))
        etree.SubElement(entry, _oai("metadataPrefix")).text = prefix
        etree.SubElement(entry, _oai("schema")).text = schema
        etree.SubElement(entry, _oai("metadataNamespace")).text = namespace
    return [element]


def list_sets(args: Mapping[str, str]) -> list[etree._Element]:
    """ListSets: the families and their values, all in one answer (a few dozen at most).

    :raise OaiError: badResumptionToken (none is ever issued), noSetHierarchy (no document
        is in any set).
    """
    if "resumptionToken" in args:
        raise OaiError("badResumptionToken", "ListSets is answered whole: it issues no token.")
    values: dict[str, set[str]] = {family: set() for family in SET_FAMILIES}
    for row in document_catalogue(get_settings()):
        for family, (column, _) in SET_FAMILIES.items():
            if row.get(column):
                values[family].add(row[column])
    if not any(values.values()):
        raise OaiError("noSetHierarchy", "No document is in any set.")
    element = etree.Element(_oai("ListSets"))
    for family, (_, name) in SET_FAMILIES.items():
        if not values[family]:
            continue
        _set(element, family, name)
        for value in sorted(values[family]):
            _set(element, f"{family}:{spec_part(value)}", f"{name}: {value}")
    return [element]


def _set(parent: etree._Element, spec: str, name: str) -> None:
    entry = etree.SubElement(parent, _oai("set"))
    etree.SubElement(entry, _oai("setSpec")).text = spec
    etree.SubElement(entry, _oai("setName")).text = name


def get_record(args: Mapping[str, str]) -> list[etree._Element]:
    """GetRecord: one record in one format.

    :raise OaiError: cannotDisseminateFormat, idDoesNotExist.
    """
    prefix = check_prefix(args["metadataPrefix"])
    row = find_document(args["identifier"])
    element = etree.Element(_oai("GetRecord"))
    element.extend(records([row], prefix))
    return [element]


def list_identifiers(args: Mapping[str, str]) -> list[etree._Element]:
    """ListIdentifiers: one page of headers."""
    return list_page("ListIdentifiers", args)


def list_records(args: Mapping[str, str]) -> list[etree._Element]:
    """ListRecords: one page of records."""
    return list_page("ListRecords", args)


HANDLERS: dict[str, Callable[[Mapping[str, str]], list[etree._Element]]] = {
    "Identify": identify, "ListMetadataFormats": list_metadata_formats, "ListSets": list_sets,
    "GetRecord": get_record, "ListIdentifiers": list_identifiers, "ListRecords": list_records,
}


def check_prefix(prefix: str) -> str:
    """:raise OaiError: badArgument (not a metadataPrefix at all), cannotDisseminateFormat."""
    if not _PREFIX.match(prefix):
        raise OaiError("badArgument", f"Not a metadataPrefix: {prefix!r}.")
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat",
                       f"No metadata format {prefix!r}: {', '.join(FORMATS)}.")
    return prefix


def find_document(value: str) -> dict[str, Any]:
    """The catalogue row of the document an identifier names.

    :raise OaiError: idDoesNotExist.
    """
    doc_id = document_id(value)
    for row in document_catalogue(get_settings()) if doc_id is not None else ():
        if row["id"] == doc_id:
            return row
    raise OaiError("idDoesNotExist", f"No record {value!r} in this repository.")


def list_page(verb: str, args: Mapping[str, str]) -> list[etree._Element]:
    """One page of a list, its resumption token after it when the list goes on.

    :raise OaiError: badArgument, badResumptionToken, cannotDisseminateFormat, noRecordsMatch,
        noSetHierarchy.
    """
    if "resumptionToken" in args:
        query, after, cursor = read_token(verb, args["resumptionToken"])
    else:
        query, after, cursor = dict(args), "", 0
        query.pop("verb", None)
    prefix, matching = selection(query)
    if not matching:
        raise OaiError("noRecordsMatch", "No record matches the request.")
    rest = [row for row in matching if row["id"] > after]
    if not rest:  # a token whose remaining records were all removed since
        raise OaiError("noRecordsMatch", "No record remains after the ones already sent.")
    size = max(1, int(current_app.config["OAI_PAGE_SIZE"]))
    page = rest[:size]
    element = etree.Element(_oai(verb))
    if verb == "ListIdentifiers":
        element.extend(header(row) for row in page)
    else:
        found = records(page, prefix)
        page = page[:len(found)]
        element.extend(found)
    if len(rest) > len(page) or cursor:  # a list in more than one answer: where we are
        token = etree.SubElement(element, _oai("resumptionToken"),
                                 completeListSize=str(len(matching)), cursor=str(cursor))
        if len(rest) > len(page):
            token.text = make_token(verb, query, page[-1]["id"], cursor + len(page))
    return [element]


def selection(query: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """The metadata prefix and the catalogue rows a list request selects, in id order.

    :raise OaiError: badArgument (dates), cannotDisseminateFormat, noSetHierarchy.
    """
    prefix = check_prefix(query["metadataPrefix"])
    start, start_kind = parse_date(query["from"], end=False) if "from" in query else (None, None)
    end, end_kind = parse_date(query["until"], end=True) if "until" in query else (None, None)
    if start_kind and end_kind and start_kind != end_kind:
        raise OaiError("badArgument", "from and until differ in granularity.")
    if start is not None and end is not None and start > end:
        raise OaiError("badArgument", "from is later than until.")
    spec = query.get("set")
    if spec is not None and not _SET_SPEC.match(spec):
        raise OaiError("badArgument", f"Not a setSpec: {spec!r}.")
    rows = document_catalogue(get_settings())
    if spec is not None and not any(set_specs(row) for row in rows):
        raise OaiError("noSetHierarchy", "This repository has no sets: no document is in one.")
    return prefix, [row for row in rows
                    if (start is None or datestamp(row) >= start)
                    and (end is None or datestamp(row) <= end)
                    and (spec is None or in_set(row, spec))]


# --- records -----------------------------------------------------------------------------------

def header(row: Mapping[str, Any]) -> etree._Element:
    """A record's header: identifier, datestamp, sets."""
    element = etree.Element(_oai("header"))
    etree.SubElement(element, _oai("identifier")).text = identifier(row["id"])
    etree.SubElement(element, _oai("datestamp")).text = stamp(
        datetime.fromtimestamp(datestamp(row), UTC))
    for spec in set_specs(row):
        etree.SubElement(element, _oai("setSpec")).text = spec
    return element


def records(rows: list[dict[str, Any]], prefix: str) -> list[etree._Element]:
    """Records (header and metadata in format ``prefix``) for the first rows: all of them in
    ``oai_dc``; in ``tei`` as many as can share one answer (see :func:`tei_documents`)."""
    if prefix == "tei":
        documents = tei_documents(rows)
    else:
        documents = [dublin_core(row) for row in rows]
    found = []
    for row, document in zip(rows, documents, strict=False):
        record = etree.Element(_oai("record"))
        record.append(header(row))
        etree.SubElement(record, _oai("metadata")).append(document)
        found.append(record)
    return found


def tei_documents(rows: list[dict[str, Any]]) -> list[etree._Element]:
    """The exported TEI of the first rows (at least one), up to the first whose ``xml:id``s
    meet those of the ones before: ids must be unique in the whole answer, and two documents
    often both have a ``p1``. The next page starts with the document left out.

    :raise werkzeug.exceptions.ServiceUnavailable: the files changed under the index (a build
        under way), or the heavy requests are all taken.
    """
    settings = get_settings()
    documents: list[etree._Element] = []
    seen: set[str] = set()
    # the exports read every file of the page and the registry: one of the heavy requests
    with heavy():
        try:
            paths = dict(document_files(settings))
            for doc_id, data in export_each(settings, [row["id"] for row in rows]):
                root = parse_bytes(data, str(paths[doc_id])).getroot()
                ids = {value for value in root.xpath("//@xml:id")}
                if documents and ids & seen:
                    break
                seen |= ids
                documents.append(root)
        except (ArchiveError, TeiError, KeyError) as error:
            abort(503, f"The archive is being rebuilt: try again ({error}).")
    return documents


def dublin_core(row: Mapping[str, Any]) -> etree._Element:
    """The document's header fields as unqualified Dublin Core (``oai_dc:dc``)."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS,
                                                       "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {FORMATS['oai_dc'][0]}")

    def add(name: str, text: str) -> None:
        etree.SubElement(root, f"{{{DC_NS}}}{name}").text = text

    for column, name in _DC_FIELDS:
        if row.get(column):
            add(name, str(row[column]))
    add("type", "Text")
    if row.get("kind"):
        add("type", str(row["kind"]))
    add("format", "application/tei+xml")
    add("identifier", document_url(row["id"]))
    return root


def document_url(doc_id: str) -> str:
    """The public URL of a document's reading page."""
    return site_url() + url_for("documents.read", doc_id=doc_id)


# --- resumption tokens -------------------------------------------------------------------------

def make_token(verb: str, query: Mapping[str, str], after: str, cursor: int) -> str:
    """A stateless token: the verb, the request's arguments, the last id sent, the count."""
    data = json.dumps({"v": verb, "q": dict(query), "a": after, "c": cursor},
                      separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def read_token(verb: str, token: str) -> tuple[dict[str, str], str, int]:
    """The arguments, last id and count a token holds.

    :raise OaiError: badResumptionToken (not one of ours, or of another verb).
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        data = None
    allowed = VERBS[verb][0] | VERBS[verb][1]
    if (not isinstance(data, dict) or set(data) != {"v", "q", "a", "c"} or data["v"] != verb
            or not isinstance(data["q"], dict) or not isinstance(data["a"], str)
            or type(data["c"]) is not int or data["c"] < 1
            or not set(data["q"]) <= allowed or "metadataPrefix" not in data["q"]
            or not all(isinstance(value, str) for value in data["q"].values())):
        raise OaiError("badResumptionToken", f"Not a resumption token of {verb}: {token!r}.")
    return data["q"], data["a"], data["c"]
