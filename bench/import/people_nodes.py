"""Sign-ins and writes on one `merzim serve` node while a people import of 10,000 rows is
previewed and confirmed through the web of another: how long each waits.

Run from the repository root:

    .venv/bin/python bench/import/people_nodes.py [--rows 10000] [--signers 3] [--keyed]
        [--code DIR] [--pg URL] [--json PATH]

In a PostgreSQL schema of its own (dropped at the end): one organisation, its administrator
and `--signers` + 1 officers, every web password set with the installation's default argon2
cost (one hash, copied); two `merzim serve --no-worker` nodes on it (bench/web/run.py's
`start_server`; `--code DIR`: another checkout's merzim, e.g. a `git worktree` of the previous
head). On node B, `--signers` clients each sign in one after another (the sign-in form, then
its POST) and one officer saves her language every 0.1 s (an audited write), for the whole
run. On node A, after 20 s of that alone (`idle`), the administrator previews a file of
`--rows` new people and confirms it as a browser with the page's script does (the hidden
fields, two roles changed in `roles`), with an `Idempotency-Key` header when `--keyed`.
Printed for each phase (idle, preview, confirm): the count of node B's sign-ins and writes
begun in it and their p50, p95 and max, and the answers' statuses.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgres import drop_schema, new_schema  # noqa: E402
from bench.web import people  # noqa: E402
from bench.web import run as web  # noqa: E402

PASSWORD = "a-long-enough-password-7"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def build(url: str, officers: int) -> None:
    """The schema: migrated, one organisation, its administrator `erlan`, officers o0…"""
    people.build(url, [("erlan", "Erlan", "admin")]
                 + [(f"o{i}", f"Officer {i}", "officer") for i in range(officers)],
                 PASSWORD, date(2025, 11, 19), "cli:bench")


def sign_in(base: str, login: str) -> tuple[httpx.Client, int]:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=300)
    form = client.get("/login")
    r = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                    "csrf": CSRF.search(form.text).group(1)})
    return client, r.status_code


def one(pg: str, rows: int, signers: int, keyed: bool, code: Path | None) -> dict:
    schema, url = new_schema(pg, "bench_people_nodes_")
    work = Path(tempfile.mkdtemp(prefix="people-nodes-"))
    (work / "files").mkdir()
    (work / "config.toml").write_text(f'[files]\ndirectory = "{work / "files"}"\n',
                                      encoding="utf-8")
    servers: list = []
    try:
        build(url, signers + 1)
        node_a = web.start_server(url, work, code=code)
        servers.append(node_a)
        node_b = web.start_server(url, work, code=code)
        servers.append(node_b)
        seen: list[tuple[str, float, float, int]] = []
        stop = threading.Event()

        def signer(i: int) -> None:
            while not stop.is_set():
                at, t = time.time(), time.perf_counter()
                client, status = sign_in(node_b.base, f"o{i}")
                seen.append(("sign-in", at, time.perf_counter() - t, status))
                client.close()

        def writer() -> None:
            client, _status = sign_in(node_b.base, f"o{signers}")
            lang = "ru"
            while not stop.is_set():
                csrf = CSRF.search(client.get("/account").text).group(1)
                at, t = time.time(), time.perf_counter()
                r = client.post("/account/language", data={
                    "csrf": csrf, "lang": lang, "answer": "save", "next": "/account"})
                seen.append(("write", at, time.perf_counter() - t, r.status_code))
                lang = "en" if lang == "ru" else "ru"
                time.sleep(0.1)

        threads = [threading.Thread(target=signer, args=(i,)) for i in range(signers)]
        threads.append(threading.Thread(target=writer))
        for thread in threads:
            thread.start()
        admin, _status = sign_in(node_a.base, "erlan")
        phases = {"idle": (time.time(), 0.0)}
        time.sleep(20)
        phases["idle"] = (phases["idle"][0], time.time())
        body = "ФИО;Подразделение;E-mail\n" + "".join(
            f"Person {i};AK;p{i:05d}@example.kz\n" for i in range(rows))
        start = time.time()
        page = admin.get("/people")
        preview = admin.post("/people/import", data={"csrf": CSRF.search(page.text).group(1)},
                             files={"file": ("people.csv", body.encode(), "text/csv")})
        phases["preview"] = (start, time.time())
        fields = dict(HIDDEN.findall(preview.text))
        if "roles" in fields:  # as the page's script sends it (a merzim without: no roles)
            fields["roles"] = "2:manager,5001:admin"
        start = time.time()
        done = admin.post("/people/import/confirm", data=fields,
                          headers={"Idempotency-Key": "bench-1"} if keyed else {})
        phases["confirm"] = (start, time.time())
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        out = {"rows": rows, "keyed": keyed, "code": str(code or "this checkout"),
               "preview_status": preview.status_code, "confirm_status": done.status_code,
               "load": os.getloadavg()[0], "phases": {}}
        for phase, (begin, end) in phases.items():
            out["phases"][phase] = {"seconds": round(end - begin, 1)}
            for kind in ("sign-in", "write"):
                waits = sorted(w for k, at, w, _s in seen if k == kind and begin <= at <= end)
                statuses = sorted({s for k, at, _w, s in seen if k == kind and begin <= at <= end})
                if waits:
                    out["phases"][phase][kind] = {
                        "n": len(waits), "p50": round(statistics.median(waits), 3),
                        "p95": round(waits[max(0, int(len(waits) * 0.95) - 1)], 3),
                        "max": round(waits[-1], 3), "statuses": statuses}
        return out
    finally:
        for server in servers:
            server.stop()
        drop_schema(pg, schema)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--signers", type=int, default=3)
    parser.add_argument("--keyed", action="store_true")
    parser.add_argument("--code", type=Path)
    parser.add_argument("--pg", default=os.environ.get(
        "MERZIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    result = one(args.pg, args.rows, args.signers, args.keyed, args.code)
    print(f"preview {result['preview_status']}, confirm {result['confirm_status']}, "
          f"load {result['load']:.1f}")
    print("| phase | s | sign-ins | p50 | p95 | max | writes | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for phase, got in result["phases"].items():
        cells = [phase, str(got["seconds"])]
        for kind in ("sign-in", "write"):
            m = got.get(kind, {})
            cells += [str(m.get("n", 0)), str(m.get("p50", "")), str(m.get("p95", "")),
                      str(m.get("max", ""))]
        print("| " + " | ".join(cells) + " |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
