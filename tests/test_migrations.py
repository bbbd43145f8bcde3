"""An existing database is upgraded in place: data made at the first schema survives every migration."""

from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from tests.conftest import dump_tables
from workflow import audit
from workflow.db import alembic_config, make_engine, upgrade


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
