"""A write's CPU with the kept figures against its CPU without them: this code and the previous
head, in the same run, on SQLite and PostgreSQL.

    .venv/bin/python bench/engine/kept_write.py [--backend sqlite|postgres|both] \
        [--orgs 300] [--cases 3000] [--writes 40] [--rounds 4] [--previous REV] \
        [--no-previous] [--workdir /tmp/merzim-bench-kept-write] [--json PATH] [--profile]

Every write appends to the audit chain, which hands its records to the kept figures
(storage/audit.py `keep_with`: kept/versions.py `move` tells what the write touches, notes the
counts to recount and the scopes whose versions move at its commit, and tells the commit's
guard, kept/guard.py, which listens to every flush). What that costs a write:

1. The dataset (built once per size, through the services: audit records and kept figures
   included): a root KZ, `--orgs` organisations under it (regional akimats of 15 departments
   each), `--cases` conflict-of-interest cases spread over the departments, opened 20-200 days
   before today, an event recorded on every third. SQLite: a file built once in --workdir,
   copied afresh for each run; PostgreSQL: a schema of its own, built, dropped at the end.
2. The legs, each a process of its own (`--worker`) over the same database, the code under test
   first on PYTHONPATH (as bench/web/writer.py runs it):
   * `kept`: this code, its kept figures as installed;
   * `bare`: this code without them: the audit's keeper a no-op
     (`audit.keep_with(lambda s, records, version: None)`) and the kept figures' session
     listeners removed (kept/guard.py `_after_flush`, `_after_soft_rollback`,
     `_after_transaction_end` and the commit's, kept/commit.py `_before_commit` -- before it,
     kept/guard.py's own -- on `sqlalchemy.orm.Session`);
   * `previous kept` / `previous bare`: the previous head (`--previous`, by default the commit
     before the kept figures moved to workflow/kept/: it kept them in workflow/storage/, moved
     by `versions.move`, guarded by storage/audited.py), from a git worktree in --workdir; bare:
     its `versions.move` a no-op and storage/audited.py's listeners removed.
   Each leg makes `--warm-up` cycles, not timed, then `--writes` cycles, each write in its own
   session and transaction, committed (as a web request writes): a recorded event voided
   (`services.void_record`), the same event recorded again (`services.record_event`, the data
   as they were), and every other cycle a case opened in a department (`services.open_case`).
   Each write's process CPU time (`time.process_time`, the session's opening to its commit)
   and its SQL statements (an engine's `before_cursor_execute` counter).
3. `--rounds` rounds, the legs' order reversed every other round (the machine is shared): per
   leg and write, the median over every write of every round; the ratios kept / bare of each
   code (the goal: ≤ 1.15×), and the previous head's kept over this code's bare.

`--profile`: the kept leg of this code once more under cProfile (process CPU time), its top
functions printed (the timings of that pass are not reported).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 9, 15)  # bench/engine/run.py's
SEED = 20261128
COI = "conflict_of_interest"
DEPARTMENTS = 15  # a regional akimat's
PREVIOUS = "388cf43a~1"  # the kept figures still in workflow/storage/
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LEGS = ("kept", "bare", "previous kept", "previous bare")
WRITES = ("void", "record", "open")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the worker: one leg's writes, in a process running the code under test ------------------


def _without_kept() -> None:
    """The kept figures out of every write (module docstring, 2.): this code's or the previous
    head's."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    from workflow.storage import audit

    if hasattr(audit, "keep_with"):
        import workflow.kept  # noqa: F401  (installed first, then replaced)
        from workflow.kept import guard

        audit.keep_with(lambda s, records, version: None)
    else:  # the previous head: the kept figures in workflow/storage/
        from workflow.storage import audited as guard  # type: ignore[no-redef]
        from workflow.storage import versions

        versions.move = lambda s, records, version: None  # type: ignore[assignment]
    listeners = [("after_flush", guard._after_flush),
                 ("after_soft_rollback", guard._after_soft_rollback),
                 ("after_transaction_end", guard._after_transaction_end)]
    try:  # the commit's one listener (kept/commit.py), where there is one
        from workflow.kept import commit  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # the guard's own (before kept/commit.py)
        listeners.append(("before_commit", guard._before_commit))  # type: ignore[attr-defined]
    else:
        listeners.append(("before_commit", commit._before_commit))
    for name, fn in listeners:
        if event.contains(OrmSession, name, fn):
            event.remove(OrmSession, name, fn)


def worker(a: argparse.Namespace) -> int:
    from sqlalchemy import event, select

    try:  # the engine's features, as merzim's entry installs them
        from workflow.installed import install
    except ImportError:
        pass
    else:
        install()
    from workflow.storage import audit

    if hasattr(audit, "keep_with"):  # the kept figures hear the appends once imported (as
        import workflow.kept  # noqa: F401  merzim's entry imports them); the previous head's
        # (storage/versions.py) are imported by the audit itself
    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.storage.db import make_engine, session
    from workflow.storage.models import EventRecord

    if a.bare:
        _without_kept()
    eng = make_engine(a.worker)
    statements = [0]

    @event.listens_for(eng, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    ctx = svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench-writer",
                      language="en")
    cases = [int(c) for c in a.case_ids.split(",")]
    departments = a.departments.split(",")
    rng = random.Random(a.seed)
    out: dict[str, dict[str, list[float]]] = {w: {"cpu_ms": [], "statements": []}
                                              for w in WRITES}

    def last_event(case: int) -> tuple[int, str, date, Any]:
        with session(eng) as s:
            r = s.execute(select(EventRecord).where(
                EventRecord.case_id == case, EventRecord.kind == "event",
                EventRecord.voided_by_id.is_(None)).order_by(EventRecord.id.desc())
                .limit(1)).scalars().one()
            return r.id, r.event, r.on, r.evidence

    def timed(kind: str, keep: bool, write: Any) -> Any:
        before, cpu = statements[0], time.process_time()
        with session(eng) as s:
            got = write(s)
            s.commit()
        cpu = time.process_time() - cpu
        if keep:
            out[kind]["cpu_ms"].append(cpu * 1000)
            out[kind]["statements"].append(statements[0] - before)
        return got

    def cycle(i: int, keep: bool) -> None:
        case = cases[i % len(cases)]
        rid, ev, on, evidence = last_event(case)
        timed("void", keep, lambda s: svc.void_record(s, ctx, case, str(rid), "bench: voided"))
        timed("record", keep,
              lambda s: svc.record_event(s, ctx, case, ev, on, evidence, repeat=True))
        if i % 2 == 0:
            opened = TODAY - timedelta(days=rng.randrange(20, 200))
            timed("open", keep, lambda s: svc.open_case(
                s, ctx, COI, rng.choice(departments), person=f"Bench {a.seed}-{i}",
                dates={"notified": opened}))

    for i in range(a.warm_up):
        cycle(i, False)
    profile = None
    if a.profile:
        import cProfile

        profile = cProfile.Profile(time.process_time)
        profile.enable()
    for i in range(a.warm_up, a.warm_up + a.writes):
        cycle(i, True)
    if profile is not None:
        import io
        import pstats

        profile.disable()
        text = io.StringIO()
        pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(60)
        print(text.getvalue(), file=sys.stderr)
    eng.dispose()
    print(json.dumps(out), flush=True)
    return 0


# -- the dataset ------------------------------------------------------------------------------


def build(url: str, orgs: int, n_cases: int) -> dict[str, Any]:
    """The dataset (module docstring, 1.) at `url`, upgraded first; what the writes need."""
    from sqlalchemy import select

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.storage.db import make_engine, session, upgrade
    from workflow.storage.models import EventRecord

    eng = make_engine(url)
    upgrade(eng)
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench",
                      language="en")
    rng = random.Random(SEED)
    departments: list[str] = []
    with session(eng) as s:
        svc.add_org(s, ctx, "KZ", "KZ", "akimat", None)
        regions = max(1, orgs // (DEPARTMENTS + 1))
        for r in range(regions):
            svc.add_org(s, ctx, f"R{r:02d}", f"Region {r}", "akimat", "KZ")
            for d in range(DEPARTMENTS):
                code = f"R{r:02d}-D{d:02d}"
                svc.add_org(s, ctx, code, f"Department {r}.{d}", "department", f"R{r:02d}")
                departments.append(code)
        s.commit()
    started = time.perf_counter()
    with session(eng) as s:
        for n in range(n_cases):
            opened = TODAY - timedelta(days=rng.randrange(20, 200))
            case = svc.open_case(s, ctx, COI, departments[n % len(departments)],
                                 person=f"P {n}", dates={"notified": opened})
            if n % 3 == 0:
                svc.record_event(s, ctx, case.id, "forwarded", opened + timedelta(days=3))
            if n % 100 == 99:
                s.commit()
                if n % 1000 == 999:
                    log(f"  {n + 1} cases ({time.perf_counter() - started:.0f} s)")
        s.commit()
    with session(eng) as s:
        recorded = sorted({c for (c,) in s.execute(select(EventRecord.case_id).where(
            EventRecord.kind == "event", EventRecord.voided_by_id.is_(None)))})
    eng.dispose()
    return {"organisations": 1 + regions * (DEPARTMENTS + 1), "cases": n_cases,
            "departments": departments, "recorded": recorded}


# -- the run ----------------------------------------------------------------------------------


def previous_checkout(rev: str, workdir: Path) -> tuple[str, Path]:
    """(short commit, a git worktree of it made once under the workdir)."""
    short = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=8", rev], check=True,
                           capture_output=True, text=True).stdout.strip()
    path = workdir / f"previous-{short}"
    if not (path / "workflow" / "__init__.py").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), short],
                       check=True, capture_output=True)
    return short, path


def run_leg(leg: str, url: str, info: dict[str, Any], a: argparse.Namespace, code: Path,
            seed: int, profile: bool = False) -> dict[str, dict[str, list[float]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env.update(PYTHONPATH=str(code), MERZIM_TODAY=TODAY.isoformat(), MERZIM_LANG="en")
    cases = info["recorded"][seed % 7::7][:max(a.writes + a.warm_up, 1)]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", url,
           "--case-ids", ",".join(map(str, cases)), "--departments",
           ",".join(info["departments"]), "--writes", str(a.writes), "--warm-up",
           str(a.warm_up), "--seed", str(seed), *(["--bare"] if leg.endswith("bare") else []),
           *(["--profile"] if profile else [])]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"leg {leg!r} failed: {done.stderr[-3000:]}")
    if profile:
        print(done.stderr, file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(backend: str, url: str, info: dict[str, Any], a: argparse.Namespace,
            codes: dict[str, Path]) -> dict[str, Any]:
    legs = list(LEGS) if "previous" in codes else ["kept", "bare"]
    got: dict[str, dict[str, dict[str, list[float]]]] = {
        leg: {w: {"cpu_ms": [], "statements": []} for w in WRITES} for leg in legs}
    loads = []
    for r in range(a.rounds):
        order = legs if r % 2 == 0 else legs[::-1]
        for leg in order:
            code = codes["previous" if leg.startswith("previous") else "this"]
            res = run_leg(leg, url, info, a, code, seed=100 * r + LEGS.index(leg))
            for w in WRITES:
                for k in ("cpu_ms", "statements"):
                    got[leg][w][k] += res[w][k]
        loads.append(round(os.getloadavg()[0], 2))
        log(f"{backend} round {r + 1}/{a.rounds} (load {loads[-1]}): " + ", ".join(
            f"{leg} {statistics.median(got[leg]['record']['cpu_ms']):.2f}"
            for leg in legs) + " ms a record so far")
    out: dict[str, Any] = {"loadavg": loads, "legs": {}}
    for leg in legs:
        out["legs"][leg] = {w: {
            "cpu_ms_median": round(statistics.median(got[leg][w]["cpu_ms"]), 3),
            "statements_median": statistics.median(got[leg][w]["statements"]),
            "statements_mean": round(statistics.fmean(got[leg][w]["statements"]), 2),
            "writes": len(got[leg][w]["cpu_ms"])} for w in WRITES}
    out["ratios"] = {}
    for w in WRITES:
        kept, bare = (out["legs"][x][w]["cpu_ms_median"] for x in ("kept", "bare"))
        r = {"kept/bare": round(kept / bare, 3)}
        if "previous kept" in out["legs"]:
            pk, pb = (out["legs"][x][w]["cpu_ms_median"] for x in ("previous kept",
                                                                   "previous bare"))
            r["previous kept/previous bare"] = round(pk / pb, 3)
            r["previous kept/bare"] = round(pk / bare, 3)
            r["kept/previous kept"] = round(kept / pk, 3)
        out["ratios"][w] = r
    if a.profile:
        run_leg("kept", url, info, a, codes["this"], seed=999, profile=True)
    return out


def table(results: dict[str, Any]) -> str:
    lines = ["| backend | write | leg | CPU ms (median) | statements (median / mean) |",
             "|---|---|---|---:|---:|"]
    for backend, res in results.items():
        for w in WRITES:
            for leg, x in res["legs"].items():
                y = x[w]
                lines.append(f"| {backend} | {w} | {leg} | {y['cpu_ms_median']:.2f} | "
                             f"{y['statements_median']:g} / {y['statements_mean']:.2f} |")
    lines += ["", "| backend | write | " + " | ".join(
        next(iter(results.values()))["ratios"]["record"]) + " |",
        "|---|---|" + "---:|" * len(next(iter(results.values()))["ratios"]["record"])]
    for backend, res in results.items():
        for w in WRITES:
            lines.append(f"| {backend} | {w} | " + " | ".join(
                f"{v:.3f}×" for v in res["ratios"][w].values()) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--orgs", type=int, default=300)
    p.add_argument("--cases", type=int, default=3000)
    p.add_argument("--writes", type=int, default=40, help="timed cycles a leg and round")
    p.add_argument("--warm-up", type=int, default=6)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--previous", default=PREVIOUS)
    p.add_argument("--no-previous", action="store_true")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-kept-write"))
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    p.add_argument("--case-ids", help=argparse.SUPPRESS)
    p.add_argument("--departments", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return worker(a)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import bench.boot  # noqa: F401  (the checkout's features installed)
    from bench.postgres import drop_schema, new_schema

    a.workdir.mkdir(parents=True, exist_ok=True)
    codes = {"this": ROOT}
    out: dict[str, Any] = {"machine": platform.node(), "python": platform.python_version(),
                           "today": TODAY.isoformat(), "writes": a.writes, "rounds": a.rounds,
                           "warm_up": a.warm_up, "load_before": round(os.getloadavg()[0], 2)}
    if not a.no_previous:
        short, codes["previous"] = previous_checkout(a.previous, a.workdir)
        out["previous"] = short
    results: dict[str, Any] = {}
    for backend in (("sqlite", "postgres") if a.backend == "both" else (a.backend,)):
        if backend == "sqlite":
            built_db = a.workdir / f"kept-write-{a.orgs}-{a.cases}.db"
            meta = built_db.with_suffix(".json")
            if not built_db.exists():
                log(f"building the dataset ({a.orgs} organisations, {a.cases} cases)")
                tmp = built_db.with_suffix(".building")
                tmp.unlink(missing_ok=True)
                info = build(f"sqlite:///{tmp}", a.orgs, a.cases)
                tmp.rename(built_db)
                meta.write_text(json.dumps(info), encoding="utf-8")
            info = json.loads(meta.read_text(encoding="utf-8"))
            db = a.workdir / "run.db"
            for leftover in a.workdir.glob("run.db*"):
                leftover.unlink()
            shutil.copyfile(built_db, db)
            results[backend] = measure(backend, f"sqlite:///{db}", info, a, codes)
        else:
            schema, url = new_schema(a.pg_url, "bench_kept_write_")
            try:
                log(f"building the dataset in PostgreSQL ({a.orgs} organisations, "
                    f"{a.cases} cases)")
                info = build(url, a.orgs, a.cases)
                results[backend] = measure(backend, url, info, a, codes)
            finally:
                drop_schema(a.pg_url, schema)
        results[backend]["dataset"] = {k: info[k] for k in ("organisations", "cases")}
    out["results"] = results
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(table(results))
    print(f"\nload average {out['load_before']} → {out['load_after']}")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
