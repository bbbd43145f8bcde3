"""Benchmark of the API's case list: `GET /api/v1/cases?limit=50` over 100,000 cases.

Run from the repository root:

    .venv/bin/python bench/api/run.py [--cases 100000] [--previous REF | --no-previous] \
        [--rounds 5] [--duration 4] [--json PATH]

1. The dataset, in a PostgreSQL schema of its own (dropped at the end unless --keep; a kept
   one is reused with --schema): a root organisation KZ, 16 regions of 12 bodies each (the
   tree through the services), a manager of the root and an officer of the body with the most
   cases, each with a personal API token, and --cases internal analyses of the web
   benchmark's year (bench/web/run.py `current_year`: the subjects drawn at random, each
   case with its records, stages and monitoring as the pure planner and the state machine make
   them by 2026-09-15, inserted in bulk); then VACUUM ANALYZE, as autovacuum leaves a table.
2. Three servers over it, each `uvicorn` as `merzim serve --no-worker` runs it, on free
   ports: this code, the previous head (--previous, by default the parent of main's newest
   commit: a git worktree of it, bench/web/run.py `previous_checkout`) and the floor
   (bench/api/floor.py: FastAPI and one plain SELECT of the first 50 cases by number). A
   previous head that knows fewer migrations than the schema has (it refuses a newer
   schema) reads the same tables through a schema of its own holding only its revision,
   first on its search path (`shadow_revision`): the indexes a newer migration added serve
   it too.
3. Each target against the floor the strict way (bench/strict.py `paired`): this code's
   route, the floor's and the previous head's (on the first --previous-targets targets), each
   over a keep-alive client of its own in this process, asked back to back for --duration
   seconds in each of --rounds rounds, the order alternating: the server process's CPU per
   request (the median of the rounds) and its ratio to the floor's, wall latency p50 / p95 /
   max; and whether this code's page is the previous head's (same rows, same total).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from alembic import command  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench import strict  # noqa: E402
from bench.postgres import new_schema  # noqa: E402
from bench.web import run as web_bench  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_definition  # noqa: E402
from workflow.storage.db import alembic_config, make_engine, revision, session  # noqa: E402
from workflow.storage.models import Case, Organisation  # noqa: E402

TODAY = web_bench.TODAY
DEFAULT_PG = web_bench.DEFAULT_PG
REGIONS, BODIES = 16, 12


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Spec:
    def __init__(self, code: str) -> None:
        self.code = code


def build(pg_url: str, cases: int, seed: int) -> tuple[str, str, dict[str, Any]]:
    """A fresh schema with the dataset: (url, schema, what it holds and the tokens)."""
    from workflow.services import accounts as auth

    schema, url = new_schema(pg_url, "merzim_bench_api_", 8)
    eng = make_engine(url)
    command.upgrade(alembic_config(eng), "head")
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), TODAY, actor="bench",
                      language="en")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    specs, children = [], {}
    with session(eng) as s:
        svc.add_org(s, ctx, "KZ", "Republic of Kazakhstan", "central_body")
        svc.add_user(s, ctx, "manager.kz", "Manager of the country", "manager", "KZ", None, "en")
        for r in range(REGIONS):
            region = f"R{r:02d}"
            svc.add_org(s, ctx, region, f"Region {r}", "akimat", "KZ")
            specs.append(Spec(region))
            for b in range(BODIES):
                body = f"{region}-B{b:02d}"
                svc.add_org(s, ctx, body, f"Body {b} of region {r}", "department",
                            region)
                svc.add_user(s, ctx, f"officer.{body.lower()}", f"Officer of {body}", "officer",
                             body, None, "en")
                specs.append(Spec(body))
                children.setdefault(region, []).append(body)
        s.commit()
    items = web_bench.year_items(rng, ctx, specs, children, cases)
    counts = web_bench.current_year(eng, ctx, rng, items)
    with session(eng) as s:
        biggest = s.execute(select(Organisation.code)
                            .join(Case, Case.subject_id == Organisation.id)
                            .group_by(Organisation.code).order_by(func.count().desc())
                            .limit(1)).scalar_one()
        tokens = {login: auth.create_api_token(s, svc.get_user(s, login), "bench/api")
                  for login in ("manager.kz", f"officer.{biggest.lower()}")}
        s.commit()
        states = {st: n for st, n in s.execute(select(Case.state, func.count())
                                                 .group_by(Case.state))}
    eng.dispose()
    with create_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    info = {"schema": schema, "cases": cases, "rows": counts, "states": states,
            "officer_org": biggest, "tokens": tokens, "build_s": time.perf_counter() - t0}
    log(f"built {cases} cases in {info['build_s']:.0f} s (schema {schema})")
    return url, schema, info


def shadow_revision(pg_url: str, schema: str, known: str) -> tuple[str, str]:
    """A schema holding only `alembic_version` at `known`, put before `schema` on a search
    path: a previous head whose newest migration is `known` reads `schema`'s tables through
    it (its revision check sees its own). (its url, its name)"""
    shadow = f"{schema}_rev{known}"
    with create_engine(pg_url).begin() as c:
        c.execute(text(f'DROP SCHEMA IF EXISTS "{shadow}" CASCADE'))
        c.execute(text(f'CREATE SCHEMA "{shadow}"'))
        c.execute(text(f'CREATE TABLE "{shadow}".alembic_version '
                       "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        c.execute(text(f'INSERT INTO "{shadow}".alembic_version VALUES (:v)'), {"v": known})
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options=-csearch_path%3D{shadow}%2C{schema}", shadow


def start_floor(url: str, workdir: Path) -> web_bench.Server:
    port = web_bench.free_port()
    logfile = workdir / f"floor-{port}.log"
    env = {**web_bench.server_env(url), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "uvicorn", "bench.api.floor:app_factory", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with open(logfile, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    srv = web_bench.Server(proc, f"http://127.0.0.1:{port}", logfile)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{srv.base}/login", timeout=2).status_code == 200:
                return srv
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(logfile.read_text(encoding="utf-8"))


def fetch(base: str, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(base + path, headers=headers, timeout=900)
    if r.status_code != 200:
        raise RuntimeError(f"{base}{path}: {r.status_code} {r.text[:300]}")
    return r.json()


def leg(name: str, srv: web_bench.Server, path: str, token: str | None,
        label: str = "") -> strict.Leg:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return strict.Leg(name, srv.base, path, lambda: srv.cpu_seconds(), headers=headers,
                      label=label or path)


def main(argv: list[str] | None = None) -> int:  # noqa: C901
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=web_bench.SEED)
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_TEST_POSTGRES_URL",
                                                            DEFAULT_PG))
    p.add_argument("--previous", metavar="REF", default=None,
                   help="the previous head to time in the same run (a git worktree of it; "
                   "default: the parent of main's newest commit)")
    p.add_argument("--no-previous", action="store_true", help="time no previous head")
    p.add_argument("--rounds", type=int, default=5,
                   help="rounds per target, each leg (this code, the floor, the previous "
                   "head) asked back to back for --duration seconds in each, alternating")
    p.add_argument("--duration", type=float, default=4.0)
    p.add_argument("--min-requests", type=int, default=3)
    p.add_argument("--previous-targets", type=int, default=5,
                   help="the previous head is timed on the first N targets only")
    p.add_argument("--workdir", type=Path, default=Path("/tmp/merzim-bench-api"))
    p.add_argument("--keep", action="store_true", help="keep the schema (its info is written "
                   "to the workdir; reuse it with --schema)")
    p.add_argument("--schema", help="a schema kept by an earlier run with --keep")
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args(argv)
    a.workdir.mkdir(parents=True, exist_ok=True)
    if a.schema:
        info = json.loads((a.workdir / f"{a.schema}.json").read_text(encoding="utf-8"))
        sep = "&" if "?" in a.postgres_url else "?"
        url, schema = f"{a.postgres_url}{sep}options=-csearch_path%3D{a.schema}", a.schema
    else:
        url, schema, info = build(a.postgres_url, a.cases, a.seed)
        if a.keep:
            (a.workdir / f"{schema}.json").write_text(json.dumps(info, indent=2, default=str),
                                                      encoding="utf-8")
    manager, officer = info["tokens"]["manager.kz"], info["tokens"][
        f"officer.{info['officer_org'].lower()}"]
    targets = [("manager of the country: ?limit=50", "/api/v1/cases?limit=50", manager),
               ("manager: ?limit=50&offset=50000", "/api/v1/cases?limit=50&offset=50000",
                manager),
               ("manager: ?state=ended&limit=50", "/api/v1/cases?state=ended&limit=50", manager),
               ("manager: ?org=R03&year=2026&limit=50",
                "/api/v1/cases?org=R03&year=2026&limit=50", manager),
               (f"officer of {info['officer_org']}: ?limit=50", "/api/v1/cases?limit=50",
                officer)]
    if not a.no_previous and a.previous is None:
        a.previous = strict.default_previous(ROOT)
    servers: dict[str, web_bench.Server] = {}
    shadow = None
    results: dict[str, Any] = {"machine": {"load_1min_before": os.getloadavg()[0],
                                           "cpus": os.cpu_count()},
                               "cases": info["cases"], "states": info["states"],
                               "previous": None if a.no_previous else a.previous,
                               "rounds": a.rounds, "duration_s": a.duration, "targets": {}}
    try:
        servers["this"] = web_bench.start_server(url, a.workdir)  # (upgrades the schema)
        servers["floor"] = start_floor(url, a.workdir)
        if not a.no_previous:
            code = web_bench.previous_checkout(a.previous, a.workdir)
            known = web_bench.newest_revision(code)
            prev_url = url
            if known < (revision(make_engine(url)) or ""):
                prev_url, shadow = shadow_revision(a.postgres_url, schema, known)
                results["previous_revision"] = known
            servers["previous"] = web_bench.start_server(prev_url, a.workdir, code)
        # the page at offset 50,000 by its keyset cursor: after the number before it
        before = fetch(servers["this"].base, "/api/v1/cases?limit=1&offset=49999", manager)
        cursor = before["items"][0]["id"]
        targets.append((f"manager: ?limit=50&after={cursor} (= offset 50000)",
                        f"/api/v1/cases?limit=50&after={cursor}", manager))
        for i, (label, path, token) in enumerate(targets):
            body = fetch(servers["this"].base, path, token)
            legs = [leg("this", servers["this"], path, token, label),
                    leg("floor", servers["floor"], "/floor", None, "floor: /floor")]
            row: dict[str, Any] = {"total": body["total"]}
            if "after=" in path:  # (the same page as by its offset)
                row["same_rows_as_offset"] = fetch(
                    servers["this"].base, "/api/v1/cases?limit=50&offset=50000",
                    token)["items"] == body["items"]
            if "previous" in servers and i < a.previous_targets:
                legs.append(leg("previous", servers["previous"], path, token, label))
                prev = fetch(servers["previous"].base, path, token)
                row["previous_total"] = prev["total"]
                row["same_rows_as_previous"] = prev["items"] == body["items"]
            res = strict.paired(legs, a.rounds, a.duration, a.min_requests, log=log)
            row.update(res["legs"])
            row["ratio"] = strict.ratio(res, "this")
            if "previous" in res["legs"]:
                row["previous_ratio"] = strict.ratio(res, "previous")
            results["targets"][label] = row
            log(f"{label}: this {row['this']['cpu_ms_per_request']:.2f} ms CPU, floor "
                f"{row['floor']['cpu_ms_per_request']:.2f} ms, {row['ratio']:.1f}x")
    finally:
        for srv in servers.values():
            srv.stop()
        if shadow:
            web_bench.drop_schema(a.postgres_url, shadow)
        if not a.keep and not a.schema:
            web_bench.drop_schema(a.postgres_url, schema)
    results["machine"]["load_1min_after"] = os.getloadavg()[0]
    print(markdown(results))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def markdown(r: dict[str, Any]) -> str:
    lines = [f"`GET /api/v1/cases` over {r['cases']:,} cases, PostgreSQL; load "
             f"{r['machine']['load_1min_before']:.2f} → {r['machine']['load_1min_after']:.2f}; "
             f"{r['rounds']} rounds of {r['duration_s']:g} s per leg, one keep-alive client "
             "per leg, requests back to back, alternating", "",
             "| request | total | code | server CPU ms / request (rounds) | × floor "
             "| p50 / p95 / max (ms) | same page |", "|---|---:|---|---:|---:|---|---|"]
    names = {"this": "this code", "floor": "floor", "previous": f"previous head "
             f"({r['previous']})"}
    for label, row in r["targets"].items():
        for name in ("this", "floor", "previous"):
            if name not in row:
                continue
            x = row[name]
            over = x["cpu_ms_per_request"] / row["floor"]["cpu_ms_per_request"]
            same = (row.get("same_rows_as_previous", "-") if name == "previous" else
                    f"as offset 50000: {row['same_rows_as_offset']}"
                    if name == "this" and "same_rows_as_offset" in row else "")
            lines.append(
                f"| {label} | {row['total']:,} | {names[name]} | {x['cpu_ms_per_request']:.2f} ("
                + ", ".join(f"{c:.2f}" for c in x["cpu_ms_per_request_rounds"])
                + f") | {over:.1f} | {x['p50_ms']:.1f} / {x['p95_ms']:.1f} / {x['max_ms']:.1f} "
                f"| {same} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
