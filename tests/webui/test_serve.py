"""``archive serve``: refuses a data directory without an index, in one line."""

from __future__ import annotations

from click.testing import CliRunner

from archive.cli import cli


def test_serve_without_index_is_one_clear_line(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["--data", str(tmp_path), "serve", "--port", "0"])
    assert result.exit_code == 1
    assert result.output == (f"archive: error: no index in {tmp_path}: run `archive build`"
                             " first\n")


def test_serve_help_names_its_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output
