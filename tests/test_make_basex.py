"""`make bench-query` and `make bench-scale` install Debian's basex first when it is missing
(issue 21: the BaseX comparison runs on a fresh machine), as `make test` does the packages its
tests start (chromium, PostgreSQL, nginx), with one apt-get."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.mark.parametrize("target", ["bench-query", "bench-scale"])
def test_the_benchmarks_comparing_with_basex_install_it_first(target: str) -> None:
    planned = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True,
                             text=True, check=True).stdout
    missing = planned.index('missing="$missing basex"')
    install = planned.index("apt-get install -y -qq $missing", missing)
    assert planned.index("command -v basex") < missing < install < planned.index("benchmarks/")
    assert "sudo" in planned  # unless run as root


def test_the_tests_packages_are_installed_with_one_apt_get() -> None:
    planned = subprocess.run(["make", "-n", "-C", str(ROOT), "test-deps"], capture_output=True,
                             text=True, check=True).stdout
    assert planned.count("apt-get install") == planned.count("apt-get update") == 1
    for package in ("chromium", "postgresql", "nginx-light"):
        assert planned.index(f'missing="$missing {package}"') < planned.index("apt-get update")


@pytest.mark.skipif(shutil.which("basex") is None, reason="basex is not installed here")
def test_with_basex_installed_the_step_does_nothing() -> None:
    done = subprocess.run(["make", "-s", "-C", str(ROOT), "basex-deps"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "" and done.stderr == ""
