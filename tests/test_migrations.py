"""An existing database is upgraded in place: data made at the first schema survives every migration."""

from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from tests.conftest import dump_tables
from workflow.storage import audit
from workflow.storage.db import alembic_config, make_engine, upgrade


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
    with Session(eng) as s:
        audit.append(s, "test", "org.add", "organisation", 1, {"code": "AK"})
        s.commit()
    before = dump_tables(eng)
    upgrade(eng)
    after = dump_tables(eng)
    assert [r[:2] for r in after["app_user"]] == [r[:2] for r in before["app_user"]]
    assert after["analysis"] == before["analysis"]
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
