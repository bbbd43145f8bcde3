"""A PostgreSQL copy of a template is reused by a later test of the same process once it is
put back as the template left it (tests.support.databases._SchemaKeeper): the rows a test added, changed or
deleted and the sequences it moved are as in a fresh copy; a schema whose tables a test changed
is dropped, never reused."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from tests.support.databases import SCHEMAS, database_from_template, dump_tables, not_this_run
from tests.support.web_helpers import migrated_demo
from workflow.storage.db import make_engine

NOT_THIS_RUN = not_this_run("postgres")
pytestmark = [
    pytest.mark.skipif(NOT_THIS_RUN is not None, reason=str(NOT_THIS_RUN)),
    pytest.mark.skipif(os.environ.get("MERZIM_TEST_SCHEMA_REUSE") == "0",
                       reason="MERZIM_TEST_SCHEMA_REUSE=0: every copy is dropped, none reused"),
]


def state(url: str) -> tuple[dict, str]:
    """Every row, and the Alembic revision."""
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return dump_tables(eng), revision
    finally:
        eng.dispose()


def positions(url: str) -> dict[str, tuple[int, bool]]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            names = conn.execute(text("SELECT sequencename FROM pg_sequences "
                                      "WHERE schemaname = current_schema()")).scalars().all()
            return {n: tuple(conn.execute(text(f'SELECT last_value, is_called FROM "{n}"')).one())
                    for n in names}
    finally:
        eng.dispose()


def scribble(url: str) -> None:
    """What a test may do to its database's rows: add, change, delete; move sequences."""
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'scribbled'"))
            conn.execute(text("INSERT INTO organisation (code, name, kind, path) "
                              "VALUES ('ZZ-SCRIBBLE', 'z', 'ministry', '/')"))
            conn.execute(text("UPDATE organisation SET name = 'renamed'"))
            conn.execute(text("DELETE FROM audit_log WHERE id IN "
                              "(SELECT id FROM audit_log ORDER BY id DESC LIMIT 3)"))
            for name in conn.execute(text("SELECT sequencename FROM pg_sequences "
                                          "WHERE schemaname = current_schema()")).scalars():
                conn.execute(text("SELECT nextval(:n)"), {"n": f'"{name}"'})
    finally:
        eng.dispose()


@pytest.mark.parametrize("recipe, name", [(None, "migrated"), (migrated_demo, "web-demo")])
def test_a_copy_put_back_is_a_fresh_copy(tmp_path, recipe, name):
    kwargs = {"recipe": recipe, "recipe_name": name} if recipe else {}
    # a put-back can fall back to a drop (a lock a connection of another test still held when
    # the reset ran, under load; in some orders of the whole suite it happens every time, cause
    # not found yet): then another schema is handed out and the round is tried again. Whatever
    # is handed out must be a fresh copy; a reuse must be seen in one of three rounds, or the
    # test says it could not check one (skipped, with the reasons the schema thread recorded)
    for _round in range(3):
        with database_from_template("postgres", tmp_path, **kwargs) as (first, _):
            fresh_rows, fresh_revision = state(first)
            fresh_positions = positions(first)
            scribble(first)
            assert state(first)[0] != fresh_rows
            assert positions(first) != fresh_positions
        assert SCHEMAS.reuse, "the suite's PostgreSQL role may set session_replication_role"
        SCHEMAS.settle(name)  # copies earlier tests gave back are put back too, before this one
        with database_from_template("postgres", tmp_path, **kwargs) as (again, _):
            rows, revision = state(again)
            assert revision == fresh_revision
            assert rows == fresh_rows
            assert positions(again) == fresh_positions
            if again == first:
                break
    else:
        pytest.skip("the schema put back was never handed out again (in three rounds): "
                    + ("; ".join(SCHEMAS.failures[-3:]) or "its catalogue differed"))


def test_a_copy_whose_tables_were_changed_is_dropped_not_reused(tmp_path):
    with database_from_template("postgres", tmp_path) as (first, _):
        eng = make_engine(first)
        try:
            with eng.begin() as conn:
                conn.execute(text("ALTER TABLE organisation ADD COLUMN scribble integer"))
        finally:
            eng.dispose()
    with database_from_template("postgres", tmp_path) as (again, _):
        assert again != first
        eng = make_engine(again)
        try:
            with eng.connect() as conn:
                columns = conn.execute(text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                    "current_schema() AND table_name = 'organisation'")).scalars().all()
        finally:
            eng.dispose()
        assert "scribble" not in columns
