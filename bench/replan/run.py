"""Benchmark: re-planning after a calendar change at national scale.

Run from the repository root:

    .venv/bin/python bench/replan/run.py --backend sqlite|postgres|both \
        [--open 20000] [--stage-rows 1000000] [--previous N] [--json PATH]

For each backend, in a fresh database (a SQLite file in a temporary directory; a PostgreSQL
schema of its own, dropped at the end):

1. The national tree of organisations and their officers, through `services.add_org` and
   `services.add_user` (bench/engine's tree).
2. History analyses of 2025, 2024, ... and analyses of 2026 (today 2026-09-15): `--open` open
   cases in all (the earlier years' still open, mostly in monitoring, then 2026's) among
   `--stage-rows` stage rows, written in bulk with executemany: cases, event records, stages
   and monitoring periods. Each case's records, stage rows (due dates, statuses), state and
   monitoring periods are bench/engine's `past_analysis`: the pure planner
   (`core.deadlines.Planner`), the state machine and `services.monitoring`, as
   `services.cases.sync` stores them. To build quickly, `--templates` cases are simulated
   per year (start dates drawn from the year's working days) and each analysis takes one of
   them with its own subject, object and owner.
3. A decree: `--days-off` weekdays after today made days off (a calendar built with the
   overrides `[calendar] days_off` of config.toml gives), which moves open deadlines counted
   across them.
4. Timed, with the decree's calendar, in one transaction each, as `merzim replan` runs them
   (`services.replan_all` then `reminders.planner.notify_moved`, then commit):
   * the previous head's path (bench/replan/previous.py: `replan_all` of f0d45c2 verbatim,
     one case at a time through `sync`; with `--previous N` its loop over the last N open
     cases, the year 2026's, where the decree moves deadlines), rolled back;
   * the new path (`services.replan_all`, in bulk), committed; its moved deadlines are
     checked against the previous path's on the cases both re-planned;
   * the new path again with the same calendar: nothing moves, nobody is told;
   * `audit.verify`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import shutil
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.planning import service as planning_svc  # noqa: E402
from workflow.reminders.planner import notify_moved  # noqa: E402
from workflow.services import runtime  # noqa: E402
from workflow.settings import load_notify_settings  # noqa: E402
from workflow.storage import audit  # noqa: E402
from workflow.storage.models import (  # noqa: E402
    OPEN,
    Case,
    EventRecord,
    MonitoringReport,
    Organisation,
    Stage,
    User,
)


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


engine_bench = _load("bench_engine_run", ROOT / "bench" / "engine" / "run.py")
previous = _load("bench_replan_previous", ROOT / "bench" / "replan" / "previous.py")
TODAY, YEAR = engine_bench.TODAY, engine_bench.YEAR


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load() -> float:
    return os.getloadavg()[0]


def build(engine, ctx: svc.Context, rng: random.Random, a: argparse.Namespace) -> dict[str, Any]:  # noqa: C901
    t0 = time.perf_counter()
    engine_bench.build_tree(engine, ctx, rng, 200)
    tree_s = time.perf_counter() - t0
    defn, cal = planning_svc.planned_definition(ctx), ctx.calendar
    k = engine_bench.keys_of(ctx)
    with engine.connect() as conn:
        orgs = conn.execute(select(Organisation.id, Organisation.path)).all()
        officers = dict(conn.execute(select(User.organisation_id, func.min(User.id))
                                     .where(User.role == "officer")
                                     .group_by(User.organisation_id)).all())
    t1 = time.perf_counter()
    simulated = 0.0
    next_id = {"case": 1}
    created = "2025-01-01T00:00:00.000000+00:00"
    tables = [("process_case", Case.__table__), ("event_record", EventRecord.__table__),
              ("stage", Stage.__table__), ("monitoring_period", MonitoringReport.__table__)]
    rows: dict[str, list[dict]] = {name: [] for name, _t in tables}
    counts = Counter()

    def flush() -> None:
        with engine.begin() as conn:
            for name, table in tables:
                if rows[name]:
                    conn.execute(table.insert(), rows[name])
                    rows[name].clear()

    def templates(year: int) -> list[tuple[dict[str, date], Any]]:
        nonlocal simulated
        working = [d for d in (date(year, 1, 12) + timedelta(days=i)
                               for i in range(330 if year < YEAR else 300))
                   if cal.is_working_day(d)]
        s0 = time.perf_counter()
        out = []
        for _ in range(a.templates):
            given = engine_bench.given_dates(ctx, k, rng.choice(working))
            out.append((given, engine_bench.past_analysis(rng, ctx, k, given,
                                                          0.03 if year == YEAR - 1 else 0.01)))
        simulated += time.perf_counter() - s0
        return out

    def add(given: dict[str, date], past, subject: tuple[int, str], obj: int) -> int:
        cid = next_id["case"]
        next_id["case"] += 1
        sid, path = subject
        rows["process_case"].append({
            "id": cid, "process": defn.key, "process_version": defn.version,
            "programme_id": None, "subject_id": sid, "object_id": obj, "person_name": None,
            "person_position": None, "fields": None,
            "dates": {n: d.isoformat() for n, d in given.items()}, "period": None,
            "case_date": given[k.start], "state": past.state,
            "responsible_id": officers.get(sid) if rng.random() < 0.8 else None,
            "override_reason": None, "cancel_reason": None, "created_at": created})
        past.add_rows(rows, cid, sid, path, created, "monitoring_period")
        counts["stage"] += len(past.stages)
        counts["event_record"] += len(past.records)
        if len(rows["stage"]) >= a.batch:
            flush()
        return len(past.stages)

    # `--open` open cases in all: the earlier years' analyses still open (monitoring periods
    # not yet due, the backlog) count among them; the year 2026 makes up the rest
    current = templates(YEAR)
    per_current = sum(len(p.stages) for _g, p in current) / len(current)
    history_open = 0
    year = YEAR
    while True:
        year -= 1
        past_year = templates(year)
        full = False
        for _ in range(len(orgs) * 3):
            room = a.stage_rows - (a.open - history_open) * per_current
            if counts["stage"] >= room:
                full = True
                break
            given, past = rng.choice(past_year)
            add(given, past, rng.choice(orgs), rng.choice(orgs)[0])
            counts["history_analyses"] += 1
            history_open += any(st[3] == OPEN for st in past.stages)
        if full:
            break
    counts["history_open"] = history_open
    for _ in range(max(0, a.open - history_open)):
        given, past = rng.choice(current)
        add(given, past, rng.choice(orgs), rng.choice(orgs)[0])
        counts["current_analyses"] += 1
    flush()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('process_case', 'id'), "
                              "(SELECT max(id) FROM process_case))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        open_cases = conn.execute(select(func.count(func.distinct(Stage.case_id)))
                                  .where(Stage.status == OPEN)).scalar_one()
        stage_rows = conn.execute(select(func.count()).select_from(Stage)).scalar_one()
    return {"tree_s": round(tree_s, 1), "cases_s": round(time.perf_counter() - t1, 1),
            "simulated_s": round(simulated, 1), "organisations": len(orgs),
            "years": list(range(year, YEAR + 1)), "stage_rows": stage_rows,
            "open_cases": open_cases, **counts}


def decree(a: argparse.Namespace, cal: KazakhstanCalendar) -> tuple[KazakhstanCalendar, list]:
    rng = random.Random(a.seed + 1)
    days: set[date] = set()
    while len(days) < a.days_off:
        d = TODAY + timedelta(days=rng.randint(7, 100))
        if cal.is_working_day(d):
            days.add(d)
    overrides = {"days_off": [{"date": d, "reference": "Government resolution (bench)"}
                              for d in sorted(days)]}
    return KazakhstanCalendar(overrides=overrides), sorted(days)


def timed(engine, fn, commit: bool) -> tuple[float, float, Any]:
    with Session(engine) as s:
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(s)
        if commit:
            s.commit()
        else:
            s.flush()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        if not commit:
            s.rollback()
    return wall, cpu, out


def run_backend(backend: str, a: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"backend": backend, "load_start": load()}
    with engine_bench.fresh_database(backend, a.pg_url) as (url, label):
        settings = engine_bench.settings_for(url)
        engine = runtime.engine(settings)
        cal = KazakhstanCalendar()
        ctx = svc.Context(cal, runtime.registry(settings), TODAY, actor="bench", language="en")
        rng = random.Random(a.seed)
        if backend == "sqlite" and a.sqlite_cache and a.sqlite_cache.is_file():
            log(f"{backend}: the dataset copied from {a.sqlite_cache}")
            engine.dispose()
            shutil.copyfile(a.sqlite_cache, label)
            result["dataset"] = json.loads(a.sqlite_cache.with_suffix(".json").read_text())
        else:
            log(f"{backend}: building the dataset")
            result["dataset"] = build(engine, ctx, rng, a)
            if backend == "sqlite" and a.sqlite_cache:
                engine.dispose()
                shutil.copyfile(label, a.sqlite_cache)
                a.sqlite_cache.with_suffix(".json").write_text(json.dumps(result["dataset"]))
        log(f"{backend}: {result['dataset']}")
        new_cal, days = decree(a, cal)
        result["days_off"] = [d.isoformat() for d in days]
        after = svc.Context(new_cal, ctx.processes, TODAY, actor="operator", language="en")
        ns = load_notify_settings(settings, env={}, require_secrets=False)

        split: dict[str, float] = {}

        def replan_new(s):
            w0, c0 = time.perf_counter(), time.process_time()
            moved = svc.replan_all(s, after)
            w1, c1 = time.perf_counter(), time.process_time()
            queued = notify_moved(s, after, ns, moved)
            split.update(replan_wall_s=round(w1 - w0, 2), replan_cpu_s=round(c1 - c0, 2),
                         notify_wall_s=round(time.perf_counter() - w1, 2),
                         notify_cpu_s=round(time.process_time() - c1, 2))
            return moved, queued

        with engine.connect() as conn:
            open_ids = [r[0] for r in conn.execute(
                select(Stage.case_id).where(Stage.status == OPEN).distinct()
                .order_by(Stage.case_id))]
        limit = a.previous or len(open_ids)

        def replan_previous(s):
            if limit < len(open_ids):  # the last `limit` open cases (2026's), in the old loop
                sub = select(Stage.case_id).where(Stage.status == OPEN,
                                                  Stage.case_id >= open_ids[-limit])
                moved = []
                for case in s.scalars(select(Case).where(Case.id.in_(sub)).order_by(Case.id)):
                    for key, old, new in svc.sync(s, after, case):
                        moved.append({"analysis": case.id, "case": case.id, "stage": key,
                                      "old": old, "new": new,
                                      "responsible_id": case.responsible_id})
                return moved, notify_moved(s, after, ns, moved)
            moved = previous.replan_all(s, after)
            return moved, notify_moved(s, after, ns, moved)

        log(f"{backend}: previous path over {limit} open cases (rolled back)")
        result["load_previous"] = load()
        wall, cpu, (old_moved, old_queued) = timed(engine, replan_previous, commit=False)
        result["previous"] = {"cases": limit, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                              "moved": len(old_moved), "queued": len(old_queued),
                              "ms_per_case": round(wall * 1000 / limit, 3)}
        log(f"{backend}: previous {result['previous']}")
        result["load_new"] = load()
        wall, cpu, (moved, queued) = timed(engine, replan_new, commit=True)
        result["new"] = {"cases": len(open_ids), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                         "moved": len(moved), "queued": len(queued),
                         "moved_cases": len({m["case"] for m in moved}),
                         "ms_per_case": round(wall * 1000 / len(open_ids), 3), **split}
        log(f"{backend}: new {result['new']}")
        cut = open_ids[-limit]
        same = [m for m in moved if m["case"] >= cut] == old_moved
        result["same_moves_as_previous"] = same
        ratio_cases = result["previous"]["ms_per_case"] / result["new"]["ms_per_case"]
        result["speedup_per_case"] = round(ratio_cases, 1)
        result["previous_all_extrapolated_s"] = round(
            result["previous"]["ms_per_case"] * len(open_ids) / 1000, 1)
        if a.profile:  # the same calendar again, under cProfile (not timed: its overhead)
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            timed(engine, replan_new, commit=False)
            prof.disable()
            prof.dump_stats(str(a.profile))
            log(f"{backend}: profile of the path again in {a.profile}")
        wall, cpu, (again, again_q) = timed(engine, replan_new, commit=True)
        result["again"] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                           "moved": len(again), "queued": len(again_q)}
        with Session(engine) as s:
            v0 = time.perf_counter()
            result["audit_ok"] = audit.verify(s).ok
            result["audit_verify_s"] = round(time.perf_counter() - v0, 1)
        result["load_end"] = load()
        engine.dispose()
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| | " + " | ".join(r["backend"] for r in results) + " |",
             "|---|" + "---:|" * len(results)]

    def row(name, fn):
        lines.append(f"| {name} | " + " | ".join(str(fn(r)) for r in results) + " |")

    row("stage rows", lambda r: f"{r['dataset']['stage_rows']:,}")
    row("open cases re-planned (2026 analyses / earlier years' still open)",
        lambda r: f"{r['new']['cases']:,} ({r['dataset']['current_analyses']:,} / "
                  f"{r['dataset']['history_open']:,})")
    row("deadlines moved / cases / messages queued",
        lambda r: f"{r['new']['moved']:,} / {r['new']['moved_cases']:,} / {r['new']['queued']:,}")
    row("**new: re-plan + notify + commit, wall / CPU s**",
        lambda r: f"**{r['new']['wall_s']}** / {r['new']['cpu_s']}")
    row("of which replan_all wall / CPU s",
        lambda r: f"{r['new'].get('replan_wall_s')} / {r['new'].get('replan_cpu_s')}")
    row("of which notify_moved wall / CPU s",
        lambda r: f"{r['new'].get('notify_wall_s')} / {r['new'].get('notify_cpu_s')}")
    row("previous head (one case at a time), cases timed",
        lambda r: f"{r['previous']['cases']:,}")
    row("previous: wall / CPU s", lambda r: f"{r['previous']['wall_s']} / {r['previous']['cpu_s']}")
    row("ms per case previous / new",
        lambda r: f"{r['previous']['ms_per_case']} / {r['new']['ms_per_case']}")
    row("speed-up per case", lambda r: f"{r['speedup_per_case']}×")
    row("previous, all open cases (extrapolated) s", lambda r: r["previous_all_extrapolated_s"])
    row("same moves as previous", lambda r: r["same_moves_as_previous"])
    row("again, same calendar: wall s / moved / queued",
        lambda r: f"{r['again']['wall_s']} / {r['again']['moved']} / {r['again']['queued']}")
    row("audit.verify", lambda r: r["audit_ok"])
    row("load average (start / previous / new / end)",
        lambda r: f"{r['load_start']:.1f} / {r['load_previous']:.1f} / {r['load_new']:.1f} / "
                  f"{r['load_end']:.1f}")
    row("dataset build s (tree / cases, of which simulation)",
        lambda r: f"{r['dataset']['tree_s']} / {r['dataset']['cases_s']} "
                  f"({r['dataset']['simulated_s']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--open", type=int, default=20000,
                   help="open cases in all (earlier years' open ones, then 2026 analyses)")
    p.add_argument("--stage-rows", type=int, default=1_000_000)
    p.add_argument("--templates", type=int, default=400, help="simulated cases per year")
    p.add_argument("--days-off", type=int, default=3)
    p.add_argument("--previous", type=int, default=0,
                   help="the previous path re-plans the last N open cases (0: all)")
    p.add_argument("--batch", type=int, default=50000)
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--pg-url", default=os.environ.get(
        "MERZIM_BENCH_POSTGRES_URL", engine_bench.DEFAULT_PG))
    p.add_argument("--json", type=Path)
    p.add_argument("--profile", type=Path,
                   help="also run the new path again under cProfile; its stats here")
    p.add_argument("--sqlite-cache", type=Path,
                   help="SQLite: keep the built database here and start from it next time "
                        "(same arguments)")
    a = p.parse_args(argv)
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    results = [run_backend(b, a) for b in backends]
    out = {"date": time.strftime("%Y-%m-%d"), "command": " ".join(sys.argv),
           "machine": engine_bench.machine(), "code": engine_bench.code_version(),
           "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
           "results": results}
    print(markdown(results))
    if a.json:
        a.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    ok = all(r["new"]["wall_s"] < 10 and r["same_moves_as_previous"] and r["audit_ok"]
             and r["again"]["moved"] == 0 and r["again"]["queued"] == 0 for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
