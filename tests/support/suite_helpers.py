"""Where the whole suite's temporary files go (docs/testing.md, "The suite's time").

Each test's SQLite database, its copies, uploads and working directories live under pytest's
base temporary directory. When `/dev/shm` (a tmpfs) and the machine's available memory both have
room to spare, the run puts that directory there, so the thousands of commits and copies do not
wait for the disk; a process crash (the suite's kill -9 tests) behaves the same on tmpfs. What a
test sees is unchanged. The directory is removed when the run passes and kept (its path printed)
when it does not, until a later run starts. `--basetemp` or `MERZIM_TEST_TMPFS=0` keeps pytest's
default.

Compiled sources: where the environment says not to write bytecode (PYTHONDONTWRITEBYTECODE,
as on the machines this suite runs on), every Python process compiles every module it imports
from source, and the suite starts hundreds (each `merzim serve`, worker and command a test runs
as a process, and each uvicorn worker): ~0.2 s of CPU a process for merzim's own modules. So the
controlling process compiles merzim's packages once (`compileall`, into the usual `__pycache__`
folders, which git ignores) before the test processes start, and they and the processes they
start read the compiled code; each test process also lets pytest keep its rewritten test
modules. A source edited later is compiled again as usual (the cache checks its time stamp).
`MERZIM_TEST_BYTECODE=0` leaves the environment's choice alone.

The machine's temporary folder: each test process has one of its own (`own_tmpdir`, TMPDIR
for the processes it starts), removed when it ends. What a node keeps there is the machine's
(`filestore.staging_directory`: the uploads a node receives before the database stores them),
and the processes running tests beside each other are not one machine: a test that finds
nothing of its own left in that folder would otherwise see another process's upload in flight.

(Ordering the files longest first for pytest-xdist was tried and left out: a simulation with the
recorded seconds of every file showed the default order already ending both processes within a
second of each other.)
"""

from __future__ import annotations

import compileall
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

TMPFS = Path("/dev/shm")
# Room the run must leave: at most ~1 GB of files a run (measured: 1.0 GB written in all).
TMPFS_NEEDS = 4 << 30


def _memory_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tmpfs_basetemp(config: pytest.Config) -> Path | None:
    """Make the run's base temporary directory on /dev/shm when there is room (see above)."""
    if (config.option.basetemp or os.environ.get("MERZIM_TEST_TMPFS") == "0"
            or hasattr(config, "workerinput")):  # an xdist worker: the controller has chosen
        return None
    try:
        st = os.statvfs(TMPFS)
    except OSError:
        return None
    if st.f_bavail * st.f_frsize < TMPFS_NEEDS or _memory_available() < TMPFS_NEEDS:
        return None
    _remove_abandoned()
    try:
        base = Path(tempfile.mkdtemp(prefix="merzim-tests-", dir=TMPFS))
        (base.parent / f"{base.name}.pid").write_text(str(os.getpid()), encoding="ascii")
    except OSError:
        return None
    config.option.basetemp = str(base)
    return base


def own_tmpdir() -> Path:
    """A temporary folder of this process's own, made the one `tempfile` and the processes it
    starts use (see above); short, under the machine's, as sockets may be made there."""
    folder = Path(tempfile.mkdtemp(prefix=f"merzim-tmp-{os.getpid()}-"))
    # others may pass through, not list: a process a test starts as `nobody` (nginx,
    # tests/support/proxy_helpers.py) reaches the folder made for it inside
    folder.chmod(0o711)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # asked again: the folder above
    assert tempfile.gettempdir() == str(folder)
    return folder


def _remove_abandoned() -> None:
    """Remove the directories of earlier runs whose process is gone (a run interrupted, or one
    that failed and kept its files until the next run): memory is not given back otherwise."""
    for mark in TMPFS.glob("merzim-tests-*.pid"):
        try:
            pid = int(mark.read_text(encoding="ascii"))
            os.kill(pid, 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # another user's, or being written: left alone
        shutil.rmtree(mark.with_suffix(""), ignore_errors=True)
        mark.unlink(missing_ok=True)


ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("calendars", "notifications", "web", "workflow", "tests")


def compiled_sources(config: pytest.Config) -> None:
    """Compile merzim's packages once per run where the environment would have every process
    compile them from source (see above)."""
    if not sys.dont_write_bytecode or os.environ.get("MERZIM_TEST_BYTECODE") == "0":
        return
    sys.dont_write_bytecode = False  # this process: pytest keeps its rewritten test modules
    if hasattr(config, "workerinput"):  # an xdist worker: the controller has compiled them
        return
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            compileall.compile_dir(ROOT / package, quiet=2, workers=1)


BACKENDLESS_ENV = "MERZIM_TEST_BACKENDLESS"
BACKEND_NAMES = frozenset({"sqlite", "postgres"})


def takes_a_backend(item: pytest.Item) -> bool:
    """Whether a test may run differently on PostgreSQL: one of its parameters (the `backend`
    fixture, a world or server parametrized over `BACKENDS`, a `parametrize("backend", ...)`)
    names a backend, or its module names PostgreSQL at all (a test that skips itself unless the
    run tests PostgreSQL, a fixture that makes a database of its own there). A test that does
    neither (the calendar, the definitions, the browser tests on their own SQLite demo) is the
    same on either run."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and any(isinstance(value, str) and value in BACKEND_NAMES
                                    for value in callspec.params.values()):
        return True
    return _names_postgres(str(item.path))


@functools.cache
def _names_postgres(path: str) -> bool:
    return "postgres" in Path(path).read_text(encoding="utf-8").lower()


def heavy_first(items: list[pytest.Item]) -> None:
    """The modules holding a `slow` or `browser` test first, each module's tests in their
    order and the modules otherwise in the order collected (docs/testing.md, "The heavy
    modules first"): pytest-xdist hands a module (`--dist loadfile`) to a process as one unit,
    by default those of the most tests first, so the modules of a few long tests (a year of
    worker cycles, a large file under `tracemalloc`) came last and ran alone at the end of a
    run while the other processes waited."""
    heavy = {item.path for item in items
             if item.get_closest_marker("slow") or item.get_closest_marker("browser")}
    items.sort(key=lambda item: item.path not in heavy)


class SuitePlugin:
    """Registered by tests/conftest.py in every test process; only the controlling one (or a
    run without xdist) chooses the directory."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.tmpfs = tmpfs_basetemp(config)
        self.tmpdir = own_tmpdir()
        compiled_sources(config)
        if hasattr(config.option, "loadscopereorder"):  # xdist: the modules in our order
            config.option.loadscopereorder = False

    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        """With MERZIM_TEST_BACKENDLESS=0, leave out (deselect) the tests that take no backend:
        CI's second run (`.ci/run`, PostgreSQL) runs only what a backend can change, as the
        first run (SQLite) has already run the rest (docs/testing.md, "One backend a run").
        Then the heavy modules first (`heavy_first`)."""
        if os.environ.get(BACKENDLESS_ENV, "1").strip() == "0":
            kept = [item for item in items if takes_a_backend(item)]
            if len(kept) != len(items):
                config.hook.pytest_deselected(
                    items=[i for i in items if not takes_a_backend(i)])
                items[:] = kept
        heavy_first(items)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.tmpfs is not None and exitstatus == 0:
            shutil.rmtree(self.tmpfs, ignore_errors=True)
            self.tmpfs.with_name(f"{self.tmpfs.name}.pid").unlink(missing_ok=True)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if self.tmpfs is not None and exitstatus != 0:
            terminalreporter.write_line(
                f"temporary files of this run (tmpfs, kept as it did not pass): {self.tmpfs}")
