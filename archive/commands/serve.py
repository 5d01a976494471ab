"""``archive serve``: the viewer (the ``webui`` package) on a local waitress server.

``webui`` sits above ``archive`` in the layers (it imports archive; archive never imports it),
so the server is looked up by name at run time, the way a WSGI server loads an app. Its limits
and timeouts (``webui.server``) are documented in docs/DEPLOY.md.
"""

from __future__ import annotations

import importlib

import click

from ..config import Settings
from ..errors import ArchiveError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (127.0.0.1: this machine only).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Request threads; at most half serve XPath queries and downloads (2 at "
                   "once, the others waiting).")
@click.option("--connection-limit", default=1000, show_default=True,
              type=click.IntRange(1, 100_000), help="Connections open at once.")
@click.option("--request-timeout", default=20.0, show_default=True,
              type=click.FloatRange(min=0.1),
              help="Seconds a client has to send a whole request; a slower one is closed.")
@click.option("--editing", is_flag=True,
              help="Let users log in (`archive users add`) and editors change documents and "
                   "the registry; off: the viewer only reads and has no login.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, threads: int, connection_limit: int,
          request_timeout: float, editing: bool) -> None:
    """Serve the viewer for the data directory at http://HOST:PORT/.

    With --index URL and an empty (or missing) data directory: a viewer host. The archive's
    files are copied from the database into the data directory, kept up to date with it
    (docs/DEPLOY.md). With --index URL the accounts and the session key are the database's,
    on every host; on a viewer host with --editing users log in, and documents and the
    registry are changed on the building host (a change sent to a viewer host is refused).
    """
    index = importlib.import_module("archive.index")
    if index.mirror(settings, start=True) and editing:
        click.echo("A viewer host: users log in with the database's accounts; documents and "
                   "the registry are changed on the building host (docs/DEPLOY.md)")
    if not index.index_exists(settings):
        raise ArchiveError(f"no index in {settings.data_dir}: run `archive build` first")
    importlib.import_module("webui.server").serve(
        str(settings.data_dir), host=host, port=port, threads=threads,
        connection_limit=connection_limit, request_timeout=request_timeout, echo=click.echo,
        editing=editing)
