"""An existing database is upgraded in place: data made at the first schema survives every migration."""

import re

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from tests.support.databases import BACKENDS, database_at, dump_tables, migrated_to
from tests.support.features import needs
from workflow.storage import audit, models
from workflow.storage.db import HEAD_REVISION, alembic_config, make_engine, upgrade


def test_database_of_the_first_release_upgrades_with_its_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    eng = make_engine(url)
    command.upgrade(alembic_config(eng), "0001")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name, kind, path) "
                          "VALUES (1, 'AK', 'Akimat', 'akimat', '/1/')"))
        conn.execute(text("INSERT INTO app_user (id, login, full_name, role, organisation_id, "
                          "language, active) VALUES (1, 'asel', 'Asel', 'officer', 1, 'kk', 1)"))
        conn.execute(text("INSERT INTO programme (id, subject_id, year) VALUES (1, 1, 2026)"))
        conn.execute(text(
            "INSERT INTO analysis (id, definition, programme_id, subject_id, object_id, "
            "planned_start, planned_end, state, responsible_id, created_at) VALUES "
            "(1, 'internal_risk_analysis', 1, 1, 1, '2026-03-02', '2026-04-10', 'planned', 1, 'x')"))
    with Session(eng) as s:  # (the first release kept no lists' versions: changes=False)
        audit.append(s, "test", "org.add", "organisation", 1, {"code": "AK"}, changes=False)
        s.commit()
    before = dump_tables(eng)
    upgrade(eng)
    after = dump_tables(eng)
    assert [r[:2] for r in after["app_user"]] == [r[:2] for r in before["app_user"]]
    assert "analysis" not in after  # analyses are cases now (0005)
    with eng.connect() as conn:
        row = conn.execute(text("SELECT id, process, programme_id, subject_id, object_id, "
                                "state, case_date, responsible_id FROM process_case")).one()
    assert tuple(row) == (1, "internal_risk_analysis", 1, 1, 1, "planned", "2026-03-02", 1)
    assert after["audit_log"] == before["audit_log"]
    with eng.connect() as conn:
        assert conn.execute(text("SELECT telegram_active, failed_logins FROM app_user")).one() == (1, 0)
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() >= "0004"
    with Session(eng) as s:
        assert audit.verify(s).ok


def test_the_head_revision_the_cli_expects_is_the_newest_migration():
    from alembic.script import ScriptDirectory

    from workflow.storage.db import HEAD_REVISION, MIGRATIONS

    assert ScriptDirectory(str(MIGRATIONS)).get_heads() == [HEAD_REVISION]


@pytest.mark.slow
def test_a_database_at_an_older_schema_is_refused_until_upgraded(tmp_path, monkeypatch):
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(make_engine(url)), "0002")
    env = {"MERZIM_DATABASE_URL": url, "MERZIM_LANG": "en", "PATH": "/usr/bin:/bin"}
    script = str(Path(sys.executable).parent / "merzim")
    run = subprocess.run([script, "overdue"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and "run 'merzim init' to upgrade" in run.stderr
    assert "Traceback" not in run.stderr
    assert subprocess.run([script, "init"], env=env, capture_output=True, cwd=tmp_path).returncode == 0
    assert subprocess.run([script, "overdue"], env=env, capture_output=True, cwd=tmp_path).returncode == 0


# -- 0004 -> 0005: analyses become cases, with everything intact ---------------------------------

OLD_ROWS = [
    "INSERT INTO organisation (id, code, name, kind, path) VALUES (1, 'AK', 'Akimat', 'akimat', '/1/')",
    "INSERT INTO organisation (id, code, name, kind, parent_id, path) VALUES "
    "(2, 'AK-EDU', 'Education', 'department', 1, '/1/2/')",
    "INSERT INTO app_user (id, login, full_name, role, organisation_id, email, language, active, "
    "telegram_active, failed_logins) VALUES (1, 'asel', 'Asel', 'officer', 1, 'a@example.kz', "
    "'kk', true, true, 0)",
    "INSERT INTO programme (id, subject_id, year) VALUES (1, 1, 2026)",
    # an analysis whose order and discussion were recorded (old state names), one untouched
    "INSERT INTO analysis (id, definition, programme_id, subject_id, object_id, planned_start, "
    "planned_end, actual_start, state, responsible_id, created_at) VALUES (1, "
    "'internal_risk_analysis', 1, 1, 2, '2026-03-02', '2026-04-10', '2026-03-02', 'discussed', 1, "
    "'2026-02-01T09:00:00+05:00')",
    "INSERT INTO analysis (id, definition, programme_id, subject_id, object_id, planned_start, "
    "planned_end, state, responsible_id, created_at) VALUES (2, 'internal_risk_analysis', 1, 1, "
    "1, '2026-05-04', '2026-06-15', 'ordered', 1, '2026-02-01T09:00:00+05:00')",
    "INSERT INTO stage (id, analysis_id, key, subject_id, subject_path, due_date, projected, "
    "status, done_on) VALUES (1, 1, 'order', 1, '/1/', '2026-02-16', false, 'done_on_time', "
    "'2026-02-10')",
    "INSERT INTO stage (id, analysis_id, key, subject_id, subject_path, due_date, projected, "
    "status) VALUES (2, 1, 'analytic_note', 1, '/1/', '2026-04-24', false, 'open')",
    "INSERT INTO stage (id, analysis_id, key, subject_id, subject_path, due_date, projected, "
    "status) VALUES (3, 2, 'order', 1, '/1/', '2026-04-20', false, 'open')",
    # the old UNIQUE(analysis_id, programme_id, key) let a second 'order' row in (NULL programme)
    "INSERT INTO stage (id, analysis_id, key, subject_id, subject_path, due_date, projected, "
    "status) VALUES (4, 1, 'order', 1, '/1/', '2026-02-16', false, 'open')",
    "INSERT INTO stage (id, programme_id, key, subject_id, subject_path, projected, status) "
    "VALUES (5, 1, 'schedule', 1, '/1/', false, 'open')",
    "INSERT INTO event_record (id, analysis_id, event, \"on\", actor, recorded_at) VALUES "
    "(1, 1, 'order', '2026-02-10', 'cli:asel', '2026-02-10T10:00:00+05:00')",
    "INSERT INTO event_record (id, analysis_id, event, \"on\", actor, recorded_at) VALUES "
    "(2, 1, 'analysis_start', '2026-03-02', 'cli:asel', '2026-03-02T10:00:00+05:00')",
    "INSERT INTO monitoring_report (id, analysis_id, period) VALUES (1, 1, '2026Q2')",
    "INSERT INTO risk (id, analysis_id, description) VALUES (1, 1, 'Procurement splitting')",
    "INSERT INTO outbox (id, recipient_id, channel, local_day, digest, address, subject, "
    "body_text, body_html, status, attempts, next_attempt_at, created_at) VALUES (1, 1, 'email', "
    "'2026-02-09', 'daily', 'a@example.kz', 'Due', 'text', '<p>html</p>', 'sent', 1, 0, 0)",
]


old_engine = migrated_to("0004", "merzim_m")  # the previous head


@needs("planning")
def test_a_database_of_the_previous_head_upgrades_with_everything_intact(old_engine):
    from datetime import date

    from workflow.core.deadlines import DONE_ON_TIME
    from workflow.definitions import load_definition
    from workflow.services import Context, case_view, get_case
    from workflow.storage.models import Case

    eng = old_engine
    with eng.begin() as conn:
        for sql in OLD_ROWS:
            conn.execute(text(sql))
    with Session(eng) as s:  # (that schema kept no lists' versions: changes=False)
        audit.append(s, "cli:asel", "analysis.plan", "analysis", 1, {"subject": "AK"},
                     changes=False)
        audit.append(s, "cli:asel", "event.order", "analysis", 1, {"on": "2026-02-10"},
                     changes=False)
        s.commit()
    before = dump_tables(eng)
    upgrade(eng)
    after = dump_tables(eng)
    for table in ("organisation", "app_user", "programme", "audit_log", "outbox", "risk",
                  "monitoring_report", "subdivision", "position", "plan_item", "recommendation",
                  "external_analysis", "web_session", "api_token", "calendar_feed"):
        renamed = {"monitoring_report": "monitoring_period"}.get(table, table)  # 0007
        # 0009: organisation.public_page, 0022: organisation.headcount, 0014: outbox.stages,
        # 0029: app_user.signed_in_at and telegram_bound_at, 0031: organisation.joined_on;
        # 0032: risk.causes and app_user.position; 0035: organisation.name_ru_genitive and
        # name_kk_genitive; 0036: position.risk_id; 0037: risk.likelihood and consequence (not
        # assessed); 0039: outbox.declarant_id (a declarant's reminder); NULL on old rows
        added = {"organisation": 5, "outbox": 2, "app_user": 3, "risk": 3,
                 "position": 1}.get(table, 0)
        kept = [r[:len(r) - added] for r in after[renamed]]
        assert kept == before[table], table
        new = (None,) * added
        assert all(r[len(r) - added:] == new for r in after[renamed]), table
    with eng.connect() as conn:
        cases = conn.execute(text(
            "SELECT id, process, process_version, subject_id, object_id, state, case_date, "
            "responsible_id FROM process_case ORDER BY id")).all()
        stages = conn.execute(text(
            "SELECT id, case_id, programme_id, key, due_date, status FROM stage ORDER BY id")).all()
        records = conn.execute(text(
            "SELECT id, case_id, kind, event, \"on\", voided_by_id FROM event_record ORDER BY id")
        ).all()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
    norm = lambda v: v if isinstance(v, str) or v is None else v.isoformat()  # noqa: E731
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], norm(r[6]), r[7]) for r in cases] == [
        (1, "internal_risk_analysis", 2, 1, 2, "in_progress", "2026-03-02", 1),
        (2, "internal_risk_analysis", 2, 1, 1, "planned", "2026-05-04", 1)]
    # every stage kept with its analysis as its case; the duplicate 'order' (4) merged into
    # the completed one (1)
    assert [(r[0], r[1], r[2], r[3], norm(r[4]), r[5]) for r in stages] == [
        (1, 1, None, "order", "2026-02-16", "done_on_time"),
        (2, 1, None, "analytic_note", "2026-04-24", "open"),
        (3, 2, None, "order", "2026-04-20", "open"),
        (5, None, 1, "schedule", None, "open")]
    assert [(r[0], r[1], r[2], r[3], norm(r[4]), r[5]) for r in records] == [
        (1, 1, "event", "order", "2026-02-10", None),
        (2, 1, "event", "analysis_start", "2026-03-02", None)]
    with Session(eng) as s:
        assert audit.verify(s).ok
        case = s.get(Case, 1)
        assert case.given() == {"start": date(2026, 3, 2), "end": date(2026, 4, 10)}
        # the upgraded analysis works on the new engine: its view, re-planned from its facts
        ctx = Context(__import__("calendars").KazakhstanCalendar(), load_definition(),
                      date(2026, 3, 10), actor="test", language="en")
        view = case_view(s, ctx, get_case(s, 1))
        assert (view.planned_start, view.planned_end, view.actual_start) == (
            date(2026, 3, 2), date(2026, 4, 10), date(2026, 3, 2))
        assert {st.key: st.status for st in view.stages}["order"] == DONE_ON_TIME


def _normal(sql: str) -> str:
    """An index's SQL as words: no brackets, commas, quotes, casts (PostgreSQL writes
    `(action)::text = 'x'::text`), schema or `USING btree`."""
    words = re.sub(r"[()\",]", " ", re.sub(r"::\w+", "", sql)).lower().split()
    return " ".join(w.rsplit(".", 1)[-1] for w in words if w not in ("using", "btree"))


def test_the_models_partial_indexes_are_those_the_migrations_create(db):
    """The models name each partial index's condition in `info["where"]` (not as a dialect
    option, which would load that dialect in every command); the migrated database, on each
    backend, has those indexes: unique or not as the model says, on those columns, with that
    condition."""
    from sqlmodel import SQLModel

    models.load_all()  # the models are built when first named: every one here
    partial = [(table.name, index) for table in SQLModel.metadata.sorted_tables
               for index in table.indexes if "where" in index.info]
    assert len(partial) == 9
    with db.connect() as conn:
        for table, index in partial:
            if db.dialect.name == "sqlite":
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                        "AND name = :n"), {"n": index.name}).scalar_one()
            else:
                sql = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = :n "
                                        "AND schemaname = current_schema()"),
                                   {"n": index.name}).scalar_one()
            columns = " ".join(c.name for c in index.columns)
            unique = "UNIQUE " if index.unique else ""
            assert _normal(sql) == _normal(f"CREATE {unique}INDEX {index.name} ON {table} "
                                           f"({columns}) WHERE {index.info['where']}"), sql


@pytest.mark.slow
def test_the_models_and_the_migrated_schema_agree(db):
    """What Alembic's autogenerate would write for the models against a migrated database:
    nothing (tables, columns, types, keys, indexes), on both backends. A model changed
    without its migration, or a migration the models do not follow, shows here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    models.load_all()  # the models are built when first named: every one here
    with db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


# -- every downgrade gives back the schema of the revision before ---------------------------------

IRREVERSIBLE = "0005"  # analyses became cases: a backup taken before it restores


def _schema(eng) -> dict:
    """The schema as the database reports it: each table's columns (type with its collation,
    nullability, default) in their order, primary key, foreign keys, unique constraints and
    indexes (with a partial index's condition)."""
    from sqlalchemy import inspect

    with eng.connect() as conn:
        insp = inspect(conn)
        return {t: (
            [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
             for c in insp.get_columns(t)],
            insp.get_pk_constraint(t)["constrained_columns"],
            sorted((f["constrained_columns"], f["referred_table"], f["referred_columns"])
                   for f in insp.get_foreign_keys(t)),
            sorted(u["column_names"] for u in insp.get_unique_constraints(t)),
            sorted((i["name"], i["column_names"], bool(i["unique"]),
                    {k: str(v) for k, v in i.get("dialect_options", {}).items()})
                   for i in insp.get_indexes(t)))
            for t in sorted(insp.get_table_names()) if t != "alembic_version"}


def _up_and_down(eng, start: str, revisions: list[str]) -> None:
    """From `start`, upgrade to each of `revisions` in turn, then downgrade one revision at a
    time back to `start`: each downgrade leaves the schema its target had."""
    cfg = alembic_config(eng)
    schemas = {}
    for below, rev in zip([start, *revisions], revisions, strict=False):
        schemas[below] = _schema(eng)
        command.upgrade(cfg, rev)
    for below in reversed(list(schemas)):
        command.downgrade(cfg, below)
        assert _schema(eng) == schemas[below], f"downgraded to {below}"


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_downgrade_gives_back_the_schema_of_the_revision_before(backend, tmp_path):
    """From an empty database to 0004 and back, then from 0005 (irreversible) to the head and
    back to 0005, one revision at a time."""
    from alembic.script import ScriptDirectory

    from workflow.storage.db import MIGRATIONS

    revisions = [s.revision for s in ScriptDirectory(str(MIGRATIONS)).walk_revisions()][::-1]
    cut = revisions.index(IRREVERSIBLE)
    with database_at(backend, tmp_path, "base", "merzim_d") as eng:
        _up_and_down(eng, "base", revisions[:cut])
        command.upgrade(alembic_config(eng), IRREVERSIBLE)
        _up_and_down(eng, IRREVERSIBLE, revisions[cut + 1:])


at_0027 = migrated_to("0027", "merzim_m27")  # before a person's channels were hers (0029)


def test_0029_reads_who_signed_in_and_who_bound_her_chat_from_the_audit_log(at_0027):
    """The last `login.ok` of each user becomes her `signed_in_at`; the last
    `user.telegram_bound` whose chat is still hers her `telegram_bound_at` (a chat set by an
    administrator since, or never bound, stays unbound: the bot answers only a bound one)."""
    eng = at_0027
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name, kind, path) "
                          "VALUES (1, 'AK', 'Akimat', 'akimat', '/1/')"))
        for uid, login, chat in ((1, "dana", "100"), (2, "erlan", "999"), (3, "aruzhan", None)):
            conn.execute(text(
                "INSERT INTO app_user (id, login, full_name, role, organisation_id, language, "
                "telegram_chat_id, telegram_active, active, failed_logins) VALUES "
                "(:id, :login, :login, 'officer', 1, 'kk', :chat, true, true, 0)"),
                {"id": uid, "login": login, "chat": chat})
    with Session(eng) as s:
        for actor, action, uid, payload in (
                ("web:dana", "login.ok", 1, {"login": "dana"}),
                ("telegram", "user.telegram_bound", 1, {"login": "dana", "chat": "100"}),
                ("web:dana", "login.ok", 1, {"login": "dana"}),
                ("telegram", "user.telegram_bound", 2, {"login": "erlan", "chat": "200"}),
                ("cli:admin", "user.set", 2, {"login": "erlan", "telegram_chat_id": "999"})):
            audit.append(s, actor, action, "user", uid, payload, changes=False)
        s.commit()
    upgrade(eng)
    with eng.connect() as conn:
        rows = {r[0]: (r[1], r[2]) for r in conn.execute(text(
            "SELECT login, signed_in_at, telegram_bound_at FROM app_user"))}
    assert rows["dana"][0] is not None and rows["dana"][1] is not None
    assert rows["erlan"] == (None, None)  # his chat is the administrator's, not the bound one
    assert rows["aruzhan"] == (None, None)
