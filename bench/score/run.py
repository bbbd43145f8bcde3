"""Benchmark of `merzim score ROOT --year Y --subtree` over a national tree:
the evaluation of projects No. 1-4 of every subject under one root, as a whole command, next
to the previous head's in the same run.

Run from the repository root:

    git worktree add --detach /tmp/merzim-prev HEAD      # the previous head, once
    .venv/bin/python bench/score/run.py --backend postgres|sqlite \
        [--akimats 50 --departments 99] [--analyses 20000] [--entries 50] [--runs 3] \
        [--previous /tmp/merzim-prev] [--json PATH]

The data (one database, built once by this code's services, on 23 November 2026):

* a root (a central body, `RK`) with `--akimats` akimats of `--departments` departments each
  under it: 1 + 50 x 100 = 5,001 subjects with the defaults; one officer each (the
  responsible of the registers' entries); 5 % of them an external analysis in 2025;
* `--analyses` internal analyses of 2026 (project No. 1), planned in bulk
  (`services.plan_analyses`, the import's path; bench/import/run.py's rows);
* every recurring obligation's cases (`obligations sync`: the current and next periods);
* the demo's register entries (`[[entry]]` of workflow/services/demo.toml: projects No. 2-4)
  opened for `--entries` subjects each, with their records, through `services.open_checked`
  and `services.record_event` as an officer records them;
* on PostgreSQL, `ANALYZE` at the end (what autovacuum does after such a load; the test
  server runs without it, and a never-analysed schema is planned as the empty tables the
  migrations analysed).

Then `merzim score RK --year 2026 --subtree` runs `--runs` times in a fresh interpreter per
tree (this checkout, and `--previous`), the trees taking turns after one warm-up each; wall
and CPU seconds of the child (getrusage); both must print the same evaluation (checked).
Before each run the database is stamped with the tree's newest migration (`stamp`).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import bench.boot  # noqa: E402  (the checkout's features installed)
from bench.postgres import new_schema  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.core.errors import RuleViolation, UsageError  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402
from workflow.planning import bulk as planning_bulk  # noqa: E402
from workflow.planning import service as planning_svc  # noqa: E402
from workflow.services import demo, obligations  # noqa: E402
from workflow.storage.db import make_engine, upgrade  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

bench_import: Any = bench.boot.import_bench()

TODAY = date(2026, 11, 23)
YEAR = 2026
SEED = 20261123
LAUNCH = "import sys; from workflow.cli import main; sys.argv[0] = 'merzim'; sys.exit(main())"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def build(url: str, a: argparse.Namespace) -> dict:
    rng = random.Random(SEED)
    eng = make_engine(url)
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench")
    tree: dict = {"subjects": [], "objects": {}, "officer": {}, "external": {}}
    started = time.perf_counter()
    with open_session(eng) as s:
        svc.add_org(s, ctx, "RK", "Republic", "central_body")
        codes = ["RK"]
        for i in range(a.akimats):
            akimat = f"AK{i:02d}"
            svc.add_org(s, ctx, akimat, f"Akimat {i}", "akimat", "RK")
            codes.append(akimat)
            tree["objects"][akimat] = [akimat]
            for d in range(a.departments):
                dept = f"{akimat}-D{d:02d}"
                svc.add_org(s, ctx, dept, f"Department {i}.{d}", "department", akimat)
                codes.append(dept)
                tree["objects"][akimat].append(dept)
                tree["objects"][dept] = [dept]
        tree["objects"]["RK"] = ["RK"]
        for code in codes:
            tree["subjects"].append(code)
            svc.add_user(s, ctx, f"officer-{code}", f"Officer {code}", "officer", code)
            tree["officer"][code] = f"officer-{code}"
            if rng.random() < 0.05:
                done = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
                planning_svc.add_external(s, ctx, code, done, "Agency report")
                tree["external"][code] = done
        s.commit()
    log(f"{len(codes)} organisations in {time.perf_counter() - started:.1f} s")
    with open_session(eng) as s:
        planning_bulk.plan_analyses(s, ctx, bench_import.rows_for(tree, a.analyses))  # starts in 2026
        s.commit()
    log(f"{a.analyses} analyses at {time.perf_counter() - started:.1f} s")
    with open_session(eng) as s:
        opened = len(obligations.sync(s, ctx))
        s.commit()
    log(f"{opened} obligation cases at {time.perf_counter() - started:.1f} s")
    entries = 0
    items = [i for i in demo.DEMO.get("entry", []) if i["process"] in ctx.registry.loaded]
    chosen = rng.sample(codes[1:], a.entries)
    with open_session(eng) as s:
        for subject in chosen:
            for item in items:
                dates = {k: demo._when(ctx, v) for k, v in item.get("dates", {}).items()}
                fields = {k: str(v) for k, v in item.get("fields", {}).items()}
                try:  # an entry of a kind this subject is not (an akimat's, a body's) is left
                    with s.begin_nested():
                        case = svc.open_checked(s, ctx, item["process"], subject, None,
                                                item.get("person"), item.get("position"), fields,
                                                dates, tree["officer"][subject],
                                                duplicate_reason="bench").analysis
                        demo._record(s, ctx, case.id, item.get("records", []),
                                     date(YEAR, 1, 1), TODAY)
                except (UsageError, RuleViolation):
                    continue
                entries += 1
            s.commit()
    log(f"{entries} register entries at {time.perf_counter() - started:.1f} s")
    if eng.dialect.name == "postgresql":
        # the statistics autovacuum gathers after a bulk load (the test server runs without
        # it: the planner otherwise plans on the empty tables the migrations analysed); this
        # schema's tables only, not the other schemas of the database
        with eng.begin() as conn:
            for table in conn.execute(text("SELECT tablename FROM pg_tables "
                                           "WHERE schemaname = current_schema()")).scalars():
                conn.execute(text(f'ANALYZE "{table}"'))
        log(f"analysed at {time.perf_counter() - started:.1f} s")
    eng.dispose()
    return {"organisations": len(codes), "analyses": a.analyses, "obligation_cases": opened,
            "register_entries": entries, "build_s": time.perf_counter() - started}


def newest_revision(code: Path) -> str:
    """The newest migration a checkout knows (revisions are numbered "0001", "0002", ...)."""
    versions = code / "workflow" / "storage" / "migrations" / "versions"
    return max(p.name[:4] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


def stamp(url: str, tree: Path) -> None:
    """The database marked as at the tree's newest migration, so that the previous head runs
    on the schema built by this code (later migrations add tables and columns the previous
    code does not read; its check would otherwise refuse the newer schema)."""
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"),
                     {"v": newest_revision(tree)})
    eng.dispose()


def once(tree: Path, url: str, argv: list[str]) -> tuple[float, float, int, str]:
    stamp(url, tree)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env.update(PYTHONPATH=str(tree), MERZIM_TODAY=TODAY.isoformat(), MERZIM_DATABASE_URL=url,
               MERZIM_LANG="en", COLUMNS="200")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LAUNCH, *argv], cwd=tree, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.returncode, result.stdout + result.stderr


@contextlib.contextmanager
def database(a: argparse.Namespace) -> Iterator[str]:
    """The database timed: `--database`, a kept schema (`--keep`), or a fresh one."""
    if a.database:
        yield a.database
        return
    if not a.keep:
        with bench_import.fresh_database(a.backend, a.pg_url) as url:
            yield url
        return
    schema, url = new_schema(a.pg_url, "merzim_score_")
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()
    log(f"kept: --database '{url}' (DROP SCHEMA \"{schema}\" CASCADE when done)")
    yield url


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    p.add_argument("--akimats", type=int, default=50)
    p.add_argument("--departments", type=int, default=99)
    p.add_argument("--analyses", type=int, default=20000)
    p.add_argument("--entries", type=int, default=50, help="subjects given the demo's entries")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--previous", type=Path, help="a checkout of the previous head")
    p.add_argument("--pg-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL",
                                                      bench_import.DEFAULT_PG))
    p.add_argument("--database", help="time on this database (built by an earlier run, kept "
                   "with --keep) instead of building one")
    p.add_argument("--keep", action="store_true", help="build into a PostgreSQL schema that is "
                   "kept (its URL is printed) for --database")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    trees = {"now": ROOT, **({"previous": a.previous.resolve()} if a.previous else {})}
    out: dict = {"date": TODAY.isoformat(), "machine": platform.node(),
                 "platform": platform.platform(), "python": platform.python_version(),
                 "backend": a.backend, "load_before": os.getloadavg()[0]}
    command = ["score", "RK", "--year", str(YEAR), "--subtree"]
    with database(a) as url:
        out["data"] = build(url, a) if not a.database else {"database": a.database}
        texts = {}
        for name, tree in trees.items():  # warm-up; the printed evaluations compared
            wall, cpu, code, texts[name] = once(tree, url, command)
            log(f"{name} warm-up: {wall:.2f} s wall, {cpu:.2f} s CPU, exit {code}"
                + (f": {texts[name][-400:]}" if code else ""))
        out["same_output"] = len(set(texts.values())) == 1
        out["lines"] = texts["now"].count("\n")
        figures: dict = {name: {"wall": [], "cpu": [], "codes": []} for name in trees}
        for _ in range(a.runs):
            for name, tree in trees.items():
                wall, cpu, code, _text = once(tree, url, command)
                figures[name]["wall"].append(wall)
                figures[name]["cpu"].append(cpu)
                figures[name]["codes"].append(code)
                log(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU, exit {code}, "
                    f"load {os.getloadavg()[0]:.1f}")
    out["load_after"] = os.getloadavg()[0]
    out["figures"] = figures
    data = out["data"]
    built = (f"{data['organisations']:,} subjects, {a.analyses:,} analyses, "
             f"{data['obligation_cases']:,} obligation cases, {data['register_entries']:,} "
             "register entries" if "database" not in data else "a database built earlier")
    print(f"`merzim {' '.join(command)}` on {a.backend}: {built}; load "
          f"{out['load_before']:.1f} -> {out['load_after']:.1f}; same output: "
          f"{out['same_output']}\n")
    print("| code | median wall s | median CPU s | runs (wall) |")
    print("|---|---:|---:|---|")
    for name, f in figures.items():
        if not f["wall"]:  # (--runs 0: the data built, nothing timed)
            continue
        print(f"| {name} | {statistics.median(f['wall']):.2f} | "
              f"{statistics.median(f['cpu']):.2f} | "
              f"{', '.join(f'{w:.2f}' for w in f['wall'])} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0 if all(c == 0 for f in figures.values() for c in f["codes"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
