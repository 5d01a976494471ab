"""Issue 16 against a real ``archive serve`` process, over real sockets: slow clients cannot
hold the server (7), waitress's own error responses carry the security headers (17), heavy
queries leave the reading pages served (6), and only the hosts ``--host`` implies are answered
(10)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from archive_tests_servers import free_port, wait_for_port

from webui import SECURITY_HEADERS

ROOT = Path(__file__).resolve().parents[2]
DOC = "003_717e887f31c42029"
REQUEST_TIMEOUT = 3  # seconds the server gives a client to send a request
QUERY_TIMEOUT = 4  # seconds an XPath query may run
HEAVY = "count(//* ! //* ! //*)"



@pytest.fixture(scope="module")
def server(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real ``archive serve`` on a free loopback port (default options but the request
    timeout); its port."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ARCHIVE_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
           "ARCHIVE_HEAVY_WAIT": "1"}  # a query waits 1 s for a place, less than one runs
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(data_dir), "serve", "--port",
             str(port), "--request-timeout", str(REQUEST_TIMEOUT)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(port: int, url: str, host: str | None = None,
        timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", url, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw(port: int, data: bytes) -> tuple[str, dict[str, str]]:
    """Send bytes as they are; the status line and headers of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(data)
        except OSError:  # the server may answer and close before all is sent
            pass
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    head = answer.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    return head[0], headers


# --- 7: slow clients ---------------------------------------------------------------------------

def test_trickling_connections_neither_block_others_nor_stay(server: int) -> None:
    # 150 clients send a request's first line, then a header byte every half second: more than
    # waitress's default limit of 100 connections, each never idle for its idle timeout
    slow = []
    for _ in range(150):
        sock = socket.create_connection(("127.0.0.1", server), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        slow.append(sock)
    closed: list[socket.socket] = []
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for sock in [s for s in slow if s not in closed]:
                try:
                    sock.sendall(b"x")
                except OSError:
                    closed.append(sock)
            stop.wait(0.5)

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        time.sleep(1)
        status, _, body = get(server, "/api/documents", timeout=20)  # answered meanwhile
        assert status == 200 and b'"total":11' in body
        deadline = time.monotonic() + REQUEST_TIMEOUT + 20
        while len(closed) < len(slow) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(closed) == len(slow)  # each closed by the server after its deadline
    finally:
        stop.set()
        thread.join()
        for sock in slow:
            sock.close()
    assert get(server, "/")[0] == 200


# --- 17: waitress's own responses --------------------------------------------------------------

@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GARBAGE\r\n\r\n", "400"),
    (b"GET /documents/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "400"),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", "431"),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nxx\r\n"
     b"0\r\n\r\n", "400"),
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n" + b"a" * 100_000,
     "413"),
], ids=["bad request line", "invalid UTF-8 path", "300 KB header", "bad chunking",
        "body too large"])
def test_responses_made_by_waitress_carry_the_security_headers(server: int,
                                                               request_bytes: bytes,
                                                               status: str) -> None:
    line, headers = raw(server, request_bytes)
    assert line.split(" ")[1] == status, line
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (name, headers)


# --- 6: heavy queries leave the reading pages served -------------------------------------------

def test_heavy_queries_beyond_the_pool_are_refused_and_pages_still_answer(server: int) -> None:
    assert get(server, f"/documents/{DOC}")[0] == 200  # the page as readers find it: cached
    answers: list[tuple[int, dict[str, str], float]] = []
    lock = threading.Lock()

    def heavy() -> None:
        status, headers, _ = get(server, "/api/query?q=" + quote(HEAVY))
        with lock:
            answers.append((status, headers, time.monotonic()))

    threads = [threading.Thread(target=heavy) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    status, _, _ = get(server, f"/documents/{DOC}")
    page_answered = time.monotonic()
    for thread in threads:
        thread.join()
    assert status == 200
    refused = [headers for status, headers, _ in answers if status == 503]
    served = [done for status, _, done in answers if status == 200]
    assert len(answers) == 8 and len(refused) >= 4 and served
    assert all(headers["Retry-After"] == str(QUERY_TIMEOUT) for headers in refused)
    assert page_answered < max(served)  # while the admitted queries still ran


# --- 10: the hosts a loopback server answers ---------------------------------------------------

def test_a_loopback_server_answers_only_loopback_names(server: int) -> None:
    assert get(server, "/", host=f"127.0.0.1:{server}")[0] == 200
    assert get(server, "/", host=f"localhost:{server}")[0] == 200
    status, headers, body = get(server, f"/documents/{DOC}", host="evil.example")
    assert status == 400 and b"Host 'evil.example' is not trusted" in body
    assert headers["X-Frame-Options"] == "DENY"
    _, _, page = get(server, f"/documents/{DOC}", host=f"localhost:{server}")
    assert b"evil.example" not in page
