"""The viewer's request threads share the C allocator's arenas (webui.server.share_malloc_arenas):
a thread with an arena of its own paid for growing it at its first facet lookup."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

#: Starts 8 threads that each allocate and free, then prints glibc's count of arenas (heaps).
_PROGRAM = r"""
import ctypes, os, re, sys, tempfile, threading
if sys.argv[1] == "shared":
    from webui.server import share_malloc_arenas
    assert share_malloc_arenas()
def work():
    for _ in range(50):
        chunks = [bytearray(64 * 1024) for _ in range(20)]  # below the mmap threshold
        del chunks
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
with tempfile.NamedTemporaryFile("r") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    print(len(re.findall(r'<heap nr="\d+"', out.read())))
"""


def _glibc() -> bool:
    try:
        return hasattr(ctypes.CDLL(None), "malloc_info")
    except OSError:
        return False


@pytest.mark.skipif(not _glibc(), reason="the C library is not glibc (no arenas to share)")
def test_threads_share_two_arenas_once_the_viewer_limits_them() -> None:
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}

    def arenas(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _PROGRAM, mode], capture_output=True,
                              text=True, env=env, check=True)
        return int(done.stdout)

    assert arenas("own") > 2  # glibc's default: an arena per thread, up to 8 per core
    assert arenas("shared") <= 2
