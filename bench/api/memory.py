"""The web process's memory under a repeated mixed load: does it level off?

Run from the repository root, over a dataset kept by bench/api/run.py (`--keep`):

    .venv/bin/python bench/api/memory.py --schema merzim_bench_api_XXXXXXXX \
        [--rounds 8] [--previous fcf20ff] [--json PATH]

One `merzim serve --no-worker` (this code, then the previous head's if asked) over the kept
PostgreSQL schema; each round sends, one after the other, the requests of a mixed
load as the root manager: the overdue, due and cases pages (HTML, session cookie), the overdue
export as CSV and XLSX, and the API's lists (`/api/v1/cases` at limits 50 and 500 and with
a state, `/api/v1/overdue`, `/api/v1/due`), plus a sign-in; after each round the server's
resident set (VmRSS) and its peak (VmHWM) from /proc. A process that leaks grows every round;
one whose growth is its largest answers' working set levels off after the first rounds at the
peak those answers need.

--peaks: what one request of the case list allocates at its peak (tracemalloc), this code's
`services.page_cases` (a page of 50 and of 500) against the previous head's list as its
`GET /api/v1/cases` read it (`services.list_cases` of the whole subtree, up to 100,000
cases, and each case's organisation), each in a fresh process over the same schema.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.web import run as web_bench  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.storage.db import make_engine, session  # noqa: E402

PASSWORD = "bench-memory-correct-horse"
PATHS = ["/overdue", "/due", "/cases", "/overdue.csv", "/overdue.xlsx"]
API = ["/api/v1/cases?limit=50", "/api/v1/cases?limit=500&offset=1000",
       "/api/v1/cases?state=ended&limit=500", "/api/v1/overdue?limit=500",
       "/api/v1/due?limit=500"]


def status_kb(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1])
    return out


def one_server(label: str, url: str, workdir: Path, code: Path | None, token: str,
               rounds: int) -> list[dict[str, Any]]:
    srv = web_bench.start_server(url, workdir, code)
    series = []
    try:
        cookie = web_bench.log_in(srv.base, "manager.kz", PASSWORD)
        series.append({"round": 0, **status_kb(srv.proc.pid), "seconds": 0.0})
        with httpx.Client(base_url=srv.base, timeout=900) as c:
            for n in range(1, rounds + 1):
                t0 = time.perf_counter()
                for path in PATHS:
                    r = c.get(path, cookies={"merzim_session": cookie, "merzim_lang": "en"})
                    assert r.status_code == 200, (path, r.status_code, r.text[:200])
                for path in API:
                    r = c.get(path, headers={"Authorization": f"Bearer {token}"})
                    assert r.status_code == 200, (path, r.status_code, r.text[:200])
                web_bench.log_in(srv.base, "manager.kz", PASSWORD)
                series.append({"round": n, **status_kb(srv.proc.pid),
                               "seconds": time.perf_counter() - t0})
                print(f"{label} round {n}: {series[-1]}", file=sys.stderr, flush=True)
    finally:
        srv.stop()
    return series


PEAK = """
import sys, tracemalloc
from calendars import KazakhstanCalendar
from sqlmodel import Session
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.storage.db import make_engine
try:
    from workflow.installed import install
    install()
except ImportError:
    pass
url, how, today = sys.argv[1], sys.argv[2], sys.argv[3]
from datetime import date
ctx = svc.Context(KazakhstanCalendar(), load_registry(), date.fromisoformat(today), actor="bench",
                  language="en")
eng = make_engine(url)
with Session(eng) as s:
    svc.get_org(s, "KZ")
    tracemalloc.start()
    if how == "whole":
        rows = [r for r in svc.list_cases(s, ctx, None, "KZ", None, limit=100000)
                if svc.get_org(s, r.subject) is not None]
    else:
        rows = svc.page_cases(s, ctx, scope_code="KZ", limit=int(how))[0]
    print(len(rows), tracemalloc.get_traced_memory()[1])
"""


def peaks(url: str, workdir: Path, previous: str | None) -> dict[str, Any]:
    """One request's allocation peak, each in a process of its own (MiB)."""
    import subprocess

    runs = [("this code, a page of 50", ROOT, "50"), ("this code, a page of 500", ROOT, "500")]
    if previous:
        runs.append((f"previous head {previous}, the whole subtree",
                     web_bench.previous_checkout(previous, workdir), "whole"))
    out = {}
    for label, code, how in runs:
        env = {**os.environ, "PYTHONPATH": str(code)}
        done = subprocess.run([sys.executable, "-c", PEAK, url, how, web_bench.TODAY.isoformat()],
                              env=env, capture_output=True, text=True, check=True, cwd=workdir)
        rows, peak = done.stdout.split()
        out[label] = {"rows": int(rows), "peak_mib": int(peak) / 2**20}
        print(f"{label}: {out[label]}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--schema", required=True)
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_TEST_POSTGRES_URL",
                                                            web_bench.DEFAULT_PG))
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--previous", metavar="REF")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-api"))
    p.add_argument("--peaks", action="store_true",
                   help="only one request's allocation peak, this code and the previous head")
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args(argv)
    info = json.loads((a.workdir / f"{a.schema}.json").read_text(encoding="utf-8"))
    sep = "&" if "?" in a.postgres_url else "?"
    url = f"{a.postgres_url}{sep}options=-csearch_path%3D{a.schema}"
    from workflow.services import accounts as auth

    if a.peaks:
        found = peaks(url, a.workdir, a.previous)
        print("\n".join(["| one request | rows | allocation peak (MiB) |", "|---|---|---|"]
                        + [f"| {k} | {v['rows']:,} | {v['peak_mib']:.1f} |"
                           for k, v in found.items()]))
        if a.json:
            Path(a.json).write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        return 0
    eng = make_engine(url)
    with session(eng) as s:
        auth.set_password(s, svc.get_user(s, "manager.kz"), PASSWORD, "bench")
        token = auth.create_api_token(s, svc.get_user(s, "manager.kz"), "bench/memory")
        s.commit()
    eng.dispose()
    results: dict[str, Any] = {"cases": info["cases"], "load_1min_before": os.getloadavg()[0],
                               "servers": {}}
    results["servers"]["this"] = one_server("this", url, a.workdir, None, token, a.rounds)
    if a.previous:
        results["servers"][f"previous {a.previous}"] = one_server(
            "previous", url, a.workdir, web_bench.previous_checkout(a.previous, a.workdir),
            token, a.rounds)
    results["load_1min_after"] = os.getloadavg()[0]
    lines = [f"web process memory over {info['cases']:,} cases, PostgreSQL; load "
             f"{results['load_1min_before']:.2f} → {results['load_1min_after']:.2f}", "",
             "| server | " + " | ".join(f"round {r['round']}" for r in
                                       results["servers"]["this"]) + " |",
             "|---|" + "---|" * len(results["servers"]["this"])]
    for name, series in results["servers"].items():
        lines.append(f"| {name}: VmRSS / VmHWM MiB | " + " | ".join(
            f"{r['VmRSS'] / 1024:.0f} / {r['VmHWM'] / 1024:.0f}" for r in series) + " |")
    print("\n".join(lines))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
