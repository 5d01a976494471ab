"""A published archive on read-only media: read, queried, exported and served as usual; every
writer says in one line that it cannot write.

The data directory is made read-only for real: ``chmod -R a-w`` for a user other than root (for
whom it would not stop anything), a read-only bind mount for root.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def archive(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=600)


def _make_read_only(source: Path, target: Path) -> str | None:
    """Show ``source`` read-only at ``target``; None, or why it cannot be done here."""
    if os.getuid() != 0:
        shutil.copytree(source, target)
        for path in [target, *target.rglob("*")]:
            path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
        return None
    target.mkdir()
    for args in (["mount", "--bind", str(source), str(target)],
                 ["mount", "-o", "remount,bind,ro", str(target)]):
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["umount", str(target)], capture_output=True)
            return f"a read-only bind mount is not allowed here ({done.stderr.strip()})"
    return None


@pytest.fixture(scope="module")
def read_only(built_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("read-only")
    source = base / "published"
    shutil.copytree(built_archive, source)
    # as published: the index whole in its file, no WAL files beside it
    assert archive(source, "reindex").returncode == 0
    for suffix in ("-wal", "-shm"):
        Path(f"{source / 'index.sqlite'}{suffix}").unlink(missing_ok=True)
    target = base / "media"
    why = _make_read_only(source, target)
    if why:
        pytest.skip(why)
    try:
        assert not os.access(target, os.W_OK)
        yield target
    finally:
        if os.getuid() == 0:
            # lazy: the viewer tested in this process may still hold its connections
            subprocess.run(["umount", "--lazy", str(target)], check=True)
        else:
            for path in [target, *target.rglob("*")]:
                path.chmod(stat.S_IMODE(path.stat().st_mode) | 0o200)


def test_query_facets_and_export_read_a_read_only_archive(read_only: Path) -> None:
    found = archive(read_only, "query", "//tei:persName", "--format", "json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["count"] > 0
    facets = archive(read_only, "facets", "--format", "json")
    assert facets.returncode == 0, facets.stderr
    assert json.loads(facets.stdout)["count"] == 5
    for format_ in ("teicorpus", "csv", "zip"):
        exported = subprocess.run(
            [sys.executable, "-m", "archive", "--data", str(read_only), "export", "--all",
             "--format", format_], capture_output=True, timeout=600)
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout
    checked = archive(read_only, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("args", [["reindex"], ["reindex", "--full"],
                                  ["registry", "add", "--type", "person", "--name", "Vera"],
                                  ["review", "accept", "vera"], ["users", "remove", "vera"],
                                  ["users", "logout", "vera"]])
def test_a_writer_says_in_one_line_that_it_cannot_write(read_only: Path, args: list[str]) -> None:
    refused = archive(read_only, *args)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith(f"archive: error: {read_only}: the data directory cannot "
                                     "be written")


def test_editing_needs_a_secret_key_it_cannot_make_on_read_only_media(read_only: Path) -> None:
    """`serve --editing` cannot make DATA/.secret_key there: one line; with ARCHIVE_SECRET_KEY
    it serves the login page, and the data directory stays as it was."""
    refused = archive(read_only, "serve", "--editing", "--port", "0")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith(f"archive: error: {read_only / '.secret_key'}: cannot "
                                     "read or make the secret key")
    assert "set ARCHIVE_SECRET_KEY instead" in refused.stderr
    import webui

    app = webui.create_app({"DATA_DIR": str(read_only), "EDITING": True,
                            "SECRET_KEY": "a long enough secret key for the test"})
    client = app.test_client()
    login = client.get("/login")
    assert login.status_code == 200
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = client.post("/login", data={"name": "vera", "password": "not a password at all",
                                        "csrf_token": token})
    assert wrong.status_code == 200 and "Wrong user name or password." in wrong.text
    assert not (read_only / ".secret_key").exists()


def test_the_viewer_serves_a_read_only_archive(read_only: Path) -> None:
    import webui

    client = webui.create_app({"DATA_DIR": str(read_only), "TESTING": True}).test_client()
    documents = client.get("/api/documents")
    assert documents.status_code == 200, documents.data[:300]
    ids = [item["id"] for item in documents.get_json()["documents"]]
    assert len(ids) == 5
    for url in ["/", "/search?q=revolution", f"/documents/{ids[0]}", "/query?xpath=//tei:p",
                "/export.zip"]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:300])
