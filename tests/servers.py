"""Real servers the tests start: a free loopback port, waiting until a process listens, and
``archive serve`` processes of a data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Return once ``process`` accepts connections on ``port``; fail with its ``log`` if it
    stops first, or with the port if it does not listen within ``seconds`` (its imports)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no answer on {port}: {log.read_text()}"
            time.sleep(0.1)


@contextmanager
def serving(data: Path | list[Path], logs: Path, settings: dict[str, str], count: int,
            options: list[list[str]] | None = None) -> Iterator[dict[int, subprocess.Popen]]:
    """``count`` ``archive serve`` processes of ``data`` (or each of its own data directory)
    with ``settings`` in their environment (and each its ``options``), on free ports, their
    output in ``logs``; yields
    {port: process} once each answers (unpacked, the ports in order), and stops them on
    leaving."""
    env = {**os.environ, **settings, "PYTHONUNBUFFERED": "1"}
    ports = [free_port() for _ in range(count)]
    files = [logs / f"serve-{port}.log" for port in ports]
    folders = data if isinstance(data, list) else [data] * count
    servers = []
    for port, log, extra, folder in zip(ports, files, options or [[]] * count, folders,
                                        strict=True):
        with open(log, "wb") as out:
            servers.append(subprocess.Popen(
                [sys.executable, "-m", "archive", "--data", str(folder), "serve", "--port",
                 str(port), *extra], stdout=out, stderr=subprocess.STDOUT, env=env))
    try:
        for port, server, log in zip(ports, servers, files, strict=True):
            wait_for_port(port, server, log, seconds=60)
        yield dict(zip(ports, servers, strict=True))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
