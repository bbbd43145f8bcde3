"""Sign-ins while the analysis schedule is imported from the web.

Run from the repository root (PostgreSQL: MERZIM_TEST_POSTGRES_URL, as the tests):

    .venv/bin/python bench/import/web_signin.py --backend sqlite|postgres \
        [--rows 10000] [--previous-rows 1000] [--json PATH]

In a fresh copy of the web tests' demo database (tests/support/web_helpers.py), the web
application in this process: Asel uploads an `internal_risk_analysis` file of `--rows`
one-day analyses of her department (each of a demo organisation on a day of its own) and
confirms it (`POST /registers/internal_risk_analysis/import` then `…/confirm`, each in a
thread of its own). Meanwhile a browser signs in as Marat over and over (`GET /login`,
`POST /login`: an argon2 check, a session row and an audit record) on the same application
(the same node: its threads share the interpreter with the import's) and another on a second
application in another process over the same database (another node); the latency of every
`POST /login` sent while the request runs is kept, and its p50, p95 and maximum printed.
`idle`: the same sign-ins for 15 s with nothing else running (the floor on this machine).

`--previous-rows N` (0: not run) also times the previous head's path on N rows in another fresh
copy: the preview tried every row in one transaction under the writers' lock and rolled it
back (`web_import.refused_rows`), the confirm opened every row in one transaction
(`registers.import_cases` in `transactions.transaction`) — called here as the previous
confirm and preview called them, through the same session factory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MERZIM_TODAY", "2026-05-15")

from workflow.installed import install  # noqa: E402

install()

from fastapi.testclient import TestClient  # noqa: E402

from tests.support.import_helpers import confirm, schedule, upload  # noqa: E402
from tests.support.web_helpers import (  # noqa: E402
    CALENDAR,
    TODAY,
    _settings,
    build,
    csrf_of,
    demo_database,
    password_of,
)
from web.app import create_app  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402
from workflow.imports import progress as web_import  # noqa: E402
from workflow.services import registers  # noqa: E402
from workflow.services import transactions as tx  # noqa: E402
from workflow.storage.db import session as open_session  # noqa: E402

PROCESS = "internal_risk_analysis"
PATH = f"/registers/{PROCESS}/import"


def _sign_ins(web, running: threading.Event, out: list[float]) -> None:
    """POST /login as Marat over and over while `running` is set: the latency of each sent
    while it was set, in seconds (one still waiting when it is cleared included)."""
    password = password_of("marat")
    while running.is_set():
        client = web.client()
        form = client.get("/login")
        began = time.perf_counter()
        r = client.post("/login", data={"login": "marat", "password": password,
                                        "csrf": csrf_of(form.text), "next": "/"})
        out.append(time.perf_counter() - began if r.status_code == 303 else -1.0)


def _other_node(url: str, tmp: str, running, queue) -> None:
    """Another process with its own application over the same database (another node):
    `_sign_ins` there, the latencies put on `queue` at the end."""
    install()
    from workflow.storage.db import make_engine

    eng = make_engine(url)
    app = create_app(_settings(Path(tmp), url), eng, CALENDAR, load_registry())

    class Node:
        def client(self):
            return TestClient(app, follow_redirects=False)

    out: list[float] = []
    _sign_ins(Node(), running, out)
    queue.put(out)
    eng.dispose()


def _during(web, url: str, tmp: Path, work) -> tuple[float, list[float], list[float]]:
    """(seconds `work()` took, the sign-ins' latencies meanwhile on this node, on another)."""
    spawn = multiprocessing.get_context("spawn")
    running, latencies = threading.Event(), []
    other_running, queue = spawn.Event(), spawn.Queue()
    other_running.set()
    other = spawn.Process(target=_other_node, args=(url, str(tmp), other_running, queue))
    other.start()
    time.sleep(8)  # its start-up (imports, the registry) before the work begins
    running.set()
    prober = threading.Thread(target=_sign_ins, args=(web, running, latencies), daemon=True)
    prober.start()
    began = time.perf_counter()
    try:
        work()
    finally:
        took = time.perf_counter() - began
        running.clear()
        other_running.clear()
        prober.join(300)
        elsewhere = queue.get(timeout=300)
        other.join(60)
    return took, latencies, elsewhere


def _stats(latencies: list[float]) -> dict:
    """p50, p95, max of the sign-ins answered; `refused`: those answered otherwise (a 503
    when the database stayed locked past its timeout), counted as waits of the longest."""
    refused = sum(1 for x in latencies if x < 0)
    answered = [x for x in latencies if x >= 0]
    ordered = sorted(answered) + [max(answered, default=0.0)] * refused
    if not ordered:
        return {"sign_ins": 0}
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]
    return {"sign_ins": len(ordered), "refused": refused, "p50_ms": round(statistics.median(ordered) * 1000),
            "p95_ms": round(p95 * 1000), "max_ms": round(ordered[-1] * 1000)}


def _figures(took: float, here: list[float], elsewhere: list[float]) -> dict:
    return {"seconds": round(took, 2), "same_node": _stats(here),
            "other_node": _stats(elsewhere)}


def _idle(web, url: str, tmp: Path) -> dict:
    """Sign-ins with nothing else running, for 15 s: the floor."""
    return _figures(*_during(web, url, tmp, lambda: time.sleep(15)))


def _web(eng, tmp: Path, ids):
    web = build(eng, tmp, ids=ids)
    url = eng.url.render_as_string(hide_password=False)
    web.app = create_app(_settings(tmp, url), eng, CALENDAR, load_registry())
    return web, eng.url.render_as_string(hide_password=False)


def now(kind: str, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, demo_database(kind, Path(tmp)) as (eng, ids):
        web, url = _web(eng, Path(tmp), ids)
        asel = web.browser("asel")
        data = schedule(web, rows)
        page: dict = {}

        def preview():
            page["r"] = upload(asel, data, path=PATH)
            assert page["r"].status_code == 200, page["r"].text[-1500:]

        def write():
            r = confirm(asel, page["r"].text, path=PATH)
            assert r.status_code == 200 and "entries opened" in r.text, r.text[-1500:]

        return {"idle": _idle(web, url, Path(tmp)),
                "preview": _figures(*_during(web, url, Path(tmp), preview)),
                "confirm": _figures(*_during(web, url, Path(tmp), write))}


def previous(kind: str, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, demo_database(kind, Path(tmp)) as (eng, ids):
        web, url = _web(eng, Path(tmp), ids)
        text = schedule(web, rows).decode().splitlines()
        head = text[0].split(",")
        file_rows = [{**dict(zip(head, line.split(","), strict=True)), "subject": "AK-ALM-EDU",
                      "responsible": "asel"} for line in text[1:]]
        ctx = svc.Context(CALENDAR, load_registry(), TODAY, actor="web:asel", language="en")

        def preview():
            with open_session(eng) as s:
                assert web_import.refused_rows(s, ctx, PROCESS, file_rows, 201) == []

        def write():
            with open_session(eng) as s, tx.transaction(s):
                registers.import_cases(s, ctx, PROCESS, file_rows)

        return {"preview": _figures(*_during(web, url, Path(tmp), preview)),
                "confirm": _figures(*_during(web, url, Path(tmp), write))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--previous-rows", type=int, default=0)
    parser.add_argument("--json")
    args = parser.parse_args()
    out = {"backend": args.backend, "rows": args.rows, "python": platform.python_version(),
           "load_average": os.getloadavg()[0], "now": now(args.backend, args.rows)}
    if args.previous_rows:
        out["previous_rows"] = args.previous_rows
        out["previous"] = previous(args.backend, args.previous_rows)
    out["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
