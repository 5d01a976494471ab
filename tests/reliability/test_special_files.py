"""Issue 16, finding 12: only regular files are read, and never more than a cap.

A FIFO, a link to ``/dev/zero`` and a directory named like a document are refused before
they are opened for reading, by ``import``, ``build``, ``validate``, ``encode`` and ``tag``:
one line naming the file, a non-zero exit, no hang and no memory filled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tei.errors import TeiLimitError
from tei.parse import read_file


def fifo(path: Path) -> None:
    os.mkfifo(path)


def zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


SPECIAL: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (fifo, "a FIFO (named pipe), not a regular file"),
    "dev_zero": (zero, "a character device, not a regular file"),
}
#: command → the name the special file gets (its extension chooses how it is read)
COMMANDS = {"import": "chapter.xml", "validate": "chapter.xml", "build": "chapter.txt",
            "encode": "chapter.txt", "tag": "chapter.txt"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_special_files_are_refused_in_one_line(tmp_path: Path, kind: str, command: str) -> None:
    make, message = SPECIAL[kind]
    path = tmp_path / COMMANDS[command]
    make(path)
    data = tmp_path / "data"
    result = subprocess.run([sys.executable, "-m", "archive", "--data", str(data), command,
                             str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in (result.stderr + result.stdout).splitlines()
             if f"{path}" in line and message in line]
    assert len(lines) == 1, result.stdout + result.stderr
    assert not (data / "tei").exists()


def test_import_of_a_folder_with_a_fifo_and_a_link_to_dev_zero(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    fifo(folder / "a.xml")
    zero(folder / "b.xml")
    result = subprocess.run([sys.executable, "-m", "archive", "--data", str(tmp_path / "data"),
                             "import", str(folder)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1  # each refused with its line
    assert result.stderr == (f"archive: error: {folder / 'a.xml'}: a FIFO (named pipe), not a "
                             "regular file: refused\n"
                             f"archive: error: {folder / 'b.xml'}: a character device, not a "
                             "regular file: refused\n")


def test_the_cap_does_not_trust_the_size(tmp_path: Path) -> None:
    path = tmp_path / "grows.xml"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(TeiLimitError, match="larger than 1000 bytes"):
        read_file(path, limit=1000)
    assert read_file(path, limit=2000) == b"x" * 2000
