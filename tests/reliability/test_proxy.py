"""The nginx set-up of docs/DEPLOY.md, run as written in front of two real viewers.

The ``nginx`` block of the guide's "Behind nginx" section is taken from the guide itself and
run by a real nginx (Debian's, installed by ``make test``), with only what a test must change:
it listens on a free loopback port without TLS, and its upstream lists two ``archive serve``
processes (as the several-hosts set-up does) instead of one. So a guide whose configuration
nginx refuses, or whose ``Host`` the viewer refuses, fails here.

Through it: the viewers' answers arrive whole; the query routes are rate-limited per client
(``limit_req``: a burst past the allowance gets 503 from nginx, not from a viewer); and a
viewer stopped behind the upstream costs no request.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from archive_tests_servers import free_port, serving, wait_for_port

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md"
#: The host name of the guide's configuration (its ``server_name`` and ``Host`` header).
HOST = "archive.example.org"
#: The proxy's port, and the viewers behind it: {port: process}.
Proxied = tuple[int, dict[int, subprocess.Popen]]


def guide_block() -> str:
    """The ``nginx`` code block of the guide's "Behind nginx" section."""
    section = GUIDE.read_text(encoding="utf-8").split("## Behind nginx", 1)[1]
    found = re.search(r"```nginx\n(.*?)```", section, re.S)
    assert found, f"{GUIDE}: no nginx block under 'Behind nginx'"
    return found.group(1)


def configuration(block: str, folder: Path, port: int, upstreams: list[int]) -> str:
    """The guide's ``block`` in a whole nginx configuration that a test can run: on ``port``
    without TLS, its upstream ``upstreams``, its files in ``folder``."""
    listen = "listen 443 ssl http2;"
    upstream = "server 127.0.0.1:5000;"
    assert listen in block and upstream in block, f"{GUIDE}: the nginx block changed its shape"
    block = block.replace(listen, f"listen 127.0.0.1:{port};").replace(
        upstream, " ".join(f"server 127.0.0.1:{each};" for each in upstreams))
    temp = "\n".join(f"    {name}_temp_path {folder / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # as root, nginx's workers would run as nobody, who cannot enter pytest's folders
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'};\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    access_log off;\n{temp}\n{block}}}\n")


def nginx() -> str:
    """The nginx program, or the test is skipped saying why."""
    for program in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if program and Path(program).exists():
            return program
    pytest.skip("nginx is not installed (`make test` installs Debian's: make proxy-deps)")


@pytest.fixture
def proxied(built_archive: Path, tmp_path: Path) -> Iterator[Proxied]:
    """Two viewers of a copy of the sample archive behind the guide's nginx: (the proxy's
    port, the viewers)."""
    program = nginx()
    data = tmp_path / "data"
    shutil.copytree(built_archive, data)
    settings = {"ARCHIVE_TRUSTED_HOSTS": HOST, "ARCHIVE_BASE_URL": f"https://{HOST}"}
    with serving(data, tmp_path, settings, 2) as viewers:
        folder = Path(tempfile.mkdtemp(prefix="nginx-", dir=tmp_path))
        port = free_port()
        conf = folder / "nginx.conf"
        conf.write_text(configuration(guide_block(), folder, port, list(viewers)),
                        encoding="utf-8")
        checked = subprocess.run([program, "-t", "-p", str(folder), "-c", str(conf), "-e",
                                  str(folder / "error.log")], capture_output=True, text=True,
                                 check=False)
        assert checked.returncode == 0, f"nginx refuses the guide's block: {checked.stderr}"
        log = folder / "nginx.out"
        with open(log, "wb") as out:
            proxy = subprocess.Popen([program, "-p", str(folder), "-c", str(conf), "-e",
                                      str(folder / "error.log")], stdout=out,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proxy, log)
            yield port, viewers
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)


def fetch(port: int, path: str) -> tuple[int, bytes]:
    """(status, body) of a GET of ``path`` on ``port``, the guide's host asked."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": HOST})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_the_guides_nginx_passes_the_viewers_answers(proxied: Proxied) -> None:
    port, (one, _) = proxied
    for path in ("/api/documents", "/api/facets?kind=letter", "/api/search?q=revolution"):
        through, direct = fetch(port, path), fetch(one, path)
        assert through[0] == 200, f"{path} through nginx: HTTP {through[0]} {through[1][:300]!r}"
        assert through == direct, path
    status, page = fetch(port, "/")  # a page, with the guide's Host and https base URL
    assert status == 200 and b"TEI Archive" in page


def test_the_guides_nginx_limits_a_clients_queries(proxied: Proxied) -> None:
    port, _ = proxied
    path = "/api/query?q=" + quote("count(//tei:persName)")
    statuses = [fetch(port, path)[0] for _ in range(12)]  # 2 a second, a burst of 5 beyond
    assert statuses[0] == 200, statuses
    assert 503 in statuses, f"no request refused by limit_req: {statuses}"
    assert set(statuses) <= {200, 503}, statuses
    assert fetch(port, "/api/documents")[0] == 200  # the other routes are not limited


def test_a_viewer_stopped_behind_the_guides_nginx_costs_no_request(
        proxied: Proxied) -> None:
    port, viewers = proxied
    one, two = viewers
    expected = fetch(two, "/api/documents")
    stopped = viewers[one]
    stopped.terminate()
    stopped.wait(timeout=30)
    for _ in range(10):  # nginx passes each request the stopped viewer would have had on
        assert fetch(port, "/api/documents") == expected
