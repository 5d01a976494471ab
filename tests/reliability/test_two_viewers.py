"""Two viewer processes on one PostgreSQL index (issue 23: stateless viewer hosts).

Two real ``archive serve`` processes, on two free ports, read one PostgreSQL database (the
throwaway cluster of tests/postgres.py); the TEI files and the registry are shared on disk.
They answer the same browse list, facets and full-text hits, and an ``archive import`` through
a third process with the same URL is seen by both without a restart. The data directory's own
SQLite index is moved away while the viewers answer, so what they show can only come from
PostgreSQL.

A tag an editor saves through one viewer (``archive serve --editing``, logged in, over HTTP)
is in the other viewer's facets at once.

A viewer given ``ARCHIVE_INDEX_READ_URL`` reads a streaming replica of the database (made
with ``pg_basebackup -R`` from the session's cluster): while the replica's replay is paused an
import published to the primary is not in its answers; resumed, it is.

Stateless viewer hosts: two viewers, each given only the URL and an empty data directory of
its own, copy the archive's files from the database (archive.index.pgstore) and answer alike,
down to a document's TEI bytes and a registry entry's page; an import and a removal on the
building host reach both without a restart. ``archive export --all --to DIR`` gives the stored
files back byte for byte (a damaged one is refused in one line); a viewer host refuses writes,
and a bad URL is one line. A registry entry published between a request's refresh of the copy
and its read of the registry is found (one more refresh), not a 404.

Accounts on viewer hosts: the users and the session key are kept in the database
(archive.index.pgstore.DatabaseAccounts). A user added through one viewer host (``archive
users add`` given its empty data directory and the URL) logs in on the other, whose session
cookie the first accepts; a new password set on one ends the sessions on the other. Six
``archive users add`` run at once through two hosts lose none of the six. An editor's change
sent to a viewer host is refused in one line naming the building host, nothing written. A model
trained on the building host is stored by the next update and reaches a viewer host's copy
and an export byte for byte.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from archive_tests_servers import free_port, serving

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: The imported letter (xml:id L0001: the id l0001) and a word only its text has.
LETTER = FIXTURES / "editions" / "letters" / "L0001.xml"
WORD = "Gestern"


def postgres() -> Any:
    """tests/postgres.py, as tests/conftest.py loaded it."""
    return sys.modules["archive_tests_postgres"]


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh empty database in the session's throwaway cluster (skipped without PostgreSQL)."""
    cluster = postgres().cluster()
    url: str = cluster.database()
    yield url
    cluster.drop(url)


@pytest.fixture
def replica(database: str) -> Iterator[str]:
    """The URL of ``database`` on a hot-standby replica of the session's cluster (streaming
    replication from it), stopped at the end."""
    cluster = postgres().cluster()
    folder = cluster.folder / f"replica-{free_port()}"
    port = free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*cluster.prefix, *command], capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr or done.stdout

    run(str(cluster.binaries / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(cluster.port),
        "-U", postgres().USER, "-D", str(folder), "-R", "-X", "stream", "--no-sync",
        "--checkpoint=fast")
    run(str(cluster.binaries / "pg_ctl"), "-D", str(folder), "-l", str(folder / "log"), "-w",
        "-t", "60", "-o", f"-p {port} -c listen_addresses=127.0.0.1 -c max_connections=300"
        f" -c unix_socket_directories={cluster.folder} -c fsync=off", "start")
    try:
        yield database.replace(f":{cluster.port}/", f":{port}/")
    finally:
        run(str(cluster.binaries / "pg_ctl"), "-D", str(folder), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def archive(url: str, data: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "archive", "--index", url, "--data", str(data),
                           *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def fetch(port: int, path: str) -> tuple[int, bytes]:
    """A viewer's answer to GET ``path``: its status and body."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def get(port: int, path: str) -> Any:
    status, body = fetch(port, path)
    assert status == 200, f":{port}{path}: HTTP {status} {body[:300]!r}"
    return json.loads(body)


@pytest.fixture
def published(database: str, built_archive: Path, tmp_path: Path) -> Path:
    """A copy of the sample archive, its index published to ``database``."""
    data = tmp_path / "data"
    shutil.copytree(built_archive, data)
    archive(database, data, "reindex", "--full")  # fills PostgreSQL from the data directory
    return data


@pytest.fixture
def viewers(database: str, published: Path,
            tmp_path: Path) -> Iterator[tuple[Path, list[int]]]:
    """Two viewers of the published archive on two ports."""
    with serving(published, tmp_path, {"ARCHIVE_INDEX_URL": database}, 2) as ports:
        yield published, ports


def views(port: int) -> dict[str, Any]:
    """What a viewer answers: the browse list, the facets, a selection and full-text hits."""
    return {"documents": get(port, "/api/documents"),
            "facets": get(port, "/api/facets"),
            "selected": get(port, "/api/facets?kind=letter"),
            "search": get(port, "/api/search?q=" + quote(WORD)),
            "revolution": get(port, "/api/search?q=revolution")}


def test_two_viewers_on_one_postgresql_agree_and_see_an_import_without_a_restart(
        viewers: tuple[Path, list[int]], database: str) -> None:
    data, (one, two) = viewers
    tei = sorted(path.stem for path in (data / "tei").glob("*.xml"))
    local = data / "index.sqlite"
    aside = data.parent / "index.sqlite.aside"
    local.rename(aside)  # the viewers can only be reading PostgreSQL now
    try:
        first, second = views(one), views(two)
    finally:
        aside.rename(local)
    assert first == second
    assert sorted(d["id"] for d in first["documents"]["documents"]) == tei
    assert first["documents"]["total"] == len(tei)
    assert {f["name"] for f in first["facets"]["facets"]} >= {"person", "place", "kind"}
    assert first["revolution"]["total"] > 0
    assert first["search"]["total"] == 0

    archive(database, data, "import", str(LETTER))  # a third process, the same database

    deadline = time.monotonic() + 30  # seen at once; the wait is only for a busy machine
    while True:
        after = [views(one), views(two)]
        if all(view["documents"]["total"] == len(tei) + 1 for view in after):
            break
        assert time.monotonic() < deadline, (
            f"an import not seen by the running viewers: totals "
            f"{[view['documents']['total'] for view in after]}, expected {len(tei) + 1}")
        time.sleep(0.5)
    assert after[0] == after[1]
    assert "l0001" in {d["id"] for d in after[0]["documents"]["documents"]}
    assert [hit["doc"] for hit in after[0]["search"]["hits"]] == ["l0001"]
    assert after[0]["revolution"] == first["revolution"]
    assert after[0]["facets"] != first["facets"]


def replayed(url: str) -> bool:
    """Whether the database at ``url`` holds the published index and files."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        try:
            return bool(db.execute("SELECT EXISTS (SELECT 1 FROM archive_store.files), EXISTS"
                                   " (SELECT 1 FROM archive_index.documents)").fetchone() ==
                        (True, True))
        except psycopg.errors.UndefinedTable:
            return False


@pytest.mark.parametrize("files", ["shared", "stored"])
def test_a_viewer_reads_the_replica_named_by_the_read_url(
        published: Path, database: str, replica: str, tmp_path: Path, files: str) -> None:
    """(``stored``: the viewer's data directory empty, its files read from the replica too.)"""

    def total(port: int) -> int:
        return int(get(port, "/api/documents")["total"])

    def replay(action: str) -> None:
        import psycopg

        with psycopg.connect(replica, autocommit=True) as db:
            db.execute(f"SELECT pg_wal_replay_{action}()")

    tei = len(list((published / "tei").glob("*.xml")))
    settings = {"ARCHIVE_INDEX_URL": database, "ARCHIVE_INDEX_READ_URL": replica}
    viewer = published if files == "shared" else tmp_path / "viewer-host"
    deadline = time.monotonic() + 30  # the replica has the published files (a viewer host
    while not replayed(replica):      # given only the URLs reads them at its start)
        assert time.monotonic() < deadline, "the replica never showed the published files"
        time.sleep(0.2)
    with serving(viewer, tmp_path, settings, 1) as (port,):
        deadline = time.monotonic() + 30  # the replica catches up with the publish
        while total(port) != tei:
            assert time.monotonic() < deadline, "the replica never showed the published index"
            time.sleep(0.2)
        replay("pause")
        archive(database, published, "import", str(LETTER))  # published to the primary
        time.sleep(1.0)
        assert total(port) == tei  # read from the paused replica, not the primary
        replay("resume")
        deadline = time.monotonic() + 30
        while total(port) != tei + 1:
            assert time.monotonic() < deadline, "the import never reached the replica's reader"
            time.sleep(0.2)
        assert fetch(port, "/documents/l0001.xml") == (
            200, (published / "tei" / "l0001.xml").read_bytes())


def test_a_tag_saved_through_one_viewer_is_in_the_others_facets(
        published: Path, database: str, tmp_path: Path) -> None:
    import http.cookiejar
    import re
    import urllib.request
    from urllib.parse import urlencode

    from archive.config import Settings
    from archive.curation import list_tags
    from tei.parse import parse_tei
    from tei.passages import passages
    from tei.read import text_of

    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(published), "users",
                           "add", "ed", "--role", "editor", "--password-stdin"],
                          input="a long enough password\n", capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    with serving(published, tmp_path, {"ARCHIVE_INDEX_URL": database}, 2,
                 [["--editing"], []]) as (editing, reading):
        # a person, and a document without them: the tag will add it to the person's facet
        facets = get(reading, "/api/facets")["facets"]
        everyone = next(f for f in facets if f["name"] == "person")["results"]
        person = everyone[-1]["value"]  # the least mentioned
        having = {d["id"] for d in get(reading, f"/api/documents?person={person}")["documents"]}
        doc = next(d["id"] for d in get(reading, "/api/documents")["documents"]
                   if d["id"] not in having)
        before = get(reading, f"/api/facets?person={person}")["total"]
        # an untagged word of the document, as the reading view offers it for tagging
        settings = Settings(data_dir=published)
        root = parse_tei(published / "tei" / f"{doc}.xml").getroot()
        for passage in passages(root):
            tags = list_tags(settings, doc, passage.address)
            word = next((m for m in re.finditer(r"\b[a-z]{6,}\b", text_of(passage.element))
                         if all(m.end() <= t.start or m.start() >= t.end for t in tags)), None)
            if word:
                break
        assert word is not None
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{editing}"
        form = opener.open(f"{base}/login", timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        assert token, form[:500]
        opener.open(f"{base}/login", urlencode({"name": "ed", "password": "a long enough "
                    "password", "csrf_token": token[1]}).encode(), timeout=60).read()
        page = opener.open(f"{base}/documents/{doc}", timeout=60).read().decode()
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        etag = re.search(r'<meta name="archive-document"[^>]*data-etag="([^"]+)"', page)
        assert csrf and etag, "the editor's reading view carries no token or ETag"
        body = json.dumps({"op": "add", "passage": passage.address, "start": word.start(),
                           "end": word.end(), "text": word[0], "type": "person",
                           "entity": person}).encode()
        saved = opener.open(urllib.request.Request(
            f"{base}/api/edit/documents/{doc}/tags", body, method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf[1],
                     "If-Match": f'"{etag[1]}"'}), timeout=120)
        assert saved.status == 200
        after = get(reading, f"/api/facets?person={person}")
        assert after["total"] == before + 1
        assert doc in {d["id"] for d in
                       get(reading, f"/api/documents?person={person}")["documents"]}



# --- stateless viewer hosts: the files in PostgreSQL too ----------------------------------------

def run(url: str, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--index", url, "--data", str(data),
                           *args], capture_output=True, text=True, timeout=300, check=False)


def pages(port: int, doc: str, entity: str) -> dict[str, Any]:
    """What a viewer host answers from the files themselves: a document's reading view and its
    TEI, and a registry entry's page (the port it was asked on taken out)."""
    answers: dict[str, Any] = {}
    for path in (f"/documents/{doc}", f"/documents/{doc}.xml", f"/entities/{entity}",
                 f"/api/entities/{entity}"):
        status, body = fetch(port, path)
        assert status == 200, f":{port}{path}: HTTP {status} {body[:300]!r}"
        answers[path] = body.replace(f":{port}".encode(), b":PORT")
    return answers


def test_viewer_hosts_given_only_the_url_agree_and_see_an_import_without_a_restart(
        published: Path, database: str, tmp_path: Path) -> None:
    from archive.index import archive_files

    hosts = [tmp_path / "host-one", tmp_path / "host-two"]  # nothing there: only the URL
    (tmp_path / "host-two").mkdir()  # (one missing, one empty)
    tei = sorted(path.stem for path in (published / "tei").glob("*.xml"))
    doc = tei[0]
    entity = get_entity(published)
    with serving(hosts, tmp_path, {"ARCHIVE_INDEX_URL": database}, 2) as (one, two):
        first, second = views(one), views(two)
        assert first == second
        assert sorted(d["id"] for d in first["documents"]["documents"]) == tei
        assert pages(one, doc, entity) == pages(two, doc, entity)
        assert fetch(one, f"/documents/{doc}.xml")[1] == (published / "tei" / f"{doc}.xml"
                                                         ).read_bytes()
        for host in hosts:  # each host's copy holds the archive's files, byte for byte
            assert {name: path.read_bytes() for name, path in archive_files(host)} == {
                name: path.read_bytes() for name, path in archive_files(published)}

        done = run(database, published, "import", str(LETTER))  # on the building host
        assert done.returncode == 0, done.stderr

        deadline = time.monotonic() + 30  # seen at once; the wait is only for a busy machine
        while True:
            after = [views(one), views(two)]
            if all(view["documents"]["total"] == len(tei) + 1 for view in after):
                break
            assert time.monotonic() < deadline, "an import not seen by the viewer hosts"
            time.sleep(0.5)
        assert after[0] == after[1]
        assert [hit["doc"] for hit in after[0]["search"]["hits"]] == ["l0001"]
        letter = (published / "tei" / "l0001.xml").read_bytes()
        for port in (one, two):  # the new document's own file, on each host
            assert fetch(port, "/documents/l0001.xml") == (200, letter)
            assert fetch(port, "/documents/l0001")[0] == 200

        (published / "tei" / f"{doc}.xml").unlink()  # a document removed on the building host
        done = run(database, published, "reindex")
        assert done.returncode == 0, done.stderr
        for port, host in zip((one, two), hosts, strict=True):
            assert fetch(port, f"/documents/{doc}")[0] == 404
            assert get(port, "/api/documents")["total"] == len(tei)
            assert not (host / "tei" / f"{doc}.xml").exists()


def get_entity(data: Path) -> str:
    """A registry entry's id that the archive's documents point to."""
    from archive.config import Settings
    from archive.registry import load_registry

    registry = load_registry(Settings(data_dir=data))
    return sorted(registry.entries)[0]


def test_export_all_to_gives_the_stored_files_back_byte_identical(
        published: Path, database: str, tmp_path: Path) -> None:
    import psycopg

    from archive.index import archive_files

    out = tmp_path / "out"
    done = run(database, tmp_path / "nothing", "export", "--all", "--to", str(out))
    assert done.returncode == 0, done.stderr
    original = {name: path.read_bytes() for name, path in archive_files(published)}
    assert {name.split("/")[0] for name in original} >= {"tei", "registry", "sources"}
    assert {name: path.read_bytes() for name, path in archive_files(out)} == original
    for name, path in archive_files(published):
        assert (out / name).stat().st_mtime_ns == path.stat().st_mtime_ns

    with psycopg.connect(database, autocommit=True) as db:  # a damaged stored file
        db.execute("UPDATE archive_store.files SET data = data || '\\x20'::bytea"
                   " WHERE path LIKE 'tei/%' AND path = (SELECT MIN(path) FROM"
                   " archive_store.files WHERE path LIKE 'tei/%')")
    again = run(database, tmp_path / "nothing", "export", "--all", "--to", str(tmp_path / "b"))
    assert again.returncode == 1
    assert again.stderr.count("\n") == 1 and "does not match its SHA-256" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_viewer_host_refuses_writes_and_a_bad_url_is_one_line(
        published: Path, database: str, tmp_path: Path) -> None:
    host = tmp_path / "host"
    with serving([host], tmp_path, {"ARCHIVE_INDEX_URL": database}, 1) as (port,):
        assert get(port, "/api/documents")["total"] > 0
    before = sorted(path.name for path in (host / "tei").iterdir())
    for args in (["import", str(LETTER)], ["reindex"]):
        done = run(database, host, *args)
        assert done.returncode == 1, done.stdout
        assert done.stderr.count("\n") == 1 and "building host" in done.stderr, done.stderr
    assert sorted(path.name for path in (host / "tei").iterdir()) == before

    # what a crash (a power cut) can leave of the copy: an empty file, a lost one; a viewer
    # started again writes them anew
    first, second = sorted((host / "tei").iterdir())[:2]
    first.write_bytes(b"")
    second.unlink()
    with serving([host], tmp_path, {"ARCHIVE_INDEX_URL": database}, 1) as (port,):
        for path in (first, second):
            original = (published / "tei" / path.name).read_bytes()
            assert fetch(port, f"/documents/{path.stem}.xml") == (200, original)

    bad = f"postgresql://nobody@127.0.0.1:{free_port()}/nowhere"
    for args in (["serve", "--port", "0"], ["export", "--all", "--to", str(tmp_path / "x")]):
        done = run(bad, tmp_path / "empty", *args)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("archive: error: ") and "connect" in done.stderr
    assert not (tmp_path / "x").exists()


def test_a_registry_entry_published_after_a_requests_refresh_is_found(
        published: Path, database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request on a viewer host whose copy was brought up to date just before a new entry
    (and the index naming it) was published: the entry's page refreshes the copy once more, as
    a document's page does, instead of answering 404."""
    from archive.config import Settings
    from archive.index import mirror
    from archive.index.pg import close_pools
    from archive.registry import Entry, load_registry
    from webui import create_app

    host = tmp_path / "host"
    monkeypatch.setenv("ARCHIVE_INDEX_URL", database)
    assert mirror(Settings.from_env(host), start=True)
    app = create_app({"DATA_DIR": str(host), "TESTING": True, "RESPONSE_CACHE": False})
    published_once: list[bool] = []

    @app.before_request
    def publish_an_entry() -> None:  # after the copy's refresh: the race, made certain
        if not published_once:
            published_once.append(True)
            building = Settings(data_dir=published)
            registry = load_registry(building)
            registry.add(Entry(id="p_latecomer", type="person", name="Late Comer"))
            registry.save(building.registry_dir)
            archive(database, published, "reindex")

    try:
        response = app.test_client().get("/api/entities/p_latecomer")
        assert published_once
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["name"] == "Late Comer"
    finally:
        close_pools()


# --- accounts on viewer hosts: kept in PostgreSQL -----------------------------------------------

PASSWORD = "a long enough password"


def add_user(url: str, data: Path, name: str, role: str = "editor",
             password: str = PASSWORD) -> subprocess.Popen[str]:
    """``archive users add NAME`` through the data directory ``data`` (started, not waited:
    its password is already in its standard input)."""
    given = data.parent / f"password-{name}"
    given.write_text(password + "\n")
    with open(given) as stdin:
        return subprocess.Popen([sys.executable, "-m", "archive", "--index", url, "--data",
                                 str(data), "users", "add", name, "--role", role,
                                 "--password-stdin"], stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> None:
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors


def session(port: int) -> tuple[Any, Any]:
    """A client of the viewer at ``port`` keeping its cookies: (opener, cookie jar)."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def log_in(opener: Any, port: int, name: str, password: str) -> str:
    """Log in at ``port``; the page the login answers with."""
    import re
    from urllib.parse import urlencode

    base = f"http://127.0.0.1:{port}"
    form = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token, form[:500]
    return str(opener.open(f"{base}/login", urlencode(
        {"name": name, "password": password, "csrf_token": token[1]}).encode(),
        timeout=120).read().decode())


def account(opener: Any, port: int) -> str:
    """The account page at ``port`` ("" when the session is no one's: the login page)."""
    response = opener.open(f"http://127.0.0.1:{port}/account", timeout=60)
    return "" if "/login" in response.geturl() else str(response.read().decode())


def test_a_user_added_through_one_viewer_host_logs_in_on_the_other(
        published: Path, database: str, tmp_path: Path) -> None:
    import re
    from urllib.parse import urlencode

    hosts = [tmp_path / "host-one", tmp_path / "host-two"]  # only the URL
    with serving(hosts, tmp_path, {"ARCHIVE_INDEX_URL": database}, 2,
                 [["--editing"], ["--editing"]]) as (one, two):
        finished(add_user(database, hosts[0], "ed"))  # through the first host
        client, jar = session(two)
        assert "Wrong user name or password" in log_in(client, two, "ed", "not the password!")
        log_in(client, two, "ed", PASSWORD)  # on the other
        assert "ed" in account(client, two)

        # the session made on the second host is one the first accepts (one key)
        elsewhere, other_jar = session(one)
        for cookie in jar:
            other_jar.set_cookie(cookie)
        assert "ed" in account(elsewhere, one)

        # a new password set on the first host ends the session on the second
        page = account(elsewhere, one)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        new = "another long password"
        elsewhere.open(f"http://127.0.0.1:{one}/account/password", urlencode(
            {"current": PASSWORD, "password": new, "repeat": new, "csrf_token": token[1]}
        ).encode(), timeout=120).read()
        assert "ed" in account(elsewhere, one)
        assert account(client, two) == ""
        third, _ = session(two)
        assert "Wrong user name or password" in log_in(third, two, "ed", PASSWORD)
        log_in(third, two, "ed", new)
        assert "ed" in account(third, two)
    for host in hosts:  # nothing of the accounts on the hosts' disks
        assert not (host / "users.json").exists() and not (host / ".secret_key").exists()


def test_users_added_at_once_through_two_viewer_hosts_are_all_kept(
        published: Path, database: str, tmp_path: Path) -> None:
    from archive.config import Settings
    from archive.index import mirror

    hosts = [tmp_path / "host-one", tmp_path / "host-two"]
    settings = [Settings(data_dir=host, index_url=database) for host in hosts]
    for each in settings:
        assert mirror(each, start=True)  # (what `archive serve` makes of an empty directory)
    names = [f"user{number}" for number in range(6)]
    running = [add_user(database, hosts[number % 2], name, "reader")
               for number, name in enumerate(names)]
    for process in running:
        finished(process)
    from archive.accounts import load_users, use_database
    from archive.index import account_storage

    use_database(account_storage)
    for each in settings:
        assert sorted(load_users(each)) == names
    done = run(database, hosts[1], "users", "list")
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in names)


def test_a_change_sent_to_a_viewer_host_is_refused_naming_the_building_host(
        published: Path, database: str, tmp_path: Path) -> None:
    import re
    import urllib.error
    from urllib.parse import urlencode

    host = tmp_path / "host"
    entity = get_entity(published)
    with serving([host], tmp_path, {"ARCHIVE_INDEX_URL": database}, 1,
                 [["--editing"]]) as (port,):
        finished(add_user(database, host, "ed"))
        client, _ = session(port)
        log_in(client, port, "ed", PASSWORD)
        before = {path: path.read_bytes() for path in
                  sorted((host / "registry").rglob("*")) if path.is_file()}
        page = client.open(f"http://127.0.0.1:{port}/entities/{entity}/edit",
                           timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        etag = re.search(r'name="etag"[^>]*value="([^"]+)"', page)
        assert token and etag, page[:500]
        with pytest.raises(urllib.error.HTTPError) as refused:
            client.open(f"http://127.0.0.1:{port}/entities/{entity}/edit", urlencode(
                {"csrf_token": token[1], "etag": etag[1], "name": "A New Name"}).encode(),
                timeout=120)
        assert refused.value.code == 400
        assert "building host" in refused.value.read().decode()
        assert {path: path.read_bytes() for path in
                sorted((host / "registry").rglob("*")) if path.is_file()} == before


def test_a_trained_model_is_stored_and_reaches_a_viewer_hosts_copy(
        published: Path, database: str, tmp_path: Path) -> None:
    from archive.config import Settings
    from archive.index import mirror

    trained = run(database, published, "train", "--from",
                  str(FIXTURES / "learn" / "pemberly.xml"), "--epochs", "1", "--seed", "1")
    assert trained.returncode == 0, trained.stderr
    done = run(database, published, "reindex")  # the next update publishes the model
    assert done.returncode == 0, done.stderr
    models = {path.relative_to(published): path.read_bytes()
              for path in sorted((published / "models").rglob("*")) if path.is_file()}
    assert Path("models/current") in models and len(models) > 5

    host = tmp_path / "host"
    assert mirror(Settings(data_dir=host, index_url=database), start=True)
    assert {path.relative_to(host): path.read_bytes()
            for path in sorted((host / "models").rglob("*")) if path.is_file()} == models
    done = run(database, tmp_path / "nowhere", "export", "--all", "--to", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert {path.relative_to(tmp_path / "out"): path.read_bytes()
            for path in sorted((tmp_path / "out" / "models").rglob("*")) if path.is_file()
            } == models
