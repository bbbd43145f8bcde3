"""Benchmark of the engine at national scale: planning a year, then the overdue and due queries.

Run from the repository root:

    /tmp/venv/bin/python bench/engine/run.py --backend sqlite|postgres|both \
        [--analyses 20000] [--stage-rows 1000000] [--json PATH] [--profile]

For each backend, in a fresh database (a SQLite file in a temporary directory; a
PostgreSQL schema of its own, dropped at the end):

1. A national tree of organisations, built with `services.add_org` (the real code
   path, audit records included): 20 central bodies (the ministries) with their
   committees, the committees' territorial departments in the 20 regions (17 oblasts
   and the 3 cities of republican significance) and a few national quasi-state
   companies; 20 regional akimats, each with its departments, its district akimats
   (each with departments of its own) and regional quasi-state companies. Every
   organisation gets one officer (`services.add_user`); 5 % of them an external
   analysis in 2024 (`services.add_external`), so the one-year rule finds a row.
2. A national year: `--analyses` analyses planned with `services.plan_analysis`
   (the real calendar and process definition), planned starts spread over the
   working days of 2026 (fixed seed), 30 % with an explicit shorter end; then the
   events an officer would have recorded by "today" (2026-09-15) through
   `services.record_event`: most on time, some late, some never (the stage stays
   open and becomes overdue), a few analyses cancelled. Both passes commit every
   `--batch` analyses.
3. `services.overdue` and `services.due_within(within=5)` for the whole country and
   for one regional akimat, each in a fresh session: one warm-up call, then the best
   and median of `--repeats` timed calls, with the rows returned and the SQL
   statements the call sent.
4. History up to `--stage-rows` stage rows in all: earlier years' analyses (the same
   subjects and objects, years 2025, 2024, ...) and their stages inserted with
   SQLAlchemy core in batches — due dates from the real deadline rules, statuses
   mostly done, a small backlog left open (overdue) and cancelled ones not
   applicable; every stage row carries its analysis's id and its subject's path.
   Then ANALYZE, the same queries again, and the plan of the region overdue query
   (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL), both the SELECT
   the service sends and the bare SELECT on the stage table.

`--profile` runs cProfile (timer: process CPU time) over the planning and the event
passes (their timings are then inflated by the profiler) and prints the top functions.
`--render A.json B.json` prints the tables of earlier `--json` runs side by side.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.core import monitoring as mon  # noqa: E402
from workflow.core.deadlines import Facts, default_end, plan_stages  # noqa: E402
from workflow.core.definition import Definition, load_definition  # noqa: E402
from workflow.storage.db import make_engine, session, upgrade  # noqa: E402
from workflow.storage.models import (  # noqa: E402
    DONE_LATE,
    DONE_ON_TIME,
    NOT_APPLICABLE,
    OPEN,
    Analysis,
    AuditRecord,
    EventRecord,
    MonitoringReport,
    Organisation,
    Programme,
    Stage,
    User,
)

TODAY = date(2026, 9, 15)
YEAR = 2026
SEED = 20261122
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REGION = "AK-R04"  # the akimat of Almaty region
DOC = {"number": "15-ө", "signed_by": "Head of apparatus", "note": "Reorganisation",
       "url": "https://www.gov.kz/memleket/entities/demo/press/news/details/1"}

# -- the national tree --------------------------------------------------------------------

REGIONS = [  # 17 oblasts and 3 cities of republican significance (city: no district akimats)
    ("Abai region", False), ("Akmola region", False), ("Aktobe region", False),
    ("Almaty region", False), ("Atyrau region", False), ("West Kazakhstan region", False),
    ("Jambyl region", False), ("Jetisu region", False), ("Karaganda region", False),
    ("Kostanay region", False), ("Kyzylorda region", False), ("Mangystau region", False),
    ("Pavlodar region", False), ("North Kazakhstan region", False), ("Turkistan region", False),
    ("Ulytau region", False), ("East Kazakhstan region", False), ("Astana", True),
    ("Almaty", True), ("Shymkent", True),
]
MINISTRIES = [  # name, committees (the first `territorial` have departments in every region)
    ("Finance", 4, 3), ("National Economy", 2, 1), ("Justice", 3, 2), ("Health", 3, 2),
    ("Education", 3, 2), ("Internal Affairs", 5, 3), ("Agriculture", 4, 3), ("Energy", 3, 1),
    ("Industry and Construction", 4, 3), ("Transport", 3, 2), ("Labour and Social Protection", 3, 2),
    ("Culture and Information", 3, 1), ("Ecology and Natural Resources", 4, 3),
    ("Digital Development", 3, 1), ("Emergency Situations", 2, 2), ("Trade and Integration", 3, 2),
    ("Foreign Affairs", 1, 0), ("Defence", 2, 1), ("Tourism and Sport", 2, 1),
    ("Water Resources and Irrigation", 2, 2),
]
DEPARTMENTS = ["Education", "Health", "Finance", "Economy and Budget Planning", "Agriculture",
               "Energy and Housing", "Passenger Transport and Roads", "Construction",
               "Architecture and Urban Planning", "Land Relations", "Natural Resources",
               "Employment and Social Programmes", "Culture", "Sport", "Tourism",
               "Entrepreneurship and Industry", "Digitalisation", "State Procurement",
               "Internal Policy", "Youth Policy", "Veterinary", "Mobilisation Training"]
DISTRICT_DEPARTMENTS = ["education", "finance", "economy and budget planning", "agriculture",
                        "housing and utilities", "land relations", "employment and social "
                        "programmes", "culture and sport"]


@dataclass(frozen=True)
class OrgSpec:
    code: str
    kind: str
    parent: str | None
    name: str


def national_tree(rng: random.Random) -> list[OrgSpec]:
    """The organisations of the country, parents before children (deterministic for a seed)."""
    orgs: list[OrgSpec] = []
    for m, (ministry, committees, territorial) in enumerate(MINISTRIES, start=1):
        cb = f"CB{m:02d}"
        orgs.append(OrgSpec(cb, "central_body", None, f"Ministry of {ministry}"))
        for c in range(1, committees + 1):
            com = f"{cb}-C{c}"
            orgs.append(OrgSpec(com, "committee", cb, f"Committee {c} of the Ministry of {ministry}"))
            if c <= territorial:
                for r, (region, _city) in enumerate(REGIONS, start=1):
                    orgs.append(OrgSpec(f"{com}-R{r:02d}", "territorial_department", com,
                                        f"Department of committee {c} ({ministry}), {region}"))
        for q in range(1, 3):
            orgs.append(OrgSpec(f"{cb}-QS{q}", "quasi_state", cb,
                                f"National company {q} of the Ministry of {ministry} JSC"))
    for r, (region, city) in enumerate(REGIONS, start=1):
        ak = f"AK-R{r:02d}"
        orgs.append(OrgSpec(ak, "akimat", None, f"Akimat of {region}"))
        for d, dept in enumerate(rng.sample(DEPARTMENTS, rng.randint(17, 22)), start=1):
            orgs.append(OrgSpec(f"{ak}-D{d:02d}", "department", ak, f"{dept} Department, {region}"))
        for k in range(1, (rng.randint(4, 8) if city else rng.randint(8, 14)) + 1):
            dist = f"{ak}-DI{k:02d}"
            orgs.append(OrgSpec(dist, "district_akimat", ak, f"Akimat of district {k}, {region}"))
            for j, dept in enumerate(rng.sample(DISTRICT_DEPARTMENTS, rng.randint(5, 8)), start=1):
                orgs.append(OrgSpec(f"{dist}-D{j}", "department", dist,
                                    f"District {k} {dept} department, {region}"))
        for q in range(1, rng.randint(2, 4) + 1):
            orgs.append(OrgSpec(f"{ak}-QS{q}", "quasi_state", ak,
                                f"Regional company {q} of {region} JSC"))
    return orgs


# -- the simulated officers ------------------------------------------------------------------

CHAIN = ["order", "start_announcement", "analysis_start", "discussion_announcement",
         "public_discussion", "analysis_end", "analytic_note", "positions_list", "action_plan",
         "publication"]


STUCK_STATE = {  # the state of an analysis whose first open stage is the key
    "order": "planned", "start_announcement": "ordered", "discussion_announcement": "in_progress",
    "public_discussion": "discussion_announced", "analysis_end": "discussed",
    "analytic_note": "ended", "action_plan": "note_signed", "publication": "plan_approved",
    "positions_list": "published", "monitoring": "published"}


@dataclass
class PlanItem:
    subject: str
    obj: str
    start: date
    end: date | None
    events: list[tuple[str, date, dict[str, str]]] = field(default_factory=list)


def simulate_events(rng: random.Random, defn: Definition, cal: KazakhstanCalendar, start: date,
                    end: date) -> list[tuple[str, date, dict[str, str]]]:
    """What an officer records by TODAY: mostly on time, some late, some never.

    The chain of the analysis first; then, once the note is signed, the quarterly
    monitoring reports and their reviews whose dates have come.
    """
    planned = {"planned_start": start, "planned_end": end}
    recorded: dict[str, date] = {}
    out: list[tuple[str, date, dict[str, str]]] = []
    diligence = rng.random()  # a few officers are habitually late or stop recording
    p_late = 0.08 if diligence > 0.2 else 0.35
    p_stop = 0.01 if diligence > 0.1 else 0.08
    cancel_at = rng.randrange(len(CHAIN)) if rng.random() < 0.015 else None
    last = date.min
    for i, ev in enumerate(CHAIN):
        if i == cancel_at:
            on = max(last, cal.add_working_days(start, -rng.randint(5, 15)))
            if on <= TODAY:
                out.append(("cancel", on, {"note": DOC["note"]}))
            return out
        if ev == "analysis_start":
            due = start
        else:
            dues = plan_stages(defn, cal, Facts(planned, recorded))
            due = dues[ev].date
        optional = ev == "positions_list"
        roll = rng.random()
        if roll < (0.10 if optional else p_stop):
            if optional:
                continue
            break  # never recorded: the stage stays open and falls overdue
        if roll < p_stop + p_late:
            on = cal.add_working_days(due, rng.randint(1, 8))
        else:
            on = cal.add_working_days(due, -rng.randint(0, 3)) if rng.random() < 0.5 else due
        on = max(on, last)
        if on > TODAY:
            if optional:
                continue
            break  # not yet
        spec = defn.events[ev]
        out.append((ev, on, {k: DOC[k] for k in defn.requirements(spec)}))
        recorded[ev] = on
        if not optional:
            last = on
    note = recorded.get("analytic_note")
    if note is None or "monitoring_report" not in defn.events:
        return out
    years = int(defn.interpretations.get("monitoring_years", 1))
    how = defn.interpretations.get("roll", "following")
    for period in mon.periods(cal, note, years, how=how):
        if rng.random() < p_stop * 3:
            break  # the subdivisions' report never comes: overdue from here on
        received = (period.report_due + timedelta(days=rng.randint(1, 12))
                    if rng.random() < p_late else period.report_due - timedelta(days=rng.randint(0, 4)))
        received = max(received, note, period.end + timedelta(days=1))
        if received > TODAY:
            break
        out.append(("monitoring_report", received, {"period": period.label}))
        reviewed = cal.add_working_days(received, rng.randint(1, 5) if rng.random() > p_late
                                        else rng.randint(6, 12))
        if reviewed <= TODAY and rng.random() > p_stop:
            out.append(("monitoring_review", reviewed, {"period": period.label}))
    return out


# -- measuring ------------------------------------------------------------------------------


class StatementCounter:
    """Counts the SQL statements an engine sends (to show how many queries a call costs).

    On PostgreSQL it also knows the server processes of its connections, so that the CPU
    the server spent for us can be read from /proc (SQLite runs inside our process).
    """

    def __init__(self, engine: Engine):
        self.n = 0
        self.captured: list[tuple[str, Any]] = []
        self.capture_when: Callable[[str], bool] | None = None
        self.pids: set[int] = set()
        event.listen(engine, "before_cursor_execute", self._seen)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        self.pids.add(cur.fetchone()[0])
        cur.close()
        dbapi_conn.rollback()

    def server_ticks(self) -> dict[int, int]:
        ticks = {}
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                ticks[pid] = int(fields[11]) + int(fields[12])  # utime + stime
            except (OSError, IndexError, ValueError):
                pass
        return ticks

    def server_seconds_since(self, before: dict[int, int]) -> float:
        now = self.server_ticks()
        return sum(t - before.get(pid, 0) for pid, t in now.items()) / os.sysconf("SC_CLK_TCK")

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.n += 1
        if self.capture_when is not None and self.capture_when(statement):
            self.captured.append((statement, parameters))


def timed_calls(engine: Engine, counter: StatementCounter, fn: Callable[[Any], list],
                repeats: int) -> dict[str, Any]:
    """One warm-up call, then `repeats` timed calls, each in a fresh session.

    The warm-up call also captures the main SELECT (stage JOIN analysis JOIN organisation);
    it is then timed alone, through the driver, rows fetched as tuples: what the database
    costs, as against the whole call (ORM objects, per-row lookups, Python rows).
    """
    times, cpu, server, rows, statements = [], [], [], 0, 0
    for i in range(repeats + 1):
        if i == 0:
            counter.captured.clear()
            counter.capture_when = lambda sql: "FROM stage JOIN analysis" in sql
        with session(engine) as s:
            s.connection()  # check a connection out first, so that its server process is known
            before, ticks = counter.n, counter.server_ticks()
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                result = fn(s)
            finally:
                counter.capture_when = None
            elapsed, used = time.perf_counter() - t0, time.process_time() - c0
            statements = counter.n - before
            served = counter.server_seconds_since(ticks)
        rows = len(result)
        if i:
            times.append(elapsed)
            cpu.append(used)
            server.append(served)
    alone = []
    if counter.captured:
        statement, params = counter.captured[0]
        with engine.connect() as conn:
            for _ in range(repeats):
                t0 = time.perf_counter()
                conn.exec_driver_sql(statement, params).fetchall()
                alone.append(time.perf_counter() - t0)
    return {"rows": rows, "best_ms": min(times) * 1e3,
            "median_ms": statistics.median(times) * 1e3, "statements": statements,
            "cpu_median_ms": statistics.median(cpu) * 1e3,
            "server_cpu_mean_ms": statistics.mean(server) * 1e3,
            "select_alone_best_ms": min(alone) * 1e3 if alone else None,
            "all_ms": [t * 1e3 for t in times]}


@contextmanager
def profiled(enabled: bool, sink: dict[str, str], name: str) -> Iterator[None]:
    if not enabled:
        yield
        return
    prof = cProfile.Profile(time.process_time)  # CPU time: robust on a shared machine
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(30)
        sink[name] = out.getvalue()


# -- the run on one backend --------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str, pg_url: str) -> Iterator[tuple[str, str]]:
    """(url, label) of a fresh, migrated database; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="merzim-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            eng = make_engine(url)
            upgrade(eng)
            eng.dispose()
            yield url, str(Path(tmp) / "bench.db")
        return
    schema = f"merzim_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    try:
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def count(s, model) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


def status_mix(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Stage.status, Stage.due_date, func.count())
                            .where(Stage.analysis_id.is_not(None))
                            .group_by(Stage.status, Stage.due_date)).all()
    mix: Counter[str] = Counter()
    for status, due, n in rows:
        mix["overdue" if status == OPEN and due is not None and due < TODAY else
            "open, not yet due" if status == OPEN else status] += n
    return dict(mix)


def queries(engine: Engine, counter: StatementCounter, ctx: svc.Context,
            repeats: int) -> dict[str, dict[str, Any]]:
    return {
        "overdue, whole country": timed_calls(
            engine, counter, lambda s: svc.overdue(s, ctx, None), repeats),
        f"overdue, region {REGION}": timed_calls(
            engine, counter, lambda s: svc.overdue(s, ctx, REGION), repeats),
        "due within 5 wd, whole country": timed_calls(
            engine, counter, lambda s: svc.due_within(s, ctx, None, within=5), repeats),
        f"due within 5 wd, region {REGION}": timed_calls(
            engine, counter, lambda s: svc.due_within(s, ctx, REGION, within=5), repeats),
    }


def build_tree(engine: Engine, ctx: svc.Context, rng: random.Random,
               batch: int) -> tuple[list[OrgSpec], dict[str, list[str]]]:
    specs = national_tree(rng)
    children: dict[str, list[str]] = {}
    for i in range(0, len(specs), batch):
        with session(engine) as s:
            for o in specs[i:i + batch]:
                svc.add_org(s, ctx, o.code, o.name, o.kind, o.parent,
                            name_kk=f"{o.name} (kk)", name_ru=f"{o.name} (ru)")
                svc.add_user(s, ctx, f"officer.{o.code.lower()}", f"Officer of {o.code}",
                             "officer", o.code, f"officer.{o.code.lower()}@example.kz",
                             rng.choice(("kk", "kk", "ru", "en")))
                if o.parent is None:
                    svc.add_user(s, ctx, f"manager.{o.code.lower()}", f"Manager of {o.code}",
                                 "manager", o.code, None, "ru")
                if rng.random() < 0.05:
                    svc.add_external(s, ctx, o.code, date(2024, rng.randint(1, 12), 10),
                                     "External analysis, Anti-Corruption Agency")
            s.commit()
        for o in specs[i:i + batch]:
            if o.parent:
                children.setdefault(o.parent, []).append(o.code)
    return specs, children


def plan_items(rng: random.Random, ctx: svc.Context, specs: list[OrgSpec],
               children: dict[str, list[str]], n: int) -> list[PlanItem]:
    cal, defn = ctx.calendar, ctx.definition
    first, last = date(YEAR, 1, 12), date(YEAR, 12, 10)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    items = []
    for _ in range(n):
        subject = rng.choice(specs).code
        kids = children.get(subject)
        obj = rng.choice(kids) if kids and rng.random() < 0.3 else subject
        start = rng.choice(working)
        end = (cal.add_working_days(start, rng.randint(14, 28)) if rng.random() < 0.3 else None)
        real_end = end or default_end(cal, start, 30)
        items.append(PlanItem(subject, obj, start, end,
                              simulate_events(rng, defn, cal, start, real_end)))
    return items


def past_analysis(rng: random.Random, cal: KazakhstanCalendar, defn: Definition, keys: list[str],
                  start: date, end: date, due: dict[str, date], backlog: float,
                  ) -> tuple[str, list[tuple], list[tuple]]:
    """An analysis of an earlier year: its state, stages (key, due, status, done_on) and reports.

    1.5 % were cancelled (the rest of their stages not applicable) and 1 % stopped at some
    stage (open from there: the overdue backlog); the others went through, 15 % of stages
    late. After the note, quarterly monitoring: each report due by TODAY came in (but a
    `backlog` share never did) and was reviewed; later ones are open, not yet due.
    """
    fate = rng.random()
    main = [k for k in keys if k in due]  # the stages with a due rule, in order
    stuck_at = rng.randrange(len(main)) if fate < 0.025 else len(main)
    stages: list[tuple] = []
    done: dict[str, date] = {}
    for i, key in enumerate(main):
        d = due[key]
        if i < stuck_at:
            late = rng.random() < 0.15
            on = d + timedelta(days=rng.randint(1, 10)) if late else d - timedelta(
                days=rng.randint(0, 3))
            stages.append((key, d, DONE_LATE if late else DONE_ON_TIME, on))
            done[key] = on
        else:
            stages.append((key, d, NOT_APPLICABLE if fate < 0.015 else OPEN, None))
    reports: list[tuple] = []
    complete = stuck_at == len(main)
    note = done.get("analytic_note")
    if note is not None and fate >= 0.015 and "monitoring_report" in defn.events:
        for period in mon.periods(cal, note, int(defn.interpretations.get("monitoring_years", 1)),
                                  how=defn.interpretations.get("roll", "following")):
            rdue = period.report_due
            if rdue >= TODAY or rng.random() < backlog:
                stages.append((f"monitoring_report:{period.label}", rdue, OPEN, None))
                reports.append((period.label, None, None))
                complete = False
                continue
            received = max(rdue - timedelta(days=rng.randint(0, 4)), period.end + timedelta(days=1))
            stages.append((f"monitoring_report:{period.label}", rdue, DONE_ON_TIME, received))
            rv_due = mon.review_due(cal, received)
            reviewed = cal.add_working_days(received, rng.randint(1, 5))
            if reviewed < TODAY:
                stages.append((f"monitoring_review:{period.label}", rv_due, DONE_ON_TIME,
                               reviewed))
            else:
                stages.append((f"monitoring_review:{period.label}", rv_due, OPEN, None))
                reviewed, complete = None, False
            reports.append((period.label, received, reviewed))
    for key in keys:
        if key not in due:  # the stage without a due date: monitoring, closed by its note
            closed = complete and fate >= 0.015
            stages.append((key, None, DONE_ON_TIME if closed else
                           NOT_APPLICABLE if fate < 0.015 else OPEN,
                           max(d for _k, d, _s, _o in stages if d) if closed else None))
    if fate < 0.015:
        state = "cancelled"
    elif stuck_at < len(main):
        state = STUCK_STATE.get(main[stuck_at], "published")
    else:
        state = "closed" if complete and "closed" in defn.states else "published"
    return state, stages, reports


def history(engine: Engine, ctx: svc.Context, rng: random.Random, target: int,
            batch_rows: int) -> dict[str, Any]:
    """Insert earlier years' analyses and their stages until the stage table holds `target` rows."""
    cal, defn = ctx.calendar, ctx.definition
    keys = list(defn.stages)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Stage)).scalar_one()
        templates = conn.execute(select(Analysis.subject_id, Analysis.object_id,
                                        Analysis.responsible_id).order_by(Analysis.id)).all()
        paths = dict(conn.execute(select(Organisation.id, Organisation.path)).all())
        next_analysis = conn.execute(select(func.max(Analysis.id))).scalar_one() + 1
        next_programme = conn.execute(select(func.max(Programme.id))).scalar_one() + 1
    need = target - have
    if need <= 0:
        return {"inserted": 0, "seconds": 0.0, "analyses": 0, "programmes": 0, "years": []}

    @cache
    def dues(start: date) -> tuple[date, dict[str, date]]:
        end = default_end(cal, start, 30)
        return end, {k: d.date for k, d in plan_stages(
            defn, cal, Facts({"planned_start": start, "planned_end": end}, {})).items()}

    created = "2025-01-01T00:00:00.000000+00:00"
    tables = {"programme": Programme.__table__, "analysis": Analysis.__table__,
              "stage": Stage.__table__, "monitoring_report": MonitoringReport.__table__}
    inserted = n_analyses = n_programmes = n_reports = 0
    rows: dict[str, list[dict]] = {name: [] for name in tables}

    def flush() -> None:
        with engine.begin() as conn:
            for name, table in tables.items():  # parents first
                if rows[name]:
                    conn.execute(table.insert(), rows[name])
                    rows[name].clear()

    years: list[int] = []
    t0 = time.perf_counter()
    year = YEAR
    while inserted < need:
        year -= 1
        years.append(year)
        working = [d for d in (date(year, 1, 12) + timedelta(days=i) for i in range(330))
                   if cal.is_working_day(d)]
        programmes: dict[int, int] = {}
        for subject_id, object_id, responsible_id in templates:
            if inserted >= need:
                break
            path = paths[subject_id]
            if subject_id not in programmes:
                programmes[subject_id] = next_programme
                rows["programme"].append({"id": next_programme, "subject_id": subject_id,
                                          "year": year})
                rows["stage"].append({"analysis_id": None, "programme_id": next_programme,
                                      "key": "schedule", "subject_id": subject_id,
                                      "subject_path": path, "due_date": None, "projected": False,
                                      "status": DONE_ON_TIME, "done_on": date(year, 1, 10),
                                      "evidence": {"number": "1-ө"}})
                next_programme += 1
                n_programmes += 1
                inserted += 1
            start = rng.choice(working)
            end, due = dues(start)
            state, stages, reports = past_analysis(rng, cal, defn, keys, start, end, due,
                                                   0.03 if year == YEAR - 1 else 0.01)
            aid = next_analysis
            next_analysis += 1
            n_analyses += 1
            rows["analysis"].append({
                "id": aid, "definition": defn.key, "programme_id": programmes[subject_id],
                "subject_id": subject_id, "object_id": object_id, "planned_start": start,
                "planned_end": end, "actual_start": start,
                "actual_end": end if state in ("published", "closed") else None, "state": state,
                "responsible_id": responsible_id, "override_reason": None,
                "cancel_reason": "Reorganisation" if state == "cancelled" else None,
                "created_at": created})
            for key, d, status, done_on in stages[:need - inserted]:
                rows["stage"].append({
                    "analysis_id": aid, "programme_id": None, "key": key,
                    "subject_id": subject_id, "subject_path": path, "due_date": d,
                    "projected": False, "status": status, "done_on": done_on,
                    "evidence": {"date": done_on.isoformat(), "number": "15-ө"} if done_on
                    else None})
                inserted += 1
            for period, received, reviewed in reports:
                rows["monitoring_report"].append({"analysis_id": aid, "external_id": None,
                                                  "period": period, "received_on": received,
                                                  "reviewed_on": reviewed})
                n_reports += 1
            if len(rows["stage"]) >= batch_rows:
                flush()
        flush()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("analysis", "programme"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return {"inserted": inserted, "seconds": time.perf_counter() - t0, "analyses": n_analyses,
            "programmes": n_programmes, "monitoring_reports": n_reports, "years": years}


def analyze(engine: Engine) -> float:
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            for table in ("organisation", "app_user", "programme", "analysis", "stage",
                          "event_record", "audit_log"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    return time.perf_counter() - t0


def plans(engine: Engine, counter: StatementCounter, ctx: svc.Context) -> dict[str, str]:
    """Plans: the SELECT `overdue(region)` sends, and the bare stage SELECTs (region, root)."""
    counter.captured.clear()
    counter.capture_when = lambda sql: "FROM stage JOIN analysis" in sql
    try:
        with session(engine) as s:
            svc.overdue(s, ctx, REGION)
    finally:
        counter.capture_when = None
    statement, params = counter.captured[0]
    with session(engine) as s:
        lo, hi = svc.subtree_range(svc.get_org(s, REGION))
    overdue = (Stage.status == OPEN, Stage.due_date < TODAY)
    bare = {
        "region stage SELECT": select(Stage.id, Stage.due_date).where(
            *overdue, Stage.subject_path >= lo, Stage.subject_path < hi),
        "root stage SELECT": select(Stage.id, Stage.due_date).where(*overdue),
    }
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "

    def explain(conn, sql: str, args: Any = None) -> str:
        rows = conn.exec_driver_sql(prefix + sql, args).all() if args is not None else \
            conn.exec_driver_sql(prefix + sql).all()
        return _sqlite_plan(rows) if sqlite else "\n".join(r[0] for r in rows)

    out = {"service SQL": statement, "service params": repr(params)}
    with engine.connect() as conn:
        out["service SELECT"] = explain(conn, statement, params)
        for name, stmt in bare.items():
            sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            out[name.replace("SELECT", "SQL")] = sql
            out[name] = explain(conn, sql)
    return out


def try_index(engine: Engine, counter: StatementCounter, ctx: svc.Context,
              repeats: int) -> dict[str, Any]:
    """Not a product change: an index (status, subject_path, due_date) in this database only."""
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_bench_status_path_due "
                             "ON stage (status, subject_path, due_date)")
    created = time.perf_counter() - t0
    analyze(engine)
    res: dict[str, Any] = {"create_s": created, "queries": {
        f"overdue, region {REGION}": timed_calls(
            engine, counter, lambda s: svc.overdue(s, ctx, REGION), repeats),
        f"due within 5 wd, region {REGION}": timed_calls(
            engine, counter, lambda s: svc.due_within(s, ctx, REGION, within=5), repeats),
    }}
    res["plans"] = plans(engine, counter, ctx)
    return res


def _sqlite_plan(rows) -> str:
    depth: dict[int, int] = {0: 0}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        lines.append("  " * (depth[node] - 1) + "|-- " + detail)
    return "\n".join(lines)


def sizes(engine: Engine, label: str) -> dict[str, str]:
    if engine.dialect.name == "sqlite":
        return {"database file": f"{Path(label).stat().st_size / 2**20:.0f} MiB"}
    with engine.connect() as conn:
        table = conn.execute(text("SELECT pg_table_size('stage')")).scalar_one()
        index = conn.execute(text("SELECT pg_indexes_size('stage')")).scalar_one()
        total = conn.execute(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE n.nspname = current_schema() AND c.relkind = 'r'")
                             ).scalar_one()
    return {"stage table": f"{table / 2**20:.0f} MiB", "stage indexes": f"{index / 2**20:.0f} MiB",
            "schema total": f"{total / 2**20:.0f} MiB"}


def run_backend(backend: str, a: argparse.Namespace, cal: KazakhstanCalendar,
                defn: Definition) -> dict[str, Any]:
    rng = random.Random(a.seed)
    ctx = svc.Context(cal, defn, TODAY, actor="bench", language="en")
    res: dict[str, Any] = {"backend": backend, "load_before": os.getloadavg()}
    profiles: dict[str, str] = {}
    started = time.perf_counter()
    with fresh_database(backend, a.postgres_url) as (url, label):
        engine = make_engine(url)
        counter = StatementCounter(engine)
        with engine.connect() as conn:
            res["server"] = (f"SQLite {sqlite3.sqlite_version}" if backend == "sqlite" else
                             conn.execute(text("SHOW server_version")).scalar_one())
        log(f"[{backend}] building the tree")
        ticks, c0, t0 = counter.server_ticks(), time.process_time(), time.perf_counter()
        specs, children = build_tree(engine, ctx, rng, a.batch)
        res["tree_s"], res["tree_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
        res["tree_server_cpu_s"] = counter.server_seconds_since(ticks)
        items = plan_items(rng, ctx, specs, children, a.analyses)

        log(f"[{backend}] planning {len(items)} analyses")
        ids: list[int] = []
        warnings: Counter[str] = Counter()
        before, ticks = counter.n, counter.server_ticks()
        c0, t0 = time.process_time(), time.perf_counter()
        with profiled(a.profile, profiles, "planning"):
            for i in range(0, len(items), a.batch):
                with session(engine) as s:
                    for it in items[i:i + a.batch]:
                        planned = svc.plan_analysis(s, ctx, it.subject, it.obj, it.start, it.end)
                        ids.append(planned.analysis.id)
                        warnings.update(w["code"] for w in planned.warnings)
                    s.commit()
                if (i // a.batch) % 20 == 19:
                    log(f"  {i + a.batch} planned, {time.perf_counter() - t0:.0f} s")
        res["planning_s"], res["planning_cpu_s"] = (time.perf_counter() - t0,
                                                    time.process_time() - c0)
        res["planning_server_cpu_s"] = counter.server_seconds_since(ticks)
        res["planning_statements"] = counter.n - before
        res["warnings"] = dict(warnings)

        n_events = sum(len(it.events) for it in items)
        log(f"[{backend}] recording {n_events} events")
        before, ticks = counter.n, counter.server_ticks()
        c0, t0 = time.process_time(), time.perf_counter()
        with profiled(a.profile, profiles, "events"):
            for i in range(0, len(items), a.batch):
                with session(engine) as s:
                    for aid, it in zip(ids[i:i + a.batch], items[i:i + a.batch], strict=True):
                        for ev, on, evidence in it.events:
                            svc.record_event(s, ctx, aid, ev, on, evidence)
                    s.commit()
                if (i // a.batch) % 20 == 19:
                    log(f"  events of {i + a.batch} analyses, {time.perf_counter() - t0:.0f} s")
        res["events_s"], res["events_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
        res["events_server_cpu_s"] = counter.server_seconds_since(ticks)
        res["events_statements"] = counter.n - before
        res["events"] = n_events
        res["events_by_kind"] = dict(Counter(ev for it in items for ev, _o, _e in it.events))
        with engine.connect() as conn:
            res["monitoring_stages"] = conn.execute(
                select(func.count()).select_from(Stage).where(Stage.key.like("monitoring_%"))
            ).scalar_one()

        with session(engine) as s:
            res["rows"] = {"organisations": count(s, Organisation), "users": count(s, User),
                           "programmes": count(s, Programme), "analyses": count(s, Analysis),
                           "stages": count(s, Stage), "events": count(s, EventRecord),
                           "audit records": count(s, AuditRecord)}
        res["status_mix"] = status_mix(engine)
        log(f"[{backend}] queries at {res['rows']['stages']} stage rows")
        res["queries_small"] = queries(engine, counter, ctx, a.repeats)

        if a.stage_rows > res["rows"]["stages"]:
            log(f"[{backend}] history up to {a.stage_rows} stage rows")
            res["history"] = history(engine, ctx, rng, a.stage_rows, a.bulk_batch)
            res["analyze_s"] = analyze(engine)
            with session(engine) as s:
                res["rows_big"] = {"analyses": count(s, Analysis), "stages": count(s, Stage)}
            res["status_mix_big"] = status_mix(engine)
            log(f"[{backend}] queries at {res['rows_big']['stages']} stage rows")
            res["queries_big"] = queries(engine, counter, ctx, a.repeats)
        else:
            res["analyze_s"] = analyze(engine)
        res["plans"] = plans(engine, counter, ctx)
        res["sizes"] = sizes(engine, label)
        if a.try_index:
            log(f"[{backend}] trying an index (status, subject_path, due_date)")
            res["try_index"] = try_index(engine, counter, ctx, a.repeats)
        res["profiles"] = profiles
        res["load_after"] = os.getloadavg()
        res["wall_s"] = time.perf_counter() - started
        engine.dispose()
    return res


# -- machine and output ------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
            mem = f"{kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return {"platform": platform.platform(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "memory": mem,
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "sqlite": sqlite3.sqlite_version, "sqlalchemy": package_version("sqlalchemy"),
            "sqlmodel": package_version("sqlmodel"), "psycopg": package_version("psycopg")}


def code_version() -> str:
    """The commit of the code measured (and whether workflow/ or calendars/ differ from it)."""
    snapshot = ROOT / "COMMIT"  # written by whoever exported a commit to run it unchanged
    if snapshot.is_file():
        return f"{snapshot.read_text().strip()[:12]} (exported snapshot of the commit)"
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--",
                                "workflow", "calendars"], capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes in workflow/ or calendars/" if dirty else "")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def markdown(results: list[dict[str, Any]], a: argparse.Namespace, m: dict[str, Any]) -> str:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    heads = [names[r["backend"]] for r in results]

    def table(title: str, rows: list[tuple[str, list[str]]]) -> list[str]:
        out = [f"| {title} | " + " | ".join(heads) + " |",
               "|---|" + "---:|" * len(heads)]
        out += [f"| {label} | " + " | ".join(vals) + " |" for label, vals in rows]
        return out + [""]

    def each(fn: Callable[[dict[str, Any]], Any]) -> list[str]:
        vals = []
        for r in results:
            try:
                vals.append(str(fn(r)))
            except (KeyError, TypeError):  # not measured in that run
                vals.append("—")
        return vals

    def per(r: dict[str, Any], phase: str, n: int) -> str:
        return (f"{r[phase + '_s'] * 1e3 / n:.2f} ({r[phase + '_cpu_s'] * 1e3 / n:.2f} / "
                f"{r[phase + '_server_cpu_s'] * 1e3 / n:.2f})")

    lines = [
        f"# Engine benchmark, {m.get('date', '')}",
        "",
        f"Machine: {m['platform']}; {m['cpu']}; {m['cpu_count']} CPUs; {m['memory']}; "
        f"{m['python']}; SQLite {m['sqlite']}; "
        + "".join(f"PostgreSQL {r['server']}; " for r in results if r["backend"] == "postgres")
        + f"SQLAlchemy {m['sqlalchemy']}, SQLModel {m['sqlmodel']}, psycopg {m['psycopg']}.",
        "",
        f"Code: {m['code']}.",
        "",
        f"Inputs: {a.analyses:,} analyses planned in {YEAR}, today = {TODAY}, seed {a.seed}, "
        f"commit every {a.batch} analyses; queries: 1 warm-up + {a.repeats} timed calls, "
        f"each in a fresh session; history up to {a.stage_rows:,} stage rows."
        + (" PROFILED RUN: planning and event timings include cProfile overhead." if a.profile
           else ""),
        "",
    ]
    lines += table("data and build", [
        ("organisations (add_org)", each(lambda r: f"{r['rows']['organisations']:,}")),
        ("users (add_user)", each(lambda r: f"{r['rows']['users']:,}")),
        ("tree + users + externals: wall s (CPU s: client / server)", each(
            lambda r: f"{r['tree_s']:.1f} ({r['tree_cpu_s']:.1f} / {r['tree_server_cpu_s']:.1f})")),
        ("analyses (plan_analysis)", each(lambda r: f"{r['rows']['analyses']:,}")),
        ("planning: wall s (CPU s: client / server)", each(
            lambda r: f"{r['planning_s']:.1f} ({r['planning_cpu_s']:.1f} / "
                      f"{r['planning_server_cpu_s']:.1f})")),
        ("planning: wall ms per analysis (CPU ms: client / server)", each(
            lambda r: per(r, "planning", r["rows"]["analyses"]))),
        ("planning: SQL statements per analysis", each(
            lambda r: f"{r['planning_statements'] / r['rows']['analyses']:.1f}")),
        ("events (record_event)", each(lambda r: f"{r['events']:,}")),
        ("of which monitoring reports / reviews", each(
            lambda r: f"{r['events_by_kind'].get('monitoring_report', 0):,} / "
                      f"{r['events_by_kind'].get('monitoring_review', 0):,}")),
        ("of which cancellations", each(lambda r: f"{r['events_by_kind'].get('cancel', 0):,}")),
        ("events: wall s (CPU s: client / server)", each(
            lambda r: f"{r['events_s']:.1f} ({r['events_cpu_s']:.1f} / "
                      f"{r['events_server_cpu_s']:.1f})")),
        ("events: wall ms per event (CPU ms: client / server)", each(
            lambda r: per(r, "events", max(r["events"], 1)))),
        ("events: SQL statements per event", each(
            lambda r: f"{r['events_statements'] / max(r['events'], 1):.1f}")),
        ("programmes", each(lambda r: f"{r['rows']['programmes']:,}")),
        ("stage rows", each(lambda r: f"{r['rows']['stages']:,}")),
        ("of which monitoring stages (created by the note's event)", each(
            lambda r: f"{r['monitoring_stages']:,}")),
        ("event rows", each(lambda r: f"{r['rows']['events']:,}")),
        ("audit records", each(lambda r: f"{r['rows']['audit records']:,}")),
        ("whole run, s", each(lambda r: f"{r['wall_s']:.0f}")),
        ("load average (1, 5, 15 min) before / after", each(
            lambda r: " / ".join(", ".join(f"{x:.1f}" for x in r[k])
                                 for k in ("load_before", "load_after")))),
    ])
    mix_keys = ["done_on_time", "done_late", "open, not yet due", "overdue", "not_applicable"]
    lines += table(f"analysis stages on {TODAY}", [
        (k, each(lambda r, k=k: f"{r['status_mix'].get(k, 0):,}")) for k in mix_keys])

    def qtable(key: str, rows_key: str) -> list[str]:
        if not any(key in r for r in results):
            return []
        out: list[tuple[str, list[str]]] = []
        for q in results[0][key]:
            out.append((f"{q}: rows", each(lambda r, q=q: f"{r[key][q]['rows']:,}")))
            out.append((f"{q}: best / median ms", each(
                lambda r, q=q: f"{r[key][q]['best_ms']:.1f} / {r[key][q]['median_ms']:.1f}")))
            out.append((f"{q}: CPU ms, client (median) / server (mean)", each(
                lambda r, q=q: f"{r[key][q]['cpu_median_ms']:.1f} / "
                               f"{r[key][q]['server_cpu_mean_ms']:.0f}")))
            out.append((f"{q}: SQL statements", each(lambda r, q=q: r[key][q]["statements"])))
            out.append((f"{q}: its main SELECT alone, best ms", each(
                lambda r, q=q: f"{r[key][q]['select_alone_best_ms']:.1f}")))
        return table(f"queries at {' / '.join(each(lambda r: format(r[rows_key]['stages'], ',')))}"
                     " stage rows", out)

    lines += qtable("queries_small", "rows")
    if any("history" in r for r in results):
        lines += table("history (core insert) and ANALYZE", [
            ("history years", each(lambda r: ", ".join(map(str, r["history"]["years"])))),
            ("analyses inserted", each(lambda r: f"{r['history']['analyses']:,}")),
            ("stage rows inserted", each(lambda r: f"{r['history']['inserted']:,}")),
            ("monitoring reports inserted", each(
                lambda r: f"{r['history']['monitoring_reports']:,}")),
            ("insert, s", each(lambda r: f"{r['history']['seconds']:.1f}")),
            ("ANALYZE, s", each(lambda r: f"{r['analyze_s']:.2f}")),
            ("stage rows now", each(lambda r: f"{r['rows_big']['stages']:,}")),
            ("overdue stage rows now", each(lambda r: f"{r['status_mix_big'].get('overdue', 0):,}")),
            ("open, not yet due, stage rows now", each(
                lambda r: f"{r['status_mix_big'].get('open, not yet due', 0):,}")),
        ])
        lines += qtable("queries_big", "rows_big")
    size_keys = sorted({k for r in results for k in r["sizes"]})
    lines += table("size", [(k, each(lambda r, k=k: r["sizes"][k])) for k in size_keys])
    if any("try_index" in r for r in results):
        out_rows: list[tuple[str, list[str]]] = [
            ("create index, s", each(lambda r: f"{r['try_index']['create_s']:.1f}"))]
        for q in next(r for r in results if "try_index" in r)["try_index"]["queries"]:
            out_rows.append((f"{q}: rows", each(
                lambda r, q=q: f"{r['try_index']['queries'][q]['rows']:,}")))
            out_rows.append((f"{q}: best / median ms", each(
                lambda r, q=q: f"{r['try_index']['queries'][q]['best_ms']:.1f} / "
                               f"{r['try_index']['queries'][q]['median_ms']:.1f}")))
            out_rows.append((f"{q}: client CPU ms (median)", each(
                lambda r, q=q: f"{r['try_index']['queries'][q]['cpu_median_ms']:.1f}")))
            out_rows.append((f"{q}: its main SELECT alone, best ms", each(
                lambda r, q=q: f"{r['try_index']['queries'][q]['select_alone_best_ms']:.1f}")))
        lines += table("with an extra index (status, subject_path, due_date)", out_rows)
    for r in results:
        p = r["plans"]
        kind = "EXPLAIN QUERY PLAN" if r["backend"] == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS)"
        lines += [f"## Plans, {names[r['backend']]} ({kind}, after the history and ANALYZE)", "",
                  f"The SELECT `services.overdue(s, ctx, '{REGION}')` sends:", "",
                  "```sql", p["service SQL"], "```", "", f"parameters: `{p['service params']}`",
                  "", "```", p["service SELECT"], "```", ""]
        for name in ("region stage SELECT", "root stage SELECT"):
            lines += [f"The bare {name}:", "", "```sql", p[name.replace("SELECT", "SQL")], "```",
                      "", "```", p[name], "```", ""]
        if "try_index" in r:
            p = r["try_index"]["plans"]
            lines += ["With the extra index (status, subject_path, due_date):", "", "```",
                      p["service SELECT"], "```", "", "```", p["region stage SELECT"], "```", ""]
    for r in results:
        for name, text_ in r["profiles"].items():
            lines += [f"## cProfile, {name}, {names[r['backend']]}", "", "```", text_.strip(),
                      "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--analyses", type=int, default=20_000)
    p.add_argument("--stage-rows", type=int, default=1_000_000,
                   help="stage rows in all after the history insert (0: skip step 4)")
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--batch", type=int, default=200, help="analyses per transaction")
    p.add_argument("--bulk-batch", type=int, default=20_000, help="stage rows per core insert")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--try-index", action="store_true",
                   help="finally add an index (status, subject_path, due_date) to the benchmark "
                        "database and time the region queries again")
    p.add_argument("--profile", action="store_true",
                   help="cProfile the planning and event passes (inflates their timings)")
    p.add_argument("--render", nargs="+", metavar="JSON",
                   help="only print the tables of earlier runs' --json files, side by side")
    a = p.parse_args(argv)
    if a.render:
        docs = [json.loads(Path(f).read_text(encoding="utf-8")) for f in a.render]
        results = [r for d in docs for r in d["results"]]
        print(markdown(results, argparse.Namespace(**docs[0]["args"]), docs[0]["machine"]))
        return 0
    # A terminated run still drops its PostgreSQL schema and temporary directory.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    cal = KazakhstanCalendar()
    defn = load_definition()
    m = machine()
    m["code"] = code_version()
    m["date"] = date.today().isoformat()
    results = []
    for b in backends:
        results.append(run_backend(b, a, cal, defn))
        if a.json:  # after each backend, so that a long run keeps what it measured
            Path(a.json).write_text(json.dumps({"machine": m, "args": vars(a), "results": results},
                                               indent=2, ensure_ascii=False, default=str) + "\n",
                                    encoding="utf-8")
    print(markdown(results, a, m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
