"""Benchmark of `obligations sync`: opening the recurring obligations' cases of many
organisations, as the worker does every day (and as `init --demo` does for the demo).

Run from the repository root:

    .venv/bin/python bench/obligations/run.py --backend sqlite|postgres|both \
        [--akimats 4] [--departments 25] [--json PATH]

For each backend, in a fresh database (bench/import/run.py's `fresh_database`: a SQLite file
in a temporary directory, or a PostgreSQL schema of its own dropped at the end) with
`--akimats` akimats of `--departments` departments each (all 15 shipped obligations apply to
both kinds, except the district akimats' and the quasi-state entities'), on 22 November 2026:

* **first sync**: every case opened (the current and the next period of each obligation, and
  earlier ones not yet due), one transaction, the commit included;
* **second sync**: nothing to open (what the worker does on most days).

The table gives the cases opened, the seconds, the milliseconds per case, and the time a
country of 5,000 organisations would take at that rate (issue 15, point 1, asks `obligations
sync` to plan in bulk; this is the one-by-one baseline it is measured against).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402
from workflow.services import obligations  # noqa: E402
from workflow.storage.db import make_engine  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench/import/run.py")
bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_import)

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


def timed_sync(eng, ctx) -> tuple[int, float]:
    started = time.perf_counter()
    with open_session(eng) as s:
        opened = obligations.sync(s, ctx)
        s.commit()
    return len(opened), time.perf_counter() - started


def run_backend(backend: str, a: argparse.Namespace) -> dict:
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), TODAY, actor="bench")
    out = {"backend": backend, "load_before": os.getloadavg()[0]}
    with bench_import.fresh_database(backend, a.pg_url) as url:
        eng = make_engine(url)
        out["organisations"] = setup(eng, ctx, a.akimats, a.departments)
        out["cases"], out["first_s"] = timed_sync(eng, ctx)
        out["again"], out["second_s"] = timed_sync(eng, ctx)
        eng.dispose()
    out["ms_per_case"] = 1000 * out["first_s"] / max(out["cases"], 1)
    out["country_s"] = out["first_s"] * COUNTRY / out["organisations"]
    out["load_after"] = os.getloadavg()[0]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    p.add_argument("--akimats", type=int, default=4)
    p.add_argument("--departments", type=int, default=25)
    p.add_argument("--pg-url", default=os.environ.get("MERZIM_TEST_POSTGRES_URL",
                                                      bench_import.DEFAULT_PG))
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    backends = ("sqlite", "postgres") if a.backend == "both" else (a.backend,)
    results = [run_backend(b, a) for b in backends]
    print("| backend | organisations | cases opened | first sync s | ms/case | "
          f"{COUNTRY:,} organisations s | second sync s (opened) | load before/after |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['organisations']} | {r['cases']} | {r['first_s']:.1f} | "
              f"{r['ms_per_case']:.1f} | {r['country_s']:.0f} | {r['second_s']:.2f} "
              f"({r['again']}) | {r['load_before']:.2f}/{r['load_after']:.2f} |")
    if a.json:
        a.json.write_text(json.dumps({"date": TODAY.isoformat(), "machine": platform.node(),
                                      "python": platform.python_version(),
                                      "results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
