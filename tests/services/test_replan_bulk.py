"""Re-planning every open case in bulk (`services.replan_all`, what
`merzim replan` runs after a decree) gives exactly the stage rows, case states and moved
deadlines that re-planning one case at a time through `services.replan` (`cases.sync`) gives.

Random cases of the internal analysis with random histories (events on time or late, stages
closed as not done, records voided, monitoring periods reported and reviewed, cancellations)
and the recurring obligations of an akimat are re-planned with a calendar that a decree
changed, both ways, in two transactions rolled back; the tables are compared row for row.
Then the owners are told once: a second re-plan with no change moves nothing and queues
nothing, and each owner gets exactly one message per channel.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import String, cast
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.databases import database_from_template
from tests.support.features import module_of
from tests.support.smtp_server import write_config
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.definitions import load_registry
from workflow.reminders.planner import notify_moved
from workflow.services import obligations
from workflow.settings import load_notify_settings, load_settings
from workflow.storage import audit
from workflow.storage.db import make_engine, upgrade
from workflow.storage.models import AuditRecord, Case, MonitoringReport, OutboxMessage, Stage

planning_svc = module_of("planning", "service")  # the analyses are planned by it
monitoring_service = module_of("monitoring", "service")  # and reported on by it

pytestmark = pytest.mark.slow  # random cases re-planned in bulk and one by one, compared

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 11, 16)
SEED = 20261123
DEPARTMENTS = ("AK-EDU", "AK-HLTH", "AK-FIN", "AK-AGR")


def decree(seed: int) -> KazakhstanCalendar:
    """A calendar with a few weekdays of 2026 made days off (a transfer decree)."""
    rng = random.Random(seed)
    days = sorted({d for d in (date(2026, 1, 5) + timedelta(days=rng.randrange(360))
                               for _ in range(12)) if CAL.is_working_day(d)})
    return KazakhstanCalendar(overrides={"days_off": [
        {"date": d, "reference": "Government resolution (test)"} for d in days]})


def ctx_for(today: date, cal: KazakhstanCalendar = CAL, actor: str = "test") -> svc.Context:
    return svc.Context(cal, REGISTRY, today, actor=actor, language="en")


def attempt(s: Session, action) -> bool:
    """Run one action in a savepoint; a refusal leaves nothing behind."""
    nested = s.begin_nested()
    try:
        action()
    except MerzimError:
        nested.rollback()
        return False
    nested.commit()
    return True


def random_history(s: Session, rng: random.Random, case_id: int, start: date) -> None:
    """What officers might have recorded: allowed events at random dates from the start, now
    and then a stage closed as not done or a record voided."""
    ctx = ctx_for(TODAY)
    defn = planning_svc.planned_definition(ctx)
    k = monitoring_service.keys(defn)
    on = start - timedelta(days=rng.randint(0, 10))
    for _ in range(rng.randint(0, 40)):
        on = min(TODAY, on + timedelta(days=rng.randint(0, 16)))
        view = svc.case_view(s, ctx, svc.get_case(s, case_id))
        roll = rng.random()
        if roll < 0.08:
            open_stages = [st.key for st in view.stages if st.status in ("open",
                                                                                   "overdue")]
            if open_stages:
                stage = rng.choice(open_stages)
                attempt(s, lambda st=stage, d=on: svc.record_not_done(
                    s, ctx, case_id, st, "not done (test)", d))
            continue
        if roll < 0.14:
            standing = [r for r in view.records if not r.void and r.kind != "void"]
            if standing:
                target = str(rng.choice(standing).id)
                attempt(s, lambda t=target: svc.void_record(s, ctx, case_id, t, "wrong (test)"))
            continue
        events = view.next_events
        if not events:
            break
        event = rng.choice(events)
        if defn.events[event].terminal and rng.random() < 0.7:
            continue  # cancellations are rarer
        evidence = {f: "12-3/45" for f in defn.requirements(defn.events[event])}
        if "period" in evidence:
            rows = s.exec(select(MonitoringReport).where(
                MonitoringReport.analysis_id == case_id).order_by(MonitoringReport.period)).all()
            want = (lambda r: r.received_on is None) if event == k.get("report_event") \
                else (lambda r: r.received_on is not None and r.reviewed_on is None)
            period = next((r.period for r in rows if want(r)), None)
            if period is None:
                continue
            evidence["period"] = period
        attempt(s, lambda e=event, d=on, ev=evidence: svc.record_event(s, ctx, case_id, e, d, ev))


def built_world(db) -> None:
    """An akimat with four departments, their officers, 60 random analyses of 2026 with
    random histories and the akimat's recurring obligations opened through the year, in a
    database migrated here (the "replan-world" template recipe: conftest)."""
    upgrade(db)
    rng = random.Random(SEED)
    early = ctx_for(date(2026, 1, 5))
    with Session(db) as s:
        svc.add_org(s, early, "AK", "Akimat of Abai region", "akimat")
        for code in DEPARTMENTS:
            svc.add_org(s, early, code, f"Department {code}", "department", "AK")
            svc.add_user(s, early, f"{code.lower()}-1", f"Officer 1 of {code}", "officer", code,
                         f"{code.lower()}-1@example.kz", "kk")
            svc.add_user(s, early, f"{code.lower()}-2", f"Officer 2 of {code}", "officer", code,
                         f"{code.lower()}-2@example.kz", "en")
        svc.add_user(s, early, "akim-officer", "Akimat officer", "officer", "AK",
                     "akim@example.kz", "ru")
        obligations.sync(s, early, through=date(2026, 12, 31))
        s.commit()
        for i in range(60):
            code = rng.choice(DEPARTMENTS)
            start = date(2026, 1, 12) + timedelta(days=rng.randrange(240))
            end = CAL.add_working_days(start, rng.randint(15, 28)) if rng.random() < 0.3 \
                else None
            owner = rng.choice((None, f"{code.lower()}-1", f"{code.lower()}-2"))
            planned = planning_svc.plan_analysis(s, ctx_for(date(2026, 1, 5)), code, code, start, end,
                                        responsible=owner,
                                        duplicate_reason=f"test {i}")
            random_history(s, rng, planned.analysis.id, start)
            s.commit()


@pytest.fixture
def world(backend, tmp_path):
    """`built_world`'s database, built once per test process and backend (~10 s on SQLite,
    more on PostgreSQL) and copied for each test (tests.support.databases.database_from_template): the first
    test only reads it, the second writes."""
    with database_from_template(backend, tmp_path, recipe=built_world,
                                recipe_name="replan-world") as (url, _nothing):
        eng = make_engine(url)
        yield eng
        eng.dispose()


def snapshot(s: Session) -> dict[str, list[tuple]]:
    """Every stage row and case row the re-planning may write, JSON as stored (text)."""
    stages = s.exec(select(Stage.id, Stage.case_id, Stage.programme_id, Stage.key,
                           Stage.subject_id, Stage.subject_path, Stage.due_date, Stage.projected,
                           Stage.status, Stage.done_on, cast(Stage.evidence, String))
                    .order_by(Stage.id)).all()
    cases = s.exec(select(Case.id, Case.state, cast(Case.dates, String)).order_by(Case.id)).all()
    return {"stage": [tuple(r) for r in stages], "case": [tuple(r) for r in cases]}


def one_at_a_time(s: Session, ctx: svc.Context) -> list[dict]:
    """The existing path: every case with an open stage re-planned by `services.replan`."""
    moved = []
    open_ids = select(Stage.case_id).where(Stage.status == "open")
    for case in s.exec(select(Case).where(Case.id.in_(open_ids)).order_by(Case.id)).all():
        for key, old, new in svc.replan(s, ctx, case):
            moved.append({"analysis": case.id, "case": case.id, "stage": key, "old": old,
                          "new": new, "responsible_id": case.responsible_id})
    return moved


def test_bulk_replan_writes_the_rows_one_case_at_a_time_writes(world):
    with Session(world) as s:
        before = snapshot(s)
        open_cases = len(s.exec(select(Stage.case_id).where(Stage.status == "open")
                                .distinct()).all())
    assert open_cases > 40
    keys = {row[3].partition(":")[0] for row in before["stage"] if row[8] == "open"}
    defn = REGISTRY.get("internal_risk_analysis")
    k = monitoring_service.keys(defn)
    assert {k["report_stage"], k["review_stage"]} <= keys  # open per-period stages
    for seed in (1, 2, 3):  # three decrees, later and later days
        after = ctx_for(TODAY + timedelta(days=seed * 20), decree(seed), actor="operator")
        with Session(world) as s:
            bulk_moved = svc.replan_all(s, after)
            s.flush()
            bulk = snapshot(s)
            s.rollback()
        with Session(world) as s:
            each_moved = one_at_a_time(s, after)
            s.flush()
            each = snapshot(s)
            s.rollback()
        assert bulk_moved == each_moved
        assert bulk == each
        # the comparison means something: the decree moved deadlines of several cases
        assert len(bulk_moved) > 10
        assert len({m["case"] for m in bulk_moved}) > 5
        changed = [a for a, b in zip(before["stage"], bulk["stage"], strict=True) if a != b]
        assert len(changed) >= len(bulk_moved)


def test_bulk_replan_is_audited_and_owners_are_told_once(world, tmp_path):
    after = ctx_for(TODAY, decree(1), actor="operator")
    settings = load_settings(path=write_config(tmp_path / "c.toml", 2525, '["email"]', ""),
                             env={})
    ns = load_notify_settings(settings, env={}, require_secrets=False)
    with Session(world) as s:
        moved = svc.replan_all(s, after)
        queued = notify_moved(s, after, ns, moved)
        s.commit()
    assert moved and queued
    with Session(world) as s:
        assert audit.verify(s).ok
        last = s.exec(select(AuditRecord).order_by(AuditRecord.id.desc())).first()
        assert (last.action, last.entity_id) == ("calendar.replan", "*")
        assert len(json.loads(last.payload)["moved"]) == len(moved)
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.digest.like("moved-%"))).all()
    recipients = [r.recipient_id for r in rows]
    assert len(recipients) == len(set(recipients)) == len(queued)
    # every owner of a moved deadline is among them (an analysis without an owner: its
    # department's officers)
    with Session(world) as s:
        owners = {s.get(Case, m["case"]).responsible_id for m in moved} - {None}
    assert owners <= set(recipients)

    # the same change again: nothing moves, nobody is told again, the audit says nothing
    with Session(world) as s:
        count = len(s.exec(select(AuditRecord.id)).all())
        again = svc.replan_all(s, after)
        assert again == []
        assert notify_moved(s, after, ns, again) == []
        s.commit()
    with Session(world) as s:
        assert len(s.exec(select(AuditRecord.id)).all()) == count
        assert len(s.exec(select(OutboxMessage).where(
            OutboxMessage.digest.like("moved-%"))).all()) == len(queued)
        assert audit.verify(s).ok
