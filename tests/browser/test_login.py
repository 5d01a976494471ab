"""Logging in with the real Chromium against a real `archive serve --editing`: the name in the
header, the account page, logging out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_tests_servers import free_port, wait_for_port

from archive.accounts import add_user
from archive.config import Settings

from .conftest import _load_builder

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long browser password"
SHOTS = Path(os.environ.get("ARCHIVE_SCREENSHOTS", "/tmp"))


@pytest.fixture(scope="module")
def editing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`archive serve --editing` over a copy of the test data directory, with user ellen."""
    built = _load_builder()(tmp_path_factory.getbasetemp() / "webui")
    data = tmp_path_factory.mktemp("login") / "data"
    shutil.copytree(built, data)
    add_user(Settings(data_dir=data), "ellen", "editor", PASSWORD)
    port = free_port()
    log = data.parent / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(data), "serve", "--editing",
             "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert PASSWORD not in log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.browser
def test_log_in_see_the_name_log_out(browser, editing_server: str) -> None:
    context = browser.new_context(base_url=editing_server, viewport={"width": 1280,
                                                                     "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto("/entities")
        page.click("header .account-nav a:text('Log in')")
        page.wait_for_url(re.compile(r"/login\?next=/"))
        page.fill("#ui-login-name", "ellen")
        page.fill("#ui-login-password", "not the password")
        page.click("form.auth-form button[type=submit]")
        assert page.locator(".auth-error").inner_text() == "Wrong user name or password."
        page.fill("#ui-login-password", PASSWORD)
        page.click("form.auth-form button[type=submit]")
        page.wait_for_url("**/entities")  # back where the login began
        assert page.locator("header .account-name").inner_text() == "ellen"
        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"
        assert page.evaluate("document.cookie") == ""  # out of script's reach
        page.click("header .account-name")
        page.wait_for_url("**/account")
        assert page.locator(".auth-user").inner_text() == "ellen"
        page.screenshot(path=str(SHOTS / "login-account.png"))
        # script writes with the token of <meta name="csrf-token"> in X-CSRFToken (editing.js);
        # the same fetch without it is refused
        bare = page.evaluate("fetch('/account/password', {method: 'POST'}).then(r => r.status)")
        assert bare == 403
        sent = page.evaluate("archiveEditing.send('/account/password', {method: 'POST', "
                             "body: new URLSearchParams({current: 'wrong guess'})})"
                             ".then(r => r.status)")
        assert sent == 400  # past the CSRF check: the current password is wrong
        refusals = [error for error in errors if "the server responded with a status of 4"
                    in error]
        assert len(refusals) == 2  # the browser reports the 403 and the 400 on the console
        errors[:] = [error for error in errors if error not in refusals]
        page.click("main form.auth-form button:text('Log out')")
        page.wait_for_url(editing_server + "/")
        assert page.locator("header .account-nav").inner_text().strip() == "Log in"
        assert page.locator("header .account-name").count() == 0
        page.goto("/account")
        page.wait_for_url(re.compile(r"/login\?next=/"))
    finally:
        context.close()
    assert errors == []
