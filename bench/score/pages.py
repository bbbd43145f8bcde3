"""The root's pages over the tree of `run.py` (5,001 subjects): bytes and server CPU of each.

Run from the repository root on a database `run.py --keep` built:

    .venv/bin/python bench/score/pages.py --database 'postgresql+psycopg://...search_path%3D<schema>' \
        [--repeats 5] [--json PATH]

The application is the one `merzim serve` builds (`web.app.app_factory`, this checkout's
features installed), called in this process through Starlette's test client, so the CPU
measured (`time.process_time`: the process's threads, user + system) is the server's work
for the request: routing, the session, the queries' Python side, the page drawn. The
database's own CPU is not in it. A manager of the root `RK` is added once (a password, set
again only when it does not match; an API token).
Each address is asked once cold (the figures kept across requests not yet computed:
the first request after a start or after a write in the root's subtree that changes every
subject's figures) and then `--repeats` times (kept); the median is printed, with the floor
beside it: `bench/web/floor.py`'s one-SELECT route in the same process, the same way.

Then "after a write below the root": for the pages `--after` names, `--repeats` times, an
analysis is planned in one department (`planning.service.plan_analysis`, the service layer a
request calls: a write moving the department's, its akimat's and the root's versions; a
different department each time; `--write entry`: a register entry of the demo's opened with
its records there instead, `services.open_checked`, so that projects No. 2-4's figures change)
and the page asked once; the CPU of the request alone (not of the write) is measured, the
median printed. What is written stays in the data. With `--started`, the application is first
started as `merzim serve` starts it (its lifespan's start: the roots' figures worked out in the
background, `[scorecard] warm_at_start`), that work waited for and its CPU printed: "cold" is
then the first request after a start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TODAY = "2026-11-23"
YEAR = 2026
MANAGER = "bench-root-manager"
PASSWORD = "bench-root-pages-1"


def pages() -> list[tuple[str, str]]:
    return [
        ("score list", f"/score?org=RK&year={YEAR}"),
        ("score list, page 60", f"/score?org=RK&year={YEAR}&page=60"),
        ("score list, sorted by total", f"/score?org=RK&year={YEAR}&sort=total&dir=asc"),
        ("score list, searched", f"/score?org=RK&year={YEAR}&q=AK17-D42"),
        ("root's score page", f"/score/RK?year={YEAR}"),
        ("overview", "/overview?org=RK"),
        ("coverage", f"/coverage?org=RK&year={YEAR}"),
    ]


def api() -> list[tuple[str, str]]:
    return [
        ("API scores, subtree", f"/api/v1/scores?org=RK&year={YEAR}&subtree=true"),
        ("API scores, root", f"/api/v1/scores?org=RK&year={YEAR}"),
        ("API coverage", f"/api/v1/coverage?org=RK&year={YEAR}"),
        ("API subjects' summary", f"/api/v1/scores/summary?org=RK&year={YEAR}"),
        ("API organisations taken in, a page",
         f"/api/v1/scores/organisations?org=RK&year={YEAR}&limit=500"),
    ]


def timed(client: Any, url: str) -> tuple[float, int, int]:
    start = time.process_time()
    r = client.get(url)
    return time.process_time() - start, len(r.content), r.status_code


def started(app: Any) -> float:
    """The application started as `merzim serve` starts it (its lifespan's start), its
    background work waited for: the CPU seconds of the process meanwhile."""
    import threading

    from fastapi.testclient import TestClient

    start = time.process_time()
    with TestClient(app):
        for thread in threading.enumerate():
            if thread.name.startswith("merzim-warm"):
                thread.join()
    return time.process_time() - start


def manager(app: Any) -> str:
    """The root's manager added if missing, her password set if it does not match, an API
    token of hers made: the token."""
    from workflow import services as svc
    from workflow.services import accounts as auth
    from workflow.storage.db import session

    with session(app.state.engine) as s:
        ctx = svc.Context(app.state.calendar, app.state.registry, date.fromisoformat(TODAY), actor="bench")
        try:
            user = svc.get_user(s, MANAGER)
        except Exception:  # not added yet
            user = svc.add_user(s, ctx, MANAGER, "Manager of the root", "manager", "RK",
                                None, "en")
        if not auth.current_password_matches(user, PASSWORD):
            auth.set_password(s, user, PASSWORD, "bench")
        token = auth.create_api_token(s, user, "bench")
        s.commit()
    return token


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database", required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--json", type=Path)
    p.add_argument("--after", default="score list,root's score page,overview",
                   help="the pages (comma-separated names) asked after a write below the root "
                   "(empty: none)")
    p.add_argument("--write", choices=("analysis", "entry"), default="analysis",
                   help="the write below the root: an analysis planned (default) or a register "
                   "entry of the demo's opened with its records (projects No. 2-4's figures "
                   "change)")
    p.add_argument("--only", default="", help="the pages whose names hold one of these "
                   "comma-separated words (default: every page)")
    p.add_argument("--started", action="store_true", help="start the application as `merzim "
                   "serve` does (its lifespan: the roots' figures worked out in the background, "
                   "[scorecard] warm_at_start) and wait for that work, its CPU recorded, before "
                   "the first request: `cold` is then the first request after a start")
    a = p.parse_args(argv)
    words = [w for w in a.only.split(",") if w]
    os.environ.update(MERZIM_DATABASE_URL=a.database, MERZIM_TODAY=TODAY, MERZIM_LANG="en")

    from fastapi.testclient import TestClient

    import bench.boot  # noqa: F401  (the checkout's features installed)
    from bench.web import floor
    from web.app import app_factory
    from workflow import services as svc
    from workflow.storage.db import session

    app = app_factory()
    engine = app.state.engine
    token = manager(app)
    browser = TestClient(app, follow_redirects=False)
    form = browser.get("/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    signed = browser.post("/login", data={"login": MANAGER, "password": PASSWORD,
                                          "csrf": csrf, "next": "/"})
    assert signed.status_code in (200, 303), signed.status_code
    client_api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    floor_client = TestClient(floor.app_factory())
    out: dict[str, Any] = {"database": a.database.split("?")[0], "today": TODAY,
                           "load_before": os.getloadavg()[0], "pages": {}}
    floor_cpu = [timed(floor_client, "/floor")[0] for _ in range(3 + a.repeats)][3:]
    out["floor_ms"] = 1000 * statistics.median(floor_cpu)
    if a.started:  # the server's start: its background work waited for, then the requests
        out["started_cpu_s"] = round(started(app), 3)
        print(f"started: its background work {out['started_cpu_s']:.2f} s CPU", flush=True)
    for client, items in ((browser, pages()), (client_api, api())):
        for name, url in items:
            if words and not any(w in name for w in words):
                continue
            cold, size, status = timed(client, url)
            warm = [timed(client, url)[0] for _ in range(a.repeats)]
            kept = statistics.median(warm)
            out["pages"][name] = {"url": url, "status": status, "bytes": size,
                                  "cold_cpu_s": round(cold, 3), "kept_cpu_s": round(kept, 3),
                                  "kept_x_floor": round(1000 * kept / out["floor_ms"], 1)}
            print(f"{name}: {status}, {size:,} bytes, cold {cold:.2f} s, kept {kept:.3f} s "
                  f"CPU ({1000 * kept / out['floor_ms']:.1f}x floor)", flush=True)
    after = [w for w in a.after.split(",") if w]
    by_name = dict(pages())
    written = 0

    def write_below() -> None:  # an analysis planned in one department, through the service
        nonlocal written  # (or, `--write entry`, a register entry opened and recorded there)
        from workflow.planning import service as planning
        from workflow.services import demo
        dept = f"AK{(7 + 13 * written) % 50:02d}-D{(42 + 17 * written) % 99:02d}"
        written += 1
        with session(engine) as s:
            wctx = svc.Context(app.state.calendar, app.state.registry,
                               date.fromisoformat(TODAY), actor="bench")
            if a.write == "analysis":
                planning.plan_analysis(s, wctx, dept, dept, date(2026, 12, 1),
                                       date(2026, 12, 20),
                                       duplicate_reason="bench: a write below the root")
            else:
                for item in demo.DEMO.get("entry", []):
                    if item["process"] not in wctx.registry.loaded:
                        continue
                    try:  # the first entry of a kind a department is
                        with s.begin_nested():
                            case = svc.open_checked(
                                s, wctx, item["process"], dept, None, item.get("person"),
                                item.get("position"),
                                {k: str(v) for k, v in item.get("fields", {}).items()},
                                {k: demo._when(wctx, v)
                                 for k, v in item.get("dates", {}).items()},
                                f"officer-{dept}", duplicate_reason="bench").analysis
                            demo._record(s, wctx, case.id, item.get("records", []),
                                         date(YEAR, 1, 1), date.fromisoformat(TODAY))
                        break
                    except Exception:  # noqa: BLE001 - not a department's: the next
                        continue
            s.commit()

    for name in after:
        url = by_name[name]
        timed(browser, url)  # kept before the writes
        cpu, size = [], 0
        for _ in range(a.repeats):
            write_below()
            spent, size, status = timed(browser, url)
            cpu.append(spent)
        median = statistics.median(cpu)
        out["pages"].setdefault(name, {"url": url})["after_write_cpu_s"] = round(median, 3)
        out["pages"][name]["after_write_runs_cpu_s"] = [round(c, 3) for c in cpu]
        out["pages"][name]["after_write_bytes"] = size
        print(f"{name} after a write below the root: {status}, {size:,} bytes, "
              f"{median:.3f} s CPU (median of {len(cpu)}: "
              f"{', '.join(f'{c:.2f}' for c in cpu)})", flush=True)
    out["load_after"] = os.getloadavg()[0]
    print(f"\nfloor (one SELECT, same process): {out['floor_ms']:.2f} ms CPU; "
          f"load {out['load_before']:.1f} -> {out['load_after']:.1f}\n")
    print("| page | bytes | CPU s, cold | CPU s, kept | kept × floor | CPU s, after a write |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, f in out["pages"].items():
        cold_s = f"{f['cold_cpu_s']:.2f}" if "cold_cpu_s" in f else ""
        kept_s = f"{f['kept_cpu_s']:.3f}" if "kept_cpu_s" in f else ""
        size = f.get("bytes", f.get("after_write_bytes", 0))
        print(f"| {name} | {size:,} | {cold_s} | {kept_s} | {f.get('kept_x_floor', '')} | "
              f"{f.get('after_write_cpu_s', '')} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
