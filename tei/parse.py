"""The one safe XML parser. Every XML byte that enters the project goes through here.

No network, no silent repair; limits on size, depth and entity expansion. A document without
a DOCTYPE is read with no DTD at all. A DOCTYPE is accepted safely (:class:`DtdAccess`):

- its internal subset's entity declarations are used;
- an external DTD (and the files it names) is read only from the document's own folder tree,
  or found by file name in the folders given as ``search`` (``archive import --dtd-path``);
  anything else (another folder, ``/etc/passwd``, a URL) is not read: it counts as empty;
- entity expansion is bounded by libxml2's limits (a "billion laughs" is refused);
- an entity no DTD that could be read declares is one line naming it and the DTD it needs;
  an entity whose text lies in a file that may not be read is refused the same way.

A stored document (``archive import``) keeps the files its DOCTYPE needs in a *DTD snapshot*
beside it, ``<name>.dtd.json`` (:func:`snapshot_path`): when that file exists, the document's
DOCTYPE is read from it and from nothing else, so the document parses the same wherever it is.

A duplicate ``xml:id`` is well-formed XML (it is a validity error): the tree is returned, and
:func:`duplicate_ids` lists them for validation to report.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import re
import stat
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from .errors import TeiError, TeiLimitError, TeiStructureError, TeiSyntaxError
from .namespaces import TEI_CORPUS, TEI_NS, TEI_ROOT, XML_ID

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument

#: Largest XML input accepted, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Deepest element nesting accepted (libxml2's own hard limit is 256 without huge_tree).
MAX_DEPTH = 256
#: Most files a DOCTYPE may read (the DTD and the entity files it names).
MAX_DTD_FILES = 64
#: Suffix of a stored document's DTD snapshot (``x.xml`` → ``x.dtd.json``).
SNAPSHOT_SUFFIX = ".dtd.json"


_TRAILING_POSITION = re.compile(r",? line \d+, column \d+$")

# libxml2's own safety limits (we never lift them with huge_tree) → a message a reader can act on
_LIMITS = (
    ("Excessive depth", f"elements nested deeper than {MAX_DEPTH} levels: refused"),
    ("Text node too long", "a text node longer than 10 MB: refused"),
    ("Resource limit exceeded", "the document passes the XML parser's size limits: refused"),
    ("Detected an entity reference loop", "recursive entities: refused"),
    ("amplification", "entity expansion too large (a 'billion laughs' document): refused"),
)
_UNDEFINED = re.compile(r"Entity '([^']+)' not defined")
#: libxml2's error for a second element with the same xml:id (a validity error)
_DUPLICATE_ID = "DTD_ID_REDEFINED"


@dataclass(frozen=True)
class DtdAccess:
    """Where the files a DOCTYPE names may be read from.

    :param folders: folder trees whose files may be read (the document's own folder).
    :param search: folders where a DTD or entity file not found is looked up by file name.
    """

    folders: tuple[Path, ...] = ()
    search: tuple[Path, ...] = ()


@dataclass
class Doctype:
    """What a document's DOCTYPE read: the document's base URL and each file's bytes by URL.

    Written beside a stored document as its DTD snapshot (:meth:`to_json`).
    """

    base: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # URLs that were not read

    def to_json(self) -> bytes:
        files = {url: base64.b64encode(data).decode("ascii") for url, data in self.files.items()}
        return (json.dumps({"base": self.base, "files": files}, indent=1, sort_keys=True)
                + "\n").encode("ascii")

    @classmethod
    def from_json(cls, data: bytes, path: str) -> Doctype:
        try:
            record = json.loads(data)
            return cls(record["base"], {str(url): base64.b64decode(text)
                                        for url, text in record["files"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TeiSyntaxError("unreadable DTD snapshot", path) from None


def snapshot_path(path: str | os.PathLike[str]) -> Path:
    """The DTD snapshot of a stored document: ``tei/x.xml`` → ``tei/x.dtd.json``."""
    document = Path(path)
    return document.with_name(document.stem + SNAPSHOT_SUFFIX)


class _Resolver(etree.Resolver):
    """Serves every external file libxml2 asks for: from the snapshot, or from the allowed
    folders; anything else is served empty (never left to libxml2's own loader)."""

    def __init__(self, access: DtdAccess, snapshot: Doctype | None, read: Doctype) -> None:
        super().__init__()
        self.access = access
        self.snapshot = snapshot
        self.read = read

    def resolve(self, system_url: str | None, public_id: str | None,
                context: object) -> _InputDocument:
        data = self._data(system_url or "")
        if data is None:
            self.read.refused.append(system_url or public_id or "")
            data = b""
        else:
            self.read.files[system_url or ""] = data
        return self.resolve_string(data, context, base_url=system_url)

    def _data(self, url: str) -> bytes | None:
        if self.snapshot is not None:
            return self.snapshot.files.get(url)
        if len(self.read.files) >= MAX_DTD_FILES:
            return None
        file = _local_file(url, self.access)
        if file is None:
            return None
        try:
            return read_file(file)
        except TeiError:
            return None


def _local_file(url: str, access: DtdAccess) -> Path | None:
    """The file ``url`` names when it lies in an allowed folder tree, else the file of that
    name in a search folder, else None (URLs of the network are never files)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("", "file") or parts.netloc not in ("", "localhost"):
        return None
    path = Path(urllib.parse.unquote(parts.path))
    if path.is_absolute():
        real = Path(os.path.realpath(path))
        for folder in access.folders:
            if real.is_relative_to(os.path.realpath(folder)) and real.is_file():
                return real
    for folder in access.search:
        candidate = folder / path.name
        if path.name and candidate.is_file():
            return candidate
    return None


def _parser(dtd: bool = False, recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=dtd,
        no_network=True,
        load_dtd=dtd,
        attribute_defaults=False,
        dtd_validation=False,
        recover=recover,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
    )


def parse_bytes(data: bytes, path: str | None = None, *,
                dtd: DtdAccess | None = None) -> etree._ElementTree:
    """Parse XML bytes safely.

    :param data: the document's bytes (the encoding is taken from the BOM or declaration).
    :param path: named in error messages; when it names a file, that file's folder tree is
        where its DOCTYPE's files may be read from (or its DTD snapshot, when it has one).
    :param dtd: where a DOCTYPE's files may be read from (instead of the file's folder).
    :return: the parsed tree, entities expanded.
    :raise TeiSyntaxError: not well-formed, not XML, or undecodable.
    :raise TeiLimitError: too large, too deep, an entity that cannot be resolved, or entity
        expansion passing the limits.
    """
    return read_doctype(data, path, dtd)[0]


def read_doctype(data: bytes, path: str | None = None, dtd: DtdAccess | None = None,
                 ) -> tuple[etree._ElementTree, Doctype | None]:
    """Parse like :func:`parse_bytes`; also return what the DOCTYPE read (None: no DOCTYPE).

    :raise TeiError: as :func:`parse_bytes`.
    """
    if len(data) > MAX_BYTES:
        raise TeiLimitError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", path)
    if not data.strip():
        raise TeiSyntaxError("empty file, not XML", path)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<")
    if b"\x00" in data[:4096] and not utf16:
        raise TeiSyntaxError("binary data (NUL bytes), not XML", path)
    tree = _parse(data, path, None)  # no DTD read: entities left as they are
    docinfo = tree.docinfo
    doctype: Doctype | None = None
    if docinfo.doctype or docinfo.internalDTD is not None:
        snapshot = _snapshot(path) if dtd is None else None
        access = dtd if dtd is not None else _own_folder(path)
        doctype = Doctype(snapshot.base if snapshot else _base(path))
        resolver = _Resolver(access, snapshot, doctype)
        tree = _parse(data, path, resolver, doctype.base, docinfo.system_url)
        _check_external_entities(tree, data, doctype, path)
    if not PARSER_LIMITS_DEPTH:
        _check_depth(tree.getroot(), path)
    return tree, doctype


def _parse(data: bytes, path: str | None, resolver: _Resolver | None,
           base: str | None = None, system_url: str | None = None) -> etree._ElementTree:
    """One parse: without DTD (``resolver`` None) or reading the DOCTYPE through it."""
    recover = False
    while True:
        parser = _parser(dtd=resolver is not None, recover=recover)
        if resolver is not None:
            parser.resolvers.add(resolver)
        try:
            root = etree.fromstring(data, parser, base_url=base)
            return etree.ElementTree(root)
        except etree.XMLSyntaxError as error:
            errors = [entry for entry in parser.error_log if entry.level_name != "WARNING"]
            if not recover and errors and all(e.type_name == _DUPLICATE_ID for e in errors):
                recover = True  # well-formed, only invalid: the tree is whole, read it
                continue
            raise _syntax_error(error, path, resolver, system_url) from None
        except (ValueError, UnicodeError) as error:
            raise TeiSyntaxError(f"cannot decode as XML: {error}", path) from None


def _syntax_error(error: etree.XMLSyntaxError, path: str | None, resolver: _Resolver | None,
                  system_url: str | None) -> TeiError:
    line, column = error.position if error.position else (None, None)
    # one line: libxml2's messages may hold newlines and repeat the position at the end
    message = _TRAILING_POSITION.sub("", " ".join((error.msg or str(error)).split()))
    for marker, limit in _LIMITS:
        if marker in message:
            return TeiLimitError(limit, path, line, column)
    undefined = _UNDEFINED.search(message)
    if undefined and resolver is not None:
        name, dtd = undefined.group(1), system_url or "its DTD"
        refused = resolver.read.refused
        if refused:
            shown = ", ".join(repr(_short(url)) for url in dict.fromkeys(refused))
            return TeiLimitError(
                f"entity &{name}; is not defined: it needs the DTD {dtd!r}, and {shown} could "
                f"not be read (only files in the document's own folder tree are read; give "
                f"--dtd-path DIR)", path, line, column)
        return TeiLimitError(f"entity &{name}; is not defined: neither the DTD {dtd!r} nor the "
                             f"internal subset declares it", path, line, column)
    if undefined:
        return TeiLimitError(f"entity &{undefined.group(1)}; is not defined (no DTD declares "
                             f"it)", path, line, column)
    return TeiSyntaxError(f"not well-formed XML: {message}", path, line, column)


def _short(url: str) -> str:
    return url if len(url) <= 100 else f"...{url[-97:]}"


def _own_folder(path: str | None) -> DtdAccess:
    if path is None or not os.path.isfile(path):
        return DtdAccess()
    return DtdAccess((Path(os.path.realpath(path)).parent,))


def _base(path: str | None) -> str | None:
    return os.path.realpath(path) if path is not None and os.path.isfile(path) else None


def _snapshot(path: str | None) -> Doctype | None:
    if path is None:
        return None
    snapshot = snapshot_path(path)
    if not snapshot.is_file():
        return None
    return Doctype.from_json(read_file(snapshot), str(snapshot))


def _check_external_entities(tree: etree._ElementTree, data: bytes, doctype: Doctype,
                             path: str | None) -> None:
    """An entity the text uses whose file was not read is refused (never silently empty)."""
    if not doctype.refused:
        return
    refused = {Path(urllib.parse.urlsplit(url).path).name for url in doctype.refused}
    for dtd in (tree.docinfo.internalDTD, tree.docinfo.externalDTD):
        for entity in dtd.iterentities() if dtd is not None else ():
            system = entity.system_url
            if (system and Path(urllib.parse.urlsplit(system).path).name in refused
                    and f"&{entity.name};".encode() in data):
                raise TeiLimitError(f"entity &{entity.name}; refers to {_short(system)!r}, "
                                    f"which is not in the document's own folder tree: not "
                                    f"read, refused", path)


def duplicate_ids(root: etree._Element) -> Iterator[tuple[str, int | None, int | None]]:
    """Each ``xml:id`` used again: ``(id, line, line of its first use)``, in document order."""
    first: dict[str, int | None] = {}
    for element in root.iter():
        value = element.get(XML_ID) if isinstance(element.tag, str) else None
        if value is None:
            continue
        if value in first:
            yield value, element.sourceline, first[value]
        else:
            first[value] = element.sourceline


def _parser_limits_depth() -> bool:
    """Whether libxml2 itself refuses elements nested deeper than :data:`MAX_DEPTH` (it does
    without ``huge_tree``, counting the elements of expanded entities too): asked once, so that
    a libxml2 built otherwise is still guarded by :func:`_check_depth`."""
    deep = MAX_DEPTH + 1
    try:
        etree.fromstring(b"<a>" * deep + b"</a>" * deep, _parser())
    except etree.XMLSyntaxError as error:
        return "Excessive depth" in str(error)
    return False


def _check_depth(root: etree._Element, path: str | None) -> None:
    # a walk of every element in Python: only where the parser does not limit depth itself
    depth_of = {root: 1}
    for element in root.iterdescendants():
        parent = element.getparent()
        depth = depth_of[parent] + 1 if parent is not None else 1
        if depth > MAX_DEPTH:
            raise TeiLimitError(f"elements nested deeper than {MAX_DEPTH} levels", path,
                                element.sourceline)
        if len(element):
            depth_of[element] = depth


def read_file(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, at most ``limit`` of them.

    Anything that is not a regular file (a directory, a device such as ``/dev/zero``, a FIFO,
    a socket, or a link to one) is refused before it is opened for reading, and the size is
    counted while reading (``st_size`` is not trusted), so that no input can hang a run or
    fill the memory.

    :raise TeiSyntaxError: missing, unreadable, or not a regular file (the message says which).
    :raise TeiLimitError: longer than ``limit`` bytes.
    """
    name = str(path)
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise TeiSyntaxError(f"{_file_kind(mode)}, not a regular file: refused", name)
        # O_NONBLOCK: should a FIFO replace the file after the stat, opening it cannot hang
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise TeiSyntaxError("not a regular file: refused", name)
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise TeiSyntaxError("no such file", name) from None
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise TeiSyntaxError("file name too long", name) from None
        raise TeiSyntaxError(f"cannot read: {error.strerror or error}", name) from None
    if len(data) > limit:
        raise TeiLimitError(f"file is larger than {_megabytes(limit)}", name)
    return data


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def _megabytes(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def parse_file(path: str | os.PathLike[str]) -> etree._ElementTree:
    """Read and parse an XML file safely (see :func:`read_file` and :func:`parse_bytes`).

    :raise TeiSyntaxError: unreadable, not a regular file, or not well-formed.
    """
    return parse_bytes(read_file(path), str(path))


def parse_tei(path: str | os.PathLike[str]) -> etree._ElementTree:
    """Parse a file and check that its root is TEI P5 (``TEI`` or ``teiCorpus``).

    :raise TeiStructureError: well-formed but not namespaced TEI.
    """
    return parse_tei_bytes(read_file(path), str(path))


def parse_tei_bytes(data: bytes, path: str | None = None, *,
                    dtd: DtdAccess | None = None) -> etree._ElementTree:
    """Parse bytes and check that the root is TEI P5 (see :func:`parse_tei`)."""
    tree = parse_bytes(data, path, dtd=dtd)
    check_tei_root(tree, path)
    return tree


def check_tei_root(tree: etree._ElementTree, path: str | None = None) -> None:
    """:raise TeiStructureError: the root is not ``TEI`` or ``teiCorpus`` in the TEI
    namespace (the message says what it is)."""
    root = tree.getroot()
    if root.tag not in (TEI_ROOT, TEI_CORPUS):
        qname = etree.QName(root)
        if qname.localname in ("TEI", "teiCorpus"):
            found = qname.namespace or "no namespace"
            raise TeiStructureError(
                f"root element {qname.localname} is in {found}, not the TEI namespace {TEI_NS}",
                path, root.sourceline)
        raise TeiStructureError(f"root element is <{qname.localname}>, not a TEI document",
                                path, root.sourceline)


#: libxml2 refuses too deep documents while parsing (see :func:`_parser_limits_depth`), so no
#: parsed tree is walked again to measure its depth.
PARSER_LIMITS_DEPTH = _parser_limits_depth()
