"""The outbox's statistics after a large plan (50,000 digests).

A plan that writes thousands of outbox rows at once leaves PostgreSQL's planner believing
the table nearly empty until autovacuum analyses it; each claim then sorts every pending row
(workflow/reminders/outbox.py, `refresh_statistics`). The worker's `plan_once` refreshes the
statistics when it wrote at least `ANALYZE_AFTER` rows.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, text

from workflow.reminders import outbox
from workflow.storage.models import OutboxMessage, User


def _pending(engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (code, name, kind, path) "
                          "VALUES ('BENCH', 'Bench akimat', 'akimat', '/BENCH/')"))
        org = conn.execute(text("SELECT id FROM organisation WHERE code = 'BENCH'")).scalar_one()
        conn.execute(insert(User).values(
            login="u", full_name="U", role="manager", organisation_id=org, language="kk",
            telegram_active=False, active=True, failed_logins=0))
        user = conn.execute(text("SELECT id FROM app_user WHERE login = 'u'")).scalar_one()
        conn.execute(insert(OutboxMessage), [
            {"recipient_id": user, "channel": "email", "local_day": date(2026, 11, 23),
             "digest": f"daily-{i}", "address": f"u{i}@example.kz", "subject": "s",
             "body_text": "t", "body_html": "h", "status": "pending", "attempts": 0,
             "next_attempt_at": 0.0, "created_at": 0.0} for i in range(n)])


def _analysed(engine) -> tuple[float, int]:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT c.reltuples, s.analyze_count FROM pg_class c "
            "JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = to_regclass('outbox')")).one()


def test_a_large_plan_refreshes_the_outbox_statistics_on_postgresql(db, backend):
    _pending(db, outbox.ANALYZE_AFTER)
    if backend != "postgres":
        assert outbox.refresh_statistics(db, outbox.ANALYZE_AFTER) is False  # nothing to do
        return
    assert outbox.refresh_statistics(db, outbox.ANALYZE_AFTER - 1) is False
    before = _analysed(db)
    assert before[0] < outbox.ANALYZE_AFTER  # never analysed: -1 (or 0), not the rows written
    assert outbox.refresh_statistics(db, outbox.ANALYZE_AFTER) is True
    rows, count = _analysed(db)
    assert rows == outbox.ANALYZE_AFTER  # a table this small is read whole: the exact count
    assert count == before[1] + 1
    with db.connect() as conn:  # and a claim now walks the primary key to its first rows
        plan = "\n".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT id FROM outbox WHERE ((status = 'pending' AND next_attempt_at <= 1)"
            " OR (status = 'sending' AND claimed_at < 0)) ORDER BY id LIMIT 20")))
    assert "Sort" not in plan, plan
