"""A route against its floor, measured the strict way, for every benchmark that has a floor.

The floor is a one-SELECT route of the same app on the same database (bench/web/floor.py,
bench/api/floor.py). A ratio to it only means something if the floor is asked as the measured
route is: by the same client, over keep-alive connections, requests back to back. A floor that
opens a new connection per request, or that is paced (asked at fixed times, its process idle
in between, its caches and the CPU's cold), costs 2-20x more and flatters every ratio.

`paired(legs, rounds, ...)`: each leg (a code's route, the floor's, the previous head's) gets
one `httpx.Client` of its own, opened once and warmed up (keep-alive: the same connection for
every request after the first); then `rounds` rounds, in each of which every leg in turn is
asked back to back for `duration` seconds (and at least `min_requests` times), the order of
the legs reversed every other round, so the machine's load (other jobs share its CPUs) falls
on all of them alike. Per leg: the CPU its server process(es) spent per request (the median of
the rounds, and each round's), wall latency p50 / p95 / max over every request, the statuses,
the load average before and after; `ratio(result, leg, floor)` divides two legs' CPU.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> float:
    """The 1-minute load average of the machine (other jobs compete for its CPUs)."""
    with open("/proc/loadavg", encoding="ascii") as fh:
        return float(fh.read().split()[0])


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


@dataclass
class Leg:
    """One route of one server: `cpu` gives its server process(es)' CPU seconds so far;
    `before` is run by the client before each request, outside its timing (e.g. a write, so
    that the page finds nothing kept)."""

    name: str
    base: str
    path: str
    cpu: Callable[[], float]
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    before: Callable[[], Any] | None = None
    label: str = ""


def timed_get(client: httpx.Client, path: str, before: Callable[[], Any] | None = None
              ) -> tuple[str, int, float]:
    """One GET of `path`, `before` run first outside its timing: its status (the error's name
    where the request failed), its body's size and its wall seconds."""
    if before is not None:
        before()
    start = time.perf_counter()
    try:
        r = client.get(path)
        outcome, size = str(r.status_code), len(r.content)
    except httpx.HTTPError as exc:  # e.g. the server closed the connection
        outcome, size = type(exc).__name__, 0
    return outcome, size, time.perf_counter() - start


def back_to_back(leg: Leg, client: httpx.Client, duration: float,
                 min_requests: int) -> dict[str, Any]:
    """`leg` asked back to back over `client`'s open connection for `duration` seconds and at
    least `min_requests` times: the server's CPU per request, every request's latency."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    sizes: list[int] = []
    load0 = loadavg()
    cpu0, t0 = leg.cpu(), time.perf_counter()
    stop_at = t0 + duration
    while len(latencies) < min_requests or time.perf_counter() < stop_at:
        outcome, size, seconds = timed_get(client, leg.path, leg.before)
        latencies.append(seconds * 1e3)
        statuses[outcome] += 1
        sizes.append(size)
    wall = time.perf_counter() - t0
    cpu = leg.cpu() - cpu0
    return {"requests": len(latencies), "wall_s": wall, "rps": len(latencies) / wall,
            "cpu_ms_per_request": cpu * 1e3 / len(latencies), "statuses": dict(statuses),
            "bytes": statistics.median(sizes), "loadavg_before": load0,
            "loadavg_after": loadavg(), "latencies_ms": latencies}


def paired(legs: Sequence[Leg], rounds: int, duration: float, min_requests: int = 5,
           warmup: int = 3, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every leg in turn, back to back over a keep-alive client of its own, `rounds` times,
    the order reversed every other round; per leg the median CPU per request and latencies."""
    clients = {leg.name: httpx.Client(base_url=leg.base, headers=leg.headers,
                                      cookies=leg.cookies, timeout=900) for leg in legs}
    per_round: dict[str, list[dict[str, Any]]] = {leg.name: [] for leg in legs}
    try:
        for leg in legs:  # the connection opened, the server's first imports and pool done
            for _ in range(warmup):
                r = clients[leg.name].get(leg.path)
                if r.status_code != 200:
                    raise RuntimeError(f"{leg.base}{leg.path}: {r.status_code} {r.text[:300]}")
        for i in range(rounds):
            for leg in legs if i % 2 == 0 else legs[::-1]:
                r = back_to_back(leg, clients[leg.name], duration, min_requests)
                per_round[leg.name].append(r)
                if log is not None:
                    log(f"[round {i + 1}] {leg.name}: {r['requests']} requests, "
                        f"{r['cpu_ms_per_request']:.2f} ms CPU/request, p50 "
                        f"{percentile(r['latencies_ms'], 50):.1f} ms, load "
                        f"{r['loadavg_before']:.1f}, statuses {r['statuses']}")
    finally:
        for c in clients.values():
            c.close()
    return {"legs": {leg.name: summary(leg, per_round[leg.name]) for leg in legs},
            "rounds": rounds, "duration_s": duration}


def summary(leg: Leg, rs: list[dict[str, Any]]) -> dict[str, Any]:
    ms = [x for r in rs for x in r["latencies_ms"]]
    return {"target": leg.label or leg.path, "requests": len(ms),
            "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in rs),
            "cpu_ms_per_request_rounds": [round(r["cpu_ms_per_request"], 3) for r in rs],
            "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "max_ms": max(ms),
            "rps": statistics.median(r["rps"] for r in rs),
            "bytes": statistics.median(r["bytes"] for r in rs),
            "errors": sum(n for r in rs for code, n in r["statuses"].items() if code != "200"),
            "loadavg": [min(r["loadavg_before"] for r in rs),
                        max(r["loadavg_after"] for r in rs)]}


def ratio(result: dict[str, Any], leg: str, floor: str = "floor") -> float:
    """One leg's CPU per request over another's (the floor's) in the same run."""
    legs = result["legs"]
    return legs[leg]["cpu_ms_per_request"] / legs[floor]["cpu_ms_per_request"]


def default_previous(root: Any) -> str:
    """The previous head when none is given: the parent of the `main` branch's newest commit."""
    import subprocess

    done = subprocess.run(["git", "rev-parse", "--short", "main^"], cwd=root,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the previous head (main^): {done.stderr.strip()}; give --previous")
    return done.stdout.strip()
