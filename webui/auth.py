"""Logging in for editing in the browser (``archive serve --editing``), and the frame every
writing route stands in.

Only with ``EDITING`` on does the viewer have sessions, logins and writing routes:
:func:`init_app` then sets up Flask-Login over :mod:`archive.accounts` (sessions in Flask's
signed cookie: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over TLS), Flask-WTF's CSRF check on
every request that could write (a form's ``csrf_token`` field, or an ``X-CSRFToken`` header
from script, the token being in ``<meta name="csrf-token">``; missing or wrong: 403), the
login pages, and the writing blueprints it is given. With ``EDITING`` off none of this is
registered, and :func:`check_routes` refuses to start an app that has a writing route anyway.

A writing view is wrapped in :func:`editor_required`, :func:`admin_required` or
:func:`login_required`: an anonymous visitor gets 401 (a page asked for in a browser: the
login page), a user whose role is too weak 403. :func:`check_routes` refuses a writing route
without one.

Failed logins are counted in this process's memory (:class:`LoginThrottle`): per user name and
per client address; past the limit a login is refused with 429 and ``Retry-After``.
"""

from __future__ import annotations

import functools
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response as BaseResponse

from archive.accounts import (
    KEY_BYTES,
    MIN_PASSWORD_LENGTH,
    Role,
    User,
    authenticate,
    check_password,
    check_password_profile,
    end_sessions,
    get_user,
    secret_key,
    set_password,
    use_database,
)
from archive.config import Settings
from archive.errors import ArchiveError
from archive.index import account_storage

from .data import get_settings

__all__ = ["AccountUser", "LoginThrottle", "admin_required", "check_routes", "editor_required",
           "init_app", "login_required", "reads_only", "READS_ONLY_ATTRIBUTE", "WRITING_METHODS"]

#: Methods that may change something: only the editing routes take them.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The attribute a role decorator leaves on a view (what :func:`check_routes` looks for).
ROLE_ATTRIBUTE = "archive_role"
#: The attribute :func:`reads_only` leaves on a view.
READS_ONLY_ATTRIBUTE = "archive_reads_only"

View = TypeVar("View", bound=Callable[..., Any])

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class AccountUser:
    """The logged-in user as Flask-Login sees it: an :class:`archive.accounts.User` whose
    session id carries its generation, so raising the generation ends the session."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user: User) -> None:
        self.user = user
        self.name = user.name
        self.role = user.role

    def get_id(self) -> str:
        return f"{self.user.name}:{self.user.generation}"

    def has_role(self, role: Role) -> bool:
        return self.user.has_role(role)


class LoginThrottle:
    """Failed logins per key (a user name, a client address) in a sliding window, in memory.

    :param window: seconds a failure counts.
    """

    #: Keys remembered at most; past it, those with no failure in the window are forgotten.
    MAX_KEYS = 100_000

    def __init__(self, window: float) -> None:
        self.window = window
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def wait(self, key: str, limit: int) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self.lock:
            times = self._recent(key, now)
            if len(times) < limit:
                return 0
            return max(1, math.ceil(times[-limit] + self.window - now))

    def fail(self, key: str) -> None:
        """Count a failure of ``key``."""
        now = time.monotonic()
        with self.lock:
            if len(self.failures) >= self.MAX_KEYS:
                for old in [k for k, times in self.failures.items()
                            if not times or times[-1] <= now - self.window]:
                    del self.failures[old]
            self.failures.setdefault(key, deque(maxlen=1000)).append(now)

    def forget(self, key: str) -> None:
        """Forget ``key``'s failures (a user who logged in)."""
        with self.lock:
            self.failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self.failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, ``Secure`` also for a request that came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask, blueprints: Iterable[Blueprint] = ()) -> None:
    """Turn on editing: sessions, logins, the CSRF check, the login pages and ``blueprints``
    (the writing routes). Called only when ``EDITING`` is on.

    The accounts and the session key are the data directory's, or with an index database
    (``ARCHIVE_INDEX_URL``) the database's: those of every host serving it.

    :raise ArchiveError: no secret key can be had (``ARCHIVE_SECRET_KEY`` unset and the data
        directory's key file cannot be made, or the database cannot be reached), or
        ``ARCHIVE_PASSWORD_PROFILE`` names no argon2 profile.
    """
    config = app.config
    use_database(account_storage)
    key = config.get("SECRET_KEY")
    if not key:
        config["SECRET_KEY"] = secret_key(Settings.from_env(config["DATA_DIR"]))
    else:  # ARCHIVE_SECRET_KEY=123 reaches the config as a number (Flask reads JSON)
        config["SECRET_KEY"] = key if isinstance(key, bytes) else str(key)
        if len(config["SECRET_KEY"]) < KEY_BYTES:
            raise ArchiveError(f"ARCHIVE_SECRET_KEY is shorter than {KEY_BYTES} characters: "
                               "use a long random one (python -c 'import secrets; "
                               "print(secrets.token_urlsafe(32))')")
    check_password_profile(Settings.from_env(config["DATA_DIR"]))
    https = str(config.get("BASE_URL") or "").lower().startswith("https://")
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config.get("SESSION_COOKIE_SECURE")) or https
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in check_csrf, refused with 403
    config["WTF_CSRF_TIME_LIMIT"] = None  # valid as long as the session
    config["WTF_CSRF_METHODS"] = sorted(WRITING_METHODS)
    app.session_interface = _SessionInterface()
    app.extensions["login_throttle"] = LoginThrottle(float(config["LOGIN_WINDOW"]))

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    csrf.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if request.method in WRITING_METHODS and not hasattr(view, READS_ONLY_ATTRIBUTE):
            try:
                csrf.protect()
            except CSRFError as error:
                abort(403, f"Refused: {error.description} Reload the page and try again.")

    app.register_blueprint(bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def load_user(user_id: str) -> AccountUser | None:
    """The session's user, if it still exists and its sessions have not been ended."""
    name, _, generation = user_id.rpartition(":")
    try:
        user = get_user(get_settings(), name)
    except ArchiveError:
        return None
    if user is None or str(user.generation) != generation:
        return None
    return AccountUser(user)


def check_routes(app: Flask) -> None:
    """Refuse an app with a writing route when ``EDITING`` is off, or with a writing route
    whose view has no role decorator (the login form excepted).

    :raise RuntimeError: naming the route.
    """
    for rule in app.url_map.iter_rules():
        if (not (rule.methods or set()) & WRITING_METHODS
                or hasattr(app.view_functions[rule.endpoint], READS_ONLY_ATTRIBUTE)):
            continue
        if not app.config.get("EDITING"):
            raise RuntimeError(f"{rule.rule} takes {sorted(rule.methods or ())} while editing "
                               "is off: register writing blueprints through webui.auth.init_app")
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, ROLE_ATTRIBUTE):
            raise RuntimeError(f"{rule.rule} writes without a role: wrap its view in "
                               "editor_required, admin_required or login_required")


def reads_only(view: View) -> View:
    """Mark a view that takes POST only because its protocol lets clients send arguments as a
    form (OAI-PMH, the reconciliation API) and that reads like GET: :func:`check_routes` lets
    it be, with editing on or off, and the CSRF check passes it by (a harvester has no token,
    and there is nothing a forged request could change)."""
    setattr(view, READS_ONLY_ATTRIBUTE, True)
    return view


def role_required(role: Role | None) -> Callable[[View], View]:
    """A view for users of ``role`` or a stronger one (None: anybody, for the login form).

    Anonymous: a browser's GET is sent to the login page, anything else gets 401; a weaker
    role gets 403.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if role is not None:
                if not current_user.is_authenticated:
                    if request.method == "GET" and not request.path.startswith("/api/"):
                        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                    abort(401, "Log in first.")
                if not current_user.has_role(role):
                    abort(403, f"This needs the role {role}; you are a {current_user.role}.")
            return view(*args, **kwargs)

        setattr(guarded, ROLE_ATTRIBUTE, role)
        return cast(View, guarded)

    return decorate


#: Any user who logged in (a reader too).
login_required = role_required("reader")
#: Editors and admins.
editor_required = role_required("editor")
#: Admins only.
admin_required = role_required("admin")


def _safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the front page (no open redirect)."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and not any(ord(char) < 32 for char in target)):
        return target
    return url_for("browse.index")


def _throttle() -> LoginThrottle:
    throttle: LoginThrottle = current_app.extensions["login_throttle"]
    return throttle


def _throttled(name: str) -> int:
    """Seconds until a login as ``name`` from this address may be tried (0: now)."""
    throttle = _throttle()
    config = current_app.config
    return max(throttle.wait(f"user:{name}", int(config["LOGIN_FAILURES_PER_USER"])),
               throttle.wait(f"address:{request.remote_addr}",
                             int(config["LOGIN_FAILURES_PER_ADDRESS"])))


def _failed(name: str) -> None:
    """Count a failed password of ``name`` from this address."""
    throttle = _throttle()
    throttle.fail(f"user:{name}")
    throttle.fail(f"address:{request.remote_addr}")


def _too_many(wait: int) -> BaseResponse:
    """429 with ``Retry-After``: too many failed passwords."""
    minutes = math.ceil(wait / 60)
    error = TooManyRequests(f"Too many failed logins: try again in {minutes} minute"
                            f"{'s' if minutes != 1 else ''}.")
    response = current_app.handle_http_exception(error)
    assert isinstance(response, BaseResponse)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@role_required(None)
def login() -> BaseResponse | str | tuple[str, int]:
    """The login form; its POST logs in (a new session) or says the name or password is wrong,
    never which."""
    next_url = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("auth/login.html", next_url=next_url, error=None, name="")
    name = request.form.get("name", "").strip()[:200]
    password = request.form.get("password", "")
    wait = _throttled(name)
    if wait:
        return _too_many(wait)
    user = _accounts(lambda: authenticate(get_settings(), name, password))
    if user is None:
        _failed(name)
        return render_template("auth/login.html", next_url=next_url, name=name,
                               error="Wrong user name or password."), 200
    _throttle().forget(f"user:{name}")
    session.clear()  # nothing of the session before the login survives it (fixation)
    session["sid"] = secrets.token_urlsafe(24)
    session.permanent = True
    login_user(AccountUser(user))
    return redirect(next_url)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> BaseResponse:
    """End this session."""
    logout_user()
    session.clear()
    return redirect(url_for("browse.index"))


@bp.route("/account")
@login_required
def account() -> str:
    """Who is logged in, a form for a new password, log out here or everywhere."""
    return _account_page()


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> BaseResponse:
    """End every session of this user, this one included."""
    _accounts(lambda: end_sessions(get_settings(), current_user.name))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password() -> BaseResponse | tuple[str, int]:
    """A new password for this user (the current one asked again, its failures throttled like
    a login's); every session ends but this one, which goes on under the new generation."""
    name = current_user.name
    settings = get_settings()
    current = request.form.get("current", "")
    new = request.form.get("password", "")
    wait = _throttled(name)
    if wait:
        return _too_many(wait)
    if _accounts(lambda: authenticate(settings, name, current)) is None:
        _failed(name)
        return _account_page("The current password is wrong."), 400
    if new != request.form.get("repeat", ""):
        return _account_page("The new passwords are not the same."), 400
    try:
        check_password(new, name)
    except ArchiveError as error:
        return _account_page(f"{error.message[:1].upper()}{error.message[1:]}."), 400
    user = _accounts(lambda: set_password(settings, name, new))
    session["sid"] = secrets.token_urlsafe(24)
    login_user(AccountUser(user))
    flash("Your password has been changed; your other sessions have ended.")
    return redirect(url_for("auth.account"))


def _account_page(error: str | None = None) -> str:
    return render_template("auth/account.html", error=error, min_password=MIN_PASSWORD_LENGTH)


Result = TypeVar("Result")


def _accounts(call: Callable[[], Result]) -> Result:
    """``call()``, which reads or changes the users; when it cannot (another writer holds the
    data lock, an unreadable file of users), 503 without the details, which go to the log."""
    try:
        return call()
    except ArchiveError as error:
        current_app.logger.error("accounts: %s", error)
        abort(503, "The accounts cannot be read or changed just now; try again in a moment.")
