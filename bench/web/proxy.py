"""The root overdue page at 32 clients through nginx and two nodes on one PostgreSQL, and the
web processes' memory at 1,000,000 stage rows.

Run from the repository root (Debian's nginx and openssl installed):

    .venv/bin/python bench/web/proxy.py [--concurrency 1,32] [--duration 60] [--json PATH] \
        [--previous REF]

1. The dataset of bench/web/run.py (built once into --workdir and reused: the national tree
   under one root, 20,000 analyses of this year and earlier years' up to 1,000,000 stage
   rows), copied into a PostgreSQL schema of its own and upgraded to this code's head.
2. Two `merzim serve --no-worker` nodes, each in a working directory of its own, on that
   schema; nginx (the site deploy/nginx/merzim.conf as it ships, only its addresses, ports,
   certificate and log paths replaced: tests/support/proxy_helpers.py, which
   tests/operations/test_proxy_nodes.py
   starts too) terminating HTTPS with a throw-away certificate in front of both.
3. The root manager signs in through the proxy; `concurrency` clients (a connection and a
   thread each, bench/web/run.py's `load`) GET /overdue (the HTML page: the summary by
   subordinate organisation and the first 200 rows) through the proxy for --duration
   seconds: requests, errors (anything but 200), throughput, latency, the CPU of both nodes
   and nginx, and each node's resident memory (VmRSS) before and after.

`--previous REF`: the same with two nodes of that commit (a git worktree under --workdir,
over the same schema), after this code's at each number of clients. The schema is dropped at
the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.web import run as web  # noqa: E402
from tests.support import proxy_helpers  # noqa: E402
from workflow.storage.db import make_engine, revision, upgrade  # noqa: E402


class Proxy(proxy_helpers.Proxy):
    """nginx as tests/operations/test_proxy_nodes.py starts it, without its access log, and its CPU."""

    def __init__(self, node_ports: list[int]):
        super().__init__(node_ports, access_log=False)

    def cpu_seconds(self) -> float:
        """nginx's processes (the master and its worker)."""
        total = 0.0
        for pid in [self.proc.pid, *_children(self.proc.pid)]:
            total += _cpu(pid)
        return total


def _children(pid: int) -> list[int]:
    """Every descendant of `pid` (setpriv execs nginx, whose master forks its worker)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii")
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found += kids
        todo += kids
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Nodes:
    """Both nodes and nginx, as `web.load` sees one server: the proxy's address, their CPU
    added up, the larger node's memory."""

    def __init__(self, nodes: list[web.Server], proxy: Proxy):
        self.nodes, self.proxy, self.base = nodes, proxy, proxy.base

    def cpu_seconds(self) -> float:
        return sum(n.cpu_seconds() for n in self.nodes) + self.proxy.cpu_seconds()

    def rss_mib(self) -> float:
        return max(n.rss_mib() for n in self.nodes)


def two_nodes(url: str, info: dict[str, Any], a: argparse.Namespace, clients: int, label: str,
              code: Path | None, out: dict[str, Any]) -> dict[str, Any]:
    """Two nodes of `code` (None: this checkout) behind nginx, `clients` clients for
    --duration seconds; stopped after."""
    nodes: list[web.Server] = []
    proxy = None
    try:
        for name in ("node-a", "node-b"):  # a working directory each
            home = a.workdir / name
            home.mkdir(parents=True, exist_ok=True)
            nodes.append(web.start_server(url, home, code))
        out.setdefault("rss_idle_mib", [round(n.rss_mib(), 1) for n in nodes])
        proxy = Proxy([int(n.base.rsplit(":", 1)[1]) for n in nodes])
        os.environ["SSL_CERT_FILE"] = str(proxy.cert)  # the clients trust the throw-away CA
        cookie = web.log_in(proxy.base, web.ROOT_MANAGER, info["password"])
        target = web.Target("GET /overdue (HTML, session cookie) through nginx, two nodes",
                            "/overdue", cookies={"merzim_session": cookie, "merzim_lang": "en"})
        r = web.load(Nodes(nodes, proxy), target, clients, a.duration,  # type: ignore[arg-type]
                     a.min_per_client)
        r["code"] = label
        r["rss_mib_per_node"] = [round(n.rss_mib(), 1) for n in nodes]
        r["errors"] = sum(n for status, n in r["statuses"].items() if status != "200")
        web.log(f"{label} c={clients}: {r['requests']} requests, {r['errors']} errors, "
                f"{r['rps']:.2f} req/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
                f"nodes+nginx CPU {r['server_cpu_cores']:.2f} cores, RSS "
                f"{r['rss_mib_per_node']} MiB, load {r['loadavg_before']:.1f}"
                f"/{r['loadavg_after']:.1f}")
        return r
    finally:
        os.environ.pop("SSL_CERT_FILE", None)  # (its file goes with the proxy)
        if proxy is not None:
            proxy.stop()
        for n in nodes:
            n.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--analyses", type=int, default=20_000)
    p.add_argument("--stage-rows", type=int, default=1_000_000)
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "merzim-bench-web")
    p.add_argument("--concurrency", default="1,32", type=lambda v: [int(x) for x in v.split(",")])
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--min-per-client", type=int, default=2)
    p.add_argument("--postgres-url", default=os.environ.get("MERZIM_BENCH_POSTGRES_URL",
                                                            web.DEFAULT_PG))
    p.add_argument("--json", type=Path)
    p.add_argument("--previous", metavar="REF", default=None,
                   help="also serve this commit (a git worktree under --workdir) with two nodes "
                        "over the same schema, after this code at each concurrency")
    a = p.parse_args(argv)
    if not proxy_helpers.NGINX.exists():
        print("nginx is not installed (apt-get install nginx-light)", file=sys.stderr)
        return 2
    db, info = web.ensure_dataset(a.workdir, a.analyses, web.SEED, 200, a.stage_rows, False)
    url, schema = web.copy_to_postgres(db, a.postgres_url,
                                       revision(make_engine(f"sqlite:///{db}")))
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "machine": web.machine(),
                           "python": platform.python_version(), "dataset": info["rows"],
                           "runs": []}
    codes: list[tuple[str, Path | None]] = [("this", None)]
    if a.previous:
        codes.append((a.previous, web.previous_checkout(a.previous, a.workdir)))
    try:
        eng = make_engine(url)
        upgrade(eng)
        out["revision"] = revision(eng)
        eng.dispose()
        for c in a.concurrency:
            for label, code in codes:  # this code, then the previous head, at each level
                out["runs"].append(two_nodes(url, info, a, c, label, code, out))
    finally:
        web.drop_schema(a.postgres_url, schema)
    print(f"\n{out['dataset']}; idle RSS per node {out['rss_idle_mib']} MiB\n")
    print("| code | clients | requests | errors | req/s | p50 ms | p95 ms | max ms | CPU cores "
          "(2 nodes + nginx) | RSS per node MiB | load before/after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in out["runs"]:
        print(f"| {r['code']} | {r['concurrency']} | {r['requests']} | {r['errors']} | "
              f"{r['rps']:.2f} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['max_ms']:.0f} | "
              f"{r['server_cpu_cores']:.2f} | {' / '.join(map(str, r['rss_mib_per_node']))} | "
              f"{r['loadavg_before']:.1f} / {r['loadavg_after']:.1f} |")
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["errors"] == 0 for r in out["runs"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
