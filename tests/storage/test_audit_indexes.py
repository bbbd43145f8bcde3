"""The audit log is read through indexes where a page reads it (migration 0017): a case page's
history (its trail: `entity`, `entity_id`) and every page's bell (the hand-overs of the last 30
days: the partial index of the `analysis.assign` records). Before, both scanned the whole log:
50-70 ms and 130-190 ms of PostgreSQL a page with two country syncs' 370,600 records, growing with
the log. The statements the real application sends for a case page and for the notifications
(captured from the engine) are explained on each backend, with thousands of other records in
the log; the planner may not scan the log (PostgreSQL asked with sequential scans off, so that
a usable index is named whatever the table's size)."""

from __future__ import annotations

import re

from sqlalchemy import event
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.web_helpers import CALENDAR, TODAY, Web, web_fixture  # noqa: F401
from workflow import services as svc
from workflow.storage import audit
from workflow.storage.models import Case, Organisation, User

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans


def _fill(w: Web, n: int = 4000) -> None:
    """`n` more records of other cases' openings, appended to the chain as the sync does."""
    with Session(w.engine) as s:
        audit.append_many(s, "bench", [("case.open", "case", 900_000 + i, '{"x":1}')
                                       for i in range(n)])
        s.commit()
    with w.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE audit_log" if w.engine.dialect.name == "postgresql"
                             else "ANALYZE")


def _reads_of_the_log(w: Web, request) -> list[tuple[str, object]]:
    """The statements (with their parameters) that read the audit log during `request()`."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bFROM audit_log\b", statement) and statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(w.engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(w.engine, "before_cursor_execute", note)
    return seen


def _plan(w: Web, statement: str, parameters) -> str:
    with w.engine.connect() as conn:
        if w.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET enable_seqscan = off")
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            return "\n".join(r[0] for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return "\n".join(str(r[-1]) for r in rows)


def _scans_the_log(plan: str) -> bool:
    return bool(re.search(r"Seq Scan on audit_log|SCAN audit_log(?! USING)", plan))


def test_a_case_page_and_the_bell_read_the_audit_log_by_its_indexes(web):
    with Session(web.engine) as s:  # an officer's case of her own organisation
        officer, case_id = s.exec(
            select(User.login, Case.id).join(Case, Case.subject_id == User.organisation_id)
            .where(User.role == "officer", User.active).order_by(Case.id)).first()
    login = officer
    setup = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor="test-setup")
    with Session(web.engine) as s:  # a hand-over by a colleague: the bell's news
        me = svc.get_user(s, login)
        org = s.get(Organisation, me.organisation_id)
        svc.add_user(s, setup, "colleague", "A Colleague", "officer", org.code,
                     "colleague@example.kz")
        s.commit()
    by_colleague = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor="web:colleague")
    with Session(web.engine) as s:
        svc.assign_responsible(s, by_colleague, case_id, "colleague")
        svc.assign_responsible(s, by_colleague, case_id, login)
        s.commit()
    _fill(web)
    browser = web.browser(login)

    def case_page():
        r = browser.get(f"/cases/{case_id}")
        assert r.status_code == 200, r.text

    reads = _reads_of_the_log(web, case_page)
    trails = [r for r in reads if re.search(r"audit_log\.entity_id = ", r[0])]
    assert trails, reads  # the page reads the case's trail
    for statement, parameters in trails:
        plan = _plan(web, statement, parameters)
        assert "ix_audit_log_entity" in plan and not _scans_the_log(plan), plan

    items: list[dict] = []
    def notifications():
        r = web.api(login).get("/api/v1/notifications", params={"limit": 500})
        assert r.status_code == 200, r.text
        items.extend(r.json()["items"])

    reads = _reads_of_the_log(web, notifications)
    assert ("assigned", "web:colleague") in {(i["kind"], i["actor"]) for i in items
                                            if i["case"] == case_id}
    handovers = [r for r in reads if "analysis.assign" in r[0]]
    assert handovers, reads  # the action is in the statement itself, for the partial index
    for statement, parameters in handovers:
        plan = _plan(web, statement, parameters)
        assert "ix_audit_log_handover" in plan and not _scans_the_log(plan), plan
