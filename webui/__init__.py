"""The viewer: a Flask app that reads an archive's data directory (TEI files, registry, index).

Pages and their JSON twins come from one blueprint per page family; every page is built from
the index and the registry through ``archive``'s public functions.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from .lang import html_lang

__all__ = ["create_app", "SECURITY_HEADERS"]

#: Sent with every response. No inline script anywhere, so the policy can forbid it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the viewer.

    Configuration in flaskr's order: defaults, then ``ARCHIVE_*`` environment variables
    (``ARCHIVE_DATA_DIR=/srv/archive``), then ``test_config``.

    :param test_config: settings that win over everything else (tests).
    :return: the Flask application.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("ARCHIVE_DATA", "archive-data"),
        QUERY_TIMEOUT=5.0,  # seconds an XPath query from the console may run
        QUERY_LIMIT=500,  # hits shown by the console
        QUERY_HIT_BYTES=16_000,  # UTF-8 bytes of a hit's value, and of its context, shown
        QUERY_ANSWER_BYTES=2_000_000,  # UTF-8 bytes of all the hits of one console answer
        PAGE_SIZE=50,  # documents / hits per page
        FACET_SIZE=10,  # values shown per facet before "show all"
        FACET_MAX=1000,  # values shown per facet with ``_facet_size=max`` (a cap, with a note)
        EXPORT_LIMIT=500,  # documents one download of a selection may hold (a zip validates each)
        HEAVY_REQUESTS=2,  # XPath queries and downloads served at once (the others: 503)
        HEAVY_WAITING=2,  # more that may wait for one of them to end ...
        HEAVY_WAIT=5.0,  # ... for at most this many seconds
        TRUSTED_HOSTS=None,  # Host headers accepted (list or "a,b"); None: any
        BASE_URL=None,  # the site's public URL for permalinks ("https://archive.example.org")
        RESPONSE_CACHE=True,  # answer repeated GETs from memory until the data changes
        OAI_PAGE_SIZE=50,  # records / headers per OAI-PMH answer (then a resumption token)
        OAI_REPOSITORY_ID=None,  # the identifiers' namespace; None: BASE_URL's or the host
        OAI_REPOSITORY_NAME=None,  # Identify's repositoryName; None: the archive's name
        OAI_ADMIN_EMAIL="admin@example.org",  # Identify's adminEmail: set your own
        RECONCILE_LIMIT=25,  # candidates per reconciliation query (and suggestions) at most
        RECONCILE_BATCH=50,  # queries per reconciliation batch at most (more: 413)
        JSON_SORT_KEYS=False,
        EDITING=False,  # logins and writing routes (`archive serve --editing`, webui.auth)
        SECRET_KEY=None,  # signs sessions; None: the data directory's .secret_key file
        LOGIN_FAILURES_PER_USER=5,  # failed logins per user name ...
        LOGIN_FAILURES_PER_ADDRESS=20,  # ... and per client address ...
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),  # a login lasts at most this long
        LOGIN_WINDOW=900,  # ... within this many seconds, then 429 (in this process's memory)
    )
    app.config.from_prefixed_env("ARCHIVE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.jinja_env.filters["html_lang"] = html_lang  # xml:lang → a valid BCP 47 tag or None

    from . import (
        api,
        auth,
        browse,
        cache,
        cite,
        data,
        documents,
        downloads,
        dts,
        editing,
        entities,
        limits,
        oai,
        query,
        reconcile,
        search,
        tagging,
    )

    limits.init_app(app)  # first: a bad host or query string is refused before the cache
    data.init_mirror(app)  # a viewer host's copy of the files, as new as the index it reads
    cache.init_app(app)
    for blueprint in (browse.bp, documents.bp, downloads.bp, entities.bp, query.bp, search.bp,
                      api.bp, dts.bp, cite.bp, oai.bp, reconcile.bp):
        app.register_blueprint(blueprint)
    if app.config["EDITING"]:
        # the writing blueprints (the editing pages) go in this tuple: registered only here,
        # with EDITING on; each writing view wears a role decorator (auth.check_routes)
        auth.init_app(app, blueprints=(editing.bp, tagging.bp))

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def error_page(error: HTTPException) -> Response:
        code = error.code or 500
        if request.path.startswith("/api/"):
            response = jsonify({"error": error.description, "status": code})
        elif request_ctx.url_adapter is None:  # an untrusted host: no page links can be built
            response = make_response(f"{code} {error.name}: {error.description}\n")
            response.mimetype = "text/plain"
        else:
            response = make_response(render_template("error.html", error=error))
        response.status_code = code
        # the exception's own headers: a 405 says which methods are allowed
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    auth.check_routes(app)  # no writing route without editing, none without a role
    return app
