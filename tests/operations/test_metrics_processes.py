"""Observability with more than one process: `merzim worker --once` (run
from a timer) leaves a heartbeat that `/readyz` reads; the re-plan runs are counted in the
database whichever process runs them and shown in `/metrics`; and `merzim serve --workers 2`
adds up the request counts of both web processes in every scrape (prometheus-client's
multiprocess mode), whichever process answers the scrape."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.metrics_helpers import metric_value, metrics_config, serving
from tests.support.processes import local
from workflow.reminders import heartbeat
from workflow.services import health

TOKEN = "scrape-me-both-9c1e"
DAY = date(2026, 2, 4)


def _demo(db, make_ctx) -> None:
    from workflow.services.demo import load_demo

    with Session(db) as s:
        load_demo(s, make_ctx(DAY))
        s.commit()


def test_worker_once_leaves_a_heartbeat_that_readyz_reads(db_url, db, make_ctx, tmp_path):
    _demo(db, make_ctx)
    config = tmp_path / "config.toml"
    config.write_text('[reminders]\nchannels = []\n[worker]\nheartbeat_seconds = 60\n',
                      encoding="utf-8")
    before = health.readiness(db, 60)
    assert before.database and before.schema and not before.worker
    env = merzim_env(db_url=db_url, today=DAY, config=config)
    for run in (1, 2):
        done = run_merzim(["worker", "--once", "--json"], env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        with db.connect() as conn:
            beats = heartbeat.beats(conn)
        assert len(beats) == 1, beats  # the same process writes one row, updated
        assert beats[0].plan_runs == 1 and beats[0].at >= beats[0].started > 0
        if run == 1:
            first = beats[0]
        else:  # a second `--once` is another process (in tests the same pid: one row)
            assert beats[0].at >= first.at
    after = health.readiness(db, 60)
    assert after.ready, after.problems
    # three heartbeats later with no other run, it is stale again
    stale = health.readiness(db, 60, now=beats[0].at + 181)
    assert not stale.worker and "no worker heartbeat" in stale.problems[0]


def test_replan_runs_are_counted_in_the_database(db_url, db, make_ctx, tmp_path):
    _demo(db, make_ctx)
    with db.connect() as conn:
        assert heartbeat.replans(conn) == heartbeat.Runs()
    env = merzim_env(db_url=db_url, today=DAY)
    for _ in range(2):
        done = run_merzim(["replan", "--json"], env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["moved"] == []
    f = health.figures(db)
    assert f.replans.runs == 2 and f.replans.moved == 0
    # stored to a tenth of a second (rounded): the last run is now, give or take that tenth
    assert -0.1 <= time.time() - f.replans.last < 600


def test_a_replan_rolled_back_is_not_counted(db, make_ctx):
    from workflow.services.replanning import replan_all

    _demo(db, make_ctx)
    with Session(db) as s:
        replan_all(s, make_ctx(DAY))
        s.rollback()
    with Session(db) as s:
        replan_all(s, make_ctx(DAY))
        s.commit()
    with db.connect() as conn:
        assert heartbeat.replans(conn).runs == 1


# -- merzim serve --workers 2 ----------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def _metric_files(pids: list[int]) -> set[str]:
    """The prometheus-client value files the web processes have mapped (one set per pid)."""
    files = set()
    for pid in pids:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        files |= set(re.findall(r"(\S*merzim-metrics-\S*/\w+_\d+\.db)", maps))
    return files


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
def test_serve_with_two_workers_adds_up_both_processes(db_url, db, make_ctx, tmp_path):
    _demo(db, make_ctx)
    metrics_config(tmp_path, TOKEN)
    replanned = run_merzim(["replan"], env=merzim_env(db_url=db_url, today=DAY), cwd=tmp_path)
    assert replanned.returncode == 0, replanned.stderr
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serving(db_url, tmp_path, "--workers", "2", ready_within=90) as served:
        proc, base = served.proc, served.base
        # each request on a connection of its own: the kernel hands them to either process;
        # until both have answered (each maps its own value file)
        sent, answering = 0, set()
        while len(answering) < 2 and sent < 600:
            for _ in range(20):
                assert local().get(f"{base}/healthz", timeout=10).status_code == 200
                sent += 1
            files = _metric_files(_children(proc.pid))
            answering = {re.search(r"_(\d+)\.db$", f).group(1) for f in files
                         if Path(f).name.startswith("counter_")}
        assert len(answering) >= 2, f"one process answered all {sent} requests: {files}"
        series = 'merzim_http_requests_total{method="GET",route="/healthz",status="200"}'
        for _ in range(6):  # every scrape, whichever process answers it, sees them all
            text = local().get(f"{base}/metrics", timeout=10, headers=auth).text
            assert metric_value(text, series) == sent
        assert metric_value(text, 'merzim_http_request_duration_seconds_count{method="GET",'
                            'route="/healthz"}') == sent
        assert metric_value(text, "merzim_replan_runs_total") == 1
        assert metric_value(text, "merzim_replan_last_run_timestamp_seconds") > 0
        assert re.search(r'^merzim_worker_heartbeat_timestamp_seconds\{worker="[^"]+:\d+"\} ',
                         text, re.M)
