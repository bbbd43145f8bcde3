"""Sign-ins while a people import of 10,000 rows is written: how long each waits.

Run from the repository root:

    .venv/bin/python bench/import/people_signins.py [--rows 10000] [--pg URL] [--json PATH]

In a PostgreSQL schema of its own (dropped at the end): one organisation and one officer with
a web password; then `imports.people.import_people` of `--rows` new people (each invited by
e-mail) in one thread, as the web's People page calls it, while another thread signs the
officer in (`accounts.authenticate`, committed: a sign-in appends to the audit chain, whose
lock each import batch holds) one after another until the import ends. Printed: the import's
wall time and each sign-in's wait (p50, p95, max). Twice: written in batches
(`imports.people.BATCH`, this code) and in one transaction (BATCH set beyond the file: what the
import did before), each in a fresh schema, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("MERZIM_ARGON2_PROFILE", "cheapest")  # the sign-in's wait, not its hash

from bench.postgres import drop_schema, new_schema  # noqa: E402
from workflow.installed import install  # noqa: E402

install()

PASSWORD = "a-long-enough-password-7"


def _ctx(actor: str):
    from datetime import date

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_definition

    return svc.Context(KazakhstanCalendar(), load_definition(), date(2025, 11, 19),
                       actor=actor, language="en")


def one(pg: str, rows: int, batch: int) -> dict:
    from sqlmodel import Session

    from workflow import services as svc
    from workflow.imports import people as invitations
    from workflow.services import accounts as auth
    from workflow.storage.db import make_engine, upgrade

    schema, url = new_schema(pg, "bench_people_")
    try:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as s:
            ctx = _ctx("cli:bench")
            svc.add_org(s, ctx, "AK", "Akimat", "akimat")
            auth.set_password(s, svc.add_user(s, ctx, "dana", "Dana", "officer", "AK"),
                              PASSWORD, "bench")
            s.commit()
        people = [{"_row": i + 2, "login": f"p{i:05d}", "name": f"Person {i}",
                   "email": f"p{i:05d}@example.kz", "telegram": "", "role": "officer",
                   "organisation": "AK"} for i in range(rows)]
        invitations.BATCH, kept = batch, invitations.BATCH
        done = threading.Event()
        waits: list[float] = []

        def run_import() -> None:
            try:
                with Session(engine) as s:
                    invitations.import_people(s, _ctx("web:admin"), people, update=False,
                                              base_url="https://m.kz", days=7)
                    s.commit()
            finally:
                done.set()

        start = time.perf_counter()
        importer = threading.Thread(target=run_import)
        importer.start()
        while not done.is_set():
            t = time.perf_counter()
            with Session(engine) as s:
                assert auth.authenticate(s, "dana", PASSWORD).user is not None
                s.commit()
            waits.append(time.perf_counter() - t)
            time.sleep(0.05)
        importer.join()
        wall = time.perf_counter() - start
        invitations.BATCH = kept
        engine.dispose()
    finally:
        drop_schema(pg, schema)
    waits.sort()
    return {"batch": batch, "rows": rows, "import_s": round(wall, 2), "signins": len(waits),
            "p50_s": round(statistics.median(waits), 3),
            "p95_s": round(waits[max(0, int(len(waits) * 0.95) - 1)], 3),
            "max_s": round(waits[-1], 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pg", default=os.environ.get(
        "MERZIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from workflow.imports import people as invitations

    results = [one(args.pg, args.rows, invitations.BATCH),
               one(args.pg, args.rows, args.rows + 1)]
    print(f"load average (1 min): {os.getloadavg()[0]:.2f}\n")
    print("| written | import | sign-ins | p50 | p95 | max |\n|---|---|---|---|---|---|")
    for r in results:
        how = (f"batches of {r['batch']}" if r["batch"] <= r["rows"]
               else "one transaction")
        print(f"| {how} | {r['import_s']} s | {r['signins']} | {r['p50_s']} s | "
              f"{r['p95_s']} s | {r['max_s']} s |")
    if args.json:
        args.json.write_text(json.dumps({"load": os.getloadavg()[0], "results": results},
                                        indent=2) + "\n")


if __name__ == "__main__":
    main()
