"""``archive tag``: JSON lines whose offsets index the source, text output, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.commands.tag import source_offsets
from archive.config import SAMPLES_DIR
from archive.model import Block, Span

SAMPLES = sorted(SAMPLES_DIR.glob("*.txt"))
DATE_KEYS = {"when", "from", "to", "notBefore", "notAfter", "inferred"}


def run(*args: str, data: Path) -> object:
    return CliRunner().invoke(cli, ["--data", str(data), "tag", *args])


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_json_lines_point_into_the_source(path: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run(str(path), data=data)
    assert result.exit_code == 0, result.output
    source = path.read_text(encoding="utf-8")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records, "every sample names someone"
    assert all(r["text"] == source[r["start"]:r["end"]] for r in records)
    assert [(r["start"], r["end"]) for r in records] == sorted((r["start"], r["end"])
                                                               for r in records)
    assert all(a["end"] <= b["start"] for a, b in zip(records, records[1:], strict=False))
    for r in records:
        assert r["doc"] == path.stem
        assert r["type"] in {"person", "place", "org", "date"}
        if r["type"] == "date":
            assert "key" not in r and set(r) - {"doc", "start", "end", "text", "type"} <= DATE_KEYS
            fields = set(r)
            assert {"when"} <= fields or {"from", "to"} <= fields \
                or {"notBefore", "notAfter"} <= fields
        else:
            assert set(r) - {"doc", "start", "end", "text", "type"} <= {"key"}
            assert r.get("key", "x")  # never an empty key
    assert not data.exists(), "tag must not write to the data directory"


def test_text_output(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("In October 1923 Leon Trotsky wrote to the Central Committee in Moscow.\n",
                    encoding="utf-8")
    result = run(str(path), "--format", "text", data=tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert [line.split(None, 3) for line in result.stdout.splitlines()] == [
        ["3", "15", "date", "October 1923  when=1923-10"],
        ["16", "28", "person", "Leon Trotsky  leon-trotsky"],
        ["42", "59", "org", "Central Committee  central-committee"],
        ["63", "69", "place", "Moscow  moscow"],
    ]


@pytest.mark.parametrize(("content", "message"), [
    (None, "note.txt"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "PNG"),
    (b"", "note.txt"),
])
def test_bad_input_is_one_line_on_stderr(tmp_path: Path, content: bytes | None,
                                         message: str) -> None:
    path = tmp_path / "note.txt"
    if content is not None:
        path.write_bytes(content)
    result = run(str(path), data=tmp_path / "data")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr


@pytest.mark.parametrize(("spans", "start", "end", "expected"), [
    ((Span("Leon ", 10), Span("Trotsky", 15)), 0, 12, (10, 22)),  # contiguous spans
    ((Span("Leon ", 10), Span("Trotsky", 40, rend="italic")), 0, 12, None),  # markup between
    ((Span("Leon ", 10), Span("Trotsky", 40)), 5, 12, (40, 47)),  # inside one span
    ((Span("&amp;"), Span("Trotsky", 40)), 0, 12, None),  # characters not from the source
])
def test_source_offsets(spans: tuple[Span, ...], start: int, end: int,
                        expected: tuple[int, int] | None) -> None:
    assert source_offsets(Block("p", spans), start, end) == expected


DIARY = Path(__file__).resolve().parents[1] / "fixtures" / "diary"


def test_diary_days_take_month_and_year_from_date_or_metadata(tmp_path: Path) -> None:
    """Without a date the diary's days are tagged unnormalised; ``--date`` (or the date in the
    source's metadata) places them, and the month rolls on past a month end."""
    path = tmp_path / "week.txt"
    path.write_text("Monday 29\n\nDined at home.\n\nTuesday 30th\n\nWednesday 1\n", "utf-8")

    def dates(*args: str) -> list[tuple[str, str | None]]:
        result = run(str(path), *args, data=tmp_path / "data")
        assert result.exit_code == 0, result.output
        return [(r["text"], r.get("when")) for r in map(json.loads, result.stdout.splitlines())
                if r["type"] == "date"]

    assert dates() == [("Monday 29", None), ("Tuesday 30th", None), ("Wednesday 1", None)]
    assert dates("--date", "1823-09") == [("Monday 29", "1823-09-29"),
                                          ("Tuesday 30th", "1823-09-30"),
                                          ("Wednesday 1", "1823-10-01")]
    path.with_suffix(".toml").write_text('id = "week"\ntitle = "A week"\ndate = "1823-09"\n',
                                         "utf-8")
    assert dates()[2] == ("Wednesday 1", "1823-10-01")


def test_a_bad_date_is_one_line_naming_the_file(tmp_path: Path) -> None:
    result = run(str(DIARY / "journal.txt"), "--date", "June 1819", data=tmp_path / "data")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"archive: error: {DIARY / 'journal.txt'}: --date 'June 1819' is not YYYY, YYYY-MM or "
        "YYYY-MM-DD"]


NOTES = {
    "a.txt": "In October 1923 Leon Trotsky wrote to the Central Committee in Moscow.\n",
    "b.md": "# Barcelona\n\nAndreu Nin spoke in Barcelona in 1936.\n",
    "more/c.txt": "Victor Serge left Paris in 1940.\n",
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    for name, text in NOTES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (folder / ".hidden.txt").write_text("Leon Trotsky\n", encoding="utf-8")
    (folder / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


def test_a_folder_is_tagged_in_one_process_a_bad_file_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = _folder(tmp_path)
    done = subprocess.run([sys.executable, "-m", "archive", "--data", str(tmp_path / "data"),
                           "tag", str(folder)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"archive: error: {folder / 'bad.txt'}: binary file (a PNG image), not a text source"]
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["file"] for r in records} == {str(folder / name) for name in NOTES}
    for r in records:
        assert Path(r["file"]).read_text(encoding="utf-8")[r["start"]:r["end"]] == r["text"]
        assert r["doc"] == Path(r["file"]).stem
    assert {(Path(r["file"]).name, r["text"]) for r in records} >= {
        ("a.txt", "Leon Trotsky"), ("b.md", "Andreu Nin"), ("c.txt", "Victor Serge")}
    assert not (tmp_path / "data").exists()


def test_several_files_load_the_model_once(tmp_path: Path) -> None:
    from archive.annotate.ner import load_nlp

    folder = _folder(tmp_path)
    files = [str(folder / name) for name in NOTES]
    load_nlp.cache_clear()
    result = run(*files, "--format", "text", data=tmp_path / "data")
    assert result.exit_code == 0, result.output
    assert load_nlp.cache_info().misses == 1
    headers = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert headers == [f"==> {file} <==" for file in files]


def test_a_folder_without_sources_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run(str(tmp_path / "empty"), data=tmp_path / "data")
    assert result.exit_code == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "no source files" in result.stderr
