"""Bulk planning gives exactly the due dates of the one-by-one path, on random
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

import dataclasses
import random
from collections import Counter
from datetime import date, timedelta

import pytest

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import another_database, commit, row_choices
from tests.support.bulk_helpers import stored as bulk_stored
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.planning import bulk as planning_bulk
from workflow.planning import service as planning_svc
from workflow.services import obligations
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import Case

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
    """What planning left behind (`bulk_helpers.stored`, with the obligations' syncs), its
    audit chain verified."""
    with open_session(eng) as s:
        assert audit.verify(s).ok
    return bulk_stored(eng, ("case.open", "obligations.sync"))


def assert_same(bulk: dict, single: dict) -> None:
    assert len(bulk["cases"]) == len(single["cases"])
    for one, other in zip(bulk["cases"], single["cases"], strict=True):
        assert one == other
    assert len(bulk["stages"]) == len(single["stages"])
    for one, other in zip(bulk["stages"], single["stages"], strict=True):
        assert one == other
    assert bulk["programmes"] == single["programmes"]
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
        follow_up = ext is not None and start < ext + timedelta(days=366)  # the one-year rule
        reason, responsible, duplicate = row_choices(rng, tree, periods, subject, obj, start, end,
                                                     follow_up)
        rows.append(planning_bulk.AnalysisRow(i + 2, subject, obj, start, end, reason, responsible,
                                              duplicate))
    return rows


@dataclasses.dataclass(frozen=True)
class Reference:
    """What the one-by-one path left in a fresh database: what it returned (the analyses' ids
    and warnings; the cases each sync opened), what `stored` reads and, for the analyses, every
    20th case as its page shows it (`case_views`)."""

    returned: list
    stored: dict
    views: list = dataclasses.field(default_factory=list)


def case_views(eng, ctx, ids: list[int]) -> list[tuple]:
    """(named dates, stages, state) of every 20th of the cases, as the case page shows them."""
    with open_session(eng) as s:
        return [(v.dates, v.stages, v.state) for v in
                (svc.case_view(s, ctx, s.get(Case, cid)) for cid in ids[::20])]


def planned_one_by_one(s, ctx, rows: list[planning_bulk.AnalysisRow]) -> list[tuple]:
    """(analysis id, warnings) of each row planned through `plan_analysis`, in row order."""
    return [(p.analysis.id, p.warnings) for p in (
        planning_svc.plan_analysis(s, ctx, r.subject, r.object, r.start, r.end,
                                   r.override_reason, r.responsible, r.duplicate_reason)
        for r in rows)]


def sqlite_database(tmp_path_factory):
    """A fresh, migrated SQLite database (a copy of the template), as an engine."""
    return another_database("sqlite://", tmp_path_factory.mktemp("one-by-one"))


@pytest.fixture(scope="module")
def analyses_one_by_one(tmp_path_factory, calendar, definition) -> Reference:
    """The N_ANALYSES rows planned one by one, once per test process, in a fresh SQLite
    database: the reference both backends' bulk imports are compared with. It depends on the
    rows and the world only (its ids too: each side starts from the same fresh template and
    allocates ids in the same order), so planning it again on each backend compared the same
    values at ~15 s of CPU on SQLite and ~25 s on PostgreSQL (one query after another). The
    test's own backend still plans the rows' first PREFIX one by one (a row's plan depends on
    the rows before it only) and must match the reference's."""
    ctx = svc.Context(calendar, definition, TODAY, actor="cli:planner", language="en")
    with sqlite_database(tmp_path_factory) as eng:
        tree = commit(eng, lambda s: analysis_world(s, ctx))
        rows = analysis_rows(tree, special_days(calendar), N_ANALYSES)
        returned = commit(eng, lambda s: planned_one_by_one(s, ctx, rows))
        return Reference(returned, stored(eng),
                         case_views(eng, ctx, [case_id for case_id, _ in returned]))


PREFIX = 150  # analysis rows planned one by one on the test's own backend too


def test_analysis_import_plans_every_stage_as_planning_each_row_does(
        db, db_url, make_ctx, calendar, tmp_path, analyses_one_by_one):
    ctx = make_ctx(TODAY, actor="cli:planner")
    special = special_days(calendar)
    tree = commit(db, lambda s: analysis_world(s, ctx))
    rows = analysis_rows(tree, special, N_ANALYSES)
    starts = Counter(special.get(r.start) for r in rows)
    # the draw reaches every kind of special day: holidays, weekend shifts, decree transfers
    assert {"holiday", "transfer", "worked_weekend"} <= set(starts), starts
    assert min(starts[k] for k in ("holiday", "transfer", "worked_weekend")) >= 20, starts
    planned = commit(db, lambda s: planning_bulk.plan_analyses(s, ctx, rows))
    single = analyses_one_by_one
    bulk = stored(db)
    assert [(p.analysis.id, p.warnings) for p in planned] == single.returned
    codes = Counter(w["code"] for p in planned for w in p.warnings)
    assert set(codes) == {"too_long", "start_not_working", "external_overridden",
                          "duplicate_confirmed"}, codes
    states = Counter(c["state"] for c in bulk["cases"])  # planned, in progress and ended alike
    assert {"planned", "in_progress", "ended"} <= set(states), states
    assert len(bulk["stages"]) > 9 * N_ANALYSES
    assert len(bulk["programmes"]) >= len(tree["subjects"])  # each subject's years, compared too
    assert len(single.views) == -(-N_ANALYSES // 20)
    assert_same(bulk, single.stored)
    assert case_views(db, ctx, [p.analysis.id for p in planned]) == single.views
    if db_url.startswith("sqlite"):
        return  # the reference was planned one by one on SQLite
    with another_database(db_url, tmp_path) as other:  # one by one on this backend too
        commit(other, lambda s: analysis_world(s, ctx))
        prefix = commit(other, lambda s: planned_one_by_one(s, ctx, rows[:PREFIX]))
        assert prefix == single.returned[:PREFIX]
        assert stored(other)["cases"] == single.stored["cases"][:PREFIX]
        views = case_views(other, ctx, [case_id for case_id, _ in prefix])
        assert views == single.views[:len(views)]


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


def synced_one_by_one(eng, ctx, days) -> list[list[dict]]:
    """Each day's sync through `open_case` for each case (the one-by-one path) in `eng`, in
    which `obligation_world` was built: the cases each sync opened."""
    opened = []
    for today, through in days:
        with open_session(eng) as s:
            opened.append(obligations.sync(s, ctx(today), through, one_by_one=True))
            s.commit()
    return opened


def obligation_ctx(calendar, registry):
    def ctx(today):
        return svc.Context(calendar, registry, today, actor="worker", language="en")

    return ctx


@pytest.fixture(scope="module")
def obligations_one_by_one(tmp_path_factory, calendar) -> Reference:
    """The syncs of `sync_days` opened one case after another, once per test process, in a
    fresh SQLite database: the reference of both backends' bulk syncs (as for the analyses,
    the same values on any backend, ids included; the test's own backend still opens the
    first day's cases one by one and must match)."""
    ctx, days = obligation_ctx(calendar, load_registry()), sync_days(calendar)
    with sqlite_database(tmp_path_factory) as eng:
        commit(eng, lambda s: obligation_world(s, ctx(days[0][0])))
        return Reference(synced_one_by_one(eng, ctx, days), stored(eng))


def test_obligations_sync_in_bulk_opens_what_opening_each_case_opens(
        db, db_url, calendar, tmp_path, obligations_one_by_one):
    registry = load_registry()
    assert len(registry.recurring()) >= 10
    days = sync_days(calendar)
    ctx = obligation_ctx(calendar, registry)
    commit(db, lambda s: obligation_world(s, ctx(days[0][0])))
    opened = []
    for today, through in days:
        with open_session(db) as s:
            opened.append(obligations.sync(s, ctx(today), through))
            s.commit()
    single = obligations_one_by_one
    bulk = stored(db)
    assert opened == single.returned
    assert all(opened)  # every sync opened something
    total = sum(len(o) for o in opened)
    assert total == len(bulk["cases"]) >= 700, total
    processes = Counter(c["process"] for c in bulk["cases"])
    assert set(processes) == {d.key for d in registry.recurring()}, processes
    assert_same(bulk, single.stored)
    # a second sync on the last day opens nothing, on either side
    with open_session(db) as s:
        assert obligations.sync(s, ctx(days[-1][0]), days[-1][1]) == []
    if db_url.startswith("sqlite"):
        return  # the reference was opened one by one on SQLite
    with another_database(db_url, tmp_path) as other:  # one by one on this backend too
        commit(other, lambda s: obligation_world(s, ctx(days[0][0])))
        assert synced_one_by_one(other, ctx, days[:1]) == single.returned[:1]


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
