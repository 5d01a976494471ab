"""Issue 16, findings 3 and 4: `archive import` is a transaction.

A real SIGKILL at many points of a 200-file import, or a full disk, leaves nothing or the
complete import once the next writer (or `archive check --repair`) has run; importing again
adds no duplicates; two overlapping imports never lose each other's records. All
runs are real processes (``python -m archive``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.config import Settings
from archive.registry import load_registry

TEI_NS = "http://www.tei-c.org/ns/1.0"
FILES = 200
FOREIGN = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"


def command(data: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive", "--data", str(data), *args]


def archive(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(data, *args), capture_output=True, text=True, timeout=300)


def letters(folder: Path, count: int = FILES, padding: int = 50) -> Path:
    """``count`` foreign letters, each with its own person list (registry entries)."""
    folder.mkdir(parents=True)
    for n in range(count):
        (folder / f"letter{n:03d}.xml").write_text(
            f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>Letter {n}</title>'
            f'</titleStmt><publicationStmt><publisher>P</publisher></publicationStmt>'
            f'<sourceDesc><p>S</p></sourceDesc></fileDesc><profileDesc><particDesc><listPerson>'
            f'<person xml:id="p1"><persName>Person {n}</persName></person></listPerson>'
            f'</particDesc></profileDesc></teiHeader><text><body><p>Dear <persName ref="#p1">'
            f'Person {n}</persName>, {"we met in London. " * padding}</p></body></text></TEI>',
            encoding="utf-8")
    return folder


def state(data: Path) -> tuple[set[str], set[str], set[str]]:
    """Document ids in tei/, ids recorded in imports.json, owners of registry entries."""
    imports = data / "imports.json"
    recorded = set(json.loads(imports.read_text())["imports"]) if imports.is_file() else set()
    owners = {e.source for e in load_registry(Settings(data_dir=data)).entries.values()
              if e.source}
    return {p.stem for p in (data / "tei").glob("*.xml")}, recorded, owners


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, set[str]]]:
    """A small archive of imported documents, the 200 letters, and the ids they get."""
    base = tmp_path_factory.mktemp("transaction")
    inputs = letters(base / "letters")
    baseline = base / "baseline"
    assert archive(baseline, "import", str(FOREIGN)).returncode == 0
    reference = base / "reference"
    shutil.copytree(baseline, reference)
    result = archive(reference, "import", str(inputs))
    assert result.returncode == 0, result.stderr
    ids = {line.split("\t")[0] for line in result.stdout.splitlines()}
    assert len(ids) == FILES
    yield baseline, inputs, ids


def test_a_killed_import_leaves_nothing_or_everything(material: tuple[Path, Path, set[str]],
                                                      tmp_path: Path) -> None:
    baseline, inputs, ids = material
    before = state(baseline)
    rng = random.Random(20261206)
    outcomes = []
    for attempt in range(8):
        data = tmp_path / f"data{attempt}"
        shutil.copytree(baseline, data)
        process = subprocess.Popen(command(data, "import", str(inputs)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.4))
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        # the next writer or `check --repair` rolls back what the dead import left
        if attempt % 2:
            small = tmp_path / f"small{attempt}.xml"
            shutil.copy(FOREIGN / "historians__bridges.xml", small)
            writer = archive(data, "import", "--rename", str(small))  # its id is taken
            assert writer.returncode == 0, writer.stderr
            extra = {writer.stdout.split("\t")[0]}
        else:
            repaired = archive(data, "check", "--repair")
            assert "Traceback" not in repaired.stderr, repaired.stderr
            extra = set()
        now = state(data)
        assert all(old <= new for old, new in zip(before, now, strict=True))
        new = [part - old - extra for old, part in zip(before, now, strict=True)]
        assert new in ([set(), set(), set()], [ids, ids, ids]), (attempt, killed)
        assert not (data / ".journal.json").exists()
        checked = archive(data, "check")
        assert checked.returncode == 0, checked.stdout[-2000:]
        outcomes.append(new == [ids, ids, ids])
        if attempt in (0, 5):  # importing again completes it, without duplicates
            again = archive(data, "import", str(inputs))
            assert again.returncode == 0, again.stderr
            assert {line.split("\t")[0] for line in again.stdout.splitlines()} == ids
            assert [part - old - extra for old, part in zip(before, state(data), strict=True)
                    ] == [ids, ids, ids]
    assert not all(outcomes)  # at least one kill came before the import was complete


def read_so_far(pid: int) -> int:
    """Bytes process ``pid`` has read (``rchar`` of /proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def test_two_overlapping_imports_keep_each_others_records(
        material: tuple[Path, Path, set[str]], tmp_path: Path) -> None:
    """One import reads a 50 MB document; while it parses, another runs from start to end.

    The first is stopped (SIGSTOP) while parsing and continued after the second is done: the
    interleaving of two imports 0.5 s apart, made certain. Before issue 16 the first had read
    imports.json before parsing, and wrote it back without the second's records.
    """
    baseline, _inputs, _ids = material
    slow, quick = letters(tmp_path / "a", 100), letters(tmp_path / "b", 100)  # same names
    (slow / "big.xml").write_text(
        f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>Big</title></titleStmt>'
        f'<publicationStmt><publisher>P</publisher></publicationStmt><sourceDesc><p>S</p>'
        f'</sourceDesc></fileDesc></teiHeader><text><body>'
        + ("<p>" + "Some text of a long book. " * 40 + "</p>") * 50_000
        + "</body></text></TEI>", encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(baseline, data)
    # same file names, other files: the ids the second takes first are renamed in the first
    first = subprocess.Popen(command(data, "import", "--rename", str(slow)),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while read_so_far(first.pid) < 50_000_000 and time.monotonic() < deadline:
        time.sleep(0.005)  # until it has read the big document (it parses it next)
    first.send_signal(signal.SIGSTOP)
    try:
        second = archive(data, "import", str(quick))
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert second.returncode == 0, second.stderr
    assert first.returncode == 0, err
    imports = json.loads((data / "imports.json").read_text())["imports"]
    given: dict[str, Path] = {}
    for line in (second.stdout + out).splitlines():
        doc_id, path = line.split("\t")
        assert doc_id not in given, f"{doc_id} given twice"
        given[doc_id] = Path(path)
        assert imports[doc_id]["path"] == str(Path(path).resolve())
        assert (data / "tei" / f"{doc_id}.xml").read_bytes() == Path(path).read_bytes()
    assert len(given) == 201
    assert archive(data, "check").returncode == 0


def small_tmpfs(path: Path, size: str) -> None:
    """Mount a tmpfs of ``size`` at ``path``, or skip the test saying why."""
    path.mkdir(parents=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root (to fill a real disk)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    small_tmpfs(mount, "1500k")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_ends_in_one_line_and_leaves_nothing(material: tuple[Path, Path, set[str]],
                                                         disk: Path, tmp_path: Path) -> None:
    baseline, _inputs, _ids = material
    data = disk / "data"
    shutil.copytree(baseline, data)
    before = state(data)
    big = letters(tmp_path / "big", 200, padding=400)  # ~8 KB each: more than the disk holds
    result = archive(data, "import", str(big))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archive: error: "), result.stderr
    assert lines[0].endswith(": No space left on device"), lines[0]
    assert str(data) in lines[0]
    assert state(data) == before
    assert not (data / ".journal.json").exists()
    assert not [p for p in data.rglob(".*.tmp")]
    checked = archive(data, "check")
    assert checked.returncode == 0, checked.stdout[-2000:]


def test_a_disk_full_while_indexing_ends_in_one_line_and_the_import_stands(
        material: tuple[Path, Path, set[str]], disk: Path, tmp_path: Path) -> None:
    """Room for the imported files but not for their index: the import is complete (its
    files and records), the index update fails in one line, and `reindex` catches up once
    there is room."""
    baseline, _inputs, _ids = material
    data = disk / "data"
    shutil.copytree(baseline, data)
    rng = random.Random(16)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(9))
             for _ in range(4000)]
    folder = tmp_path / "varied"
    folder.mkdir()
    for n in range(20):  # ~9 KB of distinct words each: the index needs more than the files
        text = " ".join(rng.choice(words) for _ in range(900))
        (folder / f"note{n:02d}.xml").write_text(
            f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>Note {n}</title>'
            f'</titleStmt><publicationStmt><p>P</p></publicationStmt><sourceDesc><p>S</p>'
            f'</sourceDesc></fileDesc></teiHeader><text><body><p>{text}</p></body></text></TEI>',
            encoding="utf-8")
    needed = sum(p.stat().st_size for p in folder.iterdir())
    registry = sum(p.stat().st_size for p in (data / "registry").glob("*.xml"))
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    room = needed + 2 * registry + 64 * 1024 + 40 * 4096  # the files, journal, slack
    if free <= room:
        pytest.skip("the small disk has no room for the files themselves")
    (disk / "filler").write_bytes(b"\0" * (free - room))
    result = archive(data, "import", str(folder))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the index cannot be written" in lines[0], result.stderr
    assert "disk is full" in lines[0] and "index.sqlite" in lines[0], lines[0]
    in_tei, recorded, _owners = state(data)
    new = {f"note{n:02d}" for n in range(20)}
    assert new <= in_tei and new <= recorded  # the import itself is complete
    assert not (data / ".journal.json").exists()
    (disk / "filler").unlink()
    assert archive(data, "reindex").returncode == 0
    checked = archive(data, "check")
    assert checked.returncode == 0, checked.stdout[-2000:]


def test_a_read_only_file_system_ends_in_one_line(material: tuple[Path, Path, set[str]],
                                                  disk: Path, tmp_path: Path) -> None:
    baseline, _inputs, _ids = material
    data = disk / "data"
    shutil.copytree(baseline, data)
    (data / ".lock").unlink(missing_ok=True)
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
    if remounted.returncode:
        pytest.skip("cannot remount the tmpfs read-only")
    small = letters(tmp_path / "small", 2)
    page = FOREIGN.parent / "sources" / "page_with_nav.html"
    for args in (["import", str(small)], ["build", str(page)],
                 ["registry", "add", "--type", "person", "--name", "Ada Lovelace"]):
        result = archive(data, *args)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr, result.stderr
        errors = [line for line in result.stderr.splitlines() if "archive: error: " in line]
        assert len(errors) == 1 and "Read-only file system" in errors[0], result.stderr
