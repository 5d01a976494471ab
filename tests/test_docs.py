"""The README is true: its examples run, and it names every command and shipped facet."""

from __future__ import annotations

import doctest
from pathlib import Path

from archive.cli import cli
from archive.config import Settings
from archive.index.facets import load_facets

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run() -> None:
    text = README.read_text(encoding="utf-8")
    examples = "\n".join(block.split("```")[0] for block in text.split("```pycon")[1:])
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "README.md", str(README), 0)
    assert test.examples, "the README has no pycon examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0


def test_every_command_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"archive {name}" not in text]
    assert missing == []


def test_every_shipped_facet_is_documented(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    names = [facet.name for facet in load_facets(Settings(data_dir=tmp_path))]
    assert names and [name for name in names if name not in text] == []
