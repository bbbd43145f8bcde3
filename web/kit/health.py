"""What a load balancer and Prometheus ask of a web process (docs/operator-guide.md,
"Health checks, metrics and alerts"):

* `GET /healthz`: the process answers (200 `ok`; nothing else is asked);
* `GET /readyz`: the database is reachable, its schema is this merzim's, and a worker's
  heartbeat is fresh (200, else 503; JSON naming each check), and whether the process's
  start-up work in the background (the features' `startup`, such as the roots' scores worked
  out at start) has ended (`started`: reported, not required: the process serves meanwhile);
* `GET /metrics`: the Prometheus text format — requests and their latency by route (of every
  web process of this `merzim serve`), the outbox (depth and the age of the oldest unsent
  message by channel, messages sent, retried and failed by channel), every worker's heartbeat
  and what it did (planner runs, messages planned, sent, failed), the re-plan runs. Closed (404) unless
  `[web] metrics_token_sha256` is set; then only with `Authorization: Bearer TOKEN` (401).

None of them needs a session or writes anything; none is audited."""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from web.kit.asgi import HttpMiddleware
from web.kit.error_pages import error_page
from workflow.services import health

router = APIRouter(include_in_schema=False)
OPEN = ("/healthz", "/readyz", "/metrics")  # answered without a session, never audited

REQUESTS = CollectorRegistry(auto_describe=True)  # this process's (or, with several, files')
REQUEST_COUNT = Counter("merzim_http_requests", "HTTP requests answered, by route template",
                        ("method", "route", "status"), registry=REQUESTS)
REQUEST_SECONDS = Histogram("merzim_http_request_duration_seconds",
                            "Time to answer an HTTP request, by route template",
                            ("method", "route"), registry=REQUESTS,
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def route_of(scope) -> str:
    """The route's template (/cases/{case_id}), never the address itself (ids, feed tokens)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if str(scope.get("path", "")).startswith("/static/"):
        return "/static"
    return "unmatched"


class RequestMetrics(HttpMiddleware):
    """ASGI middleware, outermost: counts every answer (a refused body too) and its time."""

    async def http(self, scope, receive, send):
        began, status = time.perf_counter(), 500

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route, method = route_of(scope), str(scope.get("method", ""))
            REQUEST_COUNT.labels(method, route, str(status)).inc()
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - began)


@router.get("/healthz")
async def healthz() -> PlainTextResponse:
    """The process answers: on the event loop itself, so it says whether the loop moves (a
    worker thread would make it wait behind every request that holds one)."""
    return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    beat = settings.notify.heartbeat_seconds if settings.notify is not None else 30.0
    found = await run_in_threadpool(health.readiness, request.app.state.engine, beat)
    return JSONResponse({**found.as_dict(), "started": started(request.app)},
                        status_code=200 if found.ready else 503,
                        headers={"Cache-Control": "no-store"})


def started(app) -> bool:
    """Whether every start-up work the process began in the background has ended (web/app.py
    `_start`: the threads the features' `startup` returned)."""
    return not any(thread.is_alive() for thread in getattr(app.state, "starting", ()))


def _allowed(request: Request, digest: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    given = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return hmac.compare_digest(given, digest)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    digest = request.app.state.settings.web.metrics_token_sha256
    if not digest:
        return error_page(request, 404, "notfound.page", database=False)
    if not _allowed(request, digest):
        return error_page(request, 401, "unauthorised", database=False,
                          headers={"WWW-Authenticate": "Bearer"})
    figures = await run_in_threadpool(health.figures, request.app.state.engine)
    body = _requests_text() + _database_text(figures)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _requests_text() -> bytes:
    """The request metrics: added up over the web processes' files when `merzim serve` runs
    several (PROMETHEUS_MULTIPROC_DIR, set by serve), else this process's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and os.path.isdir(folder):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)
        return generate_latest(registry)
    return generate_latest(REQUESTS)


def _by_channel(name: str, documentation: str, counts: dict[str, int]) -> GaugeMetricFamily:
    """A gauge of a count per channel."""
    gauge = GaugeMetricFamily(name, documentation, labels=("channel",))
    for channel, n in sorted(counts.items()):
        gauge.add_metric((channel,), n)
    return gauge


class _Database:
    """A collector of the figures read from the database at this scrape."""

    def __init__(self, figures: health.Figures):
        self.figures = figures

    def collect(self):
        f = self.figures
        yield _by_channel("merzim_outbox_depth",
                          "Messages waiting to be sent (pending or being sent), by channel",
                          f.unsent)
        yield GaugeMetricFamily("merzim_outbox_oldest_unsent_age_seconds",
                                "Age of the oldest message not sent yet (0: none waits)",
                                value=f.oldest_unsent_age)
        messages = GaugeMetricFamily("merzim_outbox_messages",
                                     "Outbox rows by channel and status (sent, failed, ...)",
                                     labels=("channel", "status"))
        for (channel, status), n in sorted(f.messages.items()):
            messages.add_metric((channel, status), n)
        yield messages
        yield _by_channel("merzim_outbox_retrying",
                          "Messages waiting for another attempt after a failed one", f.retrying)
        at = GaugeMetricFamily("merzim_worker_heartbeat_timestamp_seconds",
                               "When each worker last said it is alive (Unix time)",
                               labels=("worker",))
        runs = CounterMetricFamily("merzim_planner_runs", "Planner passes of each worker",
                                   labels=("worker",))
        last = GaugeMetricFamily("merzim_planner_last_run_timestamp_seconds",
                                 "When each worker's planner last ran (Unix time; 0: not yet)",
                                 labels=("worker",))
        done = CounterMetricFamily("merzim_worker_messages",
                                   "Messages each worker queued (planned), sent, retried and failed",
                                   labels=("worker", "outcome"))
        for b in f.beats:
            at.add_metric((b.worker,), b.at)
            runs.add_metric((b.worker,), b.plan_runs)
            last.add_metric((b.worker,), b.plan_last)
            for outcome, n in (("queued", b.planned), ("sent", b.sent), ("retried", b.retried),
                               ("failed", b.failed)):
                done.add_metric((b.worker, outcome), n)
        yield from (at, runs, last, done)
        r = f.replans  # `merzim replan`, by any process: counted in the database
        yield CounterMetricFamily("merzim_replan_runs", "Re-plan runs (merzim replan)",
                                  value=r.runs)
        yield GaugeMetricFamily("merzim_replan_last_run_timestamp_seconds",
                                "When the last re-plan ran (Unix time; 0: not yet)", value=r.last)
        yield CounterMetricFamily("merzim_replan_moved_deadlines",
                                  "Deadlines the re-plan runs moved", value=r.moved)


def _database_text(figures: health.Figures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Database(figures))
    return generate_latest(registry)
