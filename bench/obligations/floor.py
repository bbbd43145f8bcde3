"""The PostgreSQL server's own floor under a country's first `obligations sync`: how long the
server takes to store the rows the sync writes, with no Python making them.

Run from the repository root (a PostgreSQL server on this machine: its backend's CPU is read
from /proc):

    .venv/bin/python bench/obligations/floor.py [--sizes 50x99] [--runs 3] [--json PATH]

In a fresh schema (bench/obligations/run.py's organisations, the same day), one sync is run
and its rows (cases, stages, audit records) are read back with `COPY ... TO STDOUT` before it
is rolled back. Then, alternating, each variant writes those bytes back with
`COPY ... FROM STDIN` in one transaction and rolls back; for each: the wall seconds and the
server backend's CPU seconds. Every run (the sync's too) first empties the three tables in
its transaction (`FRESH`), so that each starts from fresh indexes, not from the dead entries
of the runs before it:

* `all`: the three tables as the schema has them (what the sync asks of the server);
* `no-audit`: the cases and stages only (as if the audit held one record per sync);
* `no-fk`: the three tables with the cases' and stages' foreign keys dropped in the
  transaction (rolled back with it): what the foreign-key checks cost;
* `before-0016`: the three tables with their identifier columns back in the database's
  collation (as before migration 0016 put them in byte order), their indexes rebuilt so;
* `before-0017`: the three tables without migration 0017's audit indexes (an entity's trail,
  the hand-overs): what indexing the trail costs the sync;
* `bare`: cases and stages without their foreign keys and secondary indexes, no audit: the
  rows alone.

The sync itself (`obligations.sync`, rolled back) is timed in the same alternation, with its
client CPU and the server backend's CPU.
"""
from __future__ import annotations

import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from workflow.services import obligations  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/obligations/run.py: the organisations and the day)

TABLES = ("process_case", "stage", "audit_log")
BEFORE_0016 = {"process_case": (("process", 64), ("period", 16)),
               "stage": (("key", 64), ("status", 16), ("subject_path", 400)),
               "audit_log": (("prev_hash", 64), ("hash", 64))}
TICK = os.sysconf("SC_CLK_TCK")
# Each run starts, in its transaction, from empty tables with fresh indexes (the audit's
# organisation records go too; they come back with the rollback): otherwise each run's rows,
# rolled back, would stay in the indexes as dead entries and slow the runs after it.
FRESH = "TRUNCATE process_case, stage, audit_log CASCADE"


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sync_rows(eng, ctx) -> dict[str, tuple[list[str], bytes]]:
    """One sync in a transaction rolled back: the new rows of each table as COPY text."""
    out = {}
    with open_session(eng) as s:
        opened = obligations.sync(s, ctx)
        s.flush()
        conn = s.connection()
        raw = conn.connection.dbapi_connection
        first = min(o["id"] for o in opened)
        audit_from = conn.execute(text(
            "SELECT min(id) FROM audit_log WHERE action = 'case.open' AND entity_id = :i"),
            {"i": str(first)}).scalar_one()
        where = {"process_case": f"id >= {first}", "stage": f"case_id >= {first}",
                 "audit_log": f"id >= {audit_from}"}
        for table in TABLES:
            columns = [r[0] for r in conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                "AND table_schema = current_schema() ORDER BY ordinal_position"), {"t": table})]
            buf = io.BytesIO()
            with raw.cursor() as cur, cur.copy(
                    f"COPY (SELECT {', '.join(columns)} FROM {table} WHERE {where[table]} "
                    f"ORDER BY id) TO STDOUT") as copy:
                for block in copy:
                    buf.write(block)
            out[table] = (columns, buf.getvalue())
        s.rollback()
    return out


def foreign_keys(cur, tables) -> list[tuple[str, str]]:
    cur.execute("SELECT conrelid::regclass::text, conname FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace "
                "AND conrelid::regclass::text = ANY(%s)", (list(tables),))
    return cur.fetchall()


def secondary_indexes(cur, tables) -> list[str]:
    cur.execute("SELECT indexrelid::regclass::text FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indrelid WHERE NOT i.indisprimary "
                "AND c.relnamespace = current_schema()::regnamespace "
                "AND c.relname = ANY(%s)", (list(tables),))
    return [r[0] for r in cur.fetchall()]


def variant(url: str, rows, name: str) -> tuple[float, float]:
    tables = TABLES if name in ("all", "no-fk", "before-0016", "before-0017") else TABLES[:2]
    with psycopg.connect(conninfo(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
        cur.execute(FRESH)
        if name in ("no-fk", "bare"):
            for table, fk in foreign_keys(cur, TABLES[:2]):
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{fk}"')
        if name == "before-0016":  # the identifiers in the database's collation again
            for table, columns in BEFORE_0016.items():
                cur.execute(f'ALTER TABLE "{table}" ' + ", ".join(
                    f'ALTER COLUMN "{c}" TYPE VARCHAR({n}) COLLATE "default"'
                    for c, n in columns))
        if name == "before-0017":
            cur.execute("DROP INDEX ix_audit_log_entity")
            cur.execute("DROP INDEX ix_audit_log_handover")
        if name == "bare":
            for index in secondary_indexes(cur, TABLES[:2]):
                cur.execute(f"DROP INDEX {index}")
        started, cpu = time.perf_counter(), backend_cpu(pid)
        for table in tables:
            columns, data = rows[table]
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i:i + (1 << 20)])
        cur.execute("SELECT 1")  # the deferred checks have run at the end of each COPY
        wall, server = time.perf_counter() - started, backend_cpu(pid) - cpu
        conn.rollback()
    return wall, server


def sync_once(eng, ctx) -> tuple[float, float, float]:
    with open_session(eng) as s:
        conn = s.connection()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        conn.execute(text(FRESH))
        started, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(pid)
        obligations.sync(s, ctx)
        s.flush()
        conn.execute(text("SELECT 1"))
        out = (time.perf_counter() - started, time.process_time() - cpu,
               backend_cpu(pid) - server)
        s.rollback()
    return out


def main(argv: list[str] | None = None) -> int:
    p = bench.country_parser(__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args(argv)
    results: dict = {"size": a.sizes, "load_before": os.getloadavg()[0],
                     "machine": platform.platform(), "cpus": os.cpu_count()}
    with bench.one_country(a) as (url, eng, ctx, results["organisations"]):
        with eng.begin() as conn:
            for table in ("organisation", "app_user", "process_case", "stage", "audit_log"):
                conn.execute(text(f"ANALYZE {table}"))
        rows = sync_rows(eng, ctx)
        results["rows"] = {t: rows[t][1].count(b"\n") for t in TABLES}
        names = ("sync", "all", "before-0016", "before-0017", "no-audit", "no-fk", "bare")
        runs: dict[str, list] = {n: [] for n in names}
        for _ in range(a.runs):
            for name in names:
                got = sync_once(eng, ctx) if name == "sync" else variant(url, rows, name)
                runs[name].append(got)
                print(name, [round(x, 2) for x in got], file=sys.stderr)
    results["load_after"] = os.getloadavg()[0]
    results["runs"] = runs
    results["median"] = {n: [round(statistics.median(r[i] for r in v), 2)
                             for i in range(len(v[0]))] for n, v in runs.items()}
    print(json.dumps(results["median"], indent=1))
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
