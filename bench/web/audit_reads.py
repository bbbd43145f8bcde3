"""The audit log's reads on a page (migration 0017): a case page's trail and every page's bell,
with a large log, before (0016: no index for either) and after (head), in the same run.

Run from the repository root (PostgreSQL at MERZIM_BENCH_POSTGRES_URL, by default
postgresql+psycopg://postgres@127.0.0.1:5432/test):

    .venv/bin/python bench/web/audit_reads.py [--sizes 50x99] [--copies 2] [--json PATH]

A country (bench/obligations/run.py's organisations) is synced once (180,300 `case.open`
records); the log is then doubled `--copies - 1` times with copies of its records (only the
size matters for these reads; `prev_hash` made unique). The two statements the application
sends (`storage/queries/audit.trail_of`; the bell's hand-overs in `notices/service.py`, the
action as a literal) are timed, the median of 7 runs each, at the head's schema and after
`alembic downgrade 0016` (the previous head's schema) on the same data; EXPLAIN's plan of each
is recorded.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "obligations"))

import run as country  # noqa: E402  (bench/obligations/run.py)
from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402

import bench.boot  # noqa: E402, F401  (the checkout's features installed)
from workflow.services import obligations  # noqa: E402
from workflow.storage.db import alembic_config  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

TRAIL = ("SELECT * FROM audit_log WHERE entity = 'case' AND entity_id = :id "
         "AND action IN ('case.open', 'analysis.assign') ORDER BY id")
BELL = ("SELECT * FROM audit_log WHERE action = 'analysis.assign' AND at >= :since "
        "AND payload LIKE :login ORDER BY id DESC LIMIT 200")


def timed(conn, sql: str, params: dict) -> tuple[float, str]:
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        conn.execute(text(sql), params).all()
        runs.append(time.perf_counter() - started)
    plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql), params))
    return round(statistics.median(runs) * 1000, 2), plan


def main(argv: list[str] | None = None) -> int:
    p = country.country_parser(__doc__.splitlines()[0])
    p.add_argument("--copies", type=int, default=2)
    a = p.parse_args(argv)
    out: dict = {"size": a.sizes, "load_before": os.getloadavg()[0]}
    with country.one_country(a) as (_url, eng, ctx, out["organisations"]):
        with open_session(eng) as s:
            obligations.sync(s, ctx)
            s.commit()
        with eng.begin() as conn:
            for _ in range(a.copies - 1):
                conn.execute(text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_id, payload, "
                    "prev_hash, hash) SELECT at, actor, action, entity, entity_id, payload, "
                    "md5(random()::text) || md5(random()::text), hash FROM audit_log"))
            out["records"] = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
            case_id = conn.execute(text("SELECT max(id) FROM process_case")).scalar()
        params = {"id": str(case_id), "since": "2026-10-23", "login": '%"asel"%'}
        for schema in ("head", "0016"):
            if schema == "0016":
                command.downgrade(alembic_config(eng), "0016")
            with eng.connect() as conn:
                conn.execute(text("ANALYZE audit_log"))
                for name, sql in (("trail", TRAIL), ("bell", BELL)):
                    ms, plan = timed(conn, sql, params)
                    out[f"{name} {schema}"] = {"ms": ms, "plan": plan}
                    print(f"{name} at {schema}: {ms} ms", file=sys.stderr)
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps({k: v["ms"] if isinstance(v, dict) else v for k, v in out.items()},
                     indent=1))
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
