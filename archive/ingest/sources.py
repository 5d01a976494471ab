"""Read one input file into a :class:`~archive.model.Source`: decode, pick a reader, add metadata.

Metadata comes, weakest first, from what the reader guesses from the text (title line,
byline), from a TOML sidecar beside the file (``<stem>.toml`` or ``<name>.toml``), and from
the caller's ``overrides``. Bad input raises :class:`~archive.errors.SourceError` naming the
file and the problem.
"""

from __future__ import annotations

import codecs
import datetime
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from tei.errors import TeiError, TeiLimitError
from tei.parse import read_file

from ..errors import SourceError
from ..model import Metadata, Source
from ..store import MAX_ID_BYTES, is_id_char
from .readers import READERS

#: File extension -> format name (the key of the reader in ``archive.ingest.READERS``).
SOURCE_FORMATS: dict[str, str] = {
    ".txt": "text", ".text": "text",
    ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html",
}
#: Metadata fields a sidecar or ``overrides`` may set.
METADATA_FIELDS = ("id", "title", "author", "publisher", "periodical", "issue", "date",
                   "language", "kind", "licence", "note")
#: A source larger than this is refused: tagging runs at a few thousand words a second, so a
#: bigger text is better split into several sources (chapters, issues) than tagged for an hour.
MAX_BYTES = 10 * 1024 * 1024
#: A metadata sidecar larger than this is refused (it holds a few lines).
MAX_SIDECAR_BYTES = 1024 * 1024

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"PK\x03\x04", "a ZIP archive (or DOCX/EPUB)"),
    (b"%PDF-", "a PDF document"), (b"GIF8", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"), (b"\x7fELF", "an executable"),
)
_ISO_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?$")
#: Characters XML 1.0 cannot hold (C0 controls but tab and line ends, and U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_for(path: str | os.PathLike[str]) -> str:
    """The format of a file, from its extension.

    :param path: the file.
    :return: ``"text"``, ``"markdown"`` or ``"html"``.
    :raise SourceError: the extension is not one we read.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SOURCE_FORMATS:
        known = ", ".join(sorted(SOURCE_FORMATS))
        raise SourceError(f"unknown source format {suffix or '(no extension)'!r}; "
                          f"expected one of {known}, or give the format", str(path))
    return SOURCE_FORMATS[suffix]


def read_source(path: str | os.PathLike[str], format: str | None = None,
                overrides: dict[str, Any] | None = None) -> Source:
    """Read a source file: its blocks, its decoded text and its metadata.

    :param path: the file (``.txt``, ``.md``, ``.html``, …).
    :param format: the format, overriding the sidecar's ``format`` and the extension.
    :param overrides: metadata that wins over the sidecar and the text
        (keys among :data:`METADATA_FIELDS`; ``None`` values are ignored).
    :return: the :class:`Source`; its ``text`` is the decoded file with ``"\\n"`` line
        ends and no byte-order mark, and every span offset indexes into it.
    :raise SourceError: missing or unreadable file, empty, binary or undecodable content,
        a malformed sidecar, an unknown format or metadata key.
    """
    file = Path(path)
    data = _read_bytes(file)
    text = decode(data, str(file))
    sidecar = load_sidecar(file)
    sidecar_format = sidecar.pop("format", None)
    chosen = format or sidecar_format or format_for(file)
    if chosen not in READERS:
        raise SourceError(f"unknown source format {chosen!r}; known: "
                          f"{', '.join(sorted(READERS))}", str(file))
    reading = READERS[chosen](text)
    if not reading.blocks:
        raise SourceError("no text found in the file", str(file))
    fields: dict[str, str] = {"id": slugify_id(file.stem),
                              "title": reading.title or _NOT_XML.sub(" ", file.stem)}
    fields.update(reading.guesses)
    fields.update(sidecar)
    fields.update(_checked(overrides or {}, str(file), "override"))
    return Source(Metadata(**fields), reading.blocks, text, chosen, str(file))


def _read_bytes(file: Path, limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes (devices, FIFOs and sockets refused unopened; at most ``limit``)."""
    if file.is_dir():
        raise SourceError("is a directory, not a source file", str(file))
    try:
        return read_file(file, limit)
    except TeiLimitError:
        raise SourceError(f"file too large (more than {limit // 2**20} MB: split it into "
                          "several sources)", str(file)) from None
    except TeiError as error:
        raise SourceError(error.message, str(file)) from None


def decode(data: bytes, path: str | None = None) -> str:
    """Decode a source's bytes: strict UTF-8 (a BOM is dropped), or UTF-16/32 with a BOM.

    Line ends become ``"\\n"``, as ``open(path, encoding="utf-8").read()`` makes them.

    :raise SourceError: binary content, invalid UTF-8, or nothing but whitespace.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        for magic, what in _MAGIC:
            if data.startswith(magic):
                raise SourceError(f"binary file ({what}), not a text source", path)
        if b"\x00" in data:
            raise SourceError("binary file (contains NUL bytes), not a text source", path)
        encoding = "utf-8"
    elif encoding == "utf-8":
        data = data[len(codecs.BOM_UTF8):]
    try:
        text = data.decode(encoding, errors="strict")  # utf-16/32 consume their BOM
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourceError(f"not valid {encoding.upper()} at byte {error.start} (line {line}): "
                          f"{error.reason}; convert the file to UTF-8", path) from error
    if "\x00" in text:
        raise SourceError("binary file (contains NUL characters), not a text source", path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # control characters XML cannot hold (a form feed, a stray U+0001) carry no text: each
    # becomes a space, so that every offset into the text stays what it was
    text = _NOT_XML.sub(" ", text)
    if not text.strip():
        raise SourceError("empty file (nothing but whitespace)", path)
    return text


def sidecar_path(path: str | os.PathLike[str]) -> Path | None:
    """The metadata sidecar of a file: ``<name>.toml``, else ``<stem>.toml``, if present."""
    file = Path(path)
    for candidate in (file.with_name(file.name + ".toml"), file.with_suffix(".toml")):
        try:
            if candidate != file and candidate.is_file():
                return candidate
        except OSError:  # a name too long for the file system: there is no such sidecar
            continue
    return None


def load_sidecar(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata in a file's sidecar (empty when there is none), checked.

    :return: metadata fields as strings, plus ``format`` when the sidecar names one.
    :raise SourceError: the sidecar is not valid TOML, or has an unknown key or bad value.
    """
    sidecar = sidecar_path(path)
    if sidecar is None:
        return {}
    data = _read_bytes(sidecar, MAX_SIDECAR_BYTES)
    try:
        values = tomllib.loads(data.decode("utf-8-sig"))  # a byte-order mark is dropped
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line 3, column 7)"
        raise SourceError(f"malformed metadata sidecar: {error}", str(sidecar)) from error
    except UnicodeDecodeError as error:
        raise SourceError(f"cannot read metadata sidecar: {error}", str(sidecar)) from error
    except RecursionError:
        raise SourceError("malformed metadata sidecar: arrays or tables nested too deeply",
                          str(sidecar)) from None
    format_name = values.pop("format", None)
    checked = _checked(values, str(sidecar), "sidecar")
    if format_name is not None:
        if format_name not in READERS:
            raise SourceError(f"unknown format {format_name!r} in sidecar; known: "
                              f"{', '.join(sorted(READERS))}", str(sidecar))
        checked["format"] = format_name
    return checked


def _checked(values: dict[str, Any], where: str, what: str) -> dict[str, str]:
    """Metadata values as strings, after checking keys, types, the date and the id."""
    checked: dict[str, str] = {}
    for key, value in values.items():
        if key not in METADATA_FIELDS:
            raise SourceError(f"unknown {what} metadata key {key!r}; known: "
                              f"{', '.join(METADATA_FIELDS)}", where)
        if value is None:
            continue
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool) and key == "issue":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise SourceError(f"{what} metadata {key!r} must be a non-empty string", where)
        if key == "date" and not _valid_date(value):
            raise SourceError(f"{what} metadata date {value!r} is not ISO 8601 "
                              "(YYYY, YYYY-MM or YYYY-MM-DD)", where)
        if (control := _NOT_XML.search(value)) is not None:
            raise SourceError(f"{what} metadata {key!r} holds the control character "
                              f"U+{ord(control.group()):04X}, which XML cannot hold", where)
        if key == "id":
            _check_given_id(value, where, what)
        checked[key] = value.strip()
    return checked


def _valid_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        if len(value) == 10:
            datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _check_given_id(value: str, where: str, what: str) -> None:
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        raise SourceError(f"{what} metadata id {value[:40]!r}... is longer than {MAX_ID_BYTES} "
                          "bytes", where)
    if slugify_id(value) != value:
        raise SourceError(f"{what} metadata id {value!r} may hold only lower-case letters, "
                          f"digits, '_', '.', '-' (try {slugify_id(value)!r})", where)


def slugify_id(stem: str) -> str:
    """A document id from a file stem: lower-case letters of any script, digits, ``_ . -``.

    Letters are kept, not transliterated: ``日本語`` and ``中文`` stay two ids, as ``Café`` and
    ``Cafe`` do (transliteration loses what tells names apart and needs tables per
    language). Compatibility forms are folded (NFKC: full-width letters, ligatures), the
    result is NFC and cut to :data:`~archive.store.MAX_ID_BYTES` bytes.

    >>> slugify_id("000_cc213c6dc1d17911"), slugify_id("Trotsky: Écrits 1923")
    ('000_cc213c6dc1d17911', 'trotsky-écrits-1923')
    """
    text = unicodedata.normalize("NFKC", stem).lower()
    slug = "".join(char if is_id_char(char) else " " for char in text)
    slug = "-".join(slug.split())
    while len(slug.encode("utf-8")) > MAX_ID_BYTES:
        slug = slug[:-1]
    slug = unicodedata.normalize("NFC", slug.strip("-."))
    while slug and not (slug[0] == "_" or unicodedata.category(slug[0])[0] in "LN"):
        slug = slug[1:]  # a leading dot, dash or combining mark
    return slug or "source"
