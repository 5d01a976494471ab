"""The viewer on waitress, with its limits set deliberately (``archive serve``).

Waitress's defaults leave a server open to a client that sends its request one byte at a time:
the idle timeout counts from the last byte, and 100 such connections fill its default
connection limit, after which nobody is answered. Here a request must arrive whole within
``request_timeout`` seconds of its first byte (else its connection is closed), the connection
limit is high (poll, not select), idle connections close after :data:`CHANNEL_TIMEOUT`, headers
and bodies are small, and the responses waitress makes itself (a malformed request, headers too
large) carry the viewer's security headers like every other. docs/DEPLOY.md tells how to put a
reverse proxy in front, which bounds connections per client.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import resource
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from . import SECURITY_HEADERS, create_app

#: Seconds a connection may stay open with no request under way (waitress's channel_timeout).
CHANNEL_TIMEOUT = 30
#: Seconds between two looks for such connections (waitress's cleanup_interval).
CLEANUP_INTERVAL = 5
#: Bytes of a request's line and headers, and of its body (the viewer takes no body).
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024
#: File descriptors kept free beside the connections (index, TEI files, workers' pipes).
SPARE_FILES = 256


class SecureErrorTask(ErrorTask):
    """Waitress's own error responses (400, 413, 431, 500) with the security headers."""

    def build_response_header(self) -> bytes:
        self.response_headers = [*self.response_headers, *SECURITY_HEADERS.items()]
        return super().build_response_header()


class GuardedChannel(HTTPChannel):
    """A connection that must send each request whole within :attr:`request_timeout`
    seconds of its first byte; a slower one is closed (waitress itself only times out
    connections idle since their last byte)."""

    error_task_class = SecureErrorTask
    request_timeout = 20.0
    #: The request being received, and when its first bytes came.
    pending: tuple[Any, float] | None = None

    def received(self, data: bytes) -> bool:
        done: bool = super().received(data)
        partial = self.request  # None: every request received is whole
        if partial is None:
            self.pending = None
        elif self.pending is None or self.pending[0] is not partial:
            self.pending = (partial, time.monotonic())
        return done

    def readable(self) -> bool:
        # asked of every connection at each turn of the server's loop (every second at least)
        if (self.pending is not None
                and time.monotonic() - self.pending[1] > self.request_timeout):
            self.will_close = True  # closed at the next turn (see HTTPChannel.writable)
        return bool(super().readable())


def default_trusted_hosts(host: str) -> list[str] | None:
    """The Host headers a server listening on ``host`` answers: the loopback names for a
    loopback address, the address or name itself for another; None (any) for every interface
    or an IPv6 address (which Flask's host check cannot name)."""
    if host in ("", "0.0.0.0", "::"):
        return None
    if host in ("127.0.0.1", "localhost"):
        return ["127.0.0.1", "localhost"]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return [host]
    return None if address.version == 6 else [host]


def make_app(data_dir: str, host: str, threads: int, editing: bool = False) -> Flask:
    """The viewer for ``data_dir``, its trusted hosts and heavy-request share set from the
    server's address and threads unless ``ARCHIVE_TRUSTED_HOSTS`` / ``ARCHIVE_HEAVY_*`` are;
    with logins and writing routes when ``editing``."""
    admitted = max(1, threads // 2)  # the other half of the threads is for the pages
    running = min(2, admitted)  # as many as the query workers (archive.search.worker)
    defaults = {"TRUSTED_HOSTS": default_trusted_hosts(host), "HEAVY_REQUESTS": running,
                "HEAVY_WAITING": admitted - running}
    return create_app({"DATA_DIR": data_dir, "EDITING": editing,
                       **{key: value for key, value in defaults.items()
                          if f"ARCHIVE_{key}" not in os.environ}})


def open_files_for(connections: int) -> int:
    """Raise this process's open-file limit to hold ``connections``, as far as allowed.

    :return: the connections the limit allows (``connections`` or fewer).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft == resource.RLIM_INFINITY:
        return connections
    return max(1, min(connections, soft - SPARE_FILES))


#: Memory arenas of the C library's allocator the viewer's threads share (glibc's
#: ``M_ARENA_MAX``). glibc gives each new thread an arena of its own (up to 8 per core), and
#: the first facet lookup in each arena paid for growing it: at 60,000 documents each of the
#: request threads' first ``/api/facets`` took 60-100 ms instead of 20, the p95 of a run.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8


def share_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let the threads started from now on share ``arenas`` allocator arenas (glibc only;
    ``MALLOC_ARENA_MAX`` in the environment wins). True when the limit was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to set
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def serve(data_dir: str, *, host: str, port: int, threads: int, connection_limit: int,
          request_timeout: float, echo: Callable[[str], None] = print,
          editing: bool = False) -> None:
    """Serve the viewer for ``data_dir`` until interrupted (``editing``: with logins)."""
    share_malloc_arenas()  # before waitress starts its threads
    app = make_app(data_dir, host, threads, editing)
    connections = open_files_for(connection_limit)
    server = create_server(
        app, host=host, port=port, threads=threads, ident="tei-archive",
        connection_limit=connections, channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL, max_request_header_size=MAX_HEADER_BYTES,
        max_request_body_size=MAX_BODY_BYTES, asyncore_use_poll=True)
    channel = type("Channel", (GuardedChannel,), {"request_timeout": request_timeout})
    for listener in [server, *getattr(server, "map", {}).values()]:
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    hosts = app.config["TRUSTED_HOSTS"]
    port = getattr(server, "effective_port", port)  # the one chosen for port 0
    echo(f"Serving {os.path.abspath(data_dir)} at http://{host}:{port}/ (Ctrl+C stops)")
    echo(f"Host headers accepted: {', '.join(hosts) if hosts else 'any'}; {threads} threads, "
         f"{connections} connections, {request_timeout:g} s to send a request "
         "(docs/DEPLOY.md)")
    if editing:
        echo("Editing is on: users log in at /login (`archive users add`); sessions are signed "
             "with " + ("ARCHIVE_SECRET_KEY" if os.environ.get("ARCHIVE_SECRET_KEY")
                        else "the index database's key" if os.environ.get("ARCHIVE_INDEX_URL")
                        else "the data directory's .secret_key"))
    server.run()
