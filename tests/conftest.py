"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# calendar


@pytest.fixture
def merzim(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `merzim` console script in an empty directory, in English by default.

    `merzim("calendar", "show", "2025", config=path)` sets MERZIM_CONFIG to `path`;
    without `config` no configuration file is in use.
    """
    script = Path(sys.executable).parent / "merzim"
    if not script.exists():
        pytest.fail(f"the console script {script} is not installed (pip install -e .)")
    workdir = tmp_path / "cwd"
    workdir.mkdir()

    def run(*args: str, config: Path | None = None, lang: str = "en"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
        env["MERZIM_LANG"] = lang
        if config is not None:
            env["MERZIM_CONFIG"] = str(config)
        return subprocess.run(
            [str(script), *args], cwd=workdir, env=env, capture_output=True, text=True,
            encoding="utf-8", timeout=60,
        )

    return run


# engine: databases (SQLite always; PostgreSQL when MERZIM_TEST_POSTGRES_URL is set)

import uuid  # noqa: E402
from datetime import date  # noqa: E402

POSTGRES_URL = os.environ.get("MERZIM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


import contextlib  # noqa: E402


@contextlib.contextmanager
def postgres_schema(prefix: str = "merzim_t"):
    """A PostgreSQL schema of its own (its URL yielded), dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path: Path):
    """A fresh, migrated database URL: a SQLite file, or a PostgreSQL schema of its own."""

    from workflow.storage.db import make_engine, upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'merzim-test.db'}"
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL test skipped: MERZIM_TEST_POSTGRES_URL is not set")
    with postgres_schema() as url:
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url


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


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' assertions."""
    from sqlalchemy import MetaData, select

    meta = MetaData()
    meta.reflect(bind=engine)
    out = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            keys = list(table.primary_key.columns) or [c for c in table.c
                                                        if c.type.__class__.__name__ != "JSON"]
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*keys))]
    return out


@pytest.fixture
def merzim_db(tmp_path: Path, db_url):
    """Run the `merzim` console script against the test database, with today pinned.

    `merzim_db("overdue", "--json", today="2026-11-20")`.
    """
    script = Path(sys.executable).parent / "merzim"
    workdir = tmp_path / "cwd-db"
    workdir.mkdir(exist_ok=True)

    def run(*args: str, today: str | None = None, lang: str = "en", config: Path | None = None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
        env.update(MERZIM_LANG=lang, MERZIM_DATABASE_URL=db_url)
        if today:
            env["MERZIM_TODAY"] = today
        if config is not None:
            env["MERZIM_CONFIG"] = str(config)
        return subprocess.run([str(script), *args], cwd=workdir, env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=120)

    return run
