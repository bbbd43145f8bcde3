"""The test databases: the backends a run tests (`BACKENDS`), PostgreSQL schemas of their own,
the templates every test's database is copied from (`database_from_template`) and
`dump_tables` for "nothing changed" assertions. The fixtures built on them are in
tests/conftest.py."""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import queue
import shutil
import sqlite3
import sys
import tempfile
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

POSTGRES_URL = os.environ.get("MERZIM_TEST_POSTGRES_URL")
BACKENDS_ENV = "MERZIM_TEST_BACKENDS"


def _run_backends() -> tuple[list[str], str | None]:
    """The backends this run tests, and what is wrong with how they were asked for (reported by
    `pytest_configure`). A run tests one backend: PostgreSQL when MERZIM_TEST_POSTGRES_URL is
    set, SQLite otherwise; MERZIM_TEST_BACKENDS names them instead ("sqlite", "postgres" or
    "sqlite,postgres": both in one run). CI runs the README's command once on each, so every
    test that takes a backend runs on both (docs/testing.md, "One backend a run")."""
    named = os.environ.get(BACKENDS_ENV, "").strip()
    if not named:
        return (["postgres"] if POSTGRES_URL else ["sqlite"]), None
    wanted = [b.strip() for b in named.split(",") if b.strip()]
    unknown = [b for b in wanted if b not in ("sqlite", "postgres")]
    if unknown or not wanted:
        return ["sqlite"], (f"{BACKENDS_ENV}={named!r}: name sqlite, postgres or both, "
                            "separated by a comma")
    if "postgres" in wanted and not POSTGRES_URL:
        return ["sqlite"], (f"{BACKENDS_ENV}={named!r} names postgres, but "
                            "MERZIM_TEST_POSTGRES_URL is not set")
    return [b for b in ("sqlite", "postgres") if b in wanted], None


BACKENDS, BACKENDS_PROBLEM = _run_backends()


def not_this_run(backend: str) -> str | None:
    """Why a test of `backend` is skipped in this run, or None when the run tests it."""
    if backend in BACKENDS:
        return None
    return (f"a {backend} test: this run tests {' and '.join(BACKENDS)} "
            f"(MERZIM_TEST_POSTGRES_URL, {BACKENDS_ENV}: docs/testing.md)")


# The tests' PostgreSQL sessions (theirs, and the schema keeper's):
# * synchronous_commit off: a commit does not wait for the write-ahead log to reach the disk
#   (~2.5 ms less a commit here); what a commit makes visible, and in what order, is unchanged
#   -- only a crash of the PostgreSQL server itself could lose the last commits, which no test
#   does;
# * no parallel workers: a run creates and drops schemas by the hundred, so the catalogues
#   (pg_class, pg_attribute...) grow past the 8 MB from which the planner starts two worker
#   processes for a query that scans them -- with autovacuum off, as on the CI machine, they
#   stay that large. The keeper's catalogue fingerprint (below) then took 13-17 ms, 5 ms of it
#   the query itself (EXPLAIN ANALYZE: "Workers Launched: 2"); SQLAlchemy's table names alike.
#   The answers are the same.
SESSION_OPTIONS = "-csynchronous_commit=off -cmax_parallel_workers_per_gather=0"


def _postgres_schema_url(schema: str) -> str:
    """The test server's URL with `schema` as the search path, its sessions as SESSION_OPTIONS
    says."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    options = SESSION_OPTIONS.replace("=", "%3D").replace(" ", "%20")
    return f"{POSTGRES_URL}{sep}options={options}%20-csearch_path%3D{schema}"


class _SchemaKeeper:
    """The tests' PostgreSQL schemas: created on one connection of this process; when their
    test ends, handed to a thread of its own, which either drops them or, for a schema copied
    from a template, puts it back as the template left it so that a later test of this process
    reuses it (a test does not wait while the server removes or builds thirty-odd tables; what
    is dropped is dropped, or given up after a lock timeout, before the process exits).

    Putting a copy back (`_reset`, ~0.1 s of the server against ~0.7 s to replay the template's
    statements and ~0.25 s to drop a schema): in one transaction, the schema's catalogue is
    compared with the template's (tables, columns, constraints, indexes, triggers, functions,
    types: `FINGERPRINT`; a test that changed any of it gets its schema dropped, never reused),
    every row of every table is deleted, the template's rows are copied back (COPY in binary,
    the exact values, in the order they were stored) and every sequence is set back where the
    template left it. Triggers and foreign keys do not fire meanwhile
    (`session_replication_role = replica`, for the superuser the suite connects as; without
    that right, schemas are dropped as before). A schema whose rows a connection the test left
    open still locks is dropped instead."""

    KEEP = 4  # schemas ready for reuse, per recipe and process

    def __init__(self):
        self._conn = None
        self._queue: queue.Queue[tuple[str, str | None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ready: dict[str, list[str]] = {}
        self._pending: dict[str, int] = {}
        self._snapshots: dict[str, _Snapshot] = {}
        self.failures: list[str] = []  # why a copy given back was dropped instead of reused
        self._changed = threading.Condition()
        # MERZIM_TEST_SCHEMA_REUSE=0: every copy replayed afresh and dropped after its test
        self.reuse = os.environ.get("MERZIM_TEST_SCHEMA_REUSE", "1") != "0"

    @staticmethod
    def _connect(options: str = "", autocommit: bool = True):
        import psycopg

        conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(conninfo, autocommit=autocommit,
                               options=f"{SESSION_OPTIONS} {options}".strip())

    def create(self, schema: str) -> None:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        self._conn.execute(f'CREATE SCHEMA "{schema}"')

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="schema-keeper",
                                            daemon=True)
            self._thread.start()
            atexit.register(self._finish)

    def drop(self, schema: str) -> None:
        self._start()
        self._queue.put((schema, None))

    # -- reuse of template copies ------------------------------------------------------------

    def remember(self, recipe: str, schema: str) -> None:
        """Keep what a fresh copy of `recipe`'s template holds (once per process and recipe)."""
        if self.reuse and recipe not in self._snapshots:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            self._snapshots[recipe] = _Snapshot.of(self._conn, schema)

    def take(self, recipe: str) -> str | None:
        """A schema holding what a fresh copy of `recipe`'s template holds, or None: make one.
        Waits for a schema being put back (faster than replaying the template)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ready.get(recipe)
                                   or not self._pending.get(recipe), timeout=60)
            ready = self._ready.get(recipe)
            return ready.pop() if ready else None

    def settle(self, recipe: str) -> None:
        """Wait until every copy of `recipe` given back has been put back (or dropped)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._pending.get(recipe), timeout=60)

    def give_back(self, recipe: str, schema: str) -> None:
        if not self.reuse or recipe not in self._snapshots:
            self.drop(schema)
            return
        self._start()
        with self._changed:
            self._pending[recipe] = self._pending.get(recipe, 0) + 1
        self._queue.put((schema, recipe))

    def restore(self, schema: str, snapshot: _Snapshot) -> bool:
        """Put `snapshot`'s rows and sequence positions in `schema`, a fresh migrated copy
        (False: its catalogue is not the snapshot's)."""
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._reset(self._conn, schema, snapshot)

    def _work(self) -> None:
        import psycopg

        conn = self._connect("-clock_timeout=10s")
        resets = self._connect("-clock_timeout=5s", autocommit=False)
        while (item := self._queue.get()) is not None:
            schema, recipe = item
            if recipe is not None:
                try:
                    reused = self._reset(resets, schema, self._snapshots[recipe])
                except Exception as exc:  # e.g. a connection the test left open holds a lock
                    reused = False
                    self.failures.append(f"{schema}: {type(exc).__name__}: {exc}"[:300])
                    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
                        self.reuse = False
                    if resets.closed or resets.broken:
                        resets = self._connect("-clock_timeout=5s", autocommit=False)
                    else:
                        resets.rollback()
                with self._changed:
                    self._pending[recipe] -= 1
                    if reused:  # the newest kept, handed out first; the oldest over KEEP dropped
                        ready = self._ready.setdefault(recipe, [])
                        ready.append(schema)
                        schema = ready.pop(0) if len(ready) > self.KEEP else None
                    self._changed.notify_all()
                if schema is None:
                    continue
            try:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            except psycopg.Error as exc:  # a connection a test left open holds a lock
                print(f"conftest: schema {schema} left in place: {exc}", file=sys.stderr)
        for ready in self._ready.values():
            for schema in ready:
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()
        resets.close()

    @staticmethod
    def _reset(conn, schema: str, snapshot: _Snapshot) -> bool:
        """Put the template's rows and sequence positions back in `schema` (True), unless its
        catalogue differs from the template's (False: to be dropped)."""
        with conn.transaction():
            if _fingerprint(conn, schema) != snapshot.fingerprint:
                return False
            cur = conn.cursor()
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute(f'SET LOCAL search_path TO "{schema}"')
            cur.execute("".join(f'DELETE FROM "{t}";' for t in snapshot.tables))
            for table, rows in snapshot.rows.items():
                with cur.copy(f'COPY "{table}" FROM STDIN (FORMAT binary)') as copy:
                    copy.write(rows)
            for name, (value, called) in snapshot.sequences.items():
                cur.execute("SELECT setval(%s, %s, %s)", (f'"{name}"', value, called))
        return True

    def _finish(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=300)


# What a schema's catalogue holds, as one hash: its relations with their columns, constraints,
# indexes, triggers, functions, types and enum labels, the schema's own name left out (index
# and constraint definitions name it). The triggers PostgreSQL makes for a foreign key are left
# out: they are named after object ids, different in every schema (the key is in pg_constraint).
FINGERPRINT = """
SELECT md5(string_agg(y, chr(30) ORDER BY y)) FROM (SELECT replace(x, %(name)s, '') AS y FROM (
  SELECT concat_ws(chr(31), c.relname, c.relkind::text, c.relpersistence::text, a.attname,
                   a.atttypid::text, a.atttypmod::text, a.attnotnull::text,
                   pg_get_expr(d.adbin, d.adrelid)) AS x
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
   WHERE c.relnamespace = %(ns)s::regnamespace
  UNION ALL SELECT concat_ws(chr(31), conname::text, pg_get_constraintdef(oid))
    FROM pg_constraint WHERE connamespace = %(ns)s::regnamespace
  UNION ALL SELECT pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
   WHERE c.relnamespace = %(ns)s::regnamespace
  UNION ALL SELECT pg_get_triggerdef(t.oid)
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = %(ns)s::regnamespace AND NOT t.tgisinternal
  UNION ALL SELECT concat_ws(chr(31), proname::text, md5(prosrc))
    FROM pg_proc WHERE pronamespace = %(ns)s::regnamespace
  UNION ALL SELECT concat_ws(chr(31), t.typname::text, e.enumlabel::text)
    FROM pg_type t LEFT JOIN pg_enum e ON e.enumtypid = t.oid
   WHERE t.typnamespace = %(ns)s::regnamespace
) AS catalogue) AS unnamed
"""


def _fingerprint(conn, schema: str) -> str:
    return conn.execute(FINGERPRINT, {"ns": f'"{schema}"', "name": schema}).fetchone()[0]


@dataclasses.dataclass
class _Snapshot:
    """A fresh copy of a template: its catalogue's fingerprint, its tables, the rows of those
    that have any (binary COPY), and its sequences' positions."""

    fingerprint: str
    tables: list[str]
    rows: dict[str, bytes]
    sequences: dict[str, tuple[int, bool]]

    @classmethod
    def of(cls, conn, schema: str) -> _Snapshot:
        tables = [t for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,))]
        rows = {}
        for table in tables:
            if conn.execute(f'SELECT EXISTS (SELECT FROM "{schema}"."{table}")').fetchone()[0]:
                data = bytearray()
                with conn.cursor().copy(
                        f'COPY "{schema}"."{table}" TO STDOUT (FORMAT binary)') as copy:
                    for block in copy:
                        data += block
                rows[table] = bytes(data)
        sequences = {}
        for (name,) in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)):
            value, called = conn.execute(
                f'SELECT last_value, is_called FROM "{schema}"."{name}"').fetchone()
            sequences[name] = (value, called)
        return cls(_fingerprint(conn, schema), tables, rows, sequences)


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
        # a PostgreSQL recipe whose build sent COPY: the rows and sequences it left
        self.rows: dict[tuple[str, str], _Snapshot] = {}
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
            from sqlalchemy import Engine, event

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
                # every engine on the scratch schema: the recipe's, and those a recipe that
                # builds through the command line makes (tests/support/cli_world_helpers.py)
                def on_template(conn, *args):
                    if conn.engine is eng or schema in conn.engine.url.render_as_string():
                        record(conn, *args)

                def on_error(ctx):  # a statement that failed changed nothing: not replayed
                    conn = ctx.connection
                    if conn is None or not (conn.engine is eng
                                            or schema in conn.engine.url.render_as_string()):
                        return
                    for i in range(len(sent) - 1, -1, -1):
                        if sent[i][0] == ctx.statement:
                            del sent[i]
                            break

                event.listen(Engine, "before_cursor_execute", on_template)
                event.listen(Engine, "handle_error", on_error)
                try:
                    self.values[key] = recipe(eng)
                finally:
                    event.remove(Engine, "before_cursor_execute", on_template)
                    event.remove(Engine, "handle_error", on_error)
                    eng.dispose()
                # COPY's rows go to the server outside the statement's parameters: such a
                # template is the migrated template's statements, then the rows and sequence
                # positions the build left (as a copy given back is put back: _SchemaKeeper)
                if any(s.lstrip()[:4].upper() == "COPY" for s, *_ in sent):
                    with contextlib.closing(SCHEMAS._connect()) as conn:
                        self.rows[key] = _Snapshot.of(conn, schema)
            if key in self.rows:
                self.statements[key] = self.postgres("migrated", _migrate)
                return self.statements[key]
            named = [s for s, *_ in sent if schema in s]
            assert not named, f"a template statement names its schema: {named[0][:200]}"
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
    schema = SCHEMAS.take(recipe_name)  # a copy an earlier test used, put back as it was
    if schema is None:
        schema = f"merzim_t_{uuid.uuid4().hex[:12]}"
        SCHEMAS.create(schema)
        try:
            _replay(_postgres_schema_url(schema), statements)
            rows = TEMPLATES.rows.get(("postgres", recipe_name))
            if rows is not None:  # a build that sent COPY: its rows put in (a superuser's)
                assert SCHEMAS.restore(schema, rows), \
                    f"the {recipe_name} recipe changed the migrated schema: not a template"
        except BaseException:
            SCHEMAS.drop(schema)
            raise
        SCHEMAS.remember(recipe_name, schema)
    try:
        yield _postgres_schema_url(schema), TEMPLATES.values[("postgres", recipe_name)]
    finally:
        SCHEMAS.give_back(recipe_name, schema)


def _replay(url: str, statements: list[tuple[str, Any, bool]]) -> None:
    """Send a template's statements to a new schema in one transaction, in one pipeline."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur, conn.pipeline():
        for statement, parameters, many in statements:  # sent without waiting for each
            if many:
                cur.executemany(statement, parameters)
            else:
                cur.execute(statement, parameters)


_REFLECTED: dict[tuple, Any] = {}


def _reflected(engine, conn=None):
    """The database's tables as reflected MetaData, reflected once per schema: every test
    database migrated to one revision has the same tables (reflecting them took ~80 ms on
    PostgreSQL and ~20 ms on SQLite, for each of the suite's thousands of dumps). The key is the
    dialect, the Alembic revision and the table names (read each time, on `conn` when given,
    through the dialect rather than an `Inspector`, which cost more than the question), so an
    older schema, a renamed table or one added is reflected again."""
    from sqlalchemy import MetaData

    if conn is None:
        with engine.connect() as own:
            return _reflected(engine, own)
    names = tuple(sorted(conn.dialect.get_table_names(conn)))
    revision = None
    if "alembic_version" in names:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    key = (engine.dialect.name, revision, names)
    if key not in _REFLECTED:
        meta = MetaData()
        meta.reflect(bind=engine)
        _REFLECTED[key] = meta
    return _REFLECTED[key]


LIST_VERSIONS = "list_version"  # the lists' versions: ids of the audit log's records
# the subjects' figures kept for the installation: computed by a read and stored by the process
# (workflow/scorecard/stored.py), a copy of what the records give, not a record
KEPT_FIGURES = "kept_figure"
DERIVED = (LIST_VERSIONS, KEPT_FIGURES)


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing changed' assertions (one connection), but the
    lists' versions (`list_version`: ids of audit records, which of two equal outcomes the
    audit log names differently) and the figures a read keeps (`kept_figure`)."""
    from sqlalchemy import select

    out = {}
    with engine.connect() as conn:
        meta = _reflected(engine, conn)
        for name, table in sorted(meta.tables.items()):
            if name in DERIVED:
                continue
            keys = list(table.primary_key.columns) or [c for c in table.c
                                                        if c.type.__class__.__name__ != "JSON"]
            out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*keys))]
    return out


def refused_unchanged(engine, work, error: type[Exception] | None = None):
    """The refusal `work(session)` raises (a RuleViolation unless `error` names another), with
    every table as it was before."""
    from workflow.core.errors import RuleViolation
    from workflow.storage.db import session as open_session

    before = dump_tables(engine)
    with open_session(engine) as s:
        with pytest.raises(error or RuleViolation) as refused:
            work(s)
        s.rollback()
    assert dump_tables(engine) == before
    return refused.value


@contextlib.contextmanager
def database_at(kind: str, tmp_path: Path, revision: str, prefix: str):
    """An engine on a fresh database migrated to `revision` only: a SQLite file in `tmp_path`
    or, for "postgres", a schema of its own named from `prefix` (dropped afterwards)."""
    from alembic import command

    from workflow.storage.db import alembic_config, make_engine

    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / f'head-{revision}.db'}")
        try:
            command.upgrade(alembic_config(eng), revision)
            yield eng
        finally:
            eng.dispose()
        return
    with postgres_schema(prefix) as url:
        eng = make_engine(url)
        try:
            command.upgrade(alembic_config(eng), revision)
            yield eng
        finally:
            eng.dispose()


def migrated_to(revision: str, prefix: str):
    """A fixture: an engine on a fresh database migrated to `revision` only (`database_at`),
    once on each backend this run tests (a SQLite file, a PostgreSQL schema named from
    `prefix`)."""

    @pytest.fixture(params=BACKENDS)
    def at_revision(request, tmp_path):
        with database_at(request.param, tmp_path, revision, prefix) as eng:
            yield eng

    return at_revision
