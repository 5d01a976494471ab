"""Repeated pages come from the response cache, and a change to the data empties it."""

from __future__ import annotations

import shutil
from pathlib import Path

from archive.registry.authority import Registry
from webui import create_app


def test_a_repeated_page_is_the_same_and_a_registry_change_shows(data_dir: Path,
                                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    client = create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()
    first = client.get("/entities/leon-trotsky")
    second = client.get("/entities/leon-trotsky")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert second.headers["Content-Security-Policy"].startswith("default-src 'self'")

    registry = Registry.load(data / "registry")
    entry = registry.get("leon-trotsky")
    assert entry is not None
    registry.remove("leon-trotsky")
    registry.add(type(entry)(**{**vars(entry), "name": "Lev Trotsky (renamed)"}))
    registry.save(data / "registry")
    third = client.get("/entities/leon-trotsky")
    assert b"Lev Trotsky (renamed)" in third.data


def test_errors_and_console_answers_are_not_cached(data_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir)})
    client = app.test_client()
    assert client.get("/documents/no-such-document").status_code == 404
    assert client.get("/query?q=count(//tei:p)").status_code == 200
    assert client.get("/api/query?q=count(//tei:p)").status_code == 200
    assert client.get("/").status_code == 200
    assert list(app.extensions["response_cache"].items) == ["http://localhost/?"]


def test_the_cache_can_be_switched_off(data_dir: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "RESPONSE_CACHE": False})
    assert app.test_client().get("/").status_code == 200
    assert "response_cache" not in app.extensions


def test_a_reindex_after_an_edit_shows_on_the_next_request(data_dir: Path, tmp_path: Path) -> None:
    from archive.config import Settings
    from archive.index.update import update_index

    data = tmp_path / "data"
    shutil.copytree(data_dir, data)
    client = create_app({"TESTING": True, "DATA_DIR": str(data)}).test_client()
    assert b"In Honor of the Left Opposition" in client.get("/").data
    client.get("/api/facets?person=leon-trotsky")  # a lookup between: must not matter
    target = data / "tei" / "003_717e887f31c42029.xml"
    target.write_text(target.read_text(encoding="utf-8").replace(
        "<title>In Honor of the Left Opposition</title>",
        "<title>In Honour of the Left Opposition</title>", 1), encoding="utf-8")
    update_index(Settings(data_dir=data))
    assert b"In Honour of the Left Opposition" in client.get("/").data
