"""A cache of whole responses, keyed by URL (its host included) and by the state of the data
directory.

Between builds the archive does not change, so a page asked for twice is the same page: the
second answer comes from memory. Any change to the index, the registry, the import record or
the TEI folder changes the data stamp and empties the cache, and so does a new day (UTC: a
citation names the day it was accessed). XPath console answers are not
cached (a query cut by its time limit under load must not be served as the answer). Downloads
of a selection are (a zip costs seconds to build): up to :data:`MAX_DOWNLOAD` bytes each, the
whole cache up to :data:`MAX_BYTES`. The key holds the scheme and host a page was asked by, so
that a page that prints its own address is never served to another host's visitors.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, Response, g, request, session

from archive.config import Settings
from archive.index import index_generation
from archive.registry import registry_stamp

from .data import get_settings

#: Responses kept, the largest page kept, the largest download kept, and the bytes of all.
MAX_ENTRIES = 1024
MAX_BODY = 1_000_000
MAX_DOWNLOAD = 64_000_000
MAX_BYTES = 256_000_000
UNCACHED_PREFIXES = ("/query", "/api/query", "/static/")
DOWNLOAD_PREFIXES = ("/export.",)


def data_stamp(settings: Settings) -> tuple[Any, ...]:
    """(mtime, size) of everything a page is built from; the registry's files as the registry
    cache sees them.

    Not the index's WAL file: readers open and remove it; ``update_index`` checkpoints its
    changes into ``index.sqlite``, whose time then changes. With the index on PostgreSQL
    (``ARCHIVE_INDEX_URL``) the published index's generation too, as this process reads it
    (a replica's, with ``ARCHIVE_INDEX_READ_URL``): it changes after the files do, when the
    update is published, and on a replica when the replica has replayed it.
    """
    stamp: list[Any] = []
    data_dir = settings.data_dir
    for path in (data_dir / "index.sqlite", data_dir / "tei", data_dir / "imports.json"):
        try:
            stat = path.stat()
            stamp.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamp.append(None)
    if settings.index_url:
        stamp.append(index_generation(settings))
    return (*stamp, registry_stamp(settings))


class ResponseCache:
    """LRU of (status, headers, body) by URL, valid for one data stamp."""

    def __init__(self, entries: int = MAX_ENTRIES, size: int = MAX_BYTES) -> None:
        self.entries, self.size = entries, size
        self.stamp: tuple[Any, ...] | None = None
        self.items: OrderedDict[str, tuple[int, list[tuple[str, str]], bytes]] = OrderedDict()
        self.bytes = 0  # of the bodies kept
        self.lock = threading.Lock()

    def get(self, key: str, stamp: tuple[Any, ...]) -> Response | None:
        with self.lock:
            if stamp != self.stamp:
                self.items.clear()
                self.bytes = 0
                self.stamp = stamp
                return None
            item = self.items.get(key)
            if item is None:
                return None
            self.items.move_to_end(key)
        status, headers, body = item
        return Response(body, status=status, headers=headers)

    def put(self, key: str, stamp: tuple[Any, ...], response: Response) -> None:
        body = response.get_data()
        with self.lock:
            if stamp != self.stamp or len(body) > self.size:
                return
            old = self.items.pop(key, None)
            self.bytes += len(body) - (len(old[2]) if old else 0)
            self.items[key] = (response.status_code, list(response.headers.items()), body)
            while len(self.items) > self.entries or self.bytes > self.size:
                self.bytes -= len(self.items.popitem(last=False)[1][2])


def init_app(app: Flask) -> None:
    """Serve repeated GETs from the cache; remember fresh 200 answers."""
    if not app.config.get("RESPONSE_CACHE", True):
        return
    cache = app.extensions["response_cache"] = ResponseCache()

    def cacheable() -> bool:
        # a request with a session (editing: a user logged in) gets a page of its own, and so
        # does one that makes a session (a form's CSRF token: ``session.modified`` below)
        return (request.method in ("GET", "HEAD")
                and not request.path.startswith(UNCACHED_PREFIXES)
                and app.config["SESSION_COOKIE_NAME"] not in request.cookies)

    def key() -> str:
        return f"{request.scheme}://{request.host}{request.full_path}"

    @app.before_request
    def serve_cached() -> Response | None:
        if not cacheable():
            return None
        # and the day (UTC): a reading view's citation and the cite downloads name the day the
        # reader accessed them; the cache empties when it changes
        g.cache_stamp = (*data_stamp(get_settings()), dt.datetime.now(dt.UTC).date())
        hit = cache.get(key(), g.cache_stamp)
        if hit is not None:
            g.cache_hit = True
        return hit

    @app.after_request
    def remember(response: Response) -> Response:
        if (response.status_code == 200 and cacheable() and not g.get("cache_hit")
                and "cache_stamp" in g and not response.direct_passthrough
                and not response.is_streamed and not session.modified
                and (response.content_length or 0) <= (
                    MAX_DOWNLOAD if request.path.startswith(DOWNLOAD_PREFIXES) else MAX_BODY)):
            cache.put(key(), g.cache_stamp, response)
        return response
