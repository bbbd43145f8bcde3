"""/healthz, /readyz and /metrics, and a lost PostgreSQL connection:
the process answers; ready only with the database, its schema and a fresh worker heartbeat;
the metrics closed unless a token is configured, then holding the outbox and the workers; a
connection terminated under a request retried once (a read) or answered 503 with Retry-After
(a write), never a reset or a 500."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support.features import needs
from tests.support.metrics_helpers import metric_value, metrics_config, serving
from tests.support.pg_cuts import terminate_before
from tests.support.processes import local
from tests.support.web_helpers import (
    CALENDAR,
    DEFINITION,
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from web.app import create_app
from workflow.reminders import heartbeat
from workflow.services import health
from workflow.settings import load_settings
from workflow.storage.models import OutboxMessage

TOKEN = "scrape-me-7f3a"
DIGEST = hashlib.sha256(TOKEN.encode()).hexdigest()
NOW = 1_790_000_000.0  # a fixed "now" for the figures read directly


def _app(web: Web, tmp_path: Path, config: str):
    path = tmp_path / "health.toml"
    path.write_text(config, encoding="utf-8")
    settings = load_settings(path, env={"MERZIM_LANG": "en",
                                        "MERZIM_DATABASE_URL": str(web.engine.url)})
    return create_app(settings, web.engine, CALENDAR, DEFINITION)


def _outbox(engine, rows: list[tuple[str, str, int, float]]) -> None:
    """(channel, status, attempts, created_at) rows for the nurlan user."""
    from workflow import services as svc

    with Session(engine) as s:
        uid = svc.get_user(s, "nurlan").id
        for i, (channel, status, attempts, created) in enumerate(rows):
            s.add(OutboxMessage(recipient_id=uid, channel=channel, local_day=date(2026, 2, 4),
                                digest=f"health-{i}", address="n@example.kz", subject="s",
                                body_text="t", body_html="<p>t</p>", status=status,
                                attempts=attempts, created_at=created))
        s.commit()


def test_healthz_and_readyz_say_what_is_missing(web: Web):
    c = web.client()
    before = web.dump()
    r = c.get("/healthz")
    assert (r.status_code, r.text, r.headers["cache-control"]) == (200, "ok\n", "no-store")
    r = c.get("/readyz")  # no worker has ever said it is alive: reported, the node still serves
    assert r.status_code == 200
    assert r.json() == {"ready": True, "database": True, "schema": True, "worker": False,
                        "problems": ["no worker heartbeat in the last 90 s"], "started": True}
    assert web.dump() == before  # asking writes nothing
    beat = heartbeat.Beat("node-a:41", at=time.time() - 600)  # a worker gone quiet
    heartbeat.write(web.engine, beat)
    r = c.get("/readyz")
    assert r.status_code == 200 and r.json()["worker"] is False
    assert r.json()["problems"][0].startswith("no worker heartbeat in the last 90 s (the newest is")
    heartbeat.write(web.engine, heartbeat.Beat("node-b:42", at=time.time()))
    r = c.get("/readyz")
    assert r.status_code == 200 and r.json() == {"ready": True, "database": True, "schema": True,
                                                 "worker": True, "problems": [], "started": True}


def test_readyz_says_when_the_start_up_work_has_ended(web: Web, tmp_path):
    """A process serving (its lifespan entered) notes the start-up work its features began in
    the background (the scorecard's roots' figures, on a thread); /readyz says "started" false
    while one still runs, true once they have all ended: what a benchmark waits for before it
    measures (bench/web/run.py `settle`)."""
    import threading

    from fastapi.testclient import TestClient

    app = _app(web, tmp_path, "[scorecard]\nwarm_at_start = true\n")
    with TestClient(app) as c:
        begun = list(app.state.starting)
        if "scorecard" in app.state.features:  # the roots' figures, on a thread of their own
            assert [t.name for t in begun] == ["merzim-warm-scores"]
        for thread in begun:
            thread.join(timeout=120)  # (a wait bound, not a measure)
        assert c.get("/readyz").json()["started"] is True
        held = threading.Event()
        still = threading.Thread(target=held.wait, args=(120,), daemon=True)
        still.start()
        app.state.starting.append(still)  # start-up work still running
        r = c.get("/readyz")
        assert (r.status_code, r.json()["started"]) == (200, False)  # serving meanwhile
        held.set()
        still.join(timeout=120)
        assert c.get("/readyz").json()["started"] is True


def test_a_heartbeat_silent_for_a_day_is_forgotten(web: Web):
    heartbeat.write(web.engine, heartbeat.Beat("old:1", at=NOW - 86_401))
    heartbeat.write(web.engine, heartbeat.Beat("new:2", at=NOW, plan_runs=3, sent=5))
    with web.engine.connect() as conn:
        assert [(b.worker, b.plan_runs, b.sent) for b in heartbeat.beats(conn)] == [
            ("new:2", 3, 5)]


def test_metrics_are_closed_unless_configured_then_need_the_token(web: Web, tmp_path):
    from fastapi.testclient import TestClient

    r = web.client().get("/metrics")
    assert r.status_code == 404
    app = _app(web, tmp_path, f'[web]\nmetrics_token_sha256 = "{DIGEST}"\n')
    c = TestClient(app)
    assert c.get("/metrics").status_code == 401
    r = c.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")


@needs("planning")  # a request to each of the web world's analyses, which the planning plans
def test_metrics_hold_the_outbox_the_workers_and_the_requests(web: Web, tmp_path):
    from fastapi.testclient import TestClient

    _outbox(web.engine, [("email", "pending", 0, NOW - 300), ("email", "pending", 2, NOW - 120),
                         ("email", "sending", 1, NOW - 60), ("telegram", "pending", 0, NOW - 30),
                         ("email", "sent", 1, NOW - 900), ("telegram", "failed", 8, NOW - 800)])
    heartbeat.write(web.engine, heartbeat.Beat("node-a:7", at=NOW, started=NOW - 50, plan_runs=2,
                                               plan_last=NOW - 40, planned=11, sent=9,
                                               retried=1, failed=1))
    f = health.figures(web.engine, now=NOW)
    assert f.unsent == {"email": 3, "telegram": 1} and f.oldest_unsent_age == 300.0
    assert f.retrying == {"email": 1}
    assert f.messages == {("email", "pending"): 2, ("email", "sending"): 1,
                          ("telegram", "pending"): 1, ("email", "sent"): 1,
                          ("telegram", "failed"): 1}
    c = TestClient(_app(web, tmp_path, f'[web]\nmetrics_token_sha256 = "{DIGEST}"\n'),
                   headers={"Authorization": f"Bearer {TOKEN}"})
    text = c.get("/metrics").text
    assert metric_value(text, 'merzim_outbox_depth{channel="email"}') == 3
    assert metric_value(text, 'merzim_outbox_depth{channel="telegram"}') == 1
    assert metric_value(text, 'merzim_outbox_messages{channel="telegram",status="failed"}') == 1
    assert metric_value(text, 'merzim_outbox_messages{channel="email",status="sent"}') == 1
    assert metric_value(text, 'merzim_outbox_retrying{channel="email"}') == 1
    assert metric_value(text, "merzim_outbox_oldest_unsent_age_seconds") >= 300
    assert metric_value(text, 'merzim_worker_heartbeat_timestamp_seconds{worker="node-a:7"}') == NOW
    assert metric_value(text, 'merzim_planner_runs_total{worker="node-a:7"}') == 2
    assert metric_value(text, 'merzim_worker_messages_total{outcome="queued",worker="node-a:7"}') == 11
    # requests by route template, never by address (no case id, no feed token)
    series = 'merzim_http_requests_total{method="GET",route="/cases/{case_id}",status="303"}'
    first = metric_value(text, series) if series in text else 0.0
    for case in web.analyses.values():
        assert c.get(f"/cases/{case}", follow_redirects=False).status_code == 303
    text = c.get("/metrics").text
    assert metric_value(text, series) == first + len(web.analyses)
    assert f"/cases/{web.analyses['edu']}" not in text
    assert 'merzim_http_request_duration_seconds_count{method="GET",route="/cases/{case_id}"}' \
        in text


# -- a running `merzim serve` -----------------------------------------------------------------


@pytest.mark.slow
def test_a_running_serve_is_healthy_ready_and_shows_its_outbox(db_url, db, make_ctx, tmp_path):
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(date(2026, 2, 4)))
        s.commit()
    metrics_config(tmp_path, TOKEN)
    with serving(db_url, tmp_path) as served:
        base = served.base
        assert local().get(f"{base}/healthz", timeout=5).text == "ok\n"
        ready = local().get(f"{base}/readyz", timeout=5).json()
        assert ready.pop("started") in (True, False)  # (the roots' figures may still run)
        assert ready == {"ready": True, "database": True, "schema": True, "worker": True,
                         "problems": []}
        assert local().get(f"{base}/metrics", timeout=5).status_code == 401
        text = local().get(f"{base}/metrics", timeout=5,
                         headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert "# TYPE merzim_outbox_depth gauge" in text
        assert metric_value(text, "merzim_outbox_oldest_unsent_age_seconds") >= 0
        assert re.search(r'^merzim_worker_heartbeat_timestamp_seconds\{worker="[^"]+:\d+"\} ',
                         text, re.M)


# -- a PostgreSQL connection lost under a request ----------------------------------------------


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_read_whose_connection_dies_is_tried_again(web: Web):
    api = web.api("asel")
    assert api.get("/api/v1/organisations").status_code == 200
    fired, stop = terminate_before(web.engine, r"\A\s*SELECT")
    try:
        r = api.get("/api/v1/organisations")
    finally:
        stop()
    assert fired, "no backend was terminated"
    assert r.status_code == 200 and "x-merzim-retry" not in r.headers
    assert r.json()["total"] > 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_write_whose_connection_dies_is_answered_503_and_stores_nothing(web: Web):
    api = web.api("asel")
    edu = web.analyses["edu"]
    before = web.dump()
    fired, stop = terminate_before(web.engine, r"\A\s*INSERT")
    try:
        r = api.post(f"/api/v1/cases/{edu}/not-done",
                     json={"stage": "order", "reason": "the order was not signed"})
    finally:
        stop()
    assert fired, "no backend was terminated"
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["error"] == "error.db_unavailable"
    assert "x-merzim-retry" not in r.headers
    assert web.dump() == before
    # and the next request finds a working connection
    assert api.get("/api/v1/organisations").status_code == 200
