"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workflow.settings import ARGON2_PROFILE_ENV

# Passwords are hashed at argon2's cheapest cost in this suite: ~0.2 s of CPU a hash at the
# real cost, hundreds of sign-ins per backend (tests/support/envs.py passes it on to every merzim a test
# starts; tests/services/test_password_cost.py checks the real default). To run the whole suite at the
# real cost: MERZIM_ARGON2_PROFILE=rfc9106-low-memory.
os.environ.setdefault(ARGON2_PROFILE_ENV, "cheapest")


def _share_compiled_templates() -> None:
    """Every web application a test builds (`web.app.create_app`: hundreds a run, most tests a
    new one) has a Jinja2 environment of its own, which compiled each page's templates again:
    ~0.1 s of CPU a test that renders a few pages. Here their environments share one in-memory
    bytecode cache (Jinja2's own mechanism, as a `FileSystemBytecodeCache` would on disk): a
    template is compiled once per test process and each environment loads the compiled code.
    Jinja2 checks the template's source against the cached code's checksum, so an edited
    template is compiled again. Only the web application's environments (starlette's
    `Jinja2Templates`, all configured by `create_app` alike) use it; the rendering is the same."""
    import jinja2
    from starlette.templating import Jinja2Templates

    class CompiledTemplates(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.code: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            if bucket.key in self.code:
                bucket.bytecode_from_string(self.code[bucket.key])

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.code[bucket.key] = bucket.bytecode_to_string()

    shared, setup = CompiledTemplates(), Jinja2Templates._setup_env_defaults

    def setup_with_shared_code(self, env: jinja2.Environment) -> None:
        setup(self, env)
        if env.bytecode_cache is None:
            env.bytecode_cache = shared

    Jinja2Templates._setup_env_defaults = setup_with_shared_code  # type: ignore[method-assign]


_share_compiled_templates()


@pytest.fixture(autouse=True)
def _nothing_on_the_event_loop():
    """Every test: no database statement was sent from a web process's event loop meanwhile
    (web/kit/loop_guard.py; the guard refuses it, and a handler that swallows the refusal is
    caught here)."""
    from web.kit import loop_guard

    loop_guard.found()
    yield
    seen = loop_guard.found()
    assert not seen, "a database statement on the event loop:\n" + "\n".join(seen[:3])


_SHARED_PORTALS: dict[tuple, Any] = {}  # (backend, options) -> (portal, its context manager)


def _share_one_event_loop() -> None:
    """A TestClient not entered as a context manager (most of the suite's: `Web.api`,
    `Web.client`, the access matrices' anonymous clients) started a thread and an event loop
    of its own for every request (starlette's `_portal_factory`) and closed them after: ~3 ms
    of CPU a request, most of it in the kernel, on ~10,000 requests a run. Here every such
    client of a test process sends its requests through one blocking portal (anyio's: an
    event loop in a thread of its own, started at the first request and stopped when the
    process's tests end, `pytest_unconfigure`). What a request runs is unchanged: the same
    application call, in a loop of the same backend; a client entered (`with TestClient(...)`,
    the cached browsers) keeps its own portal and its application's lifespan, as before."""
    import contextlib
    import threading

    import anyio.from_thread
    from starlette.testclient import TestClient

    lock = threading.Lock()

    @contextlib.contextmanager
    def shared_portal(self):
        if self.portal is not None:
            yield self.portal
            return
        key = (self.async_backend.get("backend"), repr(self.async_backend.get("backend_options")))
        with lock:
            held = _SHARED_PORTALS.get(key)
            if held is None:
                manager = anyio.from_thread.start_blocking_portal(**self.async_backend)
                held = _SHARED_PORTALS[key] = (manager.__enter__(), manager)
        yield held[0]

    TestClient._portal_factory = shared_portal  # type: ignore[method-assign]


def _stop_shared_event_loops() -> None:
    for _portal, manager in list(_SHARED_PORTALS.values()):
        manager.__exit__(None, None, None)
    _SHARED_PORTALS.clear()


_share_one_event_loop()


@pytest.hookimpl(optionalhook=True)  # pytest without xdist (`-p no:xdist`) has no such hook
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one test process more than the CPUs this process may use. Many tests wait
    on processes of their own (`merzim serve`, workers, chromium, nginx) and on PostgreSQL;
    with one process a CPU, ~8 % of the CPUs' time went idle on the 2-CPU machine (/proc/stat,
    the PostgreSQL run), with one more, ~1.5 %: 5 min 53 s -> 5 min 09 s.
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set (pytest-xdist's own setting)."""
    named = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if named:
        return int(named)
    return len(os.sched_getaffinity(0)) + 1


# the pure tier: `-m unit` collects only the modules that mark something `unit`


def _marks_unit(module: Path) -> bool:
    return "mark.unit" in module.read_text(encoding="utf-8")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With `-m unit` (exactly that expression), a test module whose text never says
    `mark.unit` is not imported, nor a folder with no such module (nor its conftest.py):
    nothing in them could be selected, and importing and collecting the other ~2,400 tests (the
    engine, the web application, their fixtures) took most of the tier's time. Any other
    expression, or none, collects everything as before."""
    if (config.getoption("markexpr", "") or "").strip() != "unit":
        return None
    if collection_path.is_dir():
        return not any(_marks_unit(m) for m in collection_path.rglob("test_*.py")) or None
    if collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    return not _marks_unit(collection_path) or None


# the suite's temporary files (tests/support/suite_helpers.py)


@pytest.hookimpl(tryfirst=True)  # before pytest's own, which reads --basetemp
def pytest_configure(config: pytest.Config) -> None:
    from tests.support.suite_helpers import SuitePlugin

    if BACKENDS_PROBLEM:
        raise pytest.UsageError(BACKENDS_PROBLEM)

    config.pluginmanager.register(SuitePlugin(config), "merzim-suite")


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_shared_event_loops()  # its thread would otherwise keep the process from exiting


# calendar


@pytest.fixture
def merzim(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `merzim` (its real entry point, in this process: tests/support/cli_runner.py) in an empty
    directory, in English by default.

    `merzim("calendar", "show", "2025", config=path)` sets MERZIM_CONFIG to `path`;
    without `config` no configuration file is in use.
    """
    from tests.support.cli_runner import Merzim

    workdir = tmp_path / "cwd"
    workdir.mkdir()
    return Merzim(workdir)


# engine: databases (the run's backend: PostgreSQL when MERZIM_TEST_POSTGRES_URL is set, SQLite
# otherwise; MERZIM_TEST_BACKENDS names them instead)
#
# Migrating a database takes ~0.5 s on SQLite and ~1 s on PostgreSQL, and most tests need a fresh
# one. So each test process (each pytest-xdist worker) migrates one *template* per backend (and
# per recipe, e.g. "migrated and the demo loaded") once, and every test gets a copy of it:
# * SQLite: the template file copied with SQLite's backup API;
# * PostgreSQL: a schema of its own into which every statement the template's build sent to the
#   server (the Alembic upgrade's DDL and the recipe's writes, in order, with their parameters)
#   is replayed in one transaction — the same statements, so the same tables, indexes,
#   sequences and rows; tests/suite/test_templates.py compares a copy with a freshly migrated schema.
# tests/storage/test_migrations.py still runs the real upgrades, from every old revision.

from datetime import date  # noqa: E402

from tests.support.databases import (  # noqa: E402
    BACKENDS,
    BACKENDS_PROBLEM,
    _migrate,
    database_from_template,
    not_this_run,
)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """'sqlite' or 'postgres': each backend this run tests; a test pinned to another backend
    (`parametrize("backend", [...], indirect=True)`) is skipped with the reason."""
    reason = not_this_run(request.param)
    if reason:
        pytest.skip(reason)
    return request.param


def _recipe_for(request) -> tuple[str, Any]:
    """How the test's database is built: migrated; for a test that uses the web tests' `web`
    fixture, migrated with the demo loaded (tests/support/web_helpers.py), so that its CLI calls, its
    engine and its web application share one database; for a test that uses `cli_world`, the
    command-line tests' world built through `merzim` (tests/support/cli_world_helpers.py); for a test
    that uses a fixture its module names in `TEMPLATE_RECIPES` (fixture name -> (recipe name,
    recipe)), that recipe."""
    for fixture, recipe in getattr(request.module, "TEMPLATE_RECIPES", {}).items():
        if fixture in request.fixturenames:
            return recipe
    if "web" in request.fixturenames:
        from tests.support.web_helpers import migrated_demo

        return "web-demo", migrated_demo
    if "cli_world" in request.fixturenames:
        from tests.support.cli_world_helpers import built_world

        return "cli-world", built_world
    return "migrated", _migrate


@pytest.fixture
def db_built(backend: str, tmp_path: Path, request):
    """(URL of a fresh database, what its recipe returned), copied from the template."""
    name, recipe = _recipe_for(request)
    with database_from_template(backend, tmp_path, recipe=recipe, recipe_name=name) as built:
        yield built


@pytest.fixture
def cli_world(tmp_path: Path, db_built):
    """tests/support/cli_world_helpers.py's `World` on a copy of the `cli-world` template (built through
    the command line once per process and backend), its case ids the template's."""
    from tests.support.cli_world_helpers import World

    url, ids = db_built
    return World(tmp_path, url, ids=ids)


@pytest.fixture
def db_url(db_built) -> str:
    """A fresh, migrated database URL: a SQLite file, or a PostgreSQL schema of its own."""
    return db_built[0]


@pytest.fixture
def db(db_url):
    """An engine on the fresh database."""
    from workflow.storage.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def engine(db):
    """The engine of `db` under the name the command-line tests give it: the database the
    `merzim_db` runner uses (both take the same `db_url`)."""
    return db


@pytest.fixture(scope="session")
def calendar():
    from calendars import KazakhstanCalendar

    return KazakhstanCalendar()


@pytest.fixture(scope="session")
def definition():
    from workflow.definitions import load_definition

    return load_definition()


@pytest.fixture
def make_ctx(calendar, definition):
    """make_ctx(today) -> a service Context for that day."""
    from workflow.services import Context

    def make(today: date, actor: str = "test"):
        return Context(calendar, definition, today, actor=actor, language="en")

    return make


@pytest.fixture
def merzim_db(tmp_path: Path, db_url):
    """Run `merzim` (in-process, tests/support/cli_runner.py) against the test database, today pinned.

    `merzim_db("overdue", "--json", today="2026-11-20")`.
    """
    from tests.support.cli_runner import Merzim

    workdir = tmp_path / "cwd-db"
    workdir.mkdir(exist_ok=True)
    return Merzim(workdir, db_url=db_url)
