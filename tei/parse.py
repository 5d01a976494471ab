"""The one safe XML parser. Every XML byte that enters the project goes through here.

No entity resolution, no DTD loading, no network, no silent repair; limits on size and depth.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from lxml import etree

from .errors import TeiLimitError, TeiStructureError, TeiSyntaxError
from .namespaces import TEI_CORPUS, TEI_NS, TEI_ROOT

#: Largest XML input accepted, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Deepest element nesting accepted (libxml2's own hard limit is 256 without huge_tree).
MAX_DEPTH = 256


_TRAILING_POSITION = re.compile(r",? line \d+, column \d+$")

# libxml2's own safety limits (we never lift them with huge_tree) → a message a reader can act on
_LIMITS = (
    ("Excessive depth", f"elements nested deeper than {MAX_DEPTH} levels: refused"),
    ("Text node too long", "a text node longer than 10 MB: refused"),
    ("Resource limit exceeded", "the document passes the XML parser's size limits: refused"),
    ("Detected an entity reference loop", "recursive entities: refused"),
    ("amplification", "entity expansion too large (a 'billion laughs' document): refused"),
)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        recover=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
    )


def parse_bytes(data: bytes, path: str | None = None) -> etree._ElementTree:
    """Parse XML bytes safely.

    :param data: the document's bytes (the encoding is taken from the BOM or declaration).
    :param path: used in error messages only.
    :return: the parsed tree.
    :raise TeiSyntaxError: not well-formed, not XML, or undecodable.
    :raise TeiLimitError: too large, too deep, or declares a DTD/entities.
    """
    if len(data) > MAX_BYTES:
        raise TeiLimitError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB", path)
    if not data.strip():
        raise TeiSyntaxError("empty file, not XML", path)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2] in (b"<\x00", b"\x00<")
    if b"\x00" in data[:4096] and not utf16:
        raise TeiSyntaxError("binary data (NUL bytes), not XML", path)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (None, None)
        # one line: libxml2's messages may hold newlines and repeat the position at the end
        message = _TRAILING_POSITION.sub("", " ".join((error.msg or str(error)).split()))
        for marker, limit in _LIMITS:
            if marker in message:
                raise TeiLimitError(limit, path, line, column) from None
        raise TeiSyntaxError(f"not well-formed XML: {message}", path, line, column) from None
    except (ValueError, UnicodeError) as error:
        raise TeiSyntaxError(f"cannot decode as XML: {error}", path) from None
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise TeiLimitError("a DTD or entity declarations are not accepted", path, 1)
    _check_depth(tree.getroot(), path)
    return tree


def _check_depth(root: etree._Element, path: str | None) -> None:
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


def parse_tei_bytes(data: bytes, path: str | None = None) -> etree._ElementTree:
    """Parse bytes and check that the root is TEI P5 (see :func:`parse_tei`)."""
    tree = parse_bytes(data, path)
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
    return tree
