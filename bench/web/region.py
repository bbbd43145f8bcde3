"""A region's manager's overdue page under stage writes in his region: a regional akimat of 99
departments with ~2,500 overdue stages (the shape the country's largest akimats have), this
code against the previous head and the strict floor in the same run.

    .venv/bin/python bench/web/region.py [--workdir /tmp/merzim-bench-region] \
        [--previous PATH] [--ratio-rounds 4] [--ratio-duration 6] [--writes-rounds 2] \
        [--writes-duration 8] [--json PATH]

1. The dataset (built once in --workdir, SQLite, through the services: audit records
   included): a root KZ, the region R (an akimat) under it, its 99 departments, 1,000
   conflict-of-interest cases spread over them opened 20-200 days before today (2,5xx overdue
   stages), an event recorded on every third (the stage writes void it and record it
   again); R's manager (manager.r) with a web password.
2. `merzim serve --no-worker` of this code and of the previous head (`--previous`: a checkout,
   `--previous`, a checkout of it; its modules first on the path), each over its own copy of
   the same data (the previous head's at the schema it knows: `own_copy`), and the floor
   (bench/web/floor.py); each waited for until its start-up work is done (`run.settle`).
3. The strict way (bench/strict.py `paired`: each leg back to back over a keep-alive client of
   its own, `--ratio-rounds` rounds of `--ratio-duration` s, the order reversed every other
   round): manager.r's /overdue of each code kept, and right after a **stage write** in R
   (bench/web/writer.py: a record voided or recorded again, one before each request, by the
   code of the server asked), this code's right after a comment in R (reported apart: a
   comment moves no list), and the floor. Ratios: CPU per request over the floor's.
4. Under writes (`--writes-rounds` rounds of `--writes-duration` s, the codes alternating):
   each code's page at `--page-rate` pages a second with no writes, then with 5 stage writes
   a second in R (writer.py at that rate): the CPU per page with writes over without.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import strict  # noqa: E402
from bench.web import run as web  # noqa: E402
from workflow.storage.db import make_engine, session, upgrade  # noqa: E402

DEPARTMENTS = 99
CASES = 1000
MANAGER = "manager.r"
COI = "conflict_of_interest"


def build(path: Path) -> dict[str, Any]:
    """The region's dataset (module docstring, 1.) in `path`; what it holds."""
    from sqlalchemy import func, select

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_registry
    from workflow.services import accounts as auth
    from workflow.storage.models import OPEN, Case, Stage

    tmp = path.with_suffix(".building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".audit-head")):
        leftover.unlink(missing_ok=True)
    eng = make_engine(f"sqlite:///{tmp}")
    upgrade(eng)
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), web.TODAY, actor="bench",
                      language="en")
    rng = random.Random(web.SEED)
    password = "bench-" + uuid.uuid4().hex[:16]
    with session(eng) as s:
        svc.add_org(s, ctx, "KZ", "KZ", "akimat", None)
        svc.add_org(s, ctx, "R", "Region", "akimat", "KZ")
        for d in range(DEPARTMENTS):
            svc.add_org(s, ctx, f"R-D{d:02d}", f"Department {d}", "department", "R")
        manager = svc.add_user(s, ctx, MANAGER, "Manager R", "manager", "R")
        auth.set_password(s, manager, password, "bench")
        s.commit()
    with session(eng) as s:
        for n in range(CASES):
            opened = web.TODAY - timedelta(days=rng.randrange(20, 200))
            case = svc.open_case(s, ctx, COI, f"R-D{n % DEPARTMENTS:02d}", person=f"P {n}",
                                 dates={"notified": opened})
            if n % 3 == 0:
                svc.record_event(s, ctx, case.id, "forwarded", opened + timedelta(days=3))
            if n % 100 == 99:
                s.commit()
        s.commit()
    with session(eng) as s:
        overdue = s.execute(select(func.count()).select_from(Stage).where(
            Stage.status == OPEN, Stage.due_date < web.TODAY)).scalar_one()
        cases = [c for (c,) in s.execute(select(Case.id).order_by(Case.id))]
    eng.dispose()
    tmp.rename(path)
    tmp.with_name(tmp.name + ".audit-head").unlink(missing_ok=True)
    return {"password": password, "overdue": overdue, "departments": DEPARTMENTS,
            "cases": cases[::3][:60]}


def own_copy(path: Path, previous: Path) -> str:
    """The previous head's own copy of the dataset (`path`), at the schema that head knows: a
    head refuses a database a newer merzim upgraded, so the copy is taken back down with this
    code's migrations to the previous head's newest (its `HEAD_REVISION`). The same data; the
    two codes never write to each other's file. Its URL."""
    import re
    import sqlite3

    from alembic import command

    from workflow.storage.db import alembic_config

    copy = path.with_name(path.stem + ".previous.db")
    for leftover in (copy, copy.with_name(copy.name + ".audit-head")):
        leftover.unlink(missing_ok=True)
    with sqlite3.connect(path) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    checkpoint = path.with_name(path.name + ".audit-head")
    if checkpoint.exists():
        copy.with_name(copy.name + ".audit-head").write_bytes(checkpoint.read_bytes())
    known = re.search(r'HEAD_REVISION = "(\w+)"', (previous / "workflow/storage/db.py").read_text(
        encoding="utf-8"))
    eng = make_engine(f"sqlite:///{copy}")
    if known is not None:
        command.downgrade(alembic_config(eng), known.group(1))
    eng.dispose()
    return f"sqlite:///{copy}"


def _commit(checkout: Path) -> str:
    """The commit a checkout is at (what the results name: never a path of this machine),
    with "+changes" when its tracked files differ from it."""
    import subprocess

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True,
                              text=True, check=False).stdout.strip()
    head = git("rev-parse", "--short=8", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-region"))
    p.add_argument("--previous", type=Path, required=True,
                   help="a checkout of the previous head (its own .venv)")
    p.add_argument("--no-previous", action="store_true")
    p.add_argument("--ratio-rounds", type=int, default=4)
    p.add_argument("--ratio-duration", type=float, default=6.0)
    p.add_argument("--min-per-client", type=int, default=5)
    p.add_argument("--writes-rounds", type=int, default=2)
    p.add_argument("--writes-duration", type=float, default=8.0)
    p.add_argument("--page-rate", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=5.0, help="stage writes a second in R")
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args(argv)
    a.workdir.mkdir(parents=True, exist_ok=True)
    path, meta = a.workdir / "region-99.db", a.workdir / "region-99.json"
    if not path.exists():
        web.log("building the region's dataset")
        meta.write_text(json.dumps(build(path)), encoding="utf-8")
    info = json.loads(meta.read_text(encoding="utf-8"))
    web.log(f"R: {info['departments']} departments, {info['overdue']} overdue stages")
    url = f"sqlite:///{path}"
    codes: dict[str, Path | None] = {"this": None}
    urls = {"this": url}
    if not a.no_previous:
        codes["previous"] = a.previous.resolve()
        urls["previous"] = own_copy(path, codes["previous"])
    servers: dict[str, web.Server] = {}
    writers: list[Any] = []
    out: dict[str, Any] = {"machine": platform.node(), "dataset": info | {"password": None},
                           "today": web.TODAY.isoformat(), "codes": {
                               k: _commit(v or ROOT) for k, v in codes.items()}}
    try:
        for name, code in codes.items():
            servers[name] = web.start_server(urls[name], a.workdir, code)
        servers["floor"] = web.start_server(url, a.workdir, floor=True)
        legs = [strict.Leg("floor", servers["floor"].base, "/floor",
                           servers["floor"].cpu_seconds, label=web.FLOOR)]
        cookies = {}
        for name, code in codes.items():
            srv = servers[name]
            cookies[name] = {"merzim_lang": "en",
                             "merzim_session": web.log_in(srv.base, MANAGER, info["password"])}
            staged, proc = web.subtree_writer(urls[name], info["cases"], code)
            writers.append(proc)
            legs += [strict.Leg(name, srv.base, "/overdue", srv.cpu_seconds,
                                cookies=cookies[name], label="kept"),
                     strict.Leg(f"{name} after a stage write", srv.base, "/overdue",
                                srv.cpu_seconds, cookies=cookies[name], before=staged,
                                label="right after a stage write in R")]
            if name == "this":
                commented, proc = web.subtree_writer(urls[name], info["cases"], code,
                                                     comments=True)
                writers.append(proc)
                legs.append(strict.Leg(f"{name} after a comment", srv.base, "/overdue",
                                       srv.cpu_seconds, cookies=cookies[name],
                                       before=commented, label="right after a comment in R"))
        res = strict.paired(legs, a.ratio_rounds, a.ratio_duration, a.min_per_client,
                            log=web.log)
        out["strict"] = {name: {"cpu_ms_per_request": x["cpu_ms_per_request"],
                                "cpu_ms_per_request_rounds": x["cpu_ms_per_request_rounds"],
                                "over_floor": strict.ratio(res, name),
                                "requests": x["requests"], "p50_ms": x["p50_ms"],
                                "p95_ms": x["p95_ms"], "loadavg": x["loadavg"]}
                         for name, x in res["legs"].items()}
        for name, x in out["strict"].items():
            web.log(f"{name}: {x['cpu_ms_per_request']:.2f} ms CPU/request, "
                    f"{x['over_floor']:.1f}× the floor")
        out["writes"] = under_writes(a, urls, codes, servers, cookies, info, writers)
    finally:
        for w in writers:
            w.kill()
        for srv in servers.values():
            srv.stop()
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({"strict": {k: round(v["over_floor"], 2) for k, v in out["strict"].items()},
                      "writes": {k: round(v["over_no_writes"], 3)
                                 for k, v in out["writes"].items()}}, indent=1))
    return 0


def under_writes(a: argparse.Namespace, urls: dict[str, str], codes: dict[str, Path | None],
                 servers: dict[str, web.Server], cookies: dict[str, dict[str, str]],
                 info: dict[str, Any], writers: list[Any]) -> dict[str, Any]:
    """Each code's page paced at `--page-rate` with no writes, then under `--rate` stage
    writes a second in R (by that code's writer), `--writes-rounds` rounds, the codes
    alternating: the CPU per page (median of the rounds) and its ratio."""
    cpu: dict[str, dict[str, list[float]]] = {n: {"none": [], "writes": []} for n in codes}
    done: dict[str, list[float]] = {n: [] for n in codes}
    for i in range(a.writes_rounds):
        for name in (list(codes) if i % 2 == 0 else list(codes)[::-1]):
            srv = [servers[name]]
            r = web.paced(srv, "/overdue", cookies[name], a.page_rate, a.writes_duration)
            cpu[name]["none"].append(r["cpu_ms_per_request"])
            writer = web.start_writer(urls[name], a.rate, info["cases"], codes[name])
            writers.append(writer)
            started = time.perf_counter()
            r = web.paced(srv, "/overdue", cookies[name], a.page_rate, a.writes_duration)
            done[name].append(web.stop_writer(writer, writers, started))
            cpu[name]["writes"].append(r["cpu_ms_per_request"])
            web.log(f"[round {i + 1}] {name}: {cpu[name]['none'][-1]:.2f} ms/page, "
                    f"{cpu[name]['writes'][-1]:.2f} ms/page at {done[name][-1]:.1f} writes/s")
    return {name: {"cpu_ms_no_writes": statistics.median(c["none"]),
                   "cpu_ms_writes": statistics.median(c["writes"]),
                   "rounds": c, "writes_per_s": done[name],
                   "over_no_writes": statistics.median(c["writes"]) /
                   statistics.median(c["none"])} for name, c in cpu.items()}


if __name__ == "__main__":
    sys.exit(main())
