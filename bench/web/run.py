"""Benchmark of the web layer: the overdue page and API for the root of a national dataset.

Run from the repository root:

    .venv/bin/python bench/web/run.py [--backend sqlite|postgres|both] \
        [--analyses 20000] [--concurrency 1,8,32] [--duration 30] [--json PATH] [--profile]

1. The dataset (built once, then reused from --workdir): the national tree, the officers and
   the 20,000 analyses of the engine benchmark (bench/engine/run.py: `national_tree`,
   `plan_items`, the same seed, today = 2026-09-15), planned with `services.plan_analysis`
   and their events recorded with `services.record_event` -- with one difference: a root
   organisation KZ above every ministry and regional akimat, and a manager of that root
   (manager.kz), so one viewer sees the whole country. The manager gets a web password and a
   personal API token (workflow.services.accounts). For PostgreSQL the SQLite dataset is copied row by row
   into a schema of its own (dropped at the end).
2. `merzim serve --no-worker` as a separate process on a free port, with MERZIM_TODAY pinned
   to the dataset's today and MERZIM_DATABASE_URL pointing at the dataset.
3. A load generator in this process (httpx, one client and thread per concurrent user):
   GET /overdue with the root manager's session cookie (the HTML page: the summary by
   subordinate organisation and the first page of 50 rows) and
   GET /api/v1/overdue with the Bearer token (first page, limit 50 -- the server still
   builds the whole list to count it), at each concurrency for --duration seconds after a
   warm-up; latency p50 / p95 / max, requests per second, errors, and the CPU the server
   process and the load generator used.
4. --profile: cProfile of one /overdue and one /api/v1/overdue request in-process (fastapi
   TestClient over the same application), top functions by cumulative and own time.
5. --writes 0,1,5: the root page of a region (the top-level subtree with the most overdue
   stages; with --writes-national the country's too) kept, under other users' writes outside
   that region at each rate, then in it (bench/web/writer.py, a process of its own, through
   the service layer: stage writes only, events voided and recorded again), and right after a
   stage write in the region, and, reported apart, right after a comment in it (a comment
   moves no list); each code served by two processes at
   --page-rate pages a second, against the floor asked the strict way (one keep-alive client,
   requests back to back: bench/strict.py) in the same rounds (`under_writes`).
6. --ratio-rounds: the root overdue page against the floor and the previous head, the strict
   way (bench/strict.py `paired`), alternating (`against_floor`).
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
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import MetaData, func, select, text  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from bench import strict  # noqa: E402
from bench.engine import run as engine_bench  # noqa: E402
from bench.postgres import drop_schema, new_schema  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_definition, load_registry  # noqa: E402
from workflow.planning import service as planning_svc  # noqa: E402
from workflow.storage.db import alembic_config, make_engine, revision, session, upgrade  # noqa: E402
from workflow.storage.models import OPEN, Case, EventRecord, Organisation, Stage, User  # noqa: E402

TODAY = engine_bench.TODAY  # 2026-09-15
SEED = engine_bench.SEED
ROOT_ORG = "KZ"
ROOT_MANAGER = "manager.kz"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MERZIM = Path(sys.executable).parent / "merzim"
TOTAL = re.compile(r'data-testid="overdue-total">(\d+)<')


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the dataset ------------------------------------------------------------------------------


def build_dataset(path: Path, analyses: int, seed: int, batch: int,
                  stage_rows: int) -> dict[str, Any]:
    """The engine benchmark's national year under one root, with history up to `stage_rows`
    stage rows, in a fresh SQLite file -- in bulk: the cases and their stages are computed by
    the pure planner and the state machine (`bench.engine.run.past_analysis`, as the engine
    benchmark's history) and inserted with executemany; the tree and the accounts go through
    the services (audit records included)."""
    from workflow.services import accounts as auth

    cal, defn = KazakhstanCalendar(), load_definition()
    ctx = svc.Context(cal, defn, TODAY, actor="bench", language="en")
    rng = random.Random(seed)
    tmp = path.with_suffix(".building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".audit-head")):  # of an interrupted build
        leftover.unlink(missing_ok=True)
    eng = make_engine(f"sqlite:///{tmp}")
    upgrade(eng)
    info: dict[str, Any] = {"analyses_asked": analyses, "seed": seed, "today": TODAY.isoformat(),
                            "stage_rows_asked": stage_rows}

    t0 = time.perf_counter()
    with session(eng) as s:
        svc.add_org(s, ctx, ROOT_ORG, "Republic of Kazakhstan (all state bodies)", "central_body",
                    name_kk="Қазақстан Республикасы", name_ru="Республика Казахстан")
        svc.add_user(s, ctx, ROOT_MANAGER, "Manager of the whole country", "manager", ROOT_ORG,
                     None, "en")
        s.commit()
    # The engine benchmark's tree, with its roots (ministries, regional akimats) under KZ: the
    # same random draws, so the analyses below are the same.
    specs, children = engine_bench.build_tree(eng, ctx, rng, batch, root=ROOT_ORG)
    info["tree_s"] = time.perf_counter() - t0
    log(f"  tree: {len(specs) + 1} organisations in {info['tree_s']:.0f} s")

    items = year_items(rng, ctx, specs, children, analyses)
    t0 = time.perf_counter()
    info["current_year"] = current_year(eng, ctx, rng, items)
    info["current_year_s"] = time.perf_counter() - t0
    log(f"  {analyses} analyses of {engine_bench.YEAR} in {info['current_year_s']:.0f} s")
    t0 = time.perf_counter()
    info["history"] = engine_bench.history(eng, ctx, rng, stage_rows, 20_000)
    info["history_s"] = time.perf_counter() - t0
    log(f"  history to {stage_rows} stage rows in {info['history_s']:.0f} s")
    engine_bench.analyze(eng)

    password = "bench-" + uuid.uuid4().hex[:16]
    with session(eng) as s:
        manager = svc.get_user(s, ROOT_MANAGER)
        auth.set_password(s, manager, password, "bench")
        token = auth.create_api_token(s, manager, "bench/web")
        s.commit()
    info.update(password=password, token=token)
    with session(eng) as s:
        info["rows"] = {name: s.execute(select(func.count()).select_from(model)).scalar_one()
                        for name, model in (("organisations", Organisation), ("users", User),
                                            ("analyses", Case), ("stages", Stage),
                                            ("events", EventRecord))}
        info["overdue_stages"] = s.execute(select(func.count()).select_from(Stage).where(
            Stage.status == OPEN, Stage.due_date < TODAY)).scalar_one()
    eng.dispose()
    tmp.rename(path)
    return info


def year_items(rng: random.Random, ctx: svc.Context, specs: list, children: dict[str, list[str]],
               n: int) -> list[tuple[str, str, date, date | None]]:
    """The year's analyses as `bench.engine.run.plan_items` draws them (subject, object,
    planned start, 30 % an explicit end), without its event simulation: the records come from
    `past_analysis` in `current_year`."""
    cal = ctx.calendar
    first, last = date(engine_bench.YEAR, 1, 12), date(engine_bench.YEAR, 12, 10)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    items = []
    for _ in range(n):
        subject = rng.choice(specs).code
        kids = children.get(subject)
        obj = rng.choice(kids) if kids and rng.random() < 0.3 else subject
        start = rng.choice(working)
        end = cal.add_working_days(start, rng.randint(14, 28)) if rng.random() < 0.3 else None
        items.append((subject, obj, start, end))
    return items


def current_year(eng, ctx: svc.Context, rng: random.Random,
                 items: list[tuple[str, str, date, date | None]]) -> dict[str, int]:
    """The national year's analyses (subjects, objects, planned periods of `plan_items`), each
    with its programme, records, stages and monitoring periods as the pure planner and the
    state machine make them by TODAY (`past_analysis`: mostly on time, some late, a few
    stopped or cancelled), inserted in bulk; the responsible officer is the subject's."""
    from workflow.storage.models import MonitoringReport, Programme

    defn = planning_svc.planned_definition(ctx)
    k = engine_bench.keys_of(ctx)
    with eng.connect() as conn:
        orgs = {code: (oid, path) for oid, code, path in conn.execute(
            select(Organisation.id, Organisation.code, Organisation.path))}
        officers = {org_id: uid for uid, org_id in conn.execute(
            select(User.id, User.organisation_id).where(User.role == "officer")
            .order_by(User.id.desc()))}
        next_case = (conn.execute(select(func.max(Case.id))).scalar_one() or 0) + 1
        next_programme = (conn.execute(select(func.max(Programme.id))).scalar_one() or 0) + 1
    tables = {"programme": Programme.__table__, "process_case": Case.__table__,
              "stage": Stage.__table__, "event_record": EventRecord.__table__,
              "monitoring_report": MonitoringReport.__table__}
    rows: dict[str, list[dict]] = {name: [] for name in tables}
    counts = dict.fromkeys(tables, 0)
    created = f"{engine_bench.YEAR}-01-05T00:00:00.000000+00:00"
    programmes: dict[int, int] = {}

    def flush() -> None:
        with eng.begin() as conn:
            for name, table in tables.items():  # parents first
                if rows[name]:
                    conn.execute(table.insert(), rows[name])
                    counts[name] += len(rows[name])
                    rows[name].clear()

    for subject, obj, start, end in items:
        subject_id, path = orgs[subject]
        if subject_id not in programmes:
            programmes[subject_id] = next_programme
            rows["programme"].append({"id": next_programme, "subject_id": subject_id,
                                      "year": engine_bench.YEAR})
            on = date(engine_bench.YEAR, 1, 10)
            for key, spec in defn.programme_stages.items():  # as record_schedule stores it
                rows["stage"].append({
                    "case_id": None, "programme_id": next_programme, "key": key,
                    "subject_id": subject_id, "subject_path": path, "due_date": None,
                    "projected": False, "status": engine_bench.DONE_ON_TIME, "done_on": on,
                    "evidence": {"date": on.isoformat(),
                                 **{f: engine_bench.DOC[f] for f in spec.requires}}})
            next_programme += 1
        given = engine_bench.given_dates(ctx, k, start, end)
        past = engine_bench.past_analysis(rng, ctx, k, given, 0.03)
        cid = next_case
        next_case += 1
        rows["process_case"].append({
            "id": cid, "process": defn.key, "process_version": defn.version,
            "programme_id": programmes[subject_id], "subject_id": subject_id,
            "object_id": orgs[obj][0], "person_name": None, "person_position": None,
            "fields": None, "dates": {n: d.isoformat() for n, d in given.items()},
            "period": None, "case_date": start, "state": past.state,
            "responsible_id": officers.get(subject_id),
            "override_reason": None,
            "cancel_reason": next((e.get("note") for ev, _o, e in past.records
                                   if ev == k.cancel), None),
            "created_at": created})
        past.add_rows(rows, cid, subject_id, path, created, "monitoring_report")
        if len(rows["stage"]) >= 20_000:
            flush()
    flush()
    return counts


def ensure_dataset(workdir: Path, analyses: int, seed: int, batch: int, stage_rows: int,
                   rebuild: bool) -> tuple[Path, dict[str, Any]]:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"national-{analyses}-{stage_rows}-{seed}.db"
    meta = db.with_suffix(".json")
    if db.exists() and meta.exists() and not rebuild:
        log(f"reusing the dataset {db}")
        counted(f"sqlite:///{db}")
        return db, json.loads(meta.read_text(encoding="utf-8"))
    db.unlink(missing_ok=True)
    log(f"building the dataset {db} ({analyses} analyses; this takes a while)")
    info = build_dataset(db, analyses, seed, batch, stage_rows)
    counted(f"sqlite:///{db}")
    meta.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return db, info


def counted(url: str) -> None:
    """The counts kept by the writes (kept/counts.py) counted from the stages, as `merzim
    audit recount` counts them, when the dataset has none: its stages were inserted in bulk,
    past the writes that keep them (without them the lists would count no overdue stage)."""
    from workflow.services.transactions import recount_kept
    from workflow.storage.models import OpenStageCount

    eng = make_engine(url)
    try:
        if revision(eng) < "0033":  # (a schema before the counts were kept: none to count)
            return
        with session(eng) as s:
            if s.execute(select(func.count()).select_from(OpenStageCount)).scalar_one():
                return
            t0 = time.perf_counter()
            differed = recount_kept(s, "bench")
            s.commit()
            log(f"  the kept counts counted from the stages ({differed} rows) in "
                f"{time.perf_counter() - t0:.0f} s")
    finally:
        eng.dispose()


def copy_to_postgres(sqlite_db: Path, pg_url: str, rev: str = "head") -> tuple[str, str]:
    """A fresh schema at revision `rev` with the SQLite dataset (of that revision) copied into
    it: (url, schema)."""
    schema, url = new_schema(pg_url, "merzim_bench_web_", 8)
    dst = make_engine(url)
    command.upgrade(alembic_config(dst), rev)
    src = make_engine(f"sqlite:///{sqlite_db}")
    src_meta, dst_meta = MetaData(), MetaData()
    src_meta.reflect(bind=src)
    dst_meta.reflect(bind=dst)
    t0 = time.perf_counter()
    with src.connect() as sconn, dst.begin() as dconn:
        for table in dst_meta.sorted_tables:
            if table.name == "alembic_version" or table.name not in src_meta.tables:
                continue
            rows = [dict(r._mapping) for r in sconn.execute(select(src_meta.tables[table.name]))]
            for i in range(0, len(rows), 5000):
                dconn.execute(table.insert(), rows[i:i + 5000])
            pk = list(table.primary_key.columns)
            if len(pk) == 1 and pk[0].autoincrement and rows:
                dconn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                    f"(SELECT max({pk[0].name}) FROM {table.name}))"))
        dconn.execute(text("ANALYZE"))
    # VACUUM as autovacuum does after a load (a database in service has been vacuumed): the
    # visibility map lets the counts read the stage index alone (index-only scans)
    with dst.connect().execution_options(isolation_level="AUTOCOMMIT") as vconn:
        for table in dst_meta.sorted_tables:
            vconn.execute(text(f'VACUUM ANALYZE "{table.name}"'))
    log(f"  copied into PostgreSQL schema {schema} in {time.perf_counter() - t0:.0f} s")
    src.dispose()
    dst.dispose()
    return url, schema


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env.update(MERZIM_DATABASE_URL=url, MERZIM_TODAY=TODAY.isoformat(), MERZIM_LANG="en")
    return env


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log: Path

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far."""
        return strict.process_cpu_seconds(self.proc.pid)

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


def start_server(url: str, workdir: Path, code: Path | None = None,
                 floor: bool = False) -> Server:
    """`merzim serve --no-worker` on a free port: this checkout's, or (`code`) the merzim of
    another checkout (the previous head's worktree) put first on the import path; `floor`:
    the floor application instead (bench/web/floor.py, uvicorn as `serve` runs it)."""
    port = free_port()
    logfile = workdir / f"serve-{port}.log"
    serve = ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    env = server_env(url)
    if floor:
        cmd = [sys.executable, "-m", "uvicorn", "bench.web.floor:app_factory", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        env["PYTHONPATH"] = str(ROOT)
    elif code is None:  # this checkout's code first on the path (a worktree of it, too)
        cmd = [str(MERZIM), *serve]
        env["PYTHONPATH"] = str(ROOT)
    else:
        cmd = [sys.executable, "-c", "import sys; from workflow.cli import main; "
               "sys.argv[0] = 'merzim'; sys.exit(main())", *serve]
        env["PYTHONPATH"] = str(code)
    with open(logfile, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    srv = Server(proc, f"http://127.0.0.1:{port}", logfile)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"merzim serve exited: {logfile.read_text(encoding='utf-8')}")
        try:
            if httpx.get(f"{srv.base}/login", timeout=2).status_code == 200:
                settle(srv)
                return srv
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            srv.stop()
            raise RuntimeError("merzim serve did not answer in 120 s")
        time.sleep(0.2)


def settle(srv: Server, quiet_ms: float = 30.0, limit_s: float = 600.0) -> None:
    """Wait until the server's start-up work is done (`merzim serve` works out the roots'
    score figures in the background when it starts: [scorecard] warm_at_start), so that no
    measurement counts it: until its /readyz says `"started": true` (web/kit/health.py), asked
    every 0.2 s; a server whose /readyz says no `started` (an older merzim): until its CPU
    over a second stays under `quiet_ms` twice running. At most `limit_s` seconds (a wait
    bound: past it the run fails rather than measure a server still starting)."""
    deadline, calm = time.monotonic() + limit_s, 0
    while time.monotonic() < deadline:
        said = httpx.get(f"{srv.base}/readyz", timeout=30).json()
        if "started" in said:
            if said["started"]:
                return
            time.sleep(0.2)
            continue
        before = srv.cpu_seconds()
        time.sleep(1.0)
        calm = calm + 1 if (srv.cpu_seconds() - before) * 1e3 < quiet_ms else 0
        if calm >= 2:
            return
    raise RuntimeError(f"the server at {srv.base} did not end its start-up in {limit_s:g} s")


def log_in(base: str, login: str, password: str) -> str:
    """The session cookie of a browser-like login (login form CSRF included)."""
    with httpx.Client(base_url=base, timeout=60) as c:
        form = c.get("/login")
        csrf = c.cookies.get("merzim_login_csrf")
        assert form.status_code == 200 and csrf, form.status_code
        r = c.post("/login", data={"login": login, "password": password, "csrf": csrf,
                                   "next": "/overdue"})
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return c.cookies.get("merzim_session")


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    # run by the client before each request, outside its timing and the server's process
    # (e.g. a write to the database, so that the page finds nothing kept: `against_floor`)
    before: Any = None


loadavg, percentile = strict.loadavg, strict.percentile


def load(srv: Server, target: Target, concurrency: int, duration: float,
         min_per_client: int, keep: bool = False) -> dict[str, Any]:
    """After one warm-up request, `concurrency` clients (own connection and thread each) send
    requests back to back until `duration` has passed and each has sent `min_per_client`;
    every request's latency."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    sizes: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)

    def client() -> None:
        with httpx.Client(base_url=srv.base, headers=target.headers, cookies=target.cookies,
                          timeout=600) as c:
            start.wait()
            n = 0
            while n < min_per_client or time.perf_counter() < stop_at:
                outcome, size, dt = strict.timed_get(c, target.path, target.before)
                with lock:
                    latencies.append(dt)
                    statuses[outcome] += 1
                    sizes.append(size)
                n += 1

    with httpx.Client(base_url=srv.base, headers=target.headers, cookies=target.cookies,
                      timeout=600) as c:  # one warm-up request, not timed
        assert c.get(target.path).status_code == 200
    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    start.wait()
    load0 = loadavg()
    cpu0, gen0, t0 = srv.cpu_seconds(), time.process_time(), time.perf_counter()
    stop_at = t0 + duration
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server_cpu, gen_cpu = srv.cpu_seconds() - cpu0, time.process_time() - gen0
    ms = [x * 1e3 for x in latencies]
    return {"target": target.name, "concurrency": concurrency, "requests": len(ms),
            "wall_s": wall, "rps": len(ms) / wall, "p50_ms": percentile(ms, 50),
            "p95_ms": percentile(ms, 95), "max_ms": max(ms), "mean_ms": statistics.fmean(ms),
            "statuses": dict(statuses), "bytes": statistics.median(sizes),
            "server_cpu_cores": server_cpu / wall, "loadgen_cpu_cores": gen_cpu / wall,
            "server_cpu_ms_per_request": server_cpu * 1e3 / len(ms),
            "loadavg_before": load0, "loadavg_after": loadavg(),
            "server_rss_mib": srv.rss_mib(), **({"latencies_ms": ms} if keep else {})}


# -- profile --------------------------------------------------------------------------------------


def profile_requests(url: str, token: str, repeats: int = 7) -> dict[str, Any]:
    """Where a request's time goes, in-process over the same application and database.

    The route functions are called directly in this thread (FastAPI would run them in its
    thread pool, out of cProfile's sight): the /overdue page (session check, overdue rows,
    the organisation filter's list, the template) and /api/v1/overdue (token check, overdue
    rows, first page serialised to JSON). Returns the median time of each part over
    `repeats` calls and the cProfile of one call of each route.
    """
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse
    from sqlmodel import Session
    from starlette.requests import Request

    from web import api
    from web import lists_page as pages
    from web.app import create_app
    from web.kit import views
    from workflow.services import accounts as auth
    from workflow.settings import load_settings

    env = server_env(url)
    os.environ.update(env)
    settings = load_settings(path=None, env=env)
    eng = make_engine(url)
    app = create_app(settings, eng, KazakhstanCalendar(overrides=settings.calendar),
                     load_registry(settings.process_dirs, settings.interpretations))
    with session(eng) as s:
        cookie, _row = auth.open_session(s, svc.get_user(s, ROOT_MANAGER))
        s.commit()

    def request(path: str, headers: dict[str, str]) -> Request:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        return Request({"type": "http", "app": app, "method": "GET", "path": path,
                        "raw_path": path.encode(), "query_string": b"", "root_path": "",
                        "headers": [(b"host", b"127.0.0.1"), *raw], "scheme": "http",
                        "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)})

    page_req = request("/overdue", {"cookie": f"merzim_session={cookie}; merzim_lang=en"})
    due_req = request("/due", {"cookie": f"merzim_session={cookie}; merzim_lang=en"})
    api_req = request("/api/v1/overdue", {"authorization": f"Bearer {token}"})
    parts: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}  # this thread's CPU (the database's is not in it)

    def timed(name: str, fn):
        t0, c0 = time.perf_counter(), time.thread_time()
        value = fn()
        parts.setdefault(name, []).append(time.perf_counter() - t0)
        cpu.setdefault(name, []).append(time.thread_time() - c0)
        return value

    def page_call() -> int:
        # the route itself (web/lists_page.py `overdue`), its parts timed again beside it
        with Session(eng, expire_on_commit=False) as s:
            pc = timed("page: session, viewer, context", lambda: pages.page(page_req, s))
            f = pages._list_filters(page_req)
            timed("page: views.overdue_list (GROUP BY counts, one page ORDER BY … LIMIT)",
                  lambda: views.overdue_list(pc.s, pc.ctx, pc.viewer, 1, "", **f))
            timed("page: views.org_choices for the filter",
                  lambda: views.org_choices(pc.s, pc.viewer))
            timed("page: menu counts", lambda: views.menu_counts(pc.s, pc.ctx, pc.viewer))
        with Session(eng, expire_on_commit=False) as s:
            pc = pages.page(page_req, s)
            resp = timed("page: the route (web/lists_page.py overdue: lists, filter, render)",
                         lambda: pages.overdue(page_req, pc))
            assert resp.status_code == 200, resp.status_code
            return len(resp.body)

    def due_call() -> int:
        with Session(eng, expire_on_commit=False) as s:
            pc = pages.page(due_req, s)
            shown, pager = timed("due: views.due_list (COUNT, one page ORDER BY … LIMIT)",
                                 lambda: views.due_list(pc.s, pc.ctx, pc.viewer, 10, 1, ""))
            return len(shown)

    def api_call() -> int:
        with Session(eng, expire_on_commit=False) as s:
            a = timed("api: token, viewer, context", lambda: api.ApiContext(api_req, s))
            result = timed("api: views.overdue_page (COUNT, one page ORDER BY … LIMIT)",
                           lambda: api.overdue(limit=50, offset=0, a=a))
            resp = timed("api: serialise the first page",
                         lambda: JSONResponse(jsonable_encoder(result)))
            return len(resp.body)

    def whole(name: str, fn) -> int:
        t0, c0 = time.perf_counter(), time.thread_time()
        size = fn()
        parts.setdefault(name, []).append(time.perf_counter() - t0)
        cpu.setdefault(name, []).append(time.thread_time() - c0)
        return size

    sizes = {}
    for _ in range(repeats + 1):  # the first call warms caches; it is dropped below
        sizes["/overdue"] = whole("page: whole request (route code only)", page_call)
        sizes["/api/v1/overdue"] = whole("api: whole request (route code only)", api_call)
        due_call()
    medians = {k: statistics.median(v[1:]) * 1e3 for k, v in parts.items()}
    cpu_medians = {k: statistics.median(v[1:]) * 1e3 for k, v in cpu.items()}
    profiles = {}
    for name, fn in (("/overdue", page_call), ("/api/v1/overdue", api_call)):
        prof = cProfile.Profile()
        prof.enable()
        fn()
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        profiles[name] = re.sub(r"\S*/site-packages/|" + re.escape(str(ROOT))
                                + "/", "", buf.getvalue())
    eng.dispose()
    return {"parts_ms": medians, "parts_cpu_ms": cpu_medians, "bytes": sizes,
            "profiles": profiles}


# -- the run --------------------------------------------------------------------------------------


def previous_checkout(ref: str, workdir: Path) -> Path:
    """A git worktree of the previous head (`ref`), made once under the workdir."""
    path = workdir / f"previous-{ref}"
    if not (path / "workflow" / "__init__.py").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def newest_revision(code: Path) -> str:
    """The newest migration a checkout knows (revisions are numbered "0001", "0002", ...)."""
    versions = code / "workflow" / "storage" / "migrations" / "versions"
    return max(p.name[:4] for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


def targets(cookie: str, token: str) -> list[Target]:
    page = {"merzim_session": cookie, "merzim_lang": "en"}
    api = {"Authorization": f"Bearer {token}"}
    return [Target("GET /overdue (HTML, session cookie)", "/overdue", cookies=page),
            Target("GET /due (HTML, session cookie)", "/due", cookies=page),
            Target("GET /api/v1/overdue (JSON, Bearer token, limit 50)", "/api/v1/overdue",
                   headers=api),
            Target("GET /api/v1/due (JSON, Bearer token, limit 50)", "/api/v1/due",
                   headers=api)]


def serve_and_load(label: str, url: str, info: dict[str, Any], a: argparse.Namespace,
                   code: Path | None) -> dict[str, Any]:
    """One server (this code, or the previous head's `code`) over the dataset: what its pages
    show, then the load at each concurrency."""
    res: dict[str, Any] = {"code": label}
    srv = start_server(url, a.workdir, code)
    try:
        cookie = log_in(srv.base, ROOT_MANAGER, info["password"])
        ts = targets(cookie, info["token"])
        first = httpx.get(srv.base + ts[0].path, cookies=ts[0].cookies, timeout=600)
        total = TOTAL.search(first.text)
        res["page_rows"] = int(total.group(1)) if total else None
        res["page_bytes"] = len(first.content)
        res["page_summary_rows"] = first.text.count("data-summary-org=")
        res["page_summary"] = re.findall(r'data-summary-org="([^"]+)">.*?class="num"[^>]*>(\d+)<',
                                         first.text)
        res["page_stages"] = re.findall(r'data-stage="([^"]+)"[^>]*>\s*<td[^>]*><a href="/cases/'
                                        r'(\d+)"', first.text)
        body = httpx.get(srv.base + ts[2].path, headers=ts[2].headers, timeout=600).json()
        res["api_total"], res["api_items"] = body["total"], len(body["items"])
        res["api_first_page"] = [i["stage_id"] for i in body["items"]]
        due = httpx.get(srv.base + ts[3].path, headers=ts[3].headers, timeout=600).json()
        res["api_due_total"] = due["total"]
        res["api_due_first_page"] = [i["stage_id"] for i in due["items"]]
        log(f"[{label}] overdue page: {res['page_rows']} rows, {res['page_summary_rows']} "
            f"summary rows, {res['page_bytes']:,} bytes; API total {res['api_total']}, "
            f"due total {res['api_due_total']}")
        res["runs"] = []
        for target in ts:
            for c in a.concurrency:
                r = load(srv, target, c, a.duration, a.min_per_client)
                log(f"[{label}] {target.name} c={c}: {r['requests']} requests, "
                    f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
                    f"max {r['max_ms']:.0f} ms, {r['rps']:.2f} req/s, "
                    f"server CPU {r['server_cpu_cores']:.2f} cores "
                    f"({r['server_cpu_ms_per_request']:.0f} ms/request), "
                    f"load average {r['loadavg_before']:.1f}, statuses {r['statuses']}")
                res["runs"].append(r)
    finally:
        srv.stop()
    return res


FLOOR = "GET /floor (bare FastAPI, one indexed SELECT, 50 rows)"
PAGE = "GET /overdue (HTML, session cookie)"
PAGE_AFTER_WRITE = "GET /overdue right after a write (nothing kept)"


def writer(url: str) -> Any:
    """A write before each request, by this process: one audit record of no known kind (what
    every write of merzim appends; not narrowed to a subtree, it moves every list's version),
    so the server's kept lists (web/kit/views.py `kept`) are of an older version and the page
    reads everything again — the page's cost after a write that concerns it."""
    from workflow.storage import audit

    eng = make_engine(url)

    def write() -> None:
        with session(eng) as s:
            audit.append(s, "bench", "bench.write", "bench", 0, {})
            s.commit()
    return write


def against_floor(url: str, info: dict[str, Any], a: argparse.Namespace,
                  previous: Path | None) -> dict[str, Any]:
    """The root overdue page against the floor, the strict way (bench/strict.py `paired`):
    this code's server, the previous head's (`previous`, if asked) and the floor application
    (bench/web/floor.py) run side by side over the same database; each route gets a keep-alive
    client of its own in this process and is asked back to back for `--ratio-duration`
    seconds, in turn, `--ratio-rounds` times, the order alternating (the machine's load falls
    on all alike). Per target: the server process's CPU per request (the median of the
    rounds), p50 / p95 over every request of the rounds; the ratio is the page's CPU per page
    over the floor's."""
    servers: dict[str, Server] = {}
    try:
        servers["this"] = start_server(url, a.workdir)
        if previous is not None:
            servers["previous"] = start_server(url, a.workdir, previous)
        servers["floor"] = start_server(url, a.workdir, floor=True)
        legs = []
        for name, srv in servers.items():
            cpu = srv.cpu_seconds
            if name == "floor":
                legs.append(strict.Leg(name, srv.base, "/floor", cpu, label=FLOOR))
                continue
            cookies = {"merzim_lang": "en", "merzim_session": log_in(srv.base, ROOT_MANAGER,
                                                                     info["password"])}
            legs.append(strict.Leg(name, srv.base, "/overdue", cpu, cookies=cookies,
                                   label=PAGE))
            if name == "this":  # the same page, each request right after another write
                legs.append(strict.Leg("written", srv.base, "/overdue", cpu, cookies=cookies,
                                       before=writer(url), label=PAGE_AFTER_WRITE))
        res = strict.paired(legs, a.ratio_rounds, a.ratio_duration, a.min_per_client, log=log)
        out: dict[str, Any] = {"targets": res["legs"], "rounds": a.ratio_rounds}
        t = out["targets"]
        out["ratio"] = strict.ratio(res, "this")
        out["ratio_rounds"] = [p / f for p, f in zip(t["this"]["cpu_ms_per_request_rounds"],
                                                     t["floor"]["cpu_ms_per_request_rounds"],
                                                     strict=True)]
        for name in ("previous", "written"):
            if name in t:
                out[f"{name}_ratio"] = strict.ratio(res, name)
        log(f"CPU per request: page {t['this']['cpu_ms_per_request']:.2f} ms, floor "
            f"{t['floor']['cpu_ms_per_request']:.2f} ms, ratio {out['ratio']:.1f}")
        return out
    finally:
        for srv in servers.values():
            srv.stop()


def subtrees(url: str, count: int = 60) -> dict[str, Any]:
    """The page of "the root page under writes": the top-level organisation (a ministry or a
    region's akimat, under KZ) with the most overdue stages, its manager, `count` cases of its
    subtree (for the writes in it) and `count` cases of the other top-level subtrees (for the
    writes elsewhere), spread over them."""
    eng = make_engine(url)
    try:
        with session(eng) as s:
            root = s.execute(select(Organisation.id, Organisation.path)
                             .where(Organisation.code == ROOT_ORG)).one()
            tops = {path: code for code, path in s.execute(
                select(Organisation.code, Organisation.path)
                .where(Organisation.parent_id == root.id))}
            overdue = Counter()
            for (path,) in s.execute(select(Stage.subject_path).where(
                    Stage.status == OPEN, Stage.due_date < TODAY, Stage.case_id.is_not(None))):
                overdue[path[:path.index("/", len(root.path)) + 1]] += 1
            top = overdue.most_common(1)[0][0]
            cases = s.execute(select(Case.id, Organisation.path)
                              .join(Organisation, Organisation.id == Case.subject_id)
                              .where(Case.withdrawn_at.is_(None)).order_by(Case.id)).all()
    finally:
        eng.dispose()
    own = [cid for cid, path in cases if path.startswith(top)]
    other = [cid for cid, path in cases if not path.startswith(top)]
    spread = lambda ids: ids[::max(1, len(ids) // count)][:count]  # noqa: E731
    return {"code": tops[top], "path": top, "manager": f"manager.{tops[top].lower()}",
            "overdue": overdue[top], "overdue_all": sum(overdue.values()),
            "own_cases": spread(own), "other_cases": spread(other)}


def subtree_writer(url: str, cases: list[int], code: Path | None,
                   comments: bool = False) -> tuple[Any, Any]:
    """A write in the page's subtree before each request: bench/web/writer.py in a process of
    its own, running `code` (None: this checkout), asked for one stage write (a record voided
    or recorded again; `comments`: a comment) on one of `cases` at a time and answering once
    it is committed: the page's lists are then of an older version of its subtree. (the
    function to call before a request, the process)"""
    proc = start_writer(url, 0, cases, code, stdin=True, comments=comments)
    lock = threading.Lock()

    def write() -> None:
        assert proc.stdin is not None and proc.stdout is not None
        with lock:
            proc.stdin.write("w\n")
            proc.stdin.flush()
            if proc.stdout.readline().strip() != "ok":
                raise RuntimeError("the writer stopped")
    return write, proc


def paced(servers: list[Server], path: str, cookies: dict[str, str], rate: float,
          duration: float, before: Any = None) -> dict[str, Any]:
    """`rate` pages a second spread over `servers` (one client each, its requests at fixed
    times, `rate / len(servers)` a second, each from its own connection) for `duration`
    seconds: latencies, and the CPU of all the server processes per page."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    per = rate / len(servers)
    t0 = time.perf_counter() + 0.2
    stop_at = t0 + duration

    def client(i: int, srv: Server) -> None:
        with httpx.Client(base_url=srv.base, cookies=cookies, timeout=600) as c:
            k = 0
            while True:
                due = t0 + (k + i / len(servers)) / per
                if due >= stop_at:
                    break
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                if before is not None:
                    before()
                start = time.perf_counter()
                try:
                    outcome = str(c.get(path).status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                dt = time.perf_counter() - start
                with lock:
                    latencies.append(dt * 1e3)
                    statuses[outcome] += 1
                k += 1

    load0 = loadavg()
    cpu0 = sum(x.cpu_seconds() for x in servers)
    threads = [threading.Thread(target=client, args=(i, x), daemon=True)
               for i, x in enumerate(servers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    cpu = sum(x.cpu_seconds() for x in servers) - cpu0
    return {"requests": len(latencies), "wall_s": wall, "rps": len(latencies) / wall,
            "cpu_ms_per_request": cpu * 1e3 / len(latencies), "statuses": dict(statuses),
            "loadavg_before": load0, "loadavg_after": loadavg(), "latencies_ms": latencies}


def start_writer(url: str, rate: float, cases: list[int], code: Path | None,
                 stdin: bool = False, comments: bool = False) -> subprocess.Popen:
    """bench/web/writer.py in a process of its own, running `code` (None: this checkout):
    `rate` stage writes a second on `cases` (`comments`: comments; 0: one for each line on
    its stdin)."""
    env = server_env(url)
    env["PYTHONPATH"] = str(code or ROOT)
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "web" / "writer.py"),
                             *(["--comments"] if comments else []), url,
                             str(rate), *map(str, cases)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin else None,
                            text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":  # its imports and engine: out of the timing
        proc.kill()
        raise RuntimeError(f"the writer did not start: {proc.communicate()[1][-2000:]}")
    return proc


def stop_writer(writer: subprocess.Popen, writers: list[Any], started: float) -> float:
    """A writer of `start_writer` stopped and taken off `writers`: the writes a second it
    made since `started` (a `time.perf_counter()`); refused if it failed or wrote nothing."""
    writer.terminate()
    out, err = writer.communicate(timeout=60)
    writers.remove(writer)
    if writer.returncode != 0 or not out.strip():
        raise RuntimeError(f"the writer failed: {err[-2000:]}")
    return int(out.split()[-1]) / (time.perf_counter() - started)


def writes_plan(servers: dict[str, list[Server]], managers: dict[str, str],
                password: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """(label, the servers, address, cookies) of each code's page(s) and of the floor, each
    page read once by each process (kept)."""
    plan: list[tuple[str, str, str, dict[str, str]]] = []
    for name in servers:
        if name == "floor":
            plan.append(("floor", name, "/floor", {}))
            continue
        for suffix, login in managers.items():
            cookie = log_in(servers[name][0].base, login, password)
            cookies = {"merzim_session": cookie, "merzim_lang": "en"}
            plan.append((name + suffix, name, "/overdue", cookies))
            for srv in servers[name]:
                assert httpx.get(srv.base + "/overdue", cookies=cookies,
                                 timeout=600).status_code == 200
    return plan


def under_writes(url: str, info: dict[str, Any], a: argparse.Namespace,
                 codes: dict[str, Path | None]) -> dict[str, Any]:
    """The root page of a top-level subtree (`subtrees`: its manager's overdue page), kept,
    under other users' writes elsewhere in the country and right after a write in its subtree:
    `codes` (this code: None, or the previous head's checkout), each served by
    two processes over the same database, and the floor (one process, asked the strict way:
    back to back over a keep-alive client, bench/strict.py `back_to_back`) (the previous
    head refuses a schema newer than its own: it is measured, with a floor beside it, before
    the copy is upgraded), the pages loaded
    at `--page-rate` pages a second spread over the two. For each rate of `--writes` (writes a
    second; 0: none), bench/web/writer.py writes that often in the other top-level subtrees,
    in a process of its own, while each code's pages are loaded in turn for
    `--writes-duration` seconds; then, for each rate but 0, as often in the region's subtree;
    then each code's page with a write in its subtree before each request (writer.py again,
    asked for one write at a time). `--writes-rounds` rounds,
    the order of the codes alternating. Per phase and code: the CPU of its two processes per
    page (the median of the rounds), p50 / p95 over every request."""
    from workflow.services import accounts as auth

    where = subtrees(url)
    password = info["password"]  # (the country's manager's: the others' set to it)
    managers = {"": where["manager"]}  # the page's manager (and, asked, the country's)
    if a.writes_national:
        managers[f" · {ROOT_ORG}"] = ROOT_MANAGER
    eng = make_engine(url)
    with eng.begin() as conn:  # (SQL: the schema may be the previous head's)
        for login in [where["manager"]]:
            conn.execute(text("UPDATE app_user SET password_hash = :h WHERE login = :login"),
                         {"h": auth.hasher().hash(password), "login": login})
    eng.dispose()
    log(f"root page under writes: {where['manager']}'s overdue page ({where['code']}, "
        f"{where['overdue']} of {where['overdue_all']} overdue stages)")
    servers: dict[str, list[Server]] = {}
    writers: list[subprocess.Popen] = []
    try:
        for name, code in codes.items():
            servers[name] = [start_server(url, a.workdir, code) for _ in range(2)]
        servers["floor"] = [start_server(url, a.workdir, floor=True)]
        plan = writes_plan(servers, managers, password)
        # the floor the strict way: one keep-alive client, requests back to back (paced, a
        # floor's process idles between requests and costs several times more per request)
        floor = strict.Leg("floor", servers["floor"][0].base, "/floor",
                           servers["floor"][0].cpu_seconds, label=FLOOR)
        floor_client = httpx.Client(base_url=floor.base, timeout=600)
        for _ in range(3):
            floor_client.get("/floor").raise_for_status()
        (code,) = codes.values()  # one code per call
        in_subtree, proc = subtree_writer(url, where["own_cases"], code)
        writers.append(proc)
        commented, proc = subtree_writer(url, where["own_cases"], code, comments=True)
        writers.append(proc)
        # (rate, the cases written, phase): outside the region (inside the country), then in
        # it, then one write before each request
        plan_of = [(rate, where["other_cases"], f"{rate:g} writes/s outside {where['code']}")
                   for rate in a.writes] + [
            (rate, where["own_cases"], f"{rate:g} writes/s in {where['code']}")
            for rate in a.writes if rate] + [
            (None, [], f"right after a write in {where['code']}"),
            (None, [], f"right after a comment in {where['code']}")]
        phases = [phase for _, _, phase in plan_of]
        rounds: dict[str, dict[str, list[dict[str, Any]]]] = {p: {} for p in phases}
        writes: dict[str, list[float]] = {p: [] for p in phases}
        for i in range(a.writes_rounds):
            order = plan if i % 2 == 0 else plan[::-1]
            for rate, cases, phase in plan_of:
                writer = None
                if rate:
                    writer = start_writer(url, rate, cases, code)
                    writers.append(writer)
                started = time.perf_counter()
                for label, name, path, cookies in order:
                    if rate is None and name == "floor":
                        continue  # nothing is kept by the floor: the after-write phase is its own
                    r = (strict.back_to_back(floor, floor_client, a.writes_duration,
                                             a.min_per_client) if name == "floor" else
                         paced(servers[name], path, cookies, a.page_rate, a.writes_duration,
                               before=None if rate is not None else
                               commented if "comment" in phase else in_subtree))
                    rounds[phase].setdefault(label, []).append(r)
                    log(f"[round {i + 1}] {phase}, {label}: {r['requests']} pages, "
                        f"{r['cpu_ms_per_request']:.2f} ms CPU/page, p95 "
                        f"{percentile(r['latencies_ms'], 95):.1f} ms, load "
                        f"{r['loadavg_before']:.1f}, statuses {r['statuses']}")
                if writer is not None:
                    writes[phase].append(stop_writer(writer, writers, started))
        floor_client.close()
        return {"page": where["manager"], "subtree": where["code"], "page_rate": a.page_rate,
                "floor": "back to back, one keep-alive client",
                **summarised(phases, rounds, writes)}
    finally:
        for w in writers:
            w.kill()
        for group in servers.values():
            for srv in group:
                srv.stop()


def summarised(phases: list[str], rounds: dict[str, dict[str, list[dict[str, Any]]]],
               writes: dict[str, list[float]]) -> dict[str, Any]:
    """`under_writes`'s rounds per phase and code: CPU per page (the median of the rounds, and
    over the floor's and over the same code's with no writes), latencies over every request."""
    result: dict[str, Any] = {"phases": {}}
    for phase in phases:
        result["phases"][phase] = {"writes_per_s": writes[phase], "codes": {}}
        for name, rs in rounds[phase].items():
            ms = [x for r in rs for x in r["latencies_ms"]]
            result["phases"][phase]["codes"][name] = {
                "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in rs),
                "cpu_ms_per_request_rounds": [round(r["cpu_ms_per_request"], 3) for r in rs],
                "requests": len(ms), "p50_ms": percentile(ms, 50),
                "p95_ms": percentile(ms, 95), "max_ms": max(ms),
                "errors": sum(n for r in rs for code, n in r["statuses"].items()
                              if code != "200"),
                "loadavg": [min(r["loadavg_before"] for r in rs),
                            max(r["loadavg_after"] for r in rs)]}
    floor = result["phases"][phases[0]]["codes"]["floor"]["cpu_ms_per_request"]
    result["floor_cpu_ms"] = floor
    for phase in phases:
        for name, x in result["phases"][phase]["codes"].items():
            x["over_floor"] = x["cpu_ms_per_request"] / floor
            x["over_no_writes"] = (x["cpu_ms_per_request"] / result["phases"][phases[0]]
                                   ["codes"][name]["cpu_ms_per_request"])
    return result


def writes_markdown(r: dict[str, Any]) -> list[str]:
    names = {"this": "this code", "previous": "previous head", "floor": "floor"}
    lines = [f"The root page of {r['subtree']} ({r['page']}'s overdue page; · {ROOT_ORG}: "
             f"the country's, {ROOT_MANAGER}), {r['page_rate']:g} pages/s over two processes "
             "per code:", "",
             "| phase | writes/s done | code | pages | server CPU ms / page (rounds) "
             "| × floor | × no writes | p50 ms | p95 ms | max ms | errors | load average |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for phase, p in r["phases"].items():
        done = (", ".join(f"{w:.1f}" for w in p["writes_per_s"]) if p["writes_per_s"]
                else "")
        for name, x in p["codes"].items():
            lines.append(
                f"| {phase} | {done} | {names.get(name, name)} | {x['requests']} "
                f"| {x['cpu_ms_per_request']:.2f} ("
                + ", ".join(f"{c:.2f}" for c in x["cpu_ms_per_request_rounds"])
                + f") | {x['over_floor']:.1f} | {x['over_no_writes']:.2f} "
                f"| {x['p50_ms']:.1f} | {x['p95_ms']:.1f} | {x['max_ms']:.0f} | {x['errors']} "
                f"| {x['loadavg'][0]:.1f}-{x['loadavg'][1]:.1f} |")
    return [*lines, ""]


def ratio_markdown(r: dict[str, Any]) -> list[str]:
    names = {"this": "this code", "written": "this code", "previous": "previous head",
             "floor": "floor"}
    lines = ["| target | code | requests (1 client) | server CPU ms / request (median of rounds) "
             "| p50 ms | p95 ms | max ms | req/s | bytes | errors | load average |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, x in r["targets"].items():
        lines.append(f"| {x['target']} | {names[name]} | {x['requests']} "
                     f"| {x['cpu_ms_per_request']:.2f} | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} "
                     f"| {x['max_ms']:.0f} | {x['rps']:.1f} | {x['bytes']:,.0f} | {x['errors']} "
                     f"| {x['loadavg'][0]:.1f}-{x['loadavg'][1]:.1f} |")
    lines += ["", f"**page / floor, server CPU per request: {r['ratio']:.1f}×** (rounds: "
              + ", ".join(f"{x:.1f}" for x in r["ratio_rounds"]) + ")"
              + (f"; previous head {r['previous_ratio']:.1f}×" if "previous_ratio" in r else "")
              + (f"; right after a write {r['written_ratio']:.1f}×" if "written_ratio" in r
                 else ""), ""]
    return lines


def run_backend(backend: str, db: Path, info: dict[str, Any], a: argparse.Namespace
                ) -> dict[str, Any]:
    """The previous head (if asked) then this code, over the same copy of the dataset: the
    previous head at the dataset's schema revision; then the copy upgraded (this code's
    migrations, timed) and this code's server."""
    schema = None
    built_at = revision(make_engine(f"sqlite:///{db}"))
    if backend == "sqlite":
        copy = a.workdir / f"run-{db.name}"
        for leftover in a.workdir.glob(f"run-{db.name}*"):
            leftover.unlink()
        shutil.copyfile(db, copy)
        url = f"sqlite:///{copy}"
    elif a.postgres_schema:  # a copy kept by an earlier run (--keep-schema), at its revision
        schema = a.postgres_schema
        sep = "&" if "?" in a.postgres_url else "?"
        url = f"{a.postgres_url}{sep}options=-csearch_path%3D{schema}"
        built_at = revision(make_engine(url))
        counted(url)  # (a copy taken before the dataset's counts were counted)
    else:
        url, schema = copy_to_postgres(db, a.postgres_url, built_at)
    res: dict[str, Any] = {"backend": backend, "dataset_revision": built_at}
    try:
        if a.previous:
            code = previous_checkout(a.previous, a.workdir)
            known = newest_revision(code)
            if known < built_at:  # a dataset built by newer code: the copy taken back first
                eng = make_engine(url)
                command.downgrade(alembic_config(eng), known)
                eng.dispose()
                log(f"[{backend}] downgraded {built_at} -> {known} for {a.previous}")
                res["previous_revision"] = known
            res["previous"] = serve_and_load(f"{backend} previous {a.previous}", url, info, a,
                                             code)
            if a.writes:  # at its own schema revision: before the copy is upgraded
                res["writes_previous"] = under_writes(url, info, a, {"previous": code})
        eng = make_engine(url)
        t0 = time.perf_counter()
        upgrade(eng)
        res["upgrade_s"], res["revision"] = time.perf_counter() - t0, revision(eng)
        eng.dispose()
        log(f"[{backend}] upgraded {res.get('previous_revision', built_at)} -> "
            f"{res['revision']} in {res['upgrade_s']:.0f} s")
        res.update(serve_and_load(f"{backend} current", url, info, a, None))
        if a.ratio_rounds:  # the page against the floor (and the previous head), alternating
            res["floor"] = against_floor(url, info, a, previous_checkout(a.previous, a.workdir)
                                         if a.previous else None)
        if a.writes:  # the root page of a subtree under writes elsewhere and in it
            res["writes"] = under_writes(url, info, a, {"this": None})
        if "previous" in res:
            prev = res["previous"]
            res["same_as_previous"] = {k: prev[k] == res[k] for k in (
                "page_rows", "page_summary", "page_stages", "api_total", "api_first_page",
                "api_due_total", "api_due_first_page")}
            log(f"[{backend}] same as the previous head: {res['same_as_previous']}")
        if a.profile:
            res["profile"] = profile_requests(url, info["token"])
    finally:
        if schema and (a.keep_schema or a.postgres_schema):
            log(f"[{backend}] kept the PostgreSQL schema {schema} (--postgres-schema {schema})")
        elif schema:
            drop_schema(a.postgres_url, schema)
        if backend == "sqlite":
            for leftover in a.workdir.glob(f"run-{db.name}*"):
                leftover.unlink()
    return res


def _errors(x: dict[str, Any]) -> str:
    return ", ".join(f"{n} × {code}" for code, n in sorted(x["statuses"].items())
                     if code != "200") or "0"


def markdown(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    lines = [f"dataset: {info['rows']}; overdue stages on {info['today']}: "
             f"{info['overdue_stages']:,}", ""]
    for r in results:
        prev = r.get("previous")
        lines += [f"### {names[r['backend']]}", "",
                  f"overdue page: {r['page_rows']:,} rows, {r['page_summary_rows']} summary "
                  f"rows, {r['page_bytes']:,} bytes; API: overdue total {r['api_total']:,}, "
                  f"due total {r['api_due_total']:,}, {r['api_items']} items per page; "
                  f"schema {r.get('previous_revision', r['dataset_revision'])} upgraded to "
                  f"{r['revision']} in "
                  f"{r['upgrade_s']:.0f} s", ""]
        if prev:
            lines += [f"previous head: overdue page {prev['page_bytes']:,} bytes; the same "
                      f"count, summary, first page rows and API first pages as this code: "
                      f"{r['same_as_previous']}", ""]
        lines += ["| target | code | concurrency | requests | p50 ms | p95 ms | max ms | req/s "
                  "| server CPU ms / request | errors | previous / this p50 | load average "
                  "before / after |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        before = {(x["target"], x["concurrency"]): x for x in prev["runs"]} if prev else {}
        for x in r["runs"]:
            key = (x["target"], x["concurrency"])
            rows = [("this", x)] + ([("previous", before[key])] if key in before else [])
            for code, y in rows:
                ratio = (f"{before[key]['p50_ms'] / x['p50_ms']:.1f}×"
                         if code == "this" and key in before else "")
                lines.append(f"| {y['target']} | {code} | {y['concurrency']} | {y['requests']} "
                             f"| {y['p50_ms']:.0f} | {y['p95_ms']:.0f} | {y['max_ms']:.0f} "
                             f"| {y['rps']:.2f} | {y['server_cpu_ms_per_request']:.0f} "
                             f"| {_errors(y)} | {ratio} "
                             f"| {y['loadavg_before']:.1f} / {y['loadavg_after']:.1f} |")
        lines.append("")
        if "floor" in r:
            lines += ratio_markdown(r["floor"])
        for part in ("writes_previous", "writes"):
            if part in r:
                lines += writes_markdown(r[part])
        if "profile" in r:
            lines += ["| where the time goes (median, ms) | wall | this process's CPU |",
                      "|---|---:|---:|"]
            lines += [f"| {k} | {v:.1f} | {r['profile']['parts_cpu_ms'][k]:.1f} |"
                      for k, v in r["profile"]["parts_ms"].items()]
            lines.append("")
            for name, prof in r["profile"]["profiles"].items():
                lines += [f"cProfile {name} ({names[r['backend']]}):", "", "```", prof.strip(),
                          "```", ""]
    return "\n".join(lines)


def machine() -> str:
    return (f"{platform.platform()}; {engine_bench.cpu_model()}; {os.cpu_count()} CPUs; "
            f"CPython {platform.python_version()}; SQLite {sqlite3.sqlite_version}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    engine_bench.dataset_arguments(
        p, "sqlite", "stage rows in all: the year's analyses, then earlier years' (bulk)")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-web"),
                   help="where the dataset is built once and reused")
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--concurrency", default="1,8,32",
                   type=lambda v: [int(x) for x in v.split(",") if x],
                   help="clients per load level ('' for none: the paired rounds alone)")
    p.add_argument("--ratio-rounds", type=int, default=6,
                   help="rounds of the root overdue page against the floor endpoint, one "
                        "client, alternating (0: none)")
    p.add_argument("--ratio-duration", type=float, default=10.0,
                   help="seconds per target per round")
    p.add_argument("--duration", type=float, default=30.0, help="seconds per load level")
    p.add_argument("--min-per-client", type=int, default=2,
                   help="requests each client sends at least, even past --duration")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--previous", metavar="REF", default=None,
                   help="also serve this commit (a git worktree under --workdir) over the same "
                        "data first, for the ratio (default: the parent of main's newest "
                        "commit)")
    p.add_argument("--no-previous", action="store_true", help="serve no previous head")
    p.add_argument("--writes", default="", type=lambda v: [float(x) for x in v.split(",") if x],
                   help="the root page of a subtree under these rates of writes elsewhere "
                        "(writes a second, e.g. 0,1,5) and right after a write in it, two "
                        "processes per code ('': not run)")
    p.add_argument("--writes-rounds", type=int, default=2)
    p.add_argument("--writes-national", action="store_true",
                   help="--writes: the country's root page too (every write is in its subtree)")
    p.add_argument("--keep-schema", action="store_true",
                   help="keep the PostgreSQL copy of the dataset (for --postgres-schema)")
    p.add_argument("--postgres-schema", metavar="NAME",
                   help="run on this PostgreSQL copy kept by an earlier run (--keep-schema) "
                        "instead of copying the dataset again")
    p.add_argument("--writes-duration", type=float, default=10.0,
                   help="seconds per code per phase per round")
    p.add_argument("--page-rate", type=float, default=10.0,
                   help="pages a second over a code's two processes (--writes)")
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args(argv)
    if a.no_previous:
        a.previous = None
    elif a.previous is None:
        a.previous = strict.default_previous(ROOT)
    db, info = ensure_dataset(a.workdir, a.analyses, a.seed, a.batch, a.stage_rows, a.rebuild)
    log(f"dataset: {info['rows']}, overdue stages {info['overdue_stages']}")
    if a.build_only:
        return 0
    backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    results = [run_backend(b, db, info, a) for b in backends]
    print(f"machine: {machine()}\n")
    print(markdown(results, info))
    if a.json:
        Path(a.json).write_text(json.dumps(
            {"machine": machine(), "args": {k: str(v) for k, v in vars(a).items()},
             "dataset": {k: v for k, v in info.items() if k not in ("password", "token")},
             "results": results}, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
