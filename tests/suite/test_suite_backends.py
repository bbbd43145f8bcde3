"""The backends a run tests (tests/conftest.py, `BACKENDS`; docs/testing.md, "One backend a
run"): PostgreSQL when MERZIM_TEST_POSTGRES_URL is set, SQLite otherwise, or those
MERZIM_TEST_BACKENDS names; a name that is neither, or postgres without a URL, stops the run
at once with one line. Each case collects one module in a fresh pytest (no test runs and no
database is reached: collecting connects to nothing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.envs import clean_env

ROOT = Path(__file__).resolve().parents[2]
MODULE = "tests/storage/test_org_lookup.py"  # its tests take the `backend` fixture
URL = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never reached: only collected


def collect(*modules: str, **env: str) -> subprocess.CompletedProcess[str]:
    run_env = {**clean_env(), **env}  # no MERZIM_* of this run but what the case names
    return subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "-p", "no:xdist", *(modules or [MODULE])],
                          cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=120)


def ids(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.rsplit("[", 1)[1].rstrip("]") for line in result.stdout.splitlines()
            if line.startswith(MODULE) and "[" in line}


@pytest.mark.slow
def test_a_run_tests_sqlite_without_a_url_postgres_with_one_and_both_when_named():
    assert ids(collect()) == {"sqlite"}
    assert ids(collect(MERZIM_TEST_POSTGRES_URL=URL)) == {"postgres"}
    assert ids(collect(MERZIM_TEST_POSTGRES_URL=URL,
                       MERZIM_TEST_BACKENDS="sqlite, postgres")) == {"sqlite", "postgres"}
    assert ids(collect(MERZIM_TEST_POSTGRES_URL=URL, MERZIM_TEST_BACKENDS="sqlite")) == {"sqlite"}


@pytest.mark.slow
@pytest.mark.parametrize(("env", "said"), [
    ({"MERZIM_TEST_BACKENDS": "mysql"},
     "MERZIM_TEST_BACKENDS='mysql': name sqlite, postgres or both, separated by a comma"),
    ({"MERZIM_TEST_BACKENDS": "postgres"},
     "MERZIM_TEST_BACKENDS='postgres' names postgres, but MERZIM_TEST_POSTGRES_URL is not set"),
])
def test_a_backend_asked_for_wrongly_stops_the_run_in_one_line(env, said):
    result = collect(**env)
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert result.stderr.strip().splitlines() == [f"ERROR: {said}"]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_run_without_the_backendless_tests_keeps_every_test_a_backend_can_change():
    """CI's PostgreSQL run (MERZIM_TEST_BACKENDLESS=0) leaves out what its SQLite run has
    already run: a test with no backend parameter in a module that never names PostgreSQL."""
    calendar = "tests/calendar/test_calendar_fast.py"  # no backend at all
    collation = "tests/storage/test_collation.py"  # PostgreSQL databases of its own, no parameter
    modules = (MODULE, calendar, collation)

    def files(result: subprocess.CompletedProcess[str]) -> set[str]:
        assert result.returncode == 0, result.stdout + result.stderr
        return {line.split("::", 1)[0] for line in result.stdout.splitlines() if "::" in line}

    every = files(collect(*modules, MERZIM_TEST_POSTGRES_URL=URL))
    assert every == set(modules)
    left = collect(*modules, MERZIM_TEST_POSTGRES_URL=URL, MERZIM_TEST_BACKENDLESS="0")
    assert files(left) == {MODULE, collation}
    assert "deselected" in left.stdout
    assert ids(left) == {"postgres"}
