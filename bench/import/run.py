"""Benchmark of the schedule import: the bulk path against planning one row at a time.

Run from the repository root:

    git worktree add /tmp/merzim-f0d45c2 f0d45c2       # the previous head, once
    .venv/bin/python bench/import/run.py --backend sqlite|postgres|both \
        [--sizes 20000] [--single 2000] [--json PATH] [--no-cli] \
        [--previous /tmp/merzim-f0d45c2]

`--previous DIR` also times the bulk path of the checkout in DIR (the previous head) on the
same rows in fresh databases, in the same run (this script run again with
MERZIM_BENCH_CODE=DIR, which makes it import `workflow` from DIR), and gives the ratio.

For each backend and size, in a fresh database (a SQLite file in a temporary directory; a
PostgreSQL schema of its own, dropped at the end) with 20 akimats of 25 departments, one
officer each, 5 % of them with an external analysis in 2025:

* **bulk, services**: `check_analyses` (phase 1: reads, checks, plans) and `write_analyses`
  plus the commit (phase 2: the write lock is held from its start to the commit's end);
* **bulk, CLI**: `merzim analysis import FILE` on a CSV of the same rows, wall time of the
  process (start-up and reading the file included), in another fresh database;
* **one by one** (`--single` rows): `plan_analysis` per row in one transaction, as the import
  did before; the write lock is held from the first INSERT to the commit's end.

During each service run a probe thread writes a small row every 20 ms in its own
transaction (as POST /login does); the table gives its slowest write (how long another
writer waited for the import's lock) and how many writes gave up after SQLite's 30 s busy
timeout (which once answered 500).

Rows (fixed seed): planned starts over every day of 2026 (weekends too, they get a warning),
30 % with an explicit end up to 60 days later, the one-year rule overridden with a reason
where it applies, 20 % naming the responsible officer.

`--register N[,N…]` also times the register import (`merzim case import restriction_breach`)
of N rows beside the analysis import, in fresh databases of the same tree: the services
(`register_import.check_file`, then `write_file`, which commits every batch of 500 rows) and
the CLI's wall time. Register rows (fixed seed): a subject of the tree, a person of its own,
one of the five kinds, the day detected over 2025, the measures in a third of them, 10 %
naming the officer, and `--register-events` of them (a share, 0 by default) with the
measures recorded (event `measures_taken`). `--previous DIR --register-previous N` times the
previous head's register import (`registers.import_cases`, every row in one transaction) of
N rows in the same run. The register import's result gives `lift_s` and `lift_cpu_s`: the
last batch's statements that end the import (`register_import._end`: its ranges of case ids
deleted, the stages of the programmes it made given back; a checkout before it: `_lift`, the
mark lifted from every case and stage the import wrote).

`--register-stored S[,S…]` times the register import of `--register-stored-rows` rows (8,000
by default) into subjects already holding S facts (a register file of S rows of other persons
imported first, in the same fresh database): the CPU of its check (phase 1) and of its write
(phase 2, batches of 500, every commit), and the largest write CPU against the smallest. With
`--previous DIR` the previous head's import is timed on the same rows and sizes in the same
run. `--register-stored-process internal_risk_analysis` does the same with the analyses'
schedule as a register (its planning feature plans the file): the subjects hold S one-day
analyses of themselves, a week apart, and the file adds the weeks after (the duplicate rule
compares every row with its subject's stored analyses).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, select, text

ROOT = Path(__file__).resolve().parents[2]
CODE = Path(os.environ.get("MERZIM_BENCH_CODE") or ROOT)  # whose `workflow` is timed
sys.path.insert(0, str(CODE))

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_definition, load_registry  # noqa: E402
from workflow.planning import bulk as planning_bulk  # noqa: E402
from workflow.planning import service as planning_svc  # noqa: E402
from workflow.storage import audit  # noqa: E402
from workflow.storage.db import make_engine, upgrade  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402
from workflow.storage.models import Case, WorkerState  # noqa: E402

TODAY = date(2026, 2, 1)
SEED = 20261201
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
AKIMATS, DEPARTMENTS = 20, 25


@contextlib.contextmanager
def fresh_database(backend: str, pg_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="merzim-import-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            eng = make_engine(url)
            upgrade(eng)
            eng.dispose()
            yield url
        return
    schema = f"merzim_import_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    url = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    try:
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def setup(eng, ctx) -> dict:
    rng = random.Random(SEED)
    tree: dict = {"subjects": [], "objects": {}, "officer": {}, "external": {}}
    with open_session(eng) as s:
        for a in range(AKIMATS):
            akimat = f"AK{a:02d}"
            svc.add_org(s, ctx, akimat, f"Akimat {a}", "akimat")
            tree["objects"][akimat] = [akimat]
            for d in range(DEPARTMENTS):
                dept = f"{akimat}-D{d:02d}"
                svc.add_org(s, ctx, dept, f"Department {a}.{d}", "department", akimat)
                tree["objects"][akimat].append(dept)
                tree["objects"][dept] = [dept]
            for code in tree["objects"][akimat]:
                tree["subjects"].append(code)
                login = f"officer-{code}"
                svc.add_user(s, ctx, login, f"Officer {code}", "officer", code)
                tree["officer"][code] = login
                if rng.random() < 0.05:
                    done = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
                    planning_svc.add_external(s, ctx, code, done, "Agency report")
                    tree["external"][code] = done
        s.commit()
    return tree


def rows_for(tree: dict, n: int) -> list:
    rng = random.Random(SEED + n)
    rows = []
    periods: dict[tuple[str, str], list[tuple[date, date]]] = {}
    for i in range(n):
        subject = rng.choice(tree["subjects"])
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        end = start + timedelta(days=rng.randrange(60)) if rng.random() < 0.3 else None
        ext = tree["external"].get(subject)
        reason = ("Follow-up asked by the agency"
                  if ext is not None and start < ext.replace(year=ext.year + 1) else None)
        who = tree["officer"][subject] if rng.random() < 0.2 else None
        obj = rng.choice(tree["objects"][subject])
        # a second analysis of the pair that may overlap an earlier one is confirmed with a
        # reason (no end: 60 days, more than the 30 working days of the default end)
        last, earlier = end or start + timedelta(days=60), periods.setdefault((subject, obj), [])
        duplicate = ("Planned again by the bench"
                     if any(a <= last and b >= start for a, b in earlier) else None)
        earlier.append((start, last))
        rows.append(planning_bulk.AnalysisRow(i + 2, subject, obj, start, end, reason, who, duplicate))
    return rows


class Probe:
    """Another writer: a small committed write every 20 ms; its slowest one is recorded."""

    def __init__(self, url: str):
        self.eng, self.stop, self.worst = make_engine(url), threading.Event(), 0.0
        self.writes = self.failed = 0
        with open_session(self.eng) as s:
            s.add(WorkerState(key="probe", value="0"))
            s.commit()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        from sqlalchemy.exc import OperationalError

        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                with self.eng.begin() as conn:
                    conn.execute(text("UPDATE worker_state SET value = :v WHERE key = 'probe'"),
                                 {"v": str(self.writes)})
                self.writes += 1
            except OperationalError:  # SQLite: busy for longer than busy_seconds (30 s)
                self.failed += 1
            self.worst = max(self.worst, time.perf_counter() - t)
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.eng.dispose()


def bulk(url: str, ctx, tree: dict, n: int) -> dict:
    eng = make_engine(url)
    rows = rows_for(tree, n)
    with Probe(url) as probe, open_session(eng) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        checked = planning_bulk.check_analyses(s, ctx, rows)
        t1, c1 = time.perf_counter(), time.process_time()
        planned = planning_bulk.write_analyses(s, ctx, checked)
        s.commit()
        t2, c2 = time.perf_counter(), time.process_time()
    with open_session(eng) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == n
        assert audit.verify(s).ok
    eng.dispose()
    return {"rows": n, "phase1_s": t1 - t0, "phase2_s": t2 - t1, "total_s": t2 - t0,
            "lock_s": t2 - t1, "cpu1_s": c1 - c0, "cpu2_s": c2 - c1,
            "warnings": sum(len(p.warnings) for p in planned),
            "probe_worst_s": probe.worst, "probe_writes": probe.writes,
            "probe_failed": probe.failed}


def one_by_one(url: str, ctx, tree: dict, n: int) -> dict:
    eng = make_engine(url)
    rows = rows_for(tree, n)
    first: list[float] = []

    def on_write(conn, cursor, statement, *args):
        if not first and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
            first.append(time.perf_counter())

    event.listen(eng, "before_cursor_execute", on_write)
    with Probe(url) as probe, open_session(eng) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        for r in rows:
            planning_svc.plan_analysis(s, ctx, r.subject, r.object, r.start, r.end, r.override_reason,
                              r.responsible, r.duplicate_reason)
        s.commit()
        t2, c2 = time.perf_counter(), time.process_time()
    eng.dispose()
    return {"rows": n, "total_s": t2 - t0, "lock_s": t2 - first[0], "cpu_s": c2 - c0,
            "probe_worst_s": probe.worst, "probe_writes": probe.writes,
            "probe_failed": probe.failed}


def merzim(url: str, tmp: Path, n: int, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run `merzim ARGS` on `url` in `tmp`, allowed imports of `n` rows: (the run, its wall
    seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env.update(MERZIM_DATABASE_URL=url, MERZIM_TODAY=TODAY.isoformat(), MERZIM_LANG="en",
               PYTHONPATH=str(ROOT), MERZIM_CONFIG=str(tmp / "config.toml"))
    (tmp / "config.toml").write_text(f"[import]\nrows = {n + 10}\nmegabytes = 50\n")
    script = Path(sys.executable).parent / "merzim"
    t0 = time.perf_counter()
    run = subprocess.run([str(script), *args], env=env, capture_output=True, text=True, cwd=tmp)
    return run, time.perf_counter() - t0


def cli(url: str, tree: dict, n: int) -> dict:
    rows = rows_for(tree, n)
    with tempfile.TemporaryDirectory(prefix="merzim-import-csv-") as tmp:
        path = Path(tmp) / "schedule.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["subject", "object", "start", "end", "override_reason", "responsible",
                        "duplicate_reason"])
            for r in rows:
                w.writerow([r.subject, r.object, r.start, r.end or "", r.override_reason or "",
                            r.responsible or "", r.duplicate_reason or ""])
        run, wall = merzim(url, Path(tmp), n, "analysis", "import", str(path))
    assert run.returncode == 0, run.stderr
    assert f"{n} analyses planned" in run.stdout, run.stdout[:200]
    return {"rows": n, "wall_s": wall}


KINDS = ("incompatible_activity", "conflict_of_interest", "insider_information",
         "reward_or_gift", "foreign_account")


def register_rows(tree: dict, n: int, events: float = 0.0) -> list[dict[str, str]]:
    rng = random.Random(SEED + 7 * n)
    rows = []
    for i in range(n):
        subject = rng.choice(tree["subjects"])
        detected = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        kind = rng.choice(KINDS)
        row = {"subject": subject, "person": f"Person {i}", "position": "Chief expert",
               "kind": kind, "detected": detected.isoformat(),
               # the fields 2.5.1 and 2.5.2 require (000:L1108-1110, L1127-1129)
               "additional_activity": "Paid consulting" if kind == KINDS[0] else "",
               "circumstances": "A relative's company audited" if kind == KINDS[1] else "",
               "measures": "Reprimand" if rng.random() < 0.33 else "",
               "responsible": tree["officer"][subject] if rng.random() < 0.1 else "",
               "event": "", "on": ""}
        if rng.random() < events:
            row.update(event="measures_taken", on=(detected + timedelta(days=20)).isoformat())
        rows.append(row)
    return rows


def register(url: str, ctx, tree: dict, n: int, events: float) -> dict:
    """The register import through the services, as `merzim case import` runs it (the
    previous head: `registers.import_cases` in one transaction)."""
    try:
        from workflow.imports import registers as register_import
    except ImportError:
        try:  # a head from before the imports' own package
            from workflow.services import register_import  # type: ignore[no-redef]
        except ImportError:
            register_import = None
    from workflow.services import registers

    eng = make_engine(url)
    rows = register_rows(tree, n, events)
    batches: list[float] = []
    # the last batch's end of the import: its ranges deleted (`_end`; before: the lift of
    # its mark from every case and stage, `_lift`)
    lifted: list[tuple[float, float]] = []
    ending = "_end" if hasattr(register_import, "_end") else "_lift"
    real_lift = getattr(register_import, ending, None)
    if real_lift is not None:
        def timed_lift(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            real_lift(*args, **kwargs)
            lifted.append((time.perf_counter() - t, time.process_time() - c))
        setattr(register_import, ending, timed_lift)
    with Probe(url) as probe, open_session(eng) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        if register_import is not None:
            checked = register_import.check_file(s, ctx, "restriction_breach", rows)
            t1 = time.perf_counter()
            register_import.write_file(s, ctx, checked,
                                       lambda _id, _n, _t: batches.append(time.perf_counter()))
        else:
            t1 = t0
            registers.import_cases(s, ctx, "restriction_breach", rows)
        s.commit()
        t2, c2 = time.perf_counter(), time.process_time()
    if real_lift is not None:
        setattr(register_import, ending, real_lift)
    with open_session(eng) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == n
        assert audit.verify(s).ok
    eng.dispose()
    gaps = [b - a for a, b in zip([t1, *batches], batches, strict=False)]
    return {"rows": n, "events": events, "phase1_s": t1 - t0, "phase2_s": t2 - t1,
            "lift_s": sum(w for w, _ in lifted), "lift_cpu_s": sum(c for _, c in lifted),
            "total_s": t2 - t0, "cpu_s": c2 - c0, "batches": len(batches),
            "slowest_batch_s": max(gaps, default=t2 - t1),
            "probe_worst_s": probe.worst, "probe_writes": probe.writes,
            "probe_failed": probe.failed}


def register_cli(url: str, tree: dict, n: int, events: float) -> dict:
    rows = register_rows(tree, n, events)
    with tempfile.TemporaryDirectory(prefix="merzim-import-csv-") as tmp:
        path = Path(tmp) / "register.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        run, wall = merzim(url, Path(tmp), n, "case", "import", "restriction_breach", str(path))
    assert run.returncode == 0, run.stderr
    assert f"{n:,}".replace(",", "") in run.stdout.splitlines()[0], run.stdout[:200]
    return {"rows": n, "events": events, "wall_s": wall}


ANALYSIS = "internal_risk_analysis"  # the analyses' schedule as a register (its feature plans it)
STORED_MAX = 32000  # the most analyses stored first (`--register-stored`)


def analysis_register_rows(tree: dict, n: int, first: int = 0) -> list[dict[str, str]]:
    """`n` rows of the analyses' register from the `first`-th on: each subject in turn
    analyses itself for a day, a week after its previous one, from 2027 on (after every
    external analysis's year: no override needed; none overlaps another)."""
    subjects = tree["subjects"]
    rows = []
    for j in range(first, first + n):
        day = (date(2027, 1, 4) + timedelta(weeks=j // len(subjects))).isoformat()
        subject = subjects[j % len(subjects)]
        rows.append({"subject": subject, "object": subject, "start": day, "end": day})
    return rows


def register_stored(url: str, ctx, tree: dict, n: int, stored: int,
                    process: str = "restriction_breach") -> dict:
    """The register import of `n` rows into subjects already holding `stored` facts (a file
    of other persons, or of other days, imported before): the CPU and wall time of its check
    and of its write."""
    try:
        from workflow.imports import registers as register_import
    except ImportError:  # a head from before the imports' own package
        from workflow.services import register_import  # type: ignore[no-redef]

    eng = make_engine(url)
    if process == ANALYSIS:
        before = analysis_register_rows(tree, stored)
        assert stored <= STORED_MAX
        rows = analysis_register_rows(tree, n, STORED_MAX)  # the weeks after theirs
    else:
        before = [{**r, "person": f"Stored {r['person']}"} for r in register_rows(tree, stored)]
        rows = register_rows(tree, n)
    if stored:
        with open_session(eng) as s:
            register_import.import_file(s, ctx, process, before)
            s.commit()
    with open_session(eng) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        checked = register_import.check_file(s, ctx, process, rows)
        t1, c1 = time.perf_counter(), time.process_time()
        register_import.write_file(s, ctx, checked)
        s.commit()
        t2, c2 = time.perf_counter(), time.process_time()
    with open_session(eng) as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar_one() == stored + n
        assert audit.verify(s).ok
    eng.dispose()
    return {"rows": n, "stored": stored, "process": process, "check_s": t1 - t0,
            "write_s": t2 - t1,
            "check_cpu_s": c1 - c0, "write_cpu_s": c2 - c1}


def previous(backend: str, a: argparse.Namespace) -> tuple:
    """The bulk path of the checkout in `a.previous`, same sizes, rows and databases."""
    with tempfile.TemporaryDirectory(prefix="merzim-import-prev-") as tmp:
        out = Path(tmp) / "previous.json"
        env = {**os.environ, "MERZIM_BENCH_CODE": str(a.previous)}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--backend", backend,
                        "--sizes", ",".join(map(str, a.sizes)) if a.previous_analysis else "",
                        "--single", "0", "--no-cli",
                        "--register", ",".join(map(str, a.register_previous)),
                        "--register-events", str(a.register_events),
                        "--register-stored", ",".join(map(str, a.register_stored)),
                        "--register-stored-rows", str(a.register_stored_rows),
                        "--register-stored-process", a.register_stored_process,
                        "--json", str(out), "--postgres-url", a.postgres_url],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        found = json.loads(out.read_text())["results"][0]
        return found["bulk"], found.get("register", []), found.get("register_stored", [])


def run_backend(backend: str, a: argparse.Namespace, ctx, every) -> dict:
    out: dict = {"backend": backend, "bulk": [], "cli": [], "single": None,
                 "previous": [], "register": [], "register_cli": [], "register_previous": [],
                 "register_stored": [], "register_stored_previous": [],
                 "load_before": os.getloadavg()[0]}
    for n in a.sizes:
        with fresh_database(backend, a.postgres_url) as url:
            tree = setup(make_engine(url), ctx)
            out["bulk"].append(bulk(url, ctx, tree, n))
        print(f"{backend} bulk {n}: {out['bulk'][-1]}", file=sys.stderr)
        if a.cli:
            with fresh_database(backend, a.postgres_url) as url:
                tree = setup(make_engine(url), ctx)
                out["cli"].append(cli(url, tree, n))
            print(f"{backend} cli {n}: {out['cli'][-1]}", file=sys.stderr)
    for n in a.register:
        with fresh_database(backend, a.postgres_url) as url:
            tree = setup(make_engine(url), ctx)
            out["register"].append(register(url, every, tree, n, a.register_events))
        print(f"{backend} register {n}: {out['register'][-1]}", file=sys.stderr)
        if a.cli:
            with fresh_database(backend, a.postgres_url) as url:
                tree = setup(make_engine(url), ctx)
                out["register_cli"].append(register_cli(url, tree, n, a.register_events))
            print(f"{backend} register cli {n}: {out['register_cli'][-1]}", file=sys.stderr)
    for stored in a.register_stored:
        with fresh_database(backend, a.postgres_url) as url:
            tree = setup(make_engine(url), ctx)
            out["register_stored"].append(register_stored(
                url, every, tree, a.register_stored_rows, stored, a.register_stored_process))
        print(f"{backend} register into {stored} facts: {out['register_stored'][-1]}",
              file=sys.stderr)
    if a.previous:
        out["load_previous"] = os.getloadavg()[0]
        (out["previous"], out["register_previous"],
         out["register_stored_previous"]) = previous(backend, a)
        print(f"{backend} previous head bulk: {out['previous']}", file=sys.stderr)
        print(f"{backend} previous head register: {out['register_previous']}",
              file=sys.stderr)
    if a.single:
        with fresh_database(backend, a.postgres_url) as url:
            tree = setup(make_engine(url), ctx)
            out["single"] = one_by_one(url, ctx, tree, a.single)
        print(f"{backend} one by one {a.single}: {out['single']}", file=sys.stderr)
    out["load_after"] = os.getloadavg()[0]
    return out


def markdown(results: list[dict]) -> str:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    lines = ["| backend | path | rows | phase 1 (check, plan) s | phase 2 (write, commit) s | "
             "total s | ms/row | importer's CPU s | write lock held s | "
             "other writer's slowest write ms (gave up) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        b = names[r["backend"]]
        for x in r["bulk"]:
            lines.append(f"| {b} | bulk (services) | {x['rows']:,} | {x['phase1_s']:.2f} | "
                         f"{x['phase2_s']:.2f} | {x['total_s']:.2f} | "
                         f"{1000 * x['total_s'] / x['rows']:.2f} | "
                         f"{x['cpu1_s']:.2f} + {x['cpu2_s']:.2f} | {x['lock_s']:.2f} | "
                         f"{1000 * x['probe_worst_s']:.0f} ({x.get('probe_failed', 0)}) |")
        for x, new in zip(r.get("previous", []), r["bulk"], strict=False):
            lines.append(f"| {b} | bulk, previous head (`--previous`) | "
                         f"{x['rows']:,} | {x['phase1_s']:.2f} | {x['phase2_s']:.2f} | "
                         f"{x['total_s']:.2f} | {1000 * x['total_s'] / x['rows']:.2f} | "
                         f"{x['cpu1_s']:.2f} + {x['cpu2_s']:.2f} | {x['lock_s']:.2f} | "
                         f"{1000 * x['probe_worst_s']:.0f} ({x.get('probe_failed', 0)}) |")
            lines.append(f"| {b} | **previous / now** | {x['rows']:,} | "
                         f"{x['phase1_s'] / new['phase1_s']:.2f}× | "
                         f"{x['phase2_s'] / new['phase2_s']:.2f}× | "
                         f"**{x['total_s'] / new['total_s']:.2f}×** | | "
                         f"{(x['cpu1_s'] + x['cpu2_s']) / (new['cpu1_s'] + new['cpu2_s']):.2f}× "
                         "| | |")
        for x in r["cli"]:
            lines.append(f"| {b} | bulk (`merzim analysis import`, wall) | {x['rows']:,} | | | "
                         f"{x['wall_s']:.2f} | {1000 * x['wall_s'] / x['rows']:.2f} | | | |")
        for x in r.get("register", []):
            lines.append(f"| {b} | register import (services, batches of 500) | {x['rows']:,} | "
                         f"{x['phase1_s']:.2f} | {x['phase2_s']:.2f} | {x['total_s']:.2f} | "
                         f"{1000 * x['total_s'] / x['rows']:.2f} | {x['cpu_s']:.2f} | "
                         f"{x['slowest_batch_s']:.2f} (a batch) | "
                         f"{1000 * x['probe_worst_s']:.0f} ({x.get('probe_failed', 0)}) |")
        for x in r.get("register_previous", []):
            lines.append(f"| {b} | register import, previous head (one transaction) | "
                         f"{x['rows']:,} | | | {x['total_s']:.2f} | "
                         f"{1000 * x['total_s'] / x['rows']:.2f} | {x['cpu_s']:.2f} | "
                         f"{x['total_s']:.2f} | "
                         f"{1000 * x['probe_worst_s']:.0f} ({x.get('probe_failed', 0)}) |")
        for x in r.get("register_cli", []):
            lines.append(f"| {b} | register import (`merzim case import`, wall) | {x['rows']:,} "
                         f"| | | {x['wall_s']:.2f} | {1000 * x['wall_s'] / x['rows']:.2f} | | | |")
        for x, y in zip(r.get("register_cli", []), r["cli"], strict=False):
            if x["rows"] == y["rows"]:
                lines.append(f"| {b} | **register / analysis import (CLI wall)** | "
                             f"{x['rows']:,} | | | **{x['wall_s'] / y['wall_s']:.2f}×** | | | | |")
        for x, y in zip(r.get("register", []), r["bulk"], strict=False):
            if x["rows"] == y["rows"]:
                lines.append(f"| {b} | **register / analysis import (services)** | "
                             f"{x['rows']:,} | | | **{x['total_s'] / y['total_s']:.2f}×** | | | "
                             "| |")
        if r["single"]:
            x = r["single"]
            lines.append(f"| {b} | one by one (`plan_analysis`) | {x['rows']:,} | | | "
                         f"{x['total_s']:.2f} | {1000 * x['total_s'] / x['rows']:.2f} | "
                         f"{x['cpu_s']:.2f} | {x['lock_s']:.2f} | "
                         f"{1000 * x['probe_worst_s']:.0f} ({x.get('probe_failed', 0)}) |")
    return "\n".join([*lines, *stored_table(results)])


def stored_table(results: list[dict]) -> list[str]:
    """The register import into subjects holding more and more facts (`--register-stored`)."""
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    lines = ["", "| backend | register | code | existing facts | rows | check CPU s | "
             "write CPU s | write wall s | write CPU / the fewest facts' |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    spread = []
    for r in results:
        for code, key in (("now", "register_stored"), ("previous head", "register_stored_previous")):
            found = r.get(key) or []
            if not found:
                continue
            least = found[0]["write_cpu_s"]
            for x in found:
                lines.append(f"| {names[r['backend']]} | {x.get('process', 'restriction_breach')} | "
                             f"{code} | {x['stored']:,} | {x['rows']:,} | "
                             f"{x['check_cpu_s']:.2f} | {x['write_cpu_s']:.2f} | "
                             f"{x['write_s']:.2f} | {x['write_cpu_s'] / least:.2f}× |")
            cpu = [x["write_cpu_s"] for x in found]
            spread.append(f"{names[r['backend']]}, {code}: the largest write CPU "
                          f"{max(cpu) / min(cpu):.2f}× the smallest")
    return [*lines, "", *spread] if spread else []


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--sizes", default="20000")
    p.add_argument("--single", type=int, default=0, help="rows one by one (0: skip)")
    p.add_argument("--previous", type=Path,
                   help="a checkout of the previous head: its bulk path timed in the same run")
    p.add_argument("--register", default="",
                   help="register-import sizes (restriction_breach rows), e.g. 10000")
    p.add_argument("--register-events", type=float, default=0.0,
                   help="the share of register rows that record an event")
    p.add_argument("--register-previous", default="",
                   help="with --previous: the previous head's register import at these sizes")
    p.add_argument("--previous-analysis", action=argparse.BooleanOptionalAction, default=True,
                   help="with --previous: also its analysis import (--sizes)")
    p.add_argument("--register-stored", default="",
                   help="register imports into subjects holding these many facts, e.g. "
                        "0,8000,16000")
    p.add_argument("--register-stored-rows", type=int, default=8000,
                   help="the rows of each --register-stored import")
    p.add_argument("--register-stored-process", default="restriction_breach",
                   choices=("restriction_breach", ANALYSIS),
                   help="the register of the --register-stored imports (internal_risk_analysis: "
                        "the analyses' schedule, planned by its feature)")
    p.add_argument("--no-cli", dest="cli", action="store_false")
    p.add_argument("--json", type=Path)
    p.add_argument("--postgres-url",
                   default=os.environ.get("MERZIM_BENCH_POSTGRES_URL", DEFAULT_PG))
    a = p.parse_args(argv)
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    a.register = [int(x) for x in a.register.split(",") if x]
    a.register_previous = [int(x) for x in a.register_previous.split(",") if x]
    a.register_stored = [int(x) for x in a.register_stored.split(",") if x]
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), TODAY, actor="bench")
    every = svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench",
                        language="en")  # every definition: the registers
    print(f"load average before: {os.getloadavg()[0]:.2f}; timing {CODE.name}", file=sys.stderr)
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    results = [run_backend(b, a, ctx, every) for b in backends]
    print(markdown(results))
    if a.json:
        a.json.write_text(json.dumps({"machine": {"platform": platform.platform(),
                                                  "cpus": os.cpu_count(),
                                                  "python": platform.python_version()},
                                      "code": "<checkout>",  # not this machine's path
                                      "previous": str(a.previous or ""),
                                      "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
