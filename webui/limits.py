"""Bounds on what one request may ask of the viewer: its parameters, its host, and a share of
the heavy work (XPath queries, downloads) that leaves threads for the reading pages.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from flask import Flask, abort, current_app, request
from werkzeug.exceptions import ServiceUnavailable

#: Query-string parameters a request may carry, and the characters of a name and of a value
#: (a value: the XPath console's longest expression).
MAX_PARAMETERS = 100
MAX_NAME_LENGTH = 100
MAX_VALUE_LENGTH = 4000


def check_parameters() -> None:
    """Refuse a query string over the bounds, in one message (400).

    :raise werkzeug.exceptions.BadRequest: too many parameters, or one too long.
    """
    args = request.args
    count = sum(len(values) for values in args.listvalues())
    if (count > MAX_PARAMETERS or any(len(name) > MAX_NAME_LENGTH for name in args)
            or any(len(value) > MAX_VALUE_LENGTH for _, value in args.items(multi=True))):
        abort(400, f"Too many or too long query parameters: at most {MAX_PARAMETERS}, names of"
                   f" at most {MAX_NAME_LENGTH} and values of at most {MAX_VALUE_LENGTH}"
                   " characters.")


def check_host() -> None:
    """Refuse a request whose Host header is not one of ``TRUSTED_HOSTS`` (400), before
    anything else (the response cache included) sees it."""
    request.host  # noqa: B018 - raises werkzeug's SecurityError for an untrusted host


def trusted_hosts(value: str | Iterable[str] | None) -> list[str] | None:
    """``TRUSTED_HOSTS`` as Flask takes it: a list, from a list or a comma-separated string
    (``ARCHIVE_TRUSTED_HOSTS=archive.example.org,localhost``); None (any host) when empty."""
    hosts = value.split(",") if isinstance(value, str) else list(value or ())
    return [host.strip() for host in hosts if host.strip()] or None


class HeavyGate:
    """At most ``running`` heavy requests at once, at most ``waiting`` more waiting up to
    ``wait`` seconds for one of them to end; the others are refused at once (503)."""

    def __init__(self, running: int, waiting: int, wait: float) -> None:
        self.running = threading.BoundedSemaphore(max(1, running))
        self.admitted = threading.BoundedSemaphore(max(1, running) + max(0, waiting))
        self.wait = wait

    @contextmanager
    def slot(self, retry_after: int) -> Iterator[None]:
        """Hold a place among the heavy requests while the block runs.

        :raise werkzeug.exceptions.ServiceUnavailable: no place (503 with ``Retry-After``).
        """
        if not self.admitted.acquire(blocking=False):
            raise _busy(retry_after)
        try:
            if not self.running.acquire(timeout=self.wait):
                raise _busy(retry_after)
            try:
                yield
            finally:
                self.running.release()
        finally:
            self.admitted.release()


def _busy(retry_after: int) -> ServiceUnavailable:
    return ServiceUnavailable("The viewer is busy with other queries and downloads: try again"
                              f" in {retry_after} s.", retry_after=retry_after)


@contextmanager
def heavy() -> Iterator[None]:
    """A place among the heavy requests (XPath queries, downloads) for the block; 503 with
    ``Retry-After`` (the query time limit) when there is none."""
    gate: HeavyGate = current_app.extensions["heavy_gate"]
    with gate.slot(math.ceil(float(current_app.config["QUERY_TIMEOUT"])) or 1):
        yield


def init_app(app: Flask) -> None:
    """Check every request's host and parameters first; make the app's heavy-request gate."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config.get("TRUSTED_HOSTS"))
    app.extensions["heavy_gate"] = HeavyGate(int(app.config["HEAVY_REQUESTS"]),
                                             int(app.config["HEAVY_WAITING"]),
                                             float(app.config["HEAVY_WAIT"]))
    app.before_request(check_host)
    app.before_request(check_parameters)
