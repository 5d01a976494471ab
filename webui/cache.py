"""A cache of whole responses, keyed by URL and by the state of the data directory.

Between builds the archive does not change, so a page asked for twice is the same page: the
second answer comes from memory. Any change to the index, the registry, the import record or
the TEI folder changes the data stamp and empties the cache. XPath console answers are not
cached (a query cut by its time limit under load must not be served as the answer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, Response, g, request

from archive.config import Settings
from archive.registry import registry_stamp

from .data import get_settings

#: Responses kept, and the largest body kept (downloads and big pages pass through).
MAX_ENTRIES = 1024
MAX_BODY = 1_000_000
UNCACHED_PREFIXES = ("/query", "/api/query", "/static/")


def data_stamp(settings: Settings) -> tuple[Any, ...]:
    """(mtime, size) of everything a page is built from; the registry's files as the registry
    cache sees them.

    Not the index's WAL file: readers open and remove it; ``update_index`` checkpoints its
    changes into ``index.sqlite``, whose time then changes.
    """
    stamp: list[Any] = []
    data_dir = settings.data_dir
    for path in (data_dir / "index.sqlite", data_dir / "tei", data_dir / "imports.json"):
        try:
            stat = path.stat()
            stamp.append((stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamp.append(None)
    return (*stamp, registry_stamp(settings))


class ResponseCache:
    """LRU of (status, headers, body) by full path, valid for one data stamp."""

    def __init__(self, entries: int = MAX_ENTRIES) -> None:
        self.entries = entries
        self.stamp: tuple[Any, ...] | None = None
        self.items: OrderedDict[str, tuple[int, list[tuple[str, str]], bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, stamp: tuple[Any, ...]) -> Response | None:
        with self.lock:
            if stamp != self.stamp:
                self.items.clear()
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
            if stamp != self.stamp:
                return
            self.items[key] = (response.status_code, list(response.headers.items()), body)
            self.items.move_to_end(key)
            while len(self.items) > self.entries:
                self.items.popitem(last=False)


def init_app(app: Flask) -> None:
    """Serve repeated GETs from the cache; remember fresh 200 answers."""
    if not app.config.get("RESPONSE_CACHE", True):
        return
    cache = app.extensions["response_cache"] = ResponseCache()

    def cacheable() -> bool:
        return request.method in ("GET", "HEAD") and not request.path.startswith(
            UNCACHED_PREFIXES)

    @app.before_request
    def serve_cached() -> Response | None:
        if not cacheable():
            return None
        g.cache_stamp = data_stamp(get_settings())
        hit = cache.get(request.full_path, g.cache_stamp)
        if hit is not None:
            g.cache_hit = True
        return hit

    @app.after_request
    def remember(response: Response) -> Response:
        if (response.status_code == 200 and cacheable() and not g.get("cache_hit")
                and "cache_stamp" in g and not response.direct_passthrough
                and not response.is_streamed
                and (response.content_length or 0) <= MAX_BODY):
            cache.put(request.full_path, g.cache_stamp, response)
        return response
