"""A burst of concurrent sign-ins against a real `merzim serve` process: its peak memory and
what each sign-in was answered.

Run from the repository root:

    .venv/bin/python bench/web/signins.py [--clients 100] [--previous REF] [--json PATH]

For each code (this checkout; `--previous REF`: that commit, a git worktree under --workdir,
imported first on the path), in a SQLite database of its own built by that code (migrated, one
organisation, `--clients` officers whose web password was set with that code's default argon2
parameters, as `merzim user password` sets it): `merzim serve --no-worker` on a free port
(bench/web/run.py's `start_server`; MERZIM_ARGON2_PROFILE unset, so the installation's
default cost), then `--clients` clients, one thread and one connection each, each fetch the
sign-in form (its CSRF cookie), wait for all the others at a barrier and POST their password
at once. Each answer counts as signed in (303 with a session cookie), told to retry (503 with
Retry-After) or an error (anything else, or no answer within 120 s). A client told to retry
sends its sign-in again after Retry-After seconds, up to --retries times: the answers at the
first attempt and in the end are both printed. The server's peak resident memory is `VmHWM`
in /proc/PID/status read after the burst (its peak since start), beside its memory at start
(VmRSS after the first sign-in form) and its CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.web import people  # noqa: E402
from bench.web import run as web  # noqa: E402

PASSWORD = "a-long-enough-password-7"


def status(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def burst(base: str, clients: int, retries: int) -> dict[str, Any]:
    first: list[str] = [""] * clients
    final: list[str] = [""] * clients
    attempts = [0] * clients
    waited: list[float] = [0.0] * clients
    barrier = threading.Barrier(clients)

    def answer(r: httpx.Response | None) -> str:
        if r is None:
            return "error"
        if r.status_code == 303 and r.cookies.get("merzim_session"):
            return "signed_in"
        if r.status_code == 503 and r.headers.get("retry-after"):
            return "retry"
        return f"error {r.status_code}"

    def client(i: int) -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            c.get("/login")
            csrf = c.cookies.get("merzim_login_csrf")
            barrier.wait()
            t0 = time.perf_counter()
            for attempt in range(retries + 1):
                try:
                    r = c.post("/login", data={"login": f"user{i:03d}", "password": PASSWORD,
                                               "csrf": csrf, "next": "/"})
                except httpx.HTTPError:
                    r = None
                said = answer(r)
                attempts[i] = attempt + 1
                if attempt == 0:
                    first[i] = said
                final[i] = said
                if said != "retry" or r is None:
                    break
                time.sleep(float(r.headers["retry-after"]))
            waited[i] = time.perf_counter() - t0

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    def counts(said: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for x in said:
            out[x] = out.get(x, 0) + 1
        return dict(sorted(out.items()))

    ordered = sorted(waited)
    return {"first": counts(first), "final": counts(final), "attempts": sum(attempts),
            "wall_s": round(wall, 2), "slowest_s": round(ordered[-1], 2),
            "median_s": round(ordered[len(ordered) // 2], 2)}


def measure(label: str, code: Path | None, a: argparse.Namespace) -> dict[str, Any]:
    workdir = a.workdir / label
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "signins.db"
    db.unlink(missing_ok=True)
    Path(f"{db}.audit-head").unlink(missing_ok=True)  # the audit checkpoint of an earlier run
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERZIM_")}
    env["PYTHONPATH"] = str(code or ROOT)
    # bench/web/people.py run by its path, with that code first on the path (not this
    # checkout's bench/); the database's users: user000 … with the same password
    script = ("import os, runpy, sys\nfrom datetime import date\n"
              "os.environ.pop('MERZIM_ARGON2_PROFILE', None)\n"
              "users = [(f'user{i:03d}', f'User {i}', 'officer') for i in range(int(sys.argv[3]))]\n"
              "runpy.run_path(sys.argv[1])['build'](\n"
              "    f'sqlite:///{sys.argv[2]}', users, sys.argv[4], date(2026, 9, 15), 'bench')\n")
    subprocess.run([sys.executable, "-c", script, people.__file__, str(db), str(a.clients),
                    PASSWORD], env=env,
                   cwd=code or ROOT, check=True)
    srv = web.start_server(f"sqlite:///{db}", workdir, code)
    try:
        pid = srv.proc.pid
        start_rss = status(pid, "VmRSS")
        cpu0 = srv.cpu_seconds()
        found = burst(srv.base, a.clients, a.retries)
        found.update(label=label, server_cpu_s=round(srv.cpu_seconds() - cpu0, 2),
                     start_rss_mib=round(start_rss, 1),
                     peak_rss_mib=round(status(pid, "VmHWM"), 1),
                     rss_after_mib=round(status(pid, "VmRSS"), 1))
    finally:
        srv.stop()
    web.log(f"{label}: {found}")
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--retries", type=int, default=10)
    p.add_argument("--previous", help="a commit to measure beside this code (git worktree)")
    p.add_argument("--workdir", type=Path,
                   default=Path(tempfile.gettempdir()) / "merzim-bench-signins")
    p.add_argument("--json", type=Path)
    a = p.parse_args()
    a.workdir.mkdir(parents=True, exist_ok=True)
    load0 = web.loadavg()
    runs = [measure("this", None, a)]
    if a.previous:
        code = web.previous_checkout(a.previous, a.workdir)
        runs.append(measure(f"previous ({a.previous})", code, a))
    print(f"\n{a.clients} concurrent sign-ins, one `merzim serve` process "
          f"(load {load0:.1f} → {web.loadavg():.1f}, {os.cpu_count()} CPUs)\n")
    print("| code | peak RSS MiB (VmHWM) | RSS at start MiB | first answers | in the end "
          "(retrying after Retry-After) | attempts | server CPU s | wall s |")
    print("|---|---:|---:|---|---|---:|---:|---:|")
    for r in runs:
        print(f"| {r['label']} | {r['peak_rss_mib']:.0f} | {r['start_rss_mib']:.0f} | "
              f"{r['first']} | {r['final']} | {r['attempts']} | {r['server_cpu_s']:.1f} | "
              f"{r['wall_s']:.1f} |")
    if a.json:
        a.json.write_text(json.dumps({"clients": a.clients, "load": [load0, web.loadavg()],
                                      "runs": runs}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
