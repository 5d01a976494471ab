"""SIGKILL during `archive build`: every TEI file is the old or the new version, and valid.

A corpus of many documents is built once (the old versions), the sources are changed, and
the rebuild is killed at random points. After each kill, every file must be byte-identical to
its old or its new version, no half-written file may stand under a document's name, and the
next `archive reindex` brings the index back in step with the files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.config import SAMPLES_DIR, Settings
from archive.validation import load_registry_ids, validate_document

DOCUMENTS = 24
EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}  # fixed change dates: versions comparable


def archive(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **EPOCH}
    return subprocess.run([sys.executable, "-m", "archive", "--data", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=600)


def write_sources(directory: Path, version: int) -> list[Path]:
    """DOCUMENTS sources made from the samples' paragraphs; version 2 adds a paragraph."""
    directory.mkdir(parents=True, exist_ok=True)
    paragraphs = [p for f in sorted(SAMPLES_DIR.glob("00[0123]*.txt"))
                  for p in f.read_text(encoding="utf-8").split("\n\n") if len(p) > 200]
    paths = []
    for n in range(DOCUMENTS):
        text = f"Document {n}\n\n" + "\n\n".join(paragraphs[n % len(paragraphs):][:4])
        if version == 2:
            text += f"\n\nRevised on 12 March 1926 by Leon Trotsky, copy {n}.\n"
        path = directory / f"doc{n:03d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    base = tmp_path_factory.mktemp("crash")
    old_sources = write_sources(base / "old", 1)
    new_sources = write_sources(base / "new", 2)
    reference = base / "reference"
    assert archive(reference, "build", *map(str, new_sources)).returncode == 0
    new = {p.name: p.read_bytes() for p in (reference / "tei").glob("*.xml")}
    data = base / "data"
    assert archive(data, "build", *map(str, old_sources)).returncode == 0
    old = {p.name: p.read_bytes() for p in (data / "tei").glob("*.xml")}
    assert len(old) == len(new) == DOCUMENTS and old != new
    return data, old, new


def test_killed_build_leaves_old_or_new_files_and_reindex_recovers(
        versions: tuple[Path, dict[str, bytes], dict[str, bytes]]) -> None:
    data, old, new = versions
    new_sources = sorted((data.parent / "new").glob("*.txt"))
    rng = random.Random(20261121)
    env = {**os.environ, **EPOCH}
    kills = 0
    for _attempt in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "archive", "--data", str(data), "build",
             *map(str, new_sources)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(2.0, 9.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
        files = {p.name: p.read_bytes() for p in (data / "tei").glob("*.xml")}
        assert set(files) == set(old)
        for name, content in files.items():
            assert content in (old[name], new[name]), name
        settings = Settings(data_dir=data)
        ids = load_registry_ids(settings)
        for name, content in files.items():
            assert validate_document(content, settings, ids, path=name).valid, name
        reindexed = archive(data, "reindex")
        assert reindexed.returncode == 0, reindexed.stderr
        checked = archive(data, "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert kills >= 1  # at least one run was really interrupted
    finished = archive(data, "build", *map(str, new_sources))
    assert finished.returncode == 0, finished.stderr
    assert {p.name: p.read_bytes() for p in (data / "tei").glob("*.xml")} == new
    assert not [p for p in (data / "tei").iterdir() if p.name.startswith(".")]
