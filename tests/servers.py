"""Real servers the tests start: a free loopback port, and waiting until a process listens."""

from __future__ import annotations

import socket
import subprocess
import time
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
