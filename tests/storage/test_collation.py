"""Codes, keys, paths and hashes compare byte by byte on PostgreSQL whatever the database's
collation (migration 0016, `models.identifier`), as on SQLite.

A subtree is a range of paths (`queries.in_subtree`: `>= '/1/5/'` and `< '/1/50'`). A cluster
initialised with a real locale (ru_RU.UTF-8, en_US.UTF-8, kk_KZ.UTF-8) ignores punctuation at
the first level, so under it "/1/5/12/" fell outside the range of "/1/5/" and "/15/" inside
it. Here a database whose default collation ignores punctuation the same way (ICU's
`und-u-ka-shifted`, available without any operating-system locale) is built at the previous
schema, where the subtree is wrong, then upgraded, where it is right.
"""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import String, create_engine, text
from sqlmodel import Session, SQLModel

from tests.support.databases import POSTGRES_URL, not_this_run
from workflow.storage import models
from workflow.storage.db import alembic_config, make_engine, upgrade

pytestmark = pytest.mark.postgres


def _collated(column) -> str | None:
    """The collation a model column asks for on PostgreSQL (None: the database's)."""
    kind = column.type
    kind = kind._variant_mapping.get("postgresql", kind) if isinstance(kind, String) else kind
    return getattr(kind, "collation", None)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite: BINARY everywhere
def test_every_identifier_column_of_the_models_is_in_byte_order_in_the_database(db):
    models.load_all()
    wanted = {(t.name, c.name): _collated(c) for t in SQLModel.metadata.tables.values()
              for c in t.columns}
    assert {k for k, v in wanted.items() if v == "C"} >= {
        ("organisation", "path"), ("organisation", "code"), ("stage", "subject_path"),
        ("stage", "key"), ("stage", "status"), ("process_case", "process"),
        ("process_case", "period"), ("audit_log", "prev_hash"), ("audit_log", "hash"),
        ("audit_log", "entity"), ("audit_log", "entity_id")}
    with db.connect() as conn:
        have = {(t, c): n for t, c, n in conn.execute(text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name <> 'alembic_version'"))}
    assert {k: have.get(k) for k in wanted} == wanted


@pytest.fixture
def punctuation_blind_database():
    """A database of its own whose default collation ignores punctuation (as ru_RU.UTF-8
    does), dropped at the end."""
    if not_this_run("postgres"):
        pytest.skip(not_this_run("postgres"))
    name = f"merzim_t_coll_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SHOW server_version_num")).scalar_one() < "150000":
            pytest.skip("a database's ICU default collation needs PostgreSQL 15")
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                          "LOCALE_PROVIDER icu ICU_LOCALE 'und-u-ka-shifted' "
                          "LOCALE 'C.UTF-8'"))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _subtree(eng, code: str) -> list[str]:
    """The codes of `code`'s subtree by path, through the one subtree condition
    (`in_subtree`), reading only the columns every schema revision has."""
    from sqlalchemy import select

    from workflow.storage.models import Organisation
    from workflow.storage.queries import in_subtree

    with Session(eng) as s:
        path = s.execute(select(Organisation.path).where(Organisation.code == code)).scalar_one()
        org = Organisation(code=code, name=code, kind="akimat", path=path)
        return list(s.execute(select(Organisation.code).where(in_subtree(Organisation.path, org))
                              .order_by(Organisation.path)).scalars())


def test_a_subtree_is_right_under_a_collation_that_ignores_punctuation(
        punctuation_blind_database):

    eng = make_engine(punctuation_blind_database)
    try:
        with eng.connect() as conn:  # the database's own collation has the flaw
            assert conn.execute(text(
                "SELECT '/15/' >= '/1/5/' AND '/15/' < '/1/50', "
                "'/1/5/12/' >= '/1/5/' AND '/1/5/12/' < '/1/50'")).one() == (True, False)
        command.upgrade(alembic_config(eng), "0015")
        # ids 1..15: R1 /1/, C5 /1/5/, G12 /1/5/12/, R15 /15/ -- written as the schema of 0015
        # has them (merzim's models of today name columns added later)
        with eng.begin() as conn:
            for i in range(1, 16):
                parent = {5: 1, 12: 5}.get(i)
                code = f"{'C' if i == 5 else 'G' if i == 12 else 'R'}{i}"
                path = {5: "/1/5/", 12: "/1/5/12/"}.get(i, f"/{i}/")
                conn.execute(text("INSERT INTO organisation (id, code, name, kind, parent_id, path) "
                                  "VALUES (:i, :code, :name, :kind, :parent, :path)"),
                             {"i": i, "code": code, "name": f"Org {i}", "path": path,
                              "kind": "department" if parent else "akimat", "parent": parent})
        with eng.connect() as conn:
            paths = dict(conn.execute(text("SELECT code, path FROM organisation")).all())
        assert (paths["C5"], paths["G12"], paths["R15"]) == ("/1/5/", "/1/5/12/", "/15/")
        assert _subtree(eng, "C5") == ["C5", "R15"]  # the schema before 0016: wrong
        upgrade(eng)
        assert _subtree(eng, "C5") == ["C5", "G12"]
        assert _subtree(eng, "R1") == ["R1", "C5", "G12"]
    finally:
        eng.dispose()
