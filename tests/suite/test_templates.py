"""The test databases are copies of a template built once per test process
(tests.support.databases.database_from_template): the copy must be the database the recipe builds — same
tables, columns, indexes, constraints, rows and (PostgreSQL) sequence positions."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime

import pytest
from sqlalchemy import inspect, text

from tests.support.cli_world_helpers import World, built_world
from tests.support.databases import BACKENDS, database_from_template, dump_tables, postgres_schema
from tests.support.web_helpers import migrated_demo
from workflow.storage.db import make_engine, upgrade

pytestmark = pytest.mark.slow  # each template compared with a database built directly


def shape(engine) -> dict:
    """Every table's columns (name, type, nullable, default), primary key, foreign keys, unique
    constraints, check constraints and indexes, as reflected."""
    insp = inspect(engine)
    out = {}
    for name in sorted(insp.get_table_names()):
        out[name] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                        for c in insp.get_columns(name)],
            "pk": insp.get_pk_constraint(name)["constrained_columns"],
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                           tuple(f["referred_columns"]), str(f.get("options")))
                          for f in insp.get_foreign_keys(name)),
            # a constraint may have no name beside one that has (SQLite reflects it None):
            # ordered by its text, compared as reflected
            "unique": sorted(((u["name"], tuple(u["column_names"]))
                              for u in insp.get_unique_constraints(name)), key=repr),
            "checks": sorted(((c["name"], c["sqltext"])
                              for c in insp.get_check_constraints(name)), key=repr),
            "indexes": sorted(((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                               for i in insp.get_indexes(name)), key=repr),
        }
    return out


def sequences(engine) -> dict[str, int | None]:
    """PostgreSQL: where each sequence of the schema stands (the next id a table hands out)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        names = conn.execute(text("SELECT sequencename, last_value FROM pg_sequences "
                                  "WHERE schemaname = current_schema()")).all()
    return dict(names)


@contextlib.contextmanager
def built_directly(kind: str, tmp_path, recipe):
    """The database the recipe builds, without any template."""
    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'direct.db'}")
        try:
            yield eng, recipe(eng)
        finally:
            eng.dispose()
        return
    with postgres_schema("merzim_direct") as url:
        eng = make_engine(url)
        try:
            yield eng, recipe(eng)
        finally:
            eng.dispose()


KINDS = BACKENDS  # the run's backends (tests.support.databases.BACKENDS)


@pytest.mark.parametrize("kind", KINDS)
def test_a_copy_of_the_migrated_template_is_a_migrated_database(kind, tmp_path):
    with built_directly(kind, tmp_path, upgrade) as (direct, _), \
            database_from_template(kind, tmp_path, "copy.db") as (url, _nothing):
        copy = make_engine(url)
        try:
            assert shape(copy) == shape(direct)
            assert dump_tables(copy) == dump_tables(direct)
            assert sequences(copy) == sequences(direct)
        finally:
            copy.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_a_copy_of_the_demo_template_holds_the_demo_and_hands_out_the_next_ids(kind, tmp_path):
    """Same shape, the same rows in every table (the audit log's times and hashes aside, and
    anything stamped with the time of building), the same ids, and the sequences where the
    direct build left them: the next row a test inserts gets the id it would get there."""
    with built_directly(kind, tmp_path, migrated_demo) as (direct, direct_ids), \
            database_from_template(kind, tmp_path, "copy.db", recipe=migrated_demo,
                                   recipe_name="web-demo") as (url, ids):
        copy = make_engine(url)
        try:
            assert ids == direct_ids
            assert shape(copy) == shape(direct)
            mine, theirs = dump_tables(copy), dump_tables(direct)
            assert {k: len(v) for k, v in mine.items()} == {k: len(v) for k, v in theirs.items()}
            for table in ("organisation", "app_user", "case", "stage", "event_record"):
                if table in mine:
                    assert [r[0] for r in mine[table]] == [r[0] for r in theirs[table]], table
            assert sequences(copy) == sequences(direct)
            assert mine["audit_log"], "the demo's audit records were copied"
        finally:
            copy.dispose()


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def rows_but_stamps(engine) -> dict[str, list[tuple]]:
    """Every row of every table, the moments stamped when a row was written (ISO date-times,
    timestamps), the audit chain's hashes (computed over those moments) and password hashes
    (salted at random) left out."""
    out = {}
    for table, rows in dump_tables(engine).items():
        names = [c["name"] for c in inspect(engine).get_columns(table)] if rows else []
        out[table] = [tuple(
            "<stamp>" if isinstance(v, datetime) or (isinstance(v, str) and STAMP.match(v))
            else "<hash>" if table == "audit_log" and name in ("prev_hash", "hash")
            else "<password>" if isinstance(v, str) and v.startswith("$argon2") else v
            for name, v in zip(names, row, strict=True)) for row in rows]
    return out


@contextlib.contextmanager
def same_as_built_directly(kind: str, tmp_path, recipe, name: str):
    """A copy of the `name` template, checked against the database `recipe` builds directly
    (same shape, rows up to rows_but_stamps, sequences, what the recipe returned, and an audit
    chain that `merzim audit verify` accepts); yields (the copy's World, its rows)."""
    for sub in ("direct", "copy"):
        (tmp_path / sub).mkdir()
    with built_directly(kind, tmp_path / "direct", recipe) as (direct, direct_value), \
            database_from_template(kind, tmp_path, "copy.db", recipe=recipe,
                                   recipe_name=name) as (url, value):
        copy = make_engine(url)
        try:
            assert value == direct_value
            assert shape(copy) == shape(direct)
            mine = rows_but_stamps(copy)
            assert mine == rows_but_stamps(direct)
            assert sequences(copy) == sequences(direct)
            world = World(tmp_path / "copy", url, ids=value)
            assert world.json("audit", "verify")["ok"] is True
            yield world, mine
        finally:
            copy.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_a_copy_of_the_cli_world_is_the_world_the_command_line_builds(kind, tmp_path):
    """The "cli-world" recipe (tests/support/cli_world_helpers.py, built through `merzim` itself): on
    PostgreSQL, the statements the command line's own engines sent were all recorded and
    replayed; the case ids are the template's."""
    with same_as_built_directly(kind, tmp_path, built_world, "cli-world") as (world, rows):
        assert set(world.ids) == {"coi1", "coi2", "done", "hlth"}
        assert len(rows["process_case"]) == 4 and len(rows["event_record"]) == 1
        assert world.json("status", str(world.ids["done"]))["id"] == world.ids["done"]

