"""The audit log: undo restores bytes exactly, an undo over a later change is a conflict, a
stale ETag is a conflict naming the other change, a SIGKILL mid-change leaves nothing half
written, and two editors in two processes never lose an update."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.curation import (
    EntryEdit,
    add_tag,
    document_etag,
    edit_entry,
    get_change,
    latest,
    list_tags,
    merge_entries,
    remove_tag,
    undo,
)
from archive.errors import ConflictError

DOC = "000_cc213c6dc1d17911"
PASSAGE = "p1"


def snapshot(settings: Settings) -> dict[str, bytes]:
    """Every document and registry file, by path in the data directory."""
    return {path.relative_to(settings.data_dir).as_posix(): path.read_bytes()
            for folder in (settings.tei_dir, settings.registry_dir)
            for path in sorted(folder.glob("*.xml"))}


def test_undo_restores_the_bytes_exactly_and_is_logged(data: Settings) -> None:
    before = snapshot(data)
    edit = add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="org",
                   text="faction", new_name="Faction")
    assert snapshot(data) != before
    undone = undo(data, edit.change.id, "bob")
    assert snapshot(data) == before
    assert undone.undoes == edit.change.id and undone.who == "bob"
    assert [c.id for c in latest(data)] == [undone.id, edit.change.id]
    with pytest.raises(ConflictError, match="undone already"):
        undo(data, edit.change.id, "bob")


def test_a_merge_is_undone_in_every_document(data: Settings) -> None:
    before = snapshot(data)
    change = merge_entries(data, "leon-trotsky", "joseph-stalin", editor="anna")
    assert sum(f.path.startswith("tei/") for f in change.files) >= 2
    undo(data, change.id, "anna")
    assert snapshot(data) == before


def test_undo_after_a_later_change_is_a_conflict_naming_it(data: Settings) -> None:
    first = add_tag(data, DOC, editor="anna", seen=None, passage=PASSAGE, kind="org",
                    text="faction")
    second = remove_tag(data, DOC, editor="bob", seen=None, passage=PASSAGE, number=1)
    before = snapshot(data)
    with pytest.raises(ConflictError) as caught:
        undo(data, first.change.id, "anna")
    assert f"change {second.change.id} by bob" in str(caught.value)
    assert [c.id for c in caught.value.changes] == [second.change.id]  # type: ignore[attr-defined]
    assert snapshot(data) == before
    undo(data, second.change.id, "bob")  # undone in order, both go
    undo(data, first.change.id, "anna")
    assert "faction" not in {tag.text for tag in list_tags(data, DOC, PASSAGE)}


def test_a_stale_etag_is_a_conflict_naming_the_other_change(data: Settings) -> None:
    seen = document_etag(data, DOC)
    other = add_tag(data, DOC, editor="bob", seen=seen, passage=PASSAGE, kind="org",
                    text="faction")
    before = snapshot(data)
    with pytest.raises(ConflictError) as caught:
        remove_tag(data, DOC, editor="anna", seen=seen, passage=PASSAGE, number=1)
    assert f"change {other.change.id} by bob" in str(caught.value)
    assert caught.value.changes == (other.change,)  # type: ignore[attr-defined]
    assert snapshot(data) == before
    # the registry too: an entry edited against a stale view of its file
    from archive.curation import entry_etag
    seen_entry = entry_etag(data, "leon-trotsky")
    edit_entry(data, "leon-trotsky", EntryEdit(notes=["first"]), editor="bob", seen=seen_entry)
    with pytest.raises(ConflictError, match="by bob"):
        edit_entry(data, "leon-trotsky", EntryEdit(notes=["second"]), editor="anna",
                   seen=seen_entry)
    with pytest.raises(ConflictError, match="by bob"):
        merge_entries(data, "leon-trotsky", "joseph-stalin", editor="anna", seen=seen_entry)


def test_cli_log_and_undo(data: Settings) -> None:
    runner = CliRunner()
    args = ["--data", str(data.data_dir)]
    before = snapshot(data)
    assert runner.invoke(cli, [*args, "log"]).output == "no changes logged\n"
    for text in ("faction", "party"):
        result = runner.invoke(cli, [*args, "tags", "add", DOC, "--passage", PASSAGE, "--text",
                                     text, "--type", "org", "--as", "anna"])
        assert result.exit_code == 0, result.output
    lines = runner.invoke(cli, [*args, "log", "--limit", "1"]).output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2\t") and "\tanna\t" in lines[0]
    records = json.loads(runner.invoke(cli, [*args, "log", "--format", "json"]).output)
    assert [r["id"] for r in records] == [2, 1]
    assert records[0]["files"][0]["path"] == f"tei/{DOC}.xml"
    refused = runner.invoke(cli, [*args, "log", "undo", "1"])
    assert refused.exit_code == 1 and len(refused.output.strip().splitlines()) == 1
    assert "change 2 by anna" in refused.output
    for change in ("2", "1"):
        assert runner.invoke(cli, [*args, "log", "undo", change, "--as", "anna"]).exit_code == 0
    assert snapshot(data) == before
    assert runner.invoke(cli, [*args, "log", "undo", "9"]).output.strip().endswith(
        "no change 9 in the log")


# --- a real SIGKILL at every write of a change ---------------------------------------------------

KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import archive.curation.history as history
    import archive.curation.tags as tags
    import archive.registry.authority as authority
    from archive.config import Settings
    from archive.curation import add_tag

    limit = int(sys.argv[2])
    written = 0

    def dying(original):
        def write(path, data):
            global written
            result = original(path, data)
            written += 1
            if written == limit:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return write

    for module in (history, tags, authority):
        module.atomic_write = dying(module.atomic_write)
    add_tag(Settings(data_dir=Path(sys.argv[1])), "%s", editor="anna", seen=None,
            passage="%s", kind="org", text="faction", new_name="Faction")
    print("done")
""" % (DOC, PASSAGE))


def test_a_change_killed_at_any_write_leaves_nothing_or_everything(data: Settings,
                                                                   tmp_path: Path) -> None:
    import shutil

    before = snapshot(data)
    outcomes = []
    for limit in range(1, 40):
        copy = tmp_path / f"data{limit}"
        shutil.copytree(data.data_dir, copy)
        settings = Settings(data_dir=copy)
        run = subprocess.run([sys.executable, "-c", KILLER, str(copy), str(limit)],
                             capture_output=True, text=True, timeout=120)
        killed = run.returncode == -9
        assert killed or run.stdout == "done\n", run.stderr[-2000:]
        repaired = subprocess.run([sys.executable, "-m", "archive", "--data", str(copy),
                                   "check", "--repair"], capture_output=True, text=True,
                                  timeout=300)
        assert "Traceback" not in repaired.stderr
        assert not (copy / ".journal.json").exists()
        now = snapshot(settings)
        if killed:
            assert now == before, limit
            assert latest(settings) == []
        else:
            assert now != before and len(latest(settings)) == 1
            outcomes.append(limit)
            break
        shutil.rmtree(copy)
    assert outcomes, "the change never completed"
    assert outcomes[0] > 3, outcomes  # it was killed at several writes before it completed


# --- two editors in two processes ---------------------------------------------------------------

EDITOR = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from archive.config import Settings
    from archive.curation import add_tag, document_etag
    from archive.errors import ArchiveError, ConflictError

    settings = Settings(data_dir=Path(sys.argv[1]))
    name, words = sys.argv[2], sys.argv[3:]
    conflicts = 0
    for word in words:
        while True:
            seen = document_etag(settings, "%s")   # the editor's view: read, then save
            try:
                add_tag(settings, "%s", editor=name, seen=seen, passage="%s", kind="org",
                        text=word)
                break
            except ConflictError:
                conflicts += 1
            except ArchiveError as error:
                if "another" not in str(error):   # the other editor holds the lock: retry
                    raise
                time.sleep(0.01)
    print(conflicts)
""" % (DOC, DOC, PASSAGE))


def test_two_editors_in_two_processes_never_lose_an_update(data: Settings) -> None:
    text = next(tag for tag in list_tags(data, DOC, PASSAGE)).text  # (parsed: the passage)
    assert text
    words = {"anna": ["faction", "struggle", "bureaucratic"],
             "bob": ["degeneration", "leadership", "death"]}
    processes = [subprocess.Popen([sys.executable, "-c", EDITOR, str(data.data_dir), name,
                                   *chosen], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env={**os.environ})
                 for name, chosen in words.items()]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]
    tagged = {tag.text for tag in list_tags(data, DOC, PASSAGE)}
    assert {word for chosen in words.values() for word in chosen} <= tagged
    log = latest(data)
    assert len(log) == 6 and {c.who for c in log} == {"anna", "bob"}
    assert get_change(data, 1).id == 1
