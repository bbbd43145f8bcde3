"""Benchmark of `obligations sync`: opening the recurring obligations' cases of many
organisations, as the worker does every day (and as `init --demo` does for the demo).

Run from the repository root:

    git worktree add /tmp/merzim-f0d45c2 f0d45c2       # the previous head, once
    .venv/bin/python bench/obligations/run.py --backend sqlite|postgres|both \
        [--sizes 4x25,50x99] [--previous /tmp/merzim-f0d45c2 [--previous-sizes 4x25]] \
        [--json PATH]

For each backend and size (`AxD`: A akimats of D departments each, A x (D + 1)
organisations; 50x99 is a country of 5,000), in a fresh database (bench/import/run.py's
`fresh_database`: a SQLite file in a temporary directory, or a PostgreSQL schema of its own
dropped at the end), on 22 November 2026 (all 15 shipped obligations apply to both kinds,
except the district akimats' and the quasi-state entities'):

* **first sync**: every case opened (the current and the next period of each obligation, and
  earlier ones not yet due), one transaction, the commit included; wall and CPU seconds of
  the syncing process;
* **second sync**: nothing to open (what the worker does on most days).

`--previous DIR` also times the checkout in DIR (the previous head, which opened each case
through `open_case`) at `--previous-sizes` in the same run (this script run again with
MERZIM_BENCH_CODE=DIR, which makes it import `workflow` from DIR); at the country's size it
would take about 18 minutes, so its figure is per case at the smaller size, compared with
this code's at the same size.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CODE = Path(os.environ.get("MERZIM_BENCH_CODE") or ROOT)  # whose `workflow` is timed
sys.path.insert(0, str(CODE))

import bench.boot  # noqa: E402  (the checkout's features installed)
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402
from workflow.services import obligations  # noqa: E402
from workflow.storage.db import make_engine  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

bench_import: Any = bench.boot.import_bench()

TODAY = date(2026, 11, 22)
COUNTRY = 5000


def setup(eng, ctx, akimats: int, departments: int) -> int:
    with open_session(eng) as s:
        for a in range(akimats):
            akimat = f"AK{a:02d}"
            svc.add_org(s, ctx, akimat, f"Akimat {a}", "akimat")
            for d in range(departments):
                svc.add_org(s, ctx, f"{akimat}-D{d:02d}", f"Department {a}.{d}", "department",
                            akimat)
        s.commit()
    return akimats * (departments + 1)


def timed_sync(eng, ctx) -> tuple[int, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    with open_session(eng) as s:
        opened = obligations.sync(s, ctx)
        s.commit()
    return len(opened), time.perf_counter() - started, time.process_time() - cpu


def country_parser(description: str) -> argparse.ArgumentParser:
    """The options of a benchmark on one country in PostgreSQL (floor.py, bench/web/
    audit_reads.py): --sizes (one AxD), --pg-url, --json."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sizes", default="50x99")
    p.add_argument("--pg-url", default=os.environ.get(
        "MERZIM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--json", type=Path)
    return p


def sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in part.split("x")) for part in text.split(",") if part]


def context() -> Any:
    """The benchmarks' context: the calendar, the shipped registry, their day, a bench actor."""
    return svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench")


@contextmanager
def country_database(backend: str, pg_url: str, akimats: int,
                     departments: int) -> Iterator[tuple[str, Any, Any, int]]:
    """A fresh database (`fresh_database`) holding `setup`'s organisations: its URL, an engine
    on it (disposed at the end), the benchmarks' context and how many organisations it holds."""
    ctx = context()
    with bench_import.fresh_database(backend, pg_url) as url:
        eng = make_engine(url)
        yield url, eng, ctx, setup(eng, ctx, akimats, departments)
        eng.dispose()


def one_country(a: argparse.Namespace):
    """`country_database` in PostgreSQL, of `country_parser`'s options: its one size and URL."""
    (akimats, departments), = sizes(a.sizes)
    return country_database("postgres", a.pg_url, akimats, departments)


def run_size(backend: str, a: argparse.Namespace, akimats: int, departments: int) -> dict:
    out = {"backend": backend, "size": f"{akimats}x{departments}",
           "load_before": os.getloadavg()[0]}
    with country_database(backend, a.pg_url, akimats, departments) as (_url, eng, ctx, orgs):
        out["organisations"] = orgs
        out["load_sync"] = os.getloadavg()[0]
        out["cases"], out["first_s"], out["first_cpu_s"] = timed_sync(eng, ctx)
        out["again"], out["second_s"], _ = timed_sync(eng, ctx)
    out["ms_per_case"] = 1000 * out["first_s"] / max(out["cases"], 1)
    out["country_s"] = out["first_s"] * COUNTRY / out["organisations"]
    out["load_after"] = os.getloadavg()[0]
    print(f"{CODE}: {out}", file=sys.stderr)
    return out


def previous(backend: str, a: argparse.Namespace) -> list[dict]:
    """The checkout in `a.previous` at `a.previous_sizes`, same databases and day."""
    with tempfile.TemporaryDirectory(prefix="merzim-obligations-prev-") as tmp:
        out = Path(tmp) / "previous.json"
        env = {**os.environ, "MERZIM_BENCH_CODE": str(a.previous)}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--backend", backend,
                        "--sizes", a.previous_sizes, "--json", str(out), "--pg-url", a.pg_url],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())["results"]


def _revision(checkout: Path | None) -> str:
    """The commit checked out in `checkout` (no machine's path in a recorded result)."""
    if checkout is None:
        return ""
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or checkout.name


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--sizes", default="4x25,50x99", help="AxD,...: akimats x departments")
    p.add_argument("--previous", type=Path, help="a checkout of the previous head")
    p.add_argument("--previous-sizes", default="4x25")
    p.add_argument("--pg-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL",
                                                      bench_import.DEFAULT_PG))
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f}; timing {CODE}", file=sys.stderr)
    backends = ("sqlite", "postgres") if a.backend == "both" else (a.backend,)
    results, earlier = [], []
    for b in backends:
        results += [run_size(b, a, *size) for size in sizes(a.sizes)]
        if a.previous:
            earlier += previous(b, a)
    print("| backend | code | organisations | cases opened | first sync s (CPU s) | ms/case | "
          f"{COUNTRY:,} organisations s | second sync s (opened) | load before/during/after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for label, rows in (("now", results), ("previous head", earlier)):
        for r in rows:
            print(f"| {r['backend']} | {label} | {r['organisations']:,} | {r['cases']:,} | "
                  f"{r['first_s']:.2f} ({r['first_cpu_s']:.2f}) | {r['ms_per_case']:.3f} | "
                  f"{r['country_s']:.0f} | {r['second_s']:.2f} ({r['again']}) | "
                  f"{r['load_before']:.2f}/{r['load_sync']:.2f}/{r['load_after']:.2f} |")
    for old in earlier:
        new = next((r for r in results if (r["backend"], r["size"]) == (old["backend"],
                                                                        old["size"])), None)
        if new is not None:
            print(f"\n{old['backend']} {old['size']}: previous head / now = "
                  f"{old['ms_per_case'] / new['ms_per_case']:.1f}x per case (wall), "
                  f"{old['first_cpu_s'] / new['first_cpu_s']:.1f}x CPU")
    if a.json:
        a.json.write_text(json.dumps({"date": TODAY.isoformat(), "machine": platform.node(),
                                      "platform": platform.platform(),
                                      "python": platform.python_version(),
                                      "code": os.path.relpath(CODE, ROOT),
                                      "previous": _revision(a.previous), "results": results,
                                      "previous_results": earlier}, indent=2),
                          encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
