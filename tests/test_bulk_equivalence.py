"""Bulk planning gives exactly the due dates of the one-by-one path (issue 15.1), on random
cases, for analyses (`analysis import` against `plan_analysis` row by row) and obligations
(`obligations sync` in bulk against each case through `open_case`), on SQLite and PostgreSQL.

Each side runs in a database of its own built the same way (same organisations, officers and
external analyses, so the same ids); then every case (its named dates, state, responsible
officer, period), every stage (due date, projected flag, status, done date) and every
`case.open` audit payload are compared, and the chain verifies on both sides.

The random cases (seeded, so a failure reproduces): analysis starts over 2023-2028, two in
five drawn on or next to the calendar's days off on weekdays (holidays, their weekend shifts
and the government's transfer decrees) or its worked weekend days; explicit ends (some past
30 working days), the one-year rule after an external analysis overridden with a reason,
confirmed duplicates, officers named or defaulted, subjects of every kind including a
quasi-state one (the one-year rule does not bind it) and departments without an officer.
Obligations: organisations of every kind, with or without an officer, synced on random days
over 2024-2028, some with `--through` months ahead, so that every recurring obligation's
periods (monthly to yearly, the earlier ones not yet due) are opened.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import MetaData, select

from calendars import KazakhstanCalendar
from tests.bulk_helpers import another_database, commit
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.planning import bulk as planning_bulk
from workflow.planning import service as planning_svc
from workflow.services import obligations
from workflow.storage import audit
from workflow.storage.db import session as open_session

pytestmark = pytest.mark.slow  # thousands of random rows planned twice and compared

SEED = 20261123
N_ANALYSES = 1200
TODAY = date(2026, 6, 1)
YEARS = range(2023, 2029)


# -- helpers ------------------------------------------------------------------------------------


def special_days(cal: KazakhstanCalendar) -> dict[date, str]:
    """The calendar's weekday days off (holiday, shift, transfer) and worked weekend days."""
    out = {}
    for year in YEARS:
        out.update({d.date: d.kind for d in cal.non_working_weekdays(year)})
        out.update({d.date: "worked_weekend" for d in cal.working_weekend_days(year)})
    return out


def random_day(rng: random.Random, special: dict[date, str]) -> date:
    """Two in five on or next to a special day (a kind drawn first, then a day of it)."""
    if rng.random() < 0.4:
        kind = rng.choice(sorted(set(special.values())))
        day = rng.choice(sorted(d for d, k in special.items() if k == kind))
        return day + timedelta(days=rng.choice((-1, 0, 0, 0, 1, 2)))
    return date(YEARS[0], 1, 1) + timedelta(days=rng.randrange(len(YEARS) * 365))


def stored(eng) -> dict:
    """What planning left behind: cases (no creation timestamp), stages, audit payloads."""
    meta = MetaData()
    meta.reflect(bind=eng)
    case, stage, log = (meta.tables[t] for t in ("process_case", "stage", "audit_log"))

    def plain(row):
        return tuple(json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for v in row)

    with eng.connect() as conn:
        columns = [c for c in case.c if c.name != "created_at"]
        cases = [dict(zip([c.name for c in columns], plain(r), strict=True))
                 for r in conn.execute(select(*columns).order_by(case.c.id))]
        stages = sorted((plain(r) for r in conn.execute(
            select(*[c for c in stage.c if c.name != "id"]))), key=repr)
        payloads = [(r.action, r.entity_id, json.loads(r.payload)) for r in conn.execute(
            select(log).where(log.c.action.in_(("case.open", "obligations.sync")))
            .order_by(log.c.id))]
    with open_session(eng) as s:
        assert audit.verify(s).ok
    return {"cases": cases, "stages": stages, "audit": payloads}


def assert_same(bulk: dict, single: dict) -> None:
    assert len(bulk["cases"]) == len(single["cases"])
    for one, other in zip(bulk["cases"], single["cases"], strict=True):
        assert one == other
    assert len(bulk["stages"]) == len(single["stages"])
    for one, other in zip(bulk["stages"], single["stages"], strict=True):
        assert one == other
    assert bulk["audit"] == single["audit"]


# -- analyses -----------------------------------------------------------------------------------


def analysis_world(s, ctx) -> dict:
    """Four akimats of seven departments, a quasi-state entity; most departments have one or
    two officers, every fourth none; some subjects had an external analysis in 2023-2026."""
    rng = random.Random(SEED)
    tree: dict = {"subjects": [], "objects": {}, "officers": {}, "external": {}}

    def add(code, kind, parent=None):
        svc.add_org(s, ctx, code, f"Organisation {code}", kind, parent)
        tree["subjects"].append(code)
        tree["objects"][code] = [code]
        if parent:
            tree["objects"][parent].append(code)
        if not code.endswith("3"):
            logins = [f"officer-{code}-{k}" for k in range(1 + len(code) % 2)]
            for login in logins:
                svc.add_user(s, ctx, login, f"Officer {login}", "officer", code)
            tree["officers"][code] = logins
        if rng.random() < 0.25:
            completed = date(2023, 1, 1) + timedelta(days=rng.randrange(4 * 365))
            completed = min(completed, TODAY - timedelta(days=1))
            planning_svc.add_external(s, ctx, code, completed, "Agency report")
            tree["external"][code] = completed

    for a in range(4):
        add(f"AK{a}", "akimat")
        for d in range(7):
            add(f"AK{a}-D{d}", "department", f"AK{a}")
    add("QS1", "quasi_state")
    return tree


def analysis_rows(tree: dict, special: dict[date, str], n: int) -> list[planning_bulk.AnalysisRow]:
    rng = random.Random(SEED + 1)
    rows, periods = [], {}
    for i in range(n):
        subject = rng.choice(tree["subjects"])
        obj = rng.choice(tree["objects"][subject])
        start = random_day(rng, special)
        end = None
        if rng.random() < 0.4:
            end = start + timedelta(days=rng.choice((0, 1, 5, 14, 30, 45, 70)))
        ext = tree["external"].get(subject)
        reason = None
        if ext is not None and start < ext + timedelta(days=366):  # the one-year rule
            reason = "Follow-up asked by the agency"
        elif rng.random() < 0.05:
            reason = "Planned with the agency"
        officers = tree["officers"].get(subject, [])
        responsible = rng.choice(officers) if officers and rng.random() < 0.3 else None
        last = end or start + timedelta(days=60)
        earlier = periods.setdefault((subject, obj), [])
        duplicate = ("Second analysis asked by the agency"
                     if any(a <= last and start <= b for a, b in earlier) else None)
        earlier.append((start, last))
        rows.append(planning_bulk.AnalysisRow(i + 2, subject, obj, start, end, reason, responsible,
                                    duplicate))
    return rows


def test_analysis_import_plans_every_stage_as_planning_each_row_does(db, db_url, make_ctx,
                                                                     calendar, tmp_path):
    ctx = make_ctx(TODAY, actor="cli:planner")
    special = special_days(calendar)
    tree = commit(db, lambda s: analysis_world(s, ctx))
    rows = analysis_rows(tree, special, N_ANALYSES)
    starts = Counter(special.get(r.start) for r in rows)
    # the draw reaches every kind of special day: holidays, weekend shifts, decree transfers
    assert {"holiday", "transfer", "worked_weekend"} <= set(starts), starts
    assert min(starts[k] for k in ("holiday", "transfer", "worked_weekend")) >= 20, starts
    planned = commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows))
    with another_database(db_url, tmp_path) as other:
        commit(other, lambda s: analysis_world(s, ctx))

        def one_by_one(s):
            return [planning_svc.plan_analysis(s, ctx, r.subject, r.object, r.start, r.end,
                                      r.override_reason, r.responsible, r.duplicate_reason)
                    for r in rows]

        singles = commit(other, one_by_one)
        bulk, single = stored(db), stored(other)
    assert [p.analysis.id for p in planned] == [p.analysis.id for p in singles]
    assert [p.warnings for p in planned] == [p.warnings for p in singles]
    codes = Counter(w["code"] for p in planned for w in p.warnings)
    assert set(codes) == {"too_long", "start_not_working", "external_overridden",
                          "duplicate_confirmed"}, codes
    states = Counter(c["state"] for c in bulk["cases"])  # planned, in progress and ended alike
    assert {"planned", "in_progress", "ended"} <= set(states), states
    assert len(bulk["stages"]) > 9 * N_ANALYSES
    assert_same(bulk, single)


# -- obligations --------------------------------------------------------------------------------


KINDS = ("central_body", "committee", "territorial_department", "akimat", "department",
         "district_akimat", "quasi_state")


def obligation_world(s, ctx) -> None:
    """Two organisations of each kind, an akimat's departments under it; every third without
    an officer."""
    rng = random.Random(SEED + 2)
    n = 0
    for kind in KINDS:
        for i in range(2):
            code = f"{kind[:3].upper()}{i}"
            parent = "AKI0" if kind == "department" else None
            svc.add_org(s, ctx, code, f"Organisation {code}", kind, parent)
            n += 1
            if n % 3:
                svc.add_user(s, ctx, f"officer-{code}", f"Officer {code}", "officer", code)
            if rng.random() < 0.5:  # a second, later officer: the first one stays responsible
                svc.add_user(s, ctx, f"deputy-{code}", f"Deputy {code}", "officer", code)


def sync_days(calendar) -> list[tuple[date, date | None]]:
    """Days the worker syncs on, in order, over 2024-2028 (some on a special day), some with a
    --through a few months ahead."""
    rng = random.Random(SEED + 3)
    special = special_days(calendar)
    days = sorted({random_day(rng, special) for _ in range(5)} | {date(2024, 1, 10)})
    days = [d for d in days if d.year >= 2024]
    return [(d, d + timedelta(days=rng.choice((60, 200))) if rng.random() < 0.4 else None)
            for d in days]


def test_obligations_sync_in_bulk_opens_what_opening_each_case_opens(db, db_url, calendar,
                                                                     tmp_path):
    registry = load_registry()
    assert len(registry.recurring()) >= 10
    days = sync_days(calendar)

    def ctx(today):
        return svc.Context(calendar, registry, today, actor="worker", language="en")

    commit(db, lambda s: obligation_world(s, ctx(days[0][0])))
    with another_database(db_url, tmp_path) as other:
        commit(other, lambda s: obligation_world(s, ctx(days[0][0])))
        opened = {"bulk": [], "single": []}
        for today, through in days:
            for eng, label in ((db, "bulk"), (other, "single")):
                with open_session(eng) as s:
                    opened[label].append(obligations.sync(s, ctx(today), through,
                                                          one_by_one=label == "single"))
                    s.commit()
        bulk, single = stored(db), stored(other)
    assert opened["bulk"] == opened["single"]
    assert all(opened["bulk"])  # every sync opened something
    total = sum(len(o) for o in opened["bulk"])
    assert total == len(bulk["cases"]) >= 700, total
    processes = Counter(c["process"] for c in bulk["cases"])
    assert set(processes) == {d.key for d in registry.recurring()}, processes
    assert_same(bulk, single)
    # a second sync on the last day opens nothing, on either side
    with open_session(db) as s:
        assert obligations.sync(s, ctx(days[-1][0]), days[-1][1]) == []


def test_two_syncs_at_once_open_each_case_once(db, calendar):
    """Two workers syncing at the same moment: the second waits for the first's lock, then
    finds its cases open; neither fails, every case is opened once, the chain verifies."""
    import threading

    registry = load_registry()
    today = date(2026, 11, 22)
    ctx = svc.Context(calendar, registry, today, actor="worker", language="en")
    commit(db, lambda s: obligation_world(s, ctx))
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with open_session(db) as s:
                start.wait()
                results.append(obligations.sync(s, ctx))
                s.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r) for r in results)[0] == 0 and sum(len(r) for r in results) > 100
    data = stored(db)
    keys = [(c["process"], c["subject_id"], c["period"]) for c in data["cases"]]
    assert len(keys) == len(set(keys)) == sum(len(r) for r in results)
