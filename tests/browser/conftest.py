"""A live viewer on 127.0.0.1 (werkzeug in a thread) and Debian's Chromium through Playwright."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _load_builder():
    # the same session data directory as tests/webui (built once, reused via its marker file)
    path = Path(__file__).resolve().parent.parent / "webui" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_webui_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_data_dir


@contextmanager
def serving(data: Path) -> Iterator[str]:
    """The viewer of ``data`` served on a free port (werkzeug in a thread): its base URL."""
    from werkzeug.serving import make_server

    from webui import create_app

    server = make_server("127.0.0.1", 0, create_app({"DATA_DIR": str(data)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The viewer's base URL, served for the whole session."""
    with serving(_load_builder()(tmp_path_factory.getbasetemp() / "webui")) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def checked_page(browser, base: str, permissions: tuple[str, ...] = ()) -> Iterator[object]:
    """A fresh page on ``base`` (1280×900, ``permissions`` granted); console errors fail the
    test."""
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    if permissions:
        context.grant_permissions(list(permissions), origin=base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:
    """A fresh page; console errors fail the test."""
    with checked_page(browser, live_server) as opened:
        yield opened
