"""``archive serve``: the viewer (the ``webui`` package) on a local waitress server.

``webui`` sits above ``archive`` in the layers (it imports archive; archive never imports it),
so the app is looked up by name at run time, the way a WSGI server loads an app.
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
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve the viewer for the data directory at http://HOST:PORT/."""
    import waitress

    if not settings.index_path.is_file():
        raise ArchiveError(f"no index in {settings.data_dir}: run `archive build` first")
    app = importlib.import_module("webui").create_app({"DATA_DIR": str(settings.data_dir)})
    click.echo(f"Serving {settings.data_dir.resolve()} at http://{host}:{port}/ (Ctrl+C stops)")
    waitress.serve(app, host=host, port=port, threads=threads, ident="tei-archive")
