"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from workflow.settings import ARGON2_PROFILE_ENV

# Passwords are hashed at argon2's cheapest cost in this suite: ~0.2 s of CPU a hash at the
# real cost, hundreds of sign-ins per backend (tests/envs.py passes it on to every merzim a test
# starts; tests/test_password_cost.py checks the real default). To run the whole suite at the
# real cost: MERZIM_ARGON2_PROFILE=rfc9106-low-memory.
os.environ.setdefault(ARGON2_PROFILE_ENV, "cheapest")

# calendar


@pytest.fixture
def merzim(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `merzim` (its real entry point, in this process: tests/cli_runner.py) in an empty
    directory, in English by default.

    `merzim("calendar", "show", "2025", config=path)` sets MERZIM_CONFIG to `path`;
    without `config` no configuration file is in use.
    """
    from tests.cli_runner import Merzim

    workdir = tmp_path / "cwd"
    workdir.mkdir()
    return Merzim(workdir)


# engine: databases (SQLite always; PostgreSQL when MERZIM_TEST_POSTGRES_URL is set)
#
# Migrating a database takes ~0.5 s on SQLite and ~1 s on PostgreSQL, and most tests need a fresh
# one. So each test process (each pytest-xdist worker) migrates one *template* per backend (and
# per recipe, e.g. "migrated and the demo loaded") once, and every test gets a copy of it:
# * SQLite: the template file copied with SQLite's backup API;
# * PostgreSQL: a schema of its own into which every statement the template's build sent to the
#   server (the Alembic upgrade's DDL and the recipe's writes, in order, with their parameters)
#   is replayed in one transaction — the same statements, so the same tables, indexes,
#   sequences and rows; tests/test_templates.py compares a copy with a freshly migrated schema.
# tests/test_migrations.py still runs the real upgrades, from every old revision.

import atexit  # noqa: E402
import queue  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from datetime import date  # noqa: E402

POSTGRES_URL = os.environ.get("MERZIM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _postgres_schema_url(schema: str) -> str:
    """The test server's URL with `schema` as the search path. Its sessions commit without
    waiting for the write-ahead log to reach the disk (synchronous_commit off: ~2.5 ms less a
    commit here); what a commit makes visible, and in what order, is unchanged -- only a crash
    of the PostgreSQL server itself could lose the last commits, which no test does."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    return (f"{POSTGRES_URL}{sep}options=-csynchronous_commit%3Doff%20"
            f"-csearch_path%3D{schema}")


import contextlib  # noqa: E402


class _SchemaKeeper:
    """Creates the tests' PostgreSQL schemas on one connection of this process and drops the
    finished ones in a thread of its own: a test does not wait while the server removes its
    thirty-odd tables (the drops are done, or given up after a lock timeout, before the process
    exits)."""

    def __init__(self):
        self._conn = None
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    @staticmethod
    def _connect(options: str = ""):
        import psycopg

        conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(conninfo, autocommit=True,
                               options=f"-csynchronous_commit=off {options}".strip())

    def create(self, schema: str) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        self._conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop(self, schema: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._drop_queued, name="schema-drops",
                                            daemon=True)
            self._thread.start()
            atexit.register(self._finish)
        self._queue.put(schema)

    def _drop_queued(self) -> None:
        import psycopg

        conn = self._connect("-clock_timeout=10s")
        while (schema := self._queue.get()) is not None:
            try:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            except psycopg.Error as exc:  # a connection a test left open holds a lock
                print(f"conftest: schema {schema} left in place: {exc}", file=sys.stderr)
        conn.close()

    def _finish(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=300)


SCHEMAS = _SchemaKeeper()


@contextlib.contextmanager
def postgres_schema(prefix: str = "merzim_t"):
    """A PostgreSQL schema of its own (its URL yielded), dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    SCHEMAS.create(schema)
    try:
        yield _postgres_schema_url(schema)
    finally:
        SCHEMAS.drop(schema)


def _migrate(engine) -> None:
    from workflow.storage.db import upgrade

    upgrade(engine)


class _Templates:
    """This process's templates: (backend, recipe name) -> a SQLite file, or the statements that
    built a PostgreSQL schema; plus what the recipe returned (e.g. the demo's ids)."""

    def __init__(self):
        self.files: dict[tuple[str, str], Path] = {}
        self.statements: dict[tuple[str, str], list[tuple[str, Any, bool]]] = {}
        self.values: dict[tuple[str, str], Any] = {}
        self._dir: Path | None = None

    def directory(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="merzim-templates-"))
            atexit.register(shutil.rmtree, self._dir, True)
        return self._dir

    def sqlite(self, name: str, recipe) -> Path:
        key = ("sqlite", name)
        if key not in self.files:
            from workflow.storage.db import make_engine

            path = self.directory() / f"{name}.db"
            eng = make_engine(f"sqlite:///{path}")
            try:
                self.values[key] = recipe(eng)
            finally:
                eng.dispose()
            self.files[key] = path
        return self.files[key]

    def postgres(self, name: str, recipe) -> list[tuple[str, Any, bool]]:
        key = ("postgres", name)
        if key not in self.statements:
            from sqlalchemy import event

            from workflow.storage.db import make_engine

            sent: list[tuple[str, Any, bool]] = []

            def record(_conn, _cursor, statement, parameters, context, executemany):
                if isinstance(parameters, Mapping):
                    # one statement (SQLAlchemy's "insertmanyvalues" batches come here too,
                    # flagged executemany but sent with cursor.execute and one mapping)
                    executemany = False
                    parameters = None if getattr(context, "no_parameters", False) \
                        else dict(parameters)
                elif executemany:
                    parameters = [dict(p) if isinstance(p, Mapping) else p for p in parameters]
                elif getattr(context, "no_parameters", False):
                    parameters = None  # sent without parameters: '%' is not a placeholder
                sent.append((statement, parameters, executemany))

            with postgres_schema("merzim_tpl") as url:
                schema = url.rsplit("%3D", 1)[1]
                eng = make_engine(url)
                event.listen(eng, "before_cursor_execute", record)
                try:
                    self.values[key] = recipe(eng)
                finally:
                    eng.dispose()
            named = [s for s, *_ in sent if schema in s]
            assert not named, f"a template statement names its schema: {named[0][:200]}"
            # COPY's rows go to the server outside the statement's parameters: not recorded
            copied = [s for s, *_ in sent if s.lstrip()[:4].upper() == "COPY"]
            assert not copied, f"a template build may not COPY (rows not replayable): {copied[0]}"
            self.statements[key] = sent
        return self.statements[key]


TEMPLATES = _Templates()


@contextlib.contextmanager
def database_from_template(kind: str, tmp_dir: Path, name: str = "merzim-test.db",
                           recipe=_migrate, recipe_name: str = "migrated"):
    """A fresh database built as `recipe(engine)` builds one (default: migrated to the head),
    copied from this process's template: yields (url, what the recipe returned)."""
    if kind == "sqlite":
        template = TEMPLATES.sqlite(recipe_name, recipe)
        target = tmp_dir / name
        with contextlib.closing(sqlite3.connect(template)) as src, \
                contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        yield f"sqlite:///{target}", TEMPLATES.values[("sqlite", recipe_name)]
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL test skipped: MERZIM_TEST_POSTGRES_URL is not set")
    statements = TEMPLATES.postgres(recipe_name, recipe)
    with postgres_schema() as url:
        import psycopg

        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo) as conn, conn.cursor() as cur, conn.pipeline():
            for statement, parameters, many in statements:  # sent without waiting for each
                if many:
                    cur.executemany(statement, parameters)
                else:
                    cur.execute(statement, parameters)
        yield url, TEMPLATES.values[("postgres", recipe_name)]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """'sqlite' or 'postgres' (skipped when MERZIM_TEST_POSTGRES_URL is not set)."""
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("PostgreSQL test skipped: MERZIM_TEST_POSTGRES_URL is not set")
    return request.param


def _recipe_for(request) -> tuple[str, Any]:
    """How the test's database is built: migrated; for a test that uses the web tests' `web`
    fixture, migrated with the demo loaded (tests/web_helpers.py), so that its CLI calls, its
    engine and its web application share one database."""
    if "web" in request.fixturenames:
        from tests.web_helpers import migrated_demo

        return "web-demo", migrated_demo
    return "migrated", _migrate


@pytest.fixture
def db_built(backend: str, tmp_path: Path, request):
    """(URL of a fresh database, what its recipe returned), copied from the template."""
    name, recipe = _recipe_for(request)
    with database_from_template(backend, tmp_path, recipe=recipe, recipe_name=name) as built:
        yield built


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


_REFLECTED: dict[tuple, Any] = {}


def _reflected(engine):
    """The database's tables as reflected MetaData, reflected once per schema: every test
    database migrated to one revision has the same tables (reflecting them took ~80 ms on
    PostgreSQL and ~20 ms on SQLite, for each of the suite's thousands of dumps). The key is the
    dialect, the Alembic revision and the table names (read each time), so an older schema, a
    renamed table or one added is reflected again."""
    from sqlalchemy import MetaData, inspect, text

    names = tuple(sorted(inspect(engine).get_table_names()))
    revision = None
    if "alembic_version" in names:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    key = (engine.dialect.name, revision, names)
    if key not in _REFLECTED:
        meta = MetaData()
        meta.reflect(bind=engine)
        _REFLECTED[key] = meta
    return _REFLECTED[key]


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' assertions."""
    from sqlalchemy import select

    meta = _reflected(engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            keys = list(table.primary_key.columns) or [c for c in table.c
                                                        if c.type.__class__.__name__ != "JSON"]
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*keys))]
    return out


@pytest.fixture
def merzim_db(tmp_path: Path, db_url):
    """Run `merzim` (in-process, tests/cli_runner.py) against the test database, today pinned.

    `merzim_db("overdue", "--json", today="2026-11-20")`.
    """
    from tests.cli_runner import Merzim

    workdir = tmp_path / "cwd-db"
    workdir.mkdir(exist_ok=True)
    return Merzim(workdir, db_url=db_url)
