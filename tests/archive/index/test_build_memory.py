"""The scale benchmark's memory figures count every process of the build, workers included
(issue 21: peak memory <= 2 GB for the build and for serving)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.scale import MemoryWatch, _tree

#: A parent holding 60 MB that starts two children holding 120 MB each, all alive together
#: for a second.
_FAMILY = """
import subprocess, sys, time
held = b"x" * (60 * 2**20)
code = "import time; held = b'x' * (120 * 2**20); time.sleep(1.5)"
children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
for child in children:
    child.wait()
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux's /proc")
def test_peak_memory_counts_the_workers_together() -> None:
    family = subprocess.Popen([sys.executable, "-c", _FAMILY])
    with MemoryWatch(family.pid) as memory:
        family.wait()
    mb = 2**20
    # the largest process alone (a child) holds 120 MB and more; all three at once 300 MB
    assert 120 * mb < memory.largest < 200 * mb
    assert memory.peak > 300 * mb


def test_the_tree_of_a_process_holds_its_descendants() -> None:
    family = subprocess.Popen([sys.executable, "-c", _FAMILY])
    try:
        found: list[int] = []
        for _ in range(100):  # until both children have started
            found = _tree(family.pid)
            if len(found) >= 3:
                break
            time.sleep(0.05)
        assert found[0] == family.pid and len(found) == 3
    finally:
        family.wait()
