"""Logging in to the viewer (`archive serve --editing`): sessions, CSRF, roles, throttling,
and no login or writing route at all without --editing. The real app through Flask's test
client, and a real `archive serve --editing` process for its log."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from archive_tests_servers import free_port, wait_for_port
from flask import Blueprint

from archive.accounts import account_storage, add_user, get_user
from archive.config import DEFAULT_PASSWORD_PROFILE, Settings
from webui import create_app
from webui.auth import (
    READS_ONLY_ATTRIBUTE,
    WRITING_METHODS,
    admin_required,
    check_routes,
    editor_required,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = {"alice": "alice's long password", "rita": "rita reads everything",
             "adam": "adam administers it all", "paul": "paul's first password"}
ROLES = {"alice": "editor", "rita": "reader", "adam": "admin", "paul": "editor"}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def editing_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's data directory with four users."""
    copy = tmp_path_factory.mktemp("editing") / "data"
    shutil.copytree(data_dir, copy)
    settings = Settings(data_dir=copy)
    for name, password in PASSWORDS.items():
        add_user(settings, name, ROLES[name], password)
    return copy


@pytest.fixture
def app(editing_dir: Path):
    return create_app({"DATA_DIR": str(editing_dir), "EDITING": True})


def token(client, url: str = "/login") -> str:
    """The CSRF token of the form on ``url``."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return TOKEN.search(response.text).group(1)


def login(client, name: str, password: str | None = None, **extra: str):
    data = {"name": name, "password": PASSWORDS[name] if password is None else password,
            "csrf_token": token(client), **extra}
    return client.post("/login", data=data)


def session_of(app, client) -> dict:
    """The session the client's cookie holds (verified with the app's key)."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def test_log_in_see_the_account_log_out(app) -> None:
    client = app.test_client()
    anonymous = client.get("/account")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=/account")
    assert "Log in" in client.get("/").text
    response = login(client, "alice", next="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert '<strong class="auth-user">alice</strong> (editor)' in page.text
    assert 'class="account-name"' in page.text  # the name in the header
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page.text)
    assert client.post("/logout", data={"csrf_token": token(client, "/account")}
                       ).status_code == 302
    assert client.get("/account").status_code == 302
    assert "_user_id" not in session_of(app, client)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil",
                                    "javascript:alert(1)"])
def test_next_never_leaves_the_site(app, target: str) -> None:
    response = login(app.test_client(), "alice", next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_login_makes_a_new_session(app) -> None:
    """Session fixation: nothing of the session before a login survives it, and each login
    has a new session id; the cookie from before the login is not logged in."""
    client = app.test_client()
    token(client)
    before = client.get_cookie("session").value
    anonymous = session_of(app, client)
    assert "csrf_token" in anonymous and "_user_id" not in anonymous
    login(client, "alice")
    first = session_of(app, client)
    assert first["_user_id"].startswith("alice:") and first["sid"]
    assert client.get_cookie("session").value != before
    assert first.get("csrf_token") != anonymous["csrf_token"]  # cleared, then made anew
    login(client, "alice")
    assert session_of(app, client)["sid"] != first["sid"]
    replay = app.test_client()
    replay.set_cookie("session", before)
    assert replay.get("/account").status_code == 302


def test_writing_without_the_right_csrf_token_is_403_and_writes_nothing(app,
                                                                        editing_dir: Path) -> None:
    client = app.test_client()
    login(client, "alice")
    good = token(client, "/account")
    storage = account_storage(Settings.from_env(editing_dir))  # (the database's, on PostgreSQL)
    before = storage.read_users()
    other = app.test_client()
    login(other, "rita")
    foreign = token(other, "/account")  # a real token, of another session
    for url, data in [("/account/logout-everywhere", {}),
                      ("/account/password", {"current": PASSWORDS["alice"],
                                             "password": "a brand new password",
                                             "repeat": "a brand new password"}),
                      ("/logout", {})]:
        for headers, form in [({}, data), ({}, {**data, "csrf_token": "x" + good[1:]}),
                              ({}, {**data, "csrf_token": foreign}),
                              ({"X-CSRFToken": foreign}, data)]:
            response = client.post(url, data=form, headers=headers)
            assert response.status_code == 403, (url, form, headers)
            assert "CSRF" in response.text and "Reload the page" in response.text
            assert storage.read_users() == before
    assert client.get("/account").status_code == 200  # still logged in: /logout refused too
    anonymous = app.test_client()
    refused = anonymous.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert refused.status_code == 403 and "_user_id" not in session_of(app, anonymous)
    # the same request with the token in the header, as script sends it, is done
    done = client.post("/account/logout-everywhere", headers={"X-CSRFToken": good})
    assert done.status_code == 302
    assert storage.read_users() != before


def test_log_out_everywhere_ends_every_session(app, editing_dir: Path) -> None:
    settings = Settings(data_dir=editing_dir)
    here, there = app.test_client(), app.test_client()
    login(here, "alice")
    login(there, "alice")
    generation = get_user(settings, "alice").generation
    assert there.get("/account").status_code == 200
    here.post("/account/logout-everywhere", data={"csrf_token": token(here, "/account")})
    assert get_user(settings, "alice").generation == generation + 1
    assert here.get("/account").status_code == 302
    assert there.get("/account").status_code == 302  # the other computer's session ended
    login(there, "alice")
    assert there.get("/account").status_code == 200


def test_a_new_password_ends_the_other_sessions(app, editing_dir: Path) -> None:
    here, there = app.test_client(), app.test_client()
    login(here, "paul")
    login(there, "paul")
    csrf = token(here, "/account")
    wrong = here.post("/account/password", data={
        "csrf_token": csrf, "current": "not it at all", "password": "paul's second password",
        "repeat": "paul's second password"})
    assert wrong.status_code == 400 and "The current password is wrong." in wrong.text
    weak = here.post("/account/password", data={
        "csrf_token": csrf, "current": PASSWORDS["paul"], "password": "short", "repeat": "short"})
    assert weak.status_code == 400 and "10 to 1024 characters" in weak.text
    done = here.post("/account/password", data={
        "csrf_token": csrf, "current": PASSWORDS["paul"], "password": "paul's second password",
        "repeat": "paul's second password"})
    assert done.status_code == 302
    assert "Your password has been changed" in here.get("/account").text
    assert there.get("/account").status_code == 302
    assert login(app.test_client(), "paul").status_code == 200  # the old one: refused
    assert login(app.test_client(), "paul", "paul's second password").status_code == 302
    from archive.accounts import set_password

    set_password(Settings(data_dir=editing_dir), "paul", PASSWORDS["paul"])


@pytest.fixture
def timed_dir(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the session's data directory where passwords are hashed as the archive hashes
    them (not with the tests' cheapest profile: tests/conftest.py)."""
    monkeypatch.setenv("ARCHIVE_PASSWORD_PROFILE", DEFAULT_PASSWORD_PROFILE)
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    return copy


def test_a_failed_login_does_not_tell_whether_the_user_exists(timed_dir: Path) -> None:
    add_user(Settings(data_dir=timed_dir), "alice", "editor", PASSWORDS["alice"])
    app = create_app({"DATA_DIR": str(timed_dir), "EDITING": True})

    def answer(name: str) -> tuple[int, str, float]:
        client = app.test_client()
        csrf = token(client)
        # the CPU this process spent (argon2's hashing is CPU work, in any of its threads):
        # unlike the clock's time, not lengthened by other programs on a busy machine
        start = time.process_time()
        response = client.post("/login", data={"name": name, "password": "wrong password!",
                                                "csrf_token": csrf})
        seconds = time.process_time() - start
        text = TOKEN.sub("", response.text).replace(f'value="{name}"', 'value="NAME"')
        return response.status_code, text, seconds

    known = [answer("alice") for _ in range(3)]
    unknown = [answer("nobody-here") for _ in range(3)]
    assert known[0][:2] == unknown[0][:2]
    assert "Wrong user name or password." in known[0][1]
    # an unknown name is hashed too (a dummy): never the few milliseconds of no hashing at all
    slowest_known = sorted(seconds for *_, seconds in known)[1]
    assert min(seconds for *_, seconds in unknown) > 0.3 * slowest_known


def test_failed_logins_are_throttled_per_user_and_per_address(editing_dir: Path) -> None:
    app = create_app({"DATA_DIR": str(editing_dir), "EDITING": True,
                      "LOGIN_FAILURES_PER_ADDRESS": 8})
    client = app.test_client()
    for _ in range(5):
        assert login(client, "alice", "wrong password!").status_code == 200
    for password in ("wrong password!", PASSWORDS["alice"]):  # then even the right one waits
        refused = login(client, "alice", password)
        assert refused.status_code == 429
        assert 800 < int(refused.headers["Retry-After"]) <= 900
        assert "Too many failed logins: try again in 15 minutes." in refused.text
    assert "_user_id" not in session_of(app, client)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.9"
    assert login(elsewhere, "alice").status_code == 429  # the user is throttled anywhere
    # an unknown name is throttled the same way (nothing tells it does not exist)
    for _ in range(5):
        assert login(elsewhere, "nobody-here", "wrong password!").status_code == 200
    assert login(elsewhere, "nobody-here", "wrong password!").status_code == 429
    # the address: 8 failures from 127.0.0.1 in all (5 above and 3 more), then every name
    for _ in range(3):
        assert login(client, "rita", "wrong password!").status_code == 200
    assert login(client, "adam").status_code == 429
    assert login(elsewhere, "adam").status_code == 302  # another address still may


def test_guessing_the_current_password_is_throttled_too(app) -> None:
    client = app.test_client()
    login(client, "alice")
    csrf = token(client, "/account")
    for _ in range(5):
        response = client.post("/account/password", data={
            "csrf_token": csrf, "current": "a wrong guess", "password": "x" * 12, "repeat": "x"})
        assert response.status_code == 400
    response = client.post("/account/password", data={
        "csrf_token": csrf, "current": PASSWORDS["alice"], "password": "a good new one!",
        "repeat": "a good new one!"})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_an_unreadable_file_of_users_is_503_without_details(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.json").write_text("{not json", encoding="utf-8")
    app = create_app({"DATA_DIR": str(data), "EDITING": True,
                      "SECRET_KEY": "s" * 32})
    client = app.test_client()
    response = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"],
                                           "csrf_token": token(client)})
    assert response.status_code == 503
    assert "The accounts cannot be read or changed" in response.text
    assert str(data) not in response.text and "users.json" not in response.text


@pytest.mark.parametrize(("setting", "error"), [
    # Flask reads it as the number 12345
    (("ARCHIVE_SECRET_KEY", "12345"), "ARCHIVE_SECRET_KEY is shorter than 32"),
    (("ARCHIVE_PASSWORD_PROFILE", "HIGHEST"), "no argon2 profile 'HIGHEST' "
                                              "(ARCHIVE_PASSWORD_PROFILE: one of ")])
def test_a_bad_secret_key_or_password_profile_is_refused_in_one_line(
        editing_dir: Path, setting: tuple[str, str], error: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "archive", "--data", str(editing_dir), "serve", "--editing",
         "--port", "0"], env={**os.environ, setting[0]: setting[1]}, capture_output=True,
        text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"archive: error: {error}")


def test_cookies_are_httponly_lax_and_secure_over_tls(editing_dir: Path) -> None:
    def cookie(base_url: str | None, scheme: str = "http") -> str:
        app = create_app({"DATA_DIR": str(editing_dir), "EDITING": True, "BASE_URL": base_url})
        response = app.test_client().get("/login", base_url=f"{scheme}://localhost")
        return response.headers["Set-Cookie"]

    plain = cookie(None)
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    behind_https = cookie("https://archive.example.org")
    assert "Secure" in behind_https and "HttpOnly" in behind_https
    assert "Secure" in cookie(None, "https")  # a request that came over TLS


def test_pages_of_a_session_are_never_cached_for_another(app) -> None:
    anonymous = app.test_client()
    first = anonymous.get("/")
    assert first.status_code == 200 and "Log in" in first.text
    client = app.test_client()
    login(client, "alice")
    mine = client.get("/")
    assert 'class="account-name">alice</a>' in mine.text and "csrf-token" in mine.text
    again = anonymous.get("/")
    assert "alice" not in again.text and "csrf-token" not in again.text
    assert "Set-Cookie" not in again.headers


def probe_blueprint() -> Blueprint:
    """Two writing routes of the kinds the editing pages will have."""
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/edit", methods=["POST"])
    @editor_required
    def edit() -> str:
        return "edited"

    @probe.route("/probe/admin", methods=["POST", "DELETE"])
    @admin_required
    def administer() -> str:
        return "administered"

    return probe


def reads_only_view(app, rule) -> bool:
    """The route's view is marked :func:`webui.auth.reads_only` (a protocol's reading POST)."""
    return hasattr(app.view_functions[rule.endpoint], READS_ONLY_ATTRIBUTE)


def test_every_writing_route_refuses_the_anonymous_and_weaker_roles(editing_dir: Path) -> None:
    """Route by route over the url_map: anonymous 401 (with a valid CSRF token), a role too
    weak 403; the right role passes."""
    app = create_app({"DATA_DIR": str(editing_dir), "EDITING": True})
    app.register_blueprint(probe_blueprint())
    check_routes(app)
    clients = {"anonymous": app.test_client()}
    for name in ("rita", "alice", "adam"):
        clients[name] = app.test_client()
        login(clients[name], name)
    tokens = {name: token(client) for name, client in clients.items()}
    rank = {"anonymous": -1, "reader": 0, "editor": 1, "admin": 2}
    writing = [rule for rule in app.url_map.iter_rules() if rule.methods & WRITING_METHODS
               and not reads_only_view(app, rule)]
    assert {rule.rule for rule in writing} == {
        "/login", "/logout", "/account/logout-everywhere", "/account/password", "/probe/edit",
        "/probe/admin", "/review/<entry_id>/accept", "/review/<entry_id>/merge",
        "/review/<entry_id>/reject", "/entities/<entity_id>/edit", "/entities/<entity_id>/merge",
        "/log/<int:change_id>/undo",
        # correcting tags (webui/tagging.py)
        "/api/edit/documents/<doc_id>/tags", "/api/edit/apply-all/preview",
        "/api/edit/apply-all", "/api/edit/undo/<change>"}
    #: a value for each URL argument (none exists: the right role gets past to a 404)
    examples = {"entry_id": "no-such-entry", "entity_id": "no-such-entry", "change_id": 999999,
                "doc_id": "no-such-document", "change": "999999"}
    urls = app.url_map.bind("localhost")
    for rule in writing:
        needed = app.view_functions[rule.endpoint].archive_role
        if needed is None:
            assert rule.rule == "/login"  # the one writing route open to all
            continue
        for who, client in clients.items():
            role = "anonymous" if who == "anonymous" else ROLES.get(who, "admin")
            for method in sorted(rule.methods & WRITING_METHODS):
                url = urls.build(rule.endpoint, {name: examples[name]
                                                 for name in rule.arguments}, method=method)
                response = client.open(url, method=method,
                                       headers={"X-CSRFToken": tokens[who]},
                                       data={"current": "x"})
                if role == "anonymous":
                    assert response.status_code == 401, (rule.rule, method)
                elif rank[role] < rank[needed]:
                    assert response.status_code == 403, (rule.rule, method, who)
                    assert f"This needs the role {needed}" in response.text
                else:
                    assert response.status_code not in (401, 403), (rule.rule, method, who)
            if rule.rule in ("/logout", "/account/logout-everywhere") and who != "anonymous":
                login(client, who)  # logged out by the route: log in again for the next
                tokens[who] = token(client)


def test_a_writing_route_without_a_role_or_without_editing_is_refused() -> None:
    bare = Blueprint("bare", __name__)

    @bare.route("/bare", methods=["POST"])
    def unguarded() -> str:
        return "written"

    editing = create_app({"DATA_DIR": "/nonexistent", "EDITING": True, "SECRET_KEY": "k" * 32})
    editing.register_blueprint(bare)
    with pytest.raises(RuntimeError, match="/bare writes without a role"):
        check_routes(editing)
    reading = create_app({"DATA_DIR": "/nonexistent"})
    reading.register_blueprint(probe_blueprint())
    with pytest.raises(RuntimeError, match="while editing is off"):
        check_routes(reading)


def test_without_editing_there_is_no_login_and_no_session(data_dir: Path) -> None:
    app = create_app({"DATA_DIR": str(data_dir)})
    assert app.config["EDITING"] is False
    client = app.test_client()
    for url in ("/login", "/account", "/logout", "/account/logout-everywhere"):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"name": "alice"}).status_code == 404, url
    page = client.get("/")
    assert "Log in" not in page.text and "Set-Cookie" not in page.headers
    assert not [rule.rule for rule in app.url_map.iter_rules()
                if rule.methods & WRITING_METHODS and not reads_only_view(app, rule)]
    # the protocols whose POST only reads (OAI-PMH, reconciliation): those two alone
    assert [rule.rule for rule in app.url_map.iter_rules()
            if reads_only_view(app, rule)] == ["/oai", "/reconcile"]
    assert not (data_dir / ".secret_key").exists()



def test_a_real_server_logs_no_password(editing_dir: Path, tmp_path: Path) -> None:
    """`archive serve --editing` in its own process: log in (once wrongly), use the account
    page, log out; its whole output holds neither password."""
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ARCHIVE_SECRET_KEY", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(editing_dir), "serve", "--editing",
             "--port", str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    wrong = "Hunter2-wrong-guess"
    try:
        wait_for_port(port, process, log)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def post(url: str, fields: dict[str, str]) -> tuple[int, str]:
            body = urllib.parse.urlencode(fields).encode()
            try:
                with opener.open(base + url, data=body, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        def form_token(url: str) -> str:
            with opener.open(base + url, timeout=30) as response:
                return TOKEN.search(response.read().decode()).group(1)

        status, text = post("/login", {"name": "alice", "password": wrong,
                                       "csrf_token": form_token("/login")})
        assert status == 200 and "Wrong user name or password." in text
        status, text = post("/login", {"name": "alice", "password": PASSWORDS["alice"],
                                       "csrf_token": form_token("/login"), "next": "/account"})
        assert status == 200 and '<strong class="auth-user">alice</strong>' in text
        status, text = post("/logout", {"csrf_token": form_token("/account")})
        assert status == 200 and "Log in" in text
        # a password sent in a URL by mistake: the form only posts, and nothing logs the URL
        post("/login?password=" + urllib.parse.quote(wrong), {})
        with urllib.request.urlopen(base + "/api/documents?q=x", timeout=30) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "Editing is on: users log in at /login" in output
    for secret in (PASSWORDS["alice"], wrong, "alice's", "Hunter2"):
        assert secret not in output
    assert json.loads((editing_dir / "users.json").read_text())["users"]["alice"]
