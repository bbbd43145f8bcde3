"""A web process keeps one arena of the C library's memory ([web] malloc_arenas, default 1):
glibc would otherwise give each request thread an arena of its own and keep in each what its
busiest request freed (bench/import/README.md: a 10,000-row import from the web). `merzim
serve` sets the limit before any thread starts, in its own process (mallopt) and in the
environment of the web processes uvicorn spawns; an operator's MALLOC_ARENA_MAX is kept.
Checked in processes of their own, with glibc's own count of its arenas (malloc_info)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.support.cli_runner import merzim_env

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the arenas are glibc's")

# Six threads, alive together, each allocate from the C library (blocks above Python's
# small-object limit); glibc then prints one <heap> per arena it has made.
PROBE = """
import ctypes, os, sys, tempfile, threading
from workflow.cli.serve import limit_malloc_arenas
limited = limit_malloc_arenas(int(sys.argv[1]))
kept = []
together = threading.Barrier(6)  # all alive at once, as a server's request threads are
def allocate():
    kept.append([bytearray(10_000) for _ in range(100)])
    together.wait()
threads = [threading.Thread(target=allocate) for _ in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fdopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fclose.argtypes = (ctypes.c_void_p,)
with tempfile.TemporaryFile() as f:
    stream = libc.fdopen(os.dup(f.fileno()), b"w")
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    f.seek(0)
    heaps = f.read().count(b"<heap nr=")
print(limited, heaps, os.environ.get("MALLOC_ARENA_MAX", "-"))
"""


def _probe(tmp_path, limit: int, extra: dict[str, str] | None = None) -> list[str]:
    env = merzim_env(extra=extra)
    if not extra or "MALLOC_ARENA_MAX" not in extra:  # (a serve run in this process set it)
        env.pop("MALLOC_ARENA_MAX", None)
    done = subprocess.run([sys.executable, "-c", PROBE, str(limit)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_one_arena_whatever_the_threads(tmp_path):
    limited, heaps, env = _probe(tmp_path, 1)
    assert (limited, heaps, env) == ("True", "1", "1")  # and uvicorn's processes inherit it


def test_without_the_limit_each_thread_takes_an_arena(tmp_path):
    """What the limit prevents (the probe can fail): glibc's default, 0."""
    limited, heaps, env = _probe(tmp_path, 0)
    assert limited == "False" and env == "-"
    assert int(heaps) > 3


def test_an_operators_own_setting_is_kept(tmp_path):
    limited, heaps, env = _probe(tmp_path, 1, {"MALLOC_ARENA_MAX": "3"})
    assert (limited, env) == ("False", "3")
    assert int(heaps) == 3
