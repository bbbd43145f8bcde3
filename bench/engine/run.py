"""Benchmark of the engine at national scale: planning a year, then the overdue and due queries.

Run from the repository root:

    .venv/bin/python bench/engine/run.py --backend sqlite|postgres|both \
        [--analyses 20000] [--stage-rows 1000000] [--json PATH] [--profile]

For each backend, in a fresh database (a SQLite file in a temporary directory; a
PostgreSQL schema of its own, dropped at the end), with the engine, calendar and process
definitions built by the composition root (`workflow.services.runtime`, shipped defaults:
no config.toml), the internal analysis being `planned_definition(ctx)` (workflow/planning):

1. A national tree of organisations, built with `services.add_org` (the real code
   path, audit records included): 20 central bodies (the ministries) with their
   committees, the committees' territorial departments in the 20 regions (17 oblasts
   and the 3 cities of republican significance) and a few national quasi-state
   companies; 20 regional akimats, each with its departments, its district akimats
   (each with departments of its own) and regional quasi-state companies. Every
   organisation gets one officer (`services.add_user`); 5 % of them an external
   analysis in 2024 (`services.add_external`), so the one-year rule finds a row.
2. A national year: `--analyses` analyses planned with `services.plan_analysis`
   (cases of the internal analysis, table `process_case`), planned starts spread over
   the working days of 2026 (fixed seed), 30 % with an explicit shorter end; then the
   events an officer would have recorded by "today" (2026-09-15) through
   `services.record_event`: most on time, some late, some never (the stage stays open
   and becomes overdue), a few analyses cancelled, then the monitoring reports and
   reviews of the periods that have come. Both passes commit every `--batch` analyses.
3. `services.overdue` and `services.due_within(within=5)` for the whole country and
   for one regional akimat, each in a fresh session: one warm-up call, then the best
   and median of `--repeats` timed calls, with the rows returned and the SQL
   statements the call sent.
4. History up to `--stage-rows` stage rows in all: earlier years' analyses (the same
   subjects and objects, years 2025, 2024, ...) inserted with SQLAlchemy core in
   batches: the case, its event records, its stages and its monitoring periods. Each
   record's date is drawn around the due date the pure planner
   (`workflow.core.deadlines.Planner`) gives from the records before it (mostly on
   time, 15 % late; 1 % stopped part-way: the overdue backlog; 1.5 % cancelled); the
   stages' due dates and statuses and the case's state are what `Planner` and the state
   machine (`core.machine.derive_state`) make of those records, as `services.cases.sync`
   stores them; the monitoring periods and their report and review due dates come from
   `services.monitoring` / `core.monitoring` (the code `record_event` runs). Then
   ANALYZE, the same queries again, and the plan of the region overdue query (EXPLAIN
   QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL), both the SELECT the service
   sends and the bare SELECT on the stage table.

No stage or event key of the internal analysis is written here: they are read from its
definition (the [planning] and [monitoring] tables, its events in the order they fall
due, the scorecard's role names); see `keys_of`.

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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, or_, select, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from bench.host import cpu_model, package_version  # noqa: E402, F401
from bench.postgres import drop_schema, new_schema  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.core.deadlines import Facts, Planner, Record  # noqa: E402
from workflow.core.definition import Definition  # noqa: E402
from workflow.core.machine import derive_state  # noqa: E402
from workflow.definitions import Registry  # noqa: E402
from workflow.monitoring import rules as mon  # noqa: E402
from workflow.monitoring import service as monitoring_service  # noqa: E402
from workflow.planning import service as planning_svc  # noqa: E402
from workflow.services import runtime  # noqa: E402
from workflow.settings import Settings  # noqa: E402
from workflow.storage.db import session, upgrade  # noqa: E402
from workflow.storage.models import (  # noqa: E402
    DONE_LATE,
    DONE_ON_TIME,
    EVENT,
    NOT_APPLICABLE,
    NOT_DONE,
    OPEN,
    AuditRecord,
    Case,
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
MAIN_SELECT = "FROM stage JOIN process_case"  # how the list services' main SELECT is recognised
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
#
# Every stage and event key below is read from the internal analysis's definition
# (`planned_definition(ctx)`): its [planning] and [monitoring] tables, its events and stages, and the
# role names of its [scorecard.stages] table. Every due date comes from the pure planner
# (`workflow.core.deadlines.Planner`) or, for the per-period monitoring stages, from the code
# the engine runs when it creates them (`services.monitoring`, `core.monitoring`).


@dataclass(frozen=True)
class Keys:
    """The keys of the internal analysis the simulation needs, read from its definition."""

    start: str  # [planning] start: the named date `plan_analysis --start` gives
    end: str | None  # [planning] end
    chain: tuple[str, ...]  # the events an officer records once each, in the order they fall due
    optional: frozenset[str]  # of those, the ones sometimes skipped without stopping the chain
    cancel: str  # the terminal event
    opened_by: str | None  # [monitoring]: the event whose date starts the reporting periods
    report: str | None  # [monitoring] report_event
    review: str | None  # [monitoring] review_event
    close: str | None  # [monitoring] close_event
    report_stage: str | None
    review_stage: str | None


def event_due(planner: Planner, defn: Definition, event: str) -> date | None:
    """When an event falls due: the due date of the stage it completes, else (an event that
    only sets a named date, like the actual start) the current value of that date."""
    spec = defn.events[event]
    due = planner.due(spec.completes) if spec.completes in defn.stages else None
    if due is None and spec.sets:
        due = planner.date(spec.sets[0])
    return due.date if due else None


def keys_of(ctx: svc.Context) -> Keys:
    defn = planning_svc.planned_definition(ctx)
    planning = defn.raw.get("planning") or {}
    monitoring = monitoring_service.keys(defn)
    side = {monitoring.get(k) for k in ("report_event", "review_event", "close_event")}
    once = [e.key for e in defn.events.values()
            if not (e.repeatable or e.terminal or e.key in side)]
    sample = Planner(defn, ctx.calendar, Facts({planning["start"]: date(YEAR, 3, 2)}))
    chain = sorted(once, key=lambda e: event_due(sample, defn, e) or date.max)  # stable
    # The list of positions is approved alongside the chain; some subjects never approve one
    # (the scorecard's role name, as services.monitoring.positions_under reads it).
    roles = (defn.raw.get("scorecard") or {}).get("stages") or {}
    positions = defn.event_for_stage(roles.get("positions_approved", ""))
    return Keys(start=planning["start"], end=planning.get("end"), chain=tuple(chain),
                optional=frozenset({positions.key} if positions else ()),
                cancel=next(e.key for e in defn.events.values() if e.terminal),
                opened_by=monitoring.get("opened_by"), report=monitoring.get("report_event"),
                review=monitoring.get("review_event"), close=monitoring.get("close_event"),
                report_stage=monitoring.get("report_stage"),
                review_stage=monitoring.get("review_stage"))


def given_dates(ctx: svc.Context, k: Keys, start: date, end: date | None = None) -> dict[str, date]:
    """The named dates a case is opened with, as plan_analysis and open_case store them (the
    end defaulted by the definition's rule when not given)."""
    if end is None and k.end:
        value = Planner(planning_svc.planned_definition(ctx), ctx.calendar,
                        Facts({k.start: start})).date(k.end)
        end = value.date if value else None
    return {k.start: start, **({k.end: end} if k.end and end else {})}


def evidence_for(defn: Definition, event: str, period: str | None = None) -> dict[str, str]:
    """The evidence the definition requires for an event (its fields, and the first group of
    alternatives the sample values complete), filled with sample values."""
    spec = defn.events[event]
    group = next((g for g in defn.evidence_groups(spec) if set(g) <= DOC.keys()), ())
    return {f: (period if f == "period" else DOC[f])
            for f in dict.fromkeys((*defn.requirements(spec), *group))}


def review_due(ctx: svc.Context, received: date) -> date:
    """A period's review deadline as services.monitoring.after_event sets it: the core rule
    with the definition's interpretation."""
    interp = planning_svc.planned_definition(ctx).interpretations
    return mon.review_due(ctx.calendar, received, int(interp.get(
        "monitoring_review_working_days", mon.REVIEW_WORKING_DAYS)))


@dataclass
class PlanItem:
    subject: str
    obj: str
    start: date
    end: date | None
    events: list[tuple[str, date, dict[str, str]]] = field(default_factory=list)
    duplicate_reason: str | None = None  # it may overlap an earlier item of the same pair


def simulate_events(rng: random.Random, ctx: svc.Context, k: Keys, given: dict[str, date]  # noqa: C901
                    ) -> list[tuple[str, date, dict[str, str]]]:
    """What an officer records by TODAY: mostly on time, some late, some never.

    The chain of the analysis first (each event's due date from the planner, given what was
    recorded before it); then, once the note is signed, the monitoring reports and their
    reviews whose dates have come.
    """
    defn, cal = planning_svc.planned_definition(ctx), ctx.calendar
    records: list[Record] = []
    out: list[tuple[str, date, dict[str, str]]] = []
    diligence = rng.random()  # a few officers are habitually late or stop recording
    p_late = 0.08 if diligence > 0.2 else 0.35
    p_stop = 0.01 if diligence > 0.1 else 0.08
    cancel_at = rng.randrange(len(k.chain)) if rng.random() < 0.015 else None
    last = date.min
    for i, ev in enumerate(k.chain):
        if i == cancel_at:
            on = max(last, cal.add_working_days(given[k.start], -rng.randint(5, 15)))
            if on <= TODAY:
                out.append((k.cancel, on, evidence_for(defn, k.cancel)))
            return out
        due = event_due(Planner(defn, cal, Facts(given, tuple(records))), defn, ev)
        if due is None:  # not due yet (definition v3: positions sent once the list exists)
            continue
        optional = ev in k.optional
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
        out.append((ev, on, evidence_for(defn, ev)))
        records.append(Record(ev, on))
        if not optional:
            last = on
    note = next((r.on for r in records if r.event == k.opened_by), None)
    if note is None or k.report not in defn.events:
        return out
    for period in monitoring_service.periods_from(ctx, defn, note):
        if rng.random() < p_stop * 3:
            break  # the subdivisions' report never comes: overdue from here on
        received = (period.report_due + timedelta(days=rng.randint(1, 12))
                    if rng.random() < p_late else period.report_due - timedelta(days=rng.randint(0, 4)))
        received = max(received, note, period.end + timedelta(days=1))
        if received > TODAY:
            break
        out.append((k.report, received, evidence_for(defn, k.report, period.label)))
        reviewed = cal.add_working_days(received, rng.randint(1, 5) if rng.random() > p_late
                                        else rng.randint(6, 12))
        if reviewed <= TODAY and rng.random() > p_stop:
            out.append((k.review, reviewed, evidence_for(defn, k.review, period.label)))
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

    The warm-up call also captures the main SELECT (stage JOIN process_case JOIN organisation);
    it is then timed alone, through the driver, rows fetched as tuples: what the database
    costs, as against the whole call (ORM objects, per-row lookups, Python rows).
    """
    times, cpu, server, rows, statements = [], [], [], 0, 0
    for i in range(repeats + 1):
        if i == 0:
            counter.captured.clear()
            counter.capture_when = lambda sql: MAIN_SELECT in sql
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


def settings_for(url: str) -> Settings:
    """Settings as with no config.toml (no calendar corrections, no changed interpretations, no
    extra process folders), for the composition root (`services.runtime`)."""
    return Settings(path=None, timezone="Asia/Almaty", language="en", database_url=url)


@contextmanager
def fresh_database(backend: str, pg_url: str) -> Iterator[tuple[str, str]]:
    """(url, label) of a fresh, migrated database; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="merzim-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            eng = runtime.engine(settings_for(url))
            upgrade(eng)
            eng.dispose()
            yield url, str(Path(tmp) / "bench.db")
        return
    schema, url = new_schema(pg_url, "merzim_bench_")
    try:
        eng = runtime.engine(settings_for(url))
        upgrade(eng)
        eng.dispose()
        yield url, schema
    finally:
        drop_schema(pg_url, schema)


def count(s, model) -> int:
    return s.execute(select(func.count()).select_from(model)).scalar_one()


def status_mix(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Stage.status, Stage.due_date, func.count())
                            .where(Stage.case_id.is_not(None))
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


def build_tree(engine: Engine, ctx: svc.Context, rng: random.Random, batch: int,
               root: str | None = None) -> tuple[list[OrgSpec], dict[str, list[str]]]:
    """The national tree stored, each organisation with an officer and each root with a
    manager; `root`: a stored organisation the tree's roots are put under (their managers
    and the children's lists as if they were roots)."""
    specs = [replace(o, parent=o.parent or root) for o in national_tree(rng)]
    children: dict[str, list[str]] = {}
    for i in range(0, len(specs), batch):
        with session(engine) as s:
            for o in specs[i:i + batch]:
                svc.add_org(s, ctx, o.code, o.name, o.kind, o.parent,
                            name_kk=f"{o.name} (kk)", name_ru=f"{o.name} (ru)")
                svc.add_user(s, ctx, f"officer.{o.code.lower()}", f"Officer of {o.code}",
                             "officer", o.code, f"officer.{o.code.lower()}@example.kz",
                             rng.choice(("kk", "kk", "ru", "en")))
                if o.parent == root:
                    svc.add_user(s, ctx, f"manager.{o.code.lower()}", f"Manager of {o.code}",
                                 "manager", o.code, None, "ru")
                if rng.random() < 0.05:
                    planning_svc.add_external(s, ctx, o.code, date(2024, rng.randint(1, 12), 10),
                                     "External analysis, Anti-Corruption Agency")
            s.commit()
        for o in specs[i:i + batch]:
            if o.parent is not None and o.parent != root:
                children.setdefault(o.parent, []).append(o.code)
    return specs, children


def plan_items(rng: random.Random, ctx: svc.Context, specs: list[OrgSpec],
               children: dict[str, list[str]], n: int) -> list[PlanItem]:
    cal = ctx.calendar
    k = keys_of(ctx)
    first, last = date(YEAR, 1, 12), date(YEAR, 12, 10)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    items = []
    periods: dict[tuple[str, str], list[tuple[date, date]]] = {}
    for _ in range(n):
        subject = rng.choice(specs).code
        kids = children.get(subject)
        obj = rng.choice(kids) if kids and rng.random() < 0.3 else subject
        start = rng.choice(working)
        end = (cal.add_working_days(start, rng.randint(14, 28)) if rng.random() < 0.3 else None)
        # a second analysis of the pair that may overlap an earlier one is confirmed with a
        # reason (no end: 60 days, more than the 30 working days of the default end)
        last, earlier = end or start + timedelta(days=60), periods.setdefault((subject, obj), [])
        duplicate = ("Planned again by the bench"
                     if any(a <= last and start <= b for a, b in earlier) else None)
        earlier.append((start, last))
        items.append(PlanItem(subject, obj, start, end,
                              simulate_events(rng, ctx, k, given_dates(ctx, k, start, end)),
                              duplicate))
    return items


@dataclass
class PastCase:
    """An analysis of an earlier year as the engine would have stored it."""

    state: str
    records: list[tuple[str, date, dict[str, str]]]  # in recording order
    stages: list[tuple[str, date | None, bool, str, date | None, dict | None]]
    reports: list[tuple[str, date | None, date | None]]  # period, received, reviewed

    def add_rows(self, rows: dict[str, list[dict[str, Any]]], case_id: int, subject_id: int,
                 path: str, created: datetime, reports_table: str) -> None:
        """Its records, stages and monitoring periods as rows of case `case_id`, appended to
        `rows` by table (`reports_table`: the periods' table at the dataset's revision)."""
        from workflow.storage.models import EVENT

        for ev, on, evidence in self.records:
            rows["event_record"].append({
                "case_id": case_id, "kind": EVENT, "event": ev, "on": on, "evidence": evidence,
                "note": None, "voids_id": None, "voided_by_id": None, "actor": "bench",
                "recorded_at": created})
        for key, due, projected, status, done_on, evidence in self.stages:
            rows["stage"].append({
                "case_id": case_id, "programme_id": None, "key": key, "subject_id": subject_id,
                "subject_path": path, "due_date": due, "projected": projected,
                "status": status, "done_on": done_on, "evidence": evidence})
        for period, received, reviewed in self.reports:
            rows[reports_table].append({"analysis_id": case_id, "external_id": None,
                                        "period": period, "received_on": received,
                                        "reviewed_on": reviewed})


def past_analysis(rng: random.Random, ctx: svc.Context, k: Keys, given: dict[str, date],
                  backlog: float) -> PastCase:
    """An analysis of an earlier year: its records, its stages and its monitoring periods.

    1.5 % were cancelled and 1 % stopped at some event of the chain (open from there: the
    overdue backlog); the others went through, 15 % of events late. Each event's date is
    drawn around its due date as the planner gives it from what was recorded before. After
    the note, monitoring: each report due by TODAY came in (but a `backlog` share never did)
    and was reviewed; later ones are open, not yet due; when every period was reviewed, the
    monitoring was closed. The stages (due dates and statuses) and the state are then what
    the pure planner and the state machine make of the records, as `services.cases.sync`
    stores them.
    """
    defn, cal = planning_svc.planned_definition(ctx), ctx.calendar
    fate = rng.random()
    cancelled = fate < 0.015
    stop_at = rng.randrange(len(k.chain)) if fate < 0.025 else len(k.chain)
    records: list[tuple[str, date, dict[str, str]]] = []
    facts: list[Record] = []
    last = date.min
    for ev in k.chain[:stop_at]:
        due = event_due(Planner(defn, cal, Facts(given, tuple(facts))), defn, ev)
        if due is None:  # not due yet (definition v3: positions sent once the list exists)
            continue
        late = rng.random() < 0.15
        on = due + timedelta(days=rng.randint(1, 10)) if late else due - timedelta(
            days=rng.randint(0, 3))
        on = max(on, last)
        if on > TODAY:
            break
        records.append((ev, on, evidence_for(defn, ev)))
        facts.append(Record(ev, on))
        last = on
    if cancelled:
        on = max(last, cal.add_working_days(given[k.start], -rng.randint(5, 15)))
        records.append((k.cancel, on, evidence_for(defn, k.cancel)))
    dynamic: list[tuple[str, date | None, bool, str, date | None, dict | None]] = []
    reports: list[tuple[str, date | None, date | None]] = []
    note = next((on for ev, on, _e in records if ev == k.opened_by), None)
    complete = stop_at == len(k.chain) and not cancelled
    if note is not None and k.report in defn.events:
        reviewed_last = note
        for period in monitoring_service.periods_from(ctx, defn, note):  # as after_event opens them
            rkey, vkey = f"{k.report_stage}:{period.label}", f"{k.review_stage}:{period.label}"
            rdue = period.report_due
            if cancelled or rdue >= TODAY or rng.random() < backlog:
                dynamic.append((rkey, rdue, False, OPEN, None, None))
                reports.append((period.label, None, None))
                complete = False
                continue
            received = max(rdue - timedelta(days=rng.randint(0, 4)), period.end + timedelta(days=1))
            ev = evidence_for(defn, k.report, period.label)
            records.append((k.report, received, ev))
            dynamic.append((rkey, rdue, False, DONE_ON_TIME if received <= rdue else DONE_LATE,
                            received, {"date": received.isoformat(), **ev}))
            vdue = review_due(ctx, received)
            reviewed = cal.add_working_days(received, rng.randint(1, 5))
            if reviewed < TODAY:
                ev = evidence_for(defn, k.review, period.label)
                records.append((k.review, reviewed, ev))
                dynamic.append((vkey, vdue, False, DONE_ON_TIME if reviewed <= vdue else DONE_LATE,
                                reviewed, {"date": reviewed.isoformat(), **ev}))
                reviewed_last = max(reviewed_last, reviewed)
            else:
                dynamic.append((vkey, vdue, False, OPEN, None, None))
                reviewed, complete = None, False
            reports.append((period.label, received, reviewed))
        if complete and k.close in defn.events:
            on = cal.add_working_days(reviewed_last, rng.randint(1, 10))
            if on < TODAY:
                records.append((k.close, on, evidence_for(defn, k.close)))
    records.sort(key=lambda r: r[1])  # recorded as they happened (stable: the chain's order)
    facts_ = Facts(given, tuple(Record(ev, on, e.get("period")) for ev, on, e in records))
    planner = Planner(defn, cal, facts_)
    completing: dict[str, tuple[date, dict[str, str]]] = {}
    for ev, on, e in records:
        spec = defn.events[ev]
        if spec.completes:
            completing.setdefault(spec.completes, (on, e))
    stages = []
    for key, sp in planner.stages().items():
        evidence = ({"date": completing[key][0].isoformat(), **completing[key][1]}
                    if key in completing and sp.done_on is not None else None)
        stages.append((key, sp.due, sp.projected, sp.status, sp.done_on, evidence))
    stages += dynamic
    state = derive_state(defn, facts_.records, planner.dates(), TODAY)
    if state in defn.final_states:  # as sync closes what is still open in a closed case
        closed = NOT_APPLICABLE if cancelled else NOT_DONE
        stages = [(key, due, proj, closed if status == OPEN else status, done, ev)
                  for key, due, proj, status, done, ev in stages]
    return PastCase(state, records, stages, reports)


def history(engine: Engine, ctx: svc.Context, rng: random.Random, target: int,  # noqa: C901
            batch_rows: int) -> dict[str, Any]:
    """Insert earlier years' analyses and their stages until the stage table holds `target` rows."""
    cal, defn = ctx.calendar, planning_svc.planned_definition(ctx)
    k = keys_of(ctx)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Stage)).scalar_one()
        templates = conn.execute(select(Case.subject_id, Case.object_id, Case.responsible_id)
                                 .where(Case.process == defn.key).order_by(Case.id)).all()
        paths = dict(conn.execute(select(Organisation.id, Organisation.path)).all())
        next_case = conn.execute(select(func.max(Case.id))).scalar_one() + 1
        next_programme = conn.execute(select(func.max(Programme.id))).scalar_one() + 1
    need = target - have
    if need <= 0:
        return {"inserted": 0, "seconds": 0.0, "analyses": 0, "programmes": 0, "years": []}

    @cache
    def given(start: date) -> dict[str, date]:
        return given_dates(ctx, k, start)

    created = "2025-01-01T00:00:00.000000+00:00"
    tables = {"programme": Programme.__table__, "process_case": Case.__table__,
              "stage": Stage.__table__, "event_record": EventRecord.__table__,
              "monitoring_report": MonitoringReport.__table__}
    inserted = n_analyses = n_programmes = n_reports = n_records = 0
    rows: dict[str, list[dict]] = {name: [] for name in tables}
    simulated = 0.0  # seconds in the pure planner and the state machine (no database)

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
                on = date(year, 1, 10)
                for key, spec in defn.programme_stages.items():  # as record_schedule stores it
                    rows["stage"].append({
                        "case_id": None, "programme_id": next_programme, "key": key,
                        "subject_id": subject_id, "subject_path": path, "due_date": None,
                        "projected": False, "status": DONE_ON_TIME, "done_on": on,
                        "evidence": {"date": on.isoformat(),
                                     **{f: DOC[f] for f in spec.requires}}})
                    inserted += 1
                next_programme += 1
                n_programmes += 1
            start = rng.choice(working)
            s0 = time.perf_counter()
            past = past_analysis(rng, ctx, k, given(start), 0.03 if year == YEAR - 1 else 0.01)
            simulated += time.perf_counter() - s0
            cid = next_case
            next_case += 1
            n_analyses += 1
            rows["process_case"].append({
                "id": cid, "process": defn.key, "process_version": defn.version,
                "programme_id": programmes[subject_id], "subject_id": subject_id,
                "object_id": object_id, "person_name": None, "person_position": None,
                "fields": None, "dates": {n: d.isoformat() for n, d in given(start).items()},
                "period": None, "case_date": start, "state": past.state,
                "responsible_id": responsible_id, "override_reason": None,
                "cancel_reason": next((e.get("note") for ev, _o, e in past.records
                                       if ev == k.cancel), None),
                "created_at": created})
            for ev, on, evidence in past.records:
                rows["event_record"].append({
                    "case_id": cid, "kind": EVENT, "event": ev, "on": on, "evidence": evidence,
                    "note": None, "voids_id": None, "voided_by_id": None, "actor": "bench",
                    "recorded_at": created})
                n_records += 1
            for key, due, projected, status, done_on, evidence in past.stages[:need - inserted]:
                rows["stage"].append({
                    "case_id": cid, "programme_id": None, "key": key,
                    "subject_id": subject_id, "subject_path": path, "due_date": due,
                    "projected": projected, "status": status, "done_on": done_on,
                    "evidence": evidence})
                inserted += 1
            for period, received, reviewed in past.reports:
                rows["monitoring_report"].append({"analysis_id": cid, "external_id": None,
                                                  "period": period, "received_on": received,
                                                  "reviewed_on": reviewed})
                n_reports += 1
            if len(rows["stage"]) >= batch_rows:
                flush()
        flush()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("process_case", "programme"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    return {"inserted": inserted, "seconds": time.perf_counter() - t0,
            "simulated_s": simulated, "analyses": n_analyses, "programmes": n_programmes,
            "event_records": n_records, "monitoring_reports": n_reports, "years": years}


def analyze(engine: Engine) -> float:
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("ANALYZE")
        else:
            for table in ("organisation", "app_user", "programme", "process_case", "stage",
                          "event_record", "monitoring_report", "audit_log"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    return time.perf_counter() - t0


def plans(engine: Engine, counter: StatementCounter, ctx: svc.Context) -> dict[str, str]:
    """Plans: the SELECT `overdue(region)` sends, and the bare stage SELECTs (region, root)."""
    counter.captured.clear()
    counter.capture_when = lambda sql: MAIN_SELECT in sql
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
                registry: Registry) -> dict[str, Any]:
    rng = random.Random(a.seed)
    ctx = svc.Context(cal, registry, TODAY, actor="bench", language="en")
    k = keys_of(ctx)
    res: dict[str, Any] = {"backend": backend, "load_before": os.getloadavg()}
    profiles: dict[str, str] = {}
    started = time.perf_counter()
    with fresh_database(backend, a.postgres_url) as (url, label):
        engine = runtime.engine(settings_for(url))
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
                        planned = planning_svc.plan_analysis(s, ctx, it.subject, it.obj, it.start, it.end,
                                                    duplicate_reason=it.duplicate_reason)
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
                select(func.count()).select_from(Stage).where(or_(*(
                    Stage.key.startswith(f"{key}:") for key in (k.report_stage, k.review_stage)
                    if key)))
            ).scalar_one()

        with session(engine) as s:
            res["rows"] = {"organisations": count(s, Organisation), "users": count(s, User),
                           "programmes": count(s, Programme), "analyses": count(s, Case),
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
                res["rows_big"] = {"analyses": count(s, Case), "stages": count(s, Stage)}
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


def markdown(results: list[dict[str, Any]], a: argparse.Namespace, m: dict[str, Any]) -> str:  # noqa: C901
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
        """A phase's wall ms per item (CPU ms: client / server)."""
        return (f"{r[phase + '_s'] * 1e3 / n:.2f} ({r[phase + '_cpu_s'] * 1e3 / n:.2f} / "
                f"{r[phase + '_server_cpu_s'] * 1e3 / n:.2f})")

    def whole(phase: str) -> list[str]:
        """A phase's wall s (CPU s: client / server), of each backend."""
        return each(lambda r: f"{r[phase + '_s']:.1f} ({r[phase + '_cpu_s']:.1f} / "
                              f"{r[phase + '_server_cpu_s']:.1f})")

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
        ("tree + users + externals: wall s (CPU s: client / server)", whole("tree")),
        ("analyses (plan_analysis)", each(lambda r: f"{r['rows']['analyses']:,}")),
        ("planning: wall s (CPU s: client / server)", whole("planning")),
        ("planning: wall ms per analysis (CPU ms: client / server)", each(
            lambda r: per(r, "planning", r["rows"]["analyses"]))),
        ("planning: SQL statements per analysis", each(
            lambda r: f"{r['planning_statements'] / r['rows']['analyses']:.1f}")),
        ("events (record_event)", each(lambda r: f"{r['events']:,}")),
        ("of which monitoring reports / reviews", each(
            lambda r: f"{r['events_by_kind'].get('monitoring_report', 0):,} / "
                      f"{r['events_by_kind'].get('monitoring_review', 0):,}")),
        ("of which cancellations", each(lambda r: f"{r['events_by_kind'].get('cancel', 0):,}")),
        ("events: wall s (CPU s: client / server)", whole("events")),
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
            ("event records inserted", each(lambda r: f"{r['history']['event_records']:,}")),
            ("monitoring reports inserted", each(
                lambda r: f"{r['history']['monitoring_reports']:,}")),
            ("insert, s (of which planner and state machine, s)", each(
                lambda r: f"{r['history']['seconds']:.1f}"
                          + (f" ({r['history']['simulated_s']:.1f})"
                             if "simulated_s" in r["history"] else ""))),
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


def dataset_arguments(p: argparse.ArgumentParser, backend: str, stage_rows: str) -> None:
    """The options of the national dataset (`build_tree` and the bulk history) that this bench
    and bench/web/run.py build alike: the backend(s), its size, its seed and its batches."""
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default=backend)
    p.add_argument("--analyses", type=int, default=20_000)
    p.add_argument("--stage-rows", type=int, default=1_000_000, help=stage_rows)
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--batch", type=int, default=200, help="analyses per transaction (build)")
    p.add_argument("--seed", type=int, default=SEED)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    dataset_arguments(p, "both", "stage rows in all after the history insert (0: skip step 4)")
    p.add_argument("--bulk-batch", type=int, default=20_000, help="stage rows per core insert")
    p.add_argument("--repeats", type=int, default=5)
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
    settings = settings_for("")  # the calendar and the definitions: the composition root's
    cal, registry = runtime.calendar(settings), runtime.registry(settings)
    m = machine()
    m["code"] = code_version()
    m["date"] = date.today().isoformat()
    results = []
    for b in backends:
        results.append(run_backend(b, a, cal, registry))
        if a.json:  # after each backend, so that a long run keeps what it measured
            Path(a.json).write_text(json.dumps({"machine": m, "args": vars(a), "results": results},
                                               indent=2, ensure_ascii=False, default=str) + "\n",
                                    encoding="utf-8")
    print(markdown(results, a, m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
