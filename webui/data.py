"""Per-request access to the data directory: settings, the index (read only), the registry.

The index is read through :mod:`archive.index` (each thread keeps its own read-only
connection there); the viewer writes no SQL.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Generic, TypeVar

from flask import Flask, abort, current_app, g, has_request_context, request

from archive.config import Settings
from archive.errors import ArchiveError
from archive.index import document_record, index_exists, is_mirror, mention_totals, mirror
from archive.registry import (
    Entry,
    RefResolver,
    Registry,
    load_registry,
    ref_resolver,
    registry_stamp,
)
from archive.store import member_path
from archive.store import valid_id as valid_document_id

#: What a document or entity id may look like in a URL; anything else is a 404 before lookup.
ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}\Z")

_registry_lock = threading.Lock()
_registry_cache: dict[str, tuple[tuple[Any, ...], Registry]] = {}


def get_settings() -> Settings:
    """The archive settings for the configured data directory (``DATA_DIR``)."""
    if "settings" not in g:
        g.settings = Settings.from_env(current_app.config["DATA_DIR"])
    return g.settings  # type: ignore[no-any-return]


def init_mirror(app: Flask) -> None:
    """On a viewer host (its data directory a copy of the archive stored in PostgreSQL: see
    :func:`archive.index.mirror`), bring the copy up to date before each request whenever the
    store changed, so that every page reads the files of the index it shows."""

    @app.before_request
    def refresh_mirror() -> None:
        settings = get_settings()
        if is_mirror(settings.data_dir):
            _mirror_now(settings)


def _mirror_now(settings: Settings) -> None:
    """Bring a viewer host's copy of the files up to date.

    :raise werkzeug.exceptions.ServiceUnavailable: the database cannot be read (one line).
    """
    try:
        mirror(settings)
    except ArchiveError as error:
        abort(503, f"The archive's files cannot be brought up to date: {error}")


def require_index() -> None:
    """Stop the request when there is no index yet.

    :raise werkzeug.exceptions.ServiceUnavailable: 503 with advice.
    """
    if _reading() and g.get("index_found"):  # (asked once a page: a round trip on PostgreSQL)
        return
    settings = get_settings()
    if not index_exists(settings):  # (the file, or with ARCHIVE_INDEX_URL the database's)
        abort(503, f"No index in {settings.data_dir}: run `archive build` first.")
    g.index_found = True


def get_registry() -> Registry:
    """The data directory's registry, read again only when one of its files changed."""
    settings = get_settings()
    stamp = registry_stamp(settings)
    key = str(settings.registry_dir.resolve())
    with _registry_lock:
        cached = _registry_cache.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, load_registry(settings))
            _registry_cache[key] = cached
    return cached[1]


def get_ref_resolver() -> RefResolver:
    """How pointers of each document become registry ids (the index's resolver), built again
    only when the registry or the import record changed."""
    return ref_resolver(get_settings())


def valid_id(value: str) -> bool:
    """True when ``value`` may be a document or entity id (no separators, no dot-dot tricks)."""
    return (bool(ID_PATTERN.match(value)) and ".." not in value) or valid_document_id(value)


def document_or_404(doc_id: str) -> dict[str, Any]:
    """The index row of document ``doc_id`` (see :func:`archive.index.document_record`).

    :raise werkzeug.exceptions.NotFound: malformed or unknown id.
    """
    if not valid_id(doc_id):
        abort(404, f"No document {doc_id!r}")
    found: dict[str, dict[str, Any]] = g.setdefault("document_rows", {})
    if _reading() and doc_id in found:  # a page's parts ask for its row again
        return dict(found[doc_id])
    require_index()
    row = document_record(get_settings(), doc_id)
    if row is None:
        abort(404, f"No document {doc_id!r}")
    found[doc_id] = dict(row)
    return row


def _reading() -> bool:
    """Whether this request only reads (GET, HEAD): what it asked the index once holds for
    the whole request (an edit, which writes and indexes again, asks anew)."""
    return has_request_context() and request.method in ("GET", "HEAD")


def document_path(row: dict[str, Any]) -> Path:
    """The TEI file of an indexed document, always inside the data directory's ``tei/``.

    The index stores the path as it was when indexed (maybe relative to another working
    directory); only its file name is trusted, joined to this server's ``tei/``.

    :raise werkzeug.exceptions.NotFound: the file is gone.
    """
    settings = get_settings()
    tei_dir = settings.tei_dir
    try:  # a link leading out of the data directory is not followed
        path = member_path(tei_dir, Path(row["path"]).name)
    except ArchiveError:
        abort(404, f"No TEI file for document {row['id']!r}")
    if path.parent == tei_dir and not path.is_file() and is_mirror(settings.data_dir):
        _mirror_now(settings)  # a viewer host's copy, older than the index read since
    if path.parent != tei_dir or not path.is_file():
        abort(404, f"No TEI file for document {row['id']!r}")
    return path


def entity_or_404(entity_id: str) -> Entry:
    """The registry entry ``entity_id``.

    :raise werkzeug.exceptions.NotFound: malformed or unknown id.
    """
    entry = registry_entry(entity_id) if valid_id(entity_id) else None
    if entry is None:
        abort(404, f"No entity {entity_id!r}")
    return entry


def registry_entry(entity_id: str) -> Entry | None:
    """The registry entry ``entity_id``, or None. On a viewer host an entry missing from its
    copy of the registry is looked for once more after bringing the copy up to date: the index
    naming it may have been published after this request's refresh (as for a document's file,
    see :func:`document_path`)."""
    entry = get_registry().get(entity_id)
    settings = get_settings()
    if entry is None and is_mirror(settings.data_dir):
        _mirror_now(settings)
        entry = get_registry().get(entity_id)
    return entry


def entry_dict(entry: Entry, mentions: int | None = None) -> dict[str, Any]:
    """A registry entry at the JSON/template edge."""
    return {
        "id": entry.id, "type": entry.type, "name": entry.name,
        "variants": list(entry.variants), "birth": entry.birth, "death": entry.death,
        "geo": list(entry.geo) if entry.geo else None,
        "idnos": [{"type": kind, "value": value, "url": authority_url(kind, value)}
                  for kind, value in entry.idnos],
        "proposed": entry.proposed, "mentions": mentions,
    }


_AUTHORITIES = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "viaf": "https://viaf.org/viaf/{}",
    "geonames": "https://www.geonames.org/{}",
    "gnd": "https://d-nb.info/gnd/{}",
    "lc": "https://id.loc.gov/authorities/names/{}",
    "isni": "https://isni.org/isni/{}",
}
_AUTHORITY_VALUE = re.compile(r"[A-Za-z0-9_\-]+\Z")


def authority_url(kind: str, value: str) -> str | None:
    """A link for a known authority id (``wikidata Q33391``), None for the others."""
    pattern = _AUTHORITIES.get(kind.casefold())
    if pattern is None or not _AUTHORITY_VALUE.match(value):
        return None  # an unchecked value never becomes part of a URL
    return pattern.format(value)


def mention_count(entity_id: str) -> int:
    """How many times the corpus names this entity."""
    require_index()
    return mention_totals(get_settings(), entity_id)[0]


def site_url() -> str:
    """The site's public address, without a final ``/``: ``BASE_URL``, else the one asked by
    (a trusted host: see :mod:`webui.limits`; the response cache keeps pages by host)."""
    return str(current_app.config["BASE_URL"] or request.url_root).rstrip("/")


Value = TypeVar("Value")


class Memo(Generic[Value]):
    """Values made from files, the ``size`` most recently used kept (thread-safe); a key holds
    the file's stamp, so a changed file is made anew."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, Value] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The value kept under ``key``, else ``make()`` (outside the lock), kept."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
